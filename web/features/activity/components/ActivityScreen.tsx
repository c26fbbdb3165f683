import RefreshIcon from '@mui/icons-material/Refresh';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import IconButton from '@mui/material/IconButton';
import Stack from '@mui/material/Stack';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '@web/components/ErrorAlert';
import { useSearchParams } from 'wouter';
import { explainError } from '@web/lib/error-text';
import { activityQueries } from '../api/get-activity';
import { filtersToSearch, hasFilters, parseFilters } from '../filters';
import { useNow } from '../format';
import { ActivityFilterBar } from './ActivityFilterBar';
import { ActivityTable, type InstancesHref, type RunHref } from './ActivityTable';

export interface ActivityScreenProps {
  /** Builds the link from an operation to its instances on the instances screen. */
  instancesHref: InstancesHref;
  /** Builds the link from a call a run sent to that run's page. */
  runHref: RunHref;
}

/**
 * The audit trail, browsable and filterable (docs/product.md#step-10-activity): newest first, filters in the URL,
 * "Load more" along the proxy's cursor, an inline error with the RequestId when the first load fails.
 */
export function ActivityScreen({ instancesHref, runHref }: ActivityScreenProps) {
  const { t } = useTranslation('activity');
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const { filters, ignored } = useMemo(() => parseFilters(new URLSearchParams(search)), [search]);
  const activity = useInfiniteQuery(activityQueries.list(filters));
  const now = useNow();
  const operations = activity.data?.operations;

  let body;
  if (operations === undefined && activity.isError) {
    body = (
      <ErrorAlert
        message={t('loadFailed', { message: explainError(t, activity.error) })}
        error={activity.error}
        onRetry={() => void activity.refetch()}
      />
    );
  } else if (operations === undefined) {
    body = (
      <Box sx={{ display: 'flex', justifyContent: 'center', p: 4 }}>
        <CircularProgress aria-label={t('loading')} />
      </Box>
    );
  } else {
    body = (
      <>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
          <Typography variant="body2" color="text.secondary">
            {t('shown', { count: operations.length })}
          </Typography>
          <Tooltip title={t('refresh')}>
            <IconButton size="small" aria-label={t('refresh')} onClick={() => void activity.refetch()}>
              <RefreshIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        </Box>
        {operations.length === 0 ? (
          <Typography sx={{ py: 3 }}>{hasFilters(filters) ? t('noneMatch') : t('noneYet')}</Typography>
        ) : (
          <ActivityTable operations={operations} instancesHref={instancesHref} runHref={runHref} now={now} />
        )}
        {activity.hasNextPage && (
          <Box>
            <Button
              variant="outlined"
              onClick={() => void activity.fetchNextPage()}
              disabled={activity.isFetchingNextPage}
              aria-busy={activity.isFetchingNextPage}
            >
              {activity.isFetchingNextPage ? t('loadingMore') : t('loadMore')}
            </Button>
          </Box>
        )}
      </>
    );
  }

  return (
    <Stack component="section" spacing={2} aria-labelledby="activity-title">
      <Box>
        <Typography variant="h5" component="h1" id="activity-title">
          {t('title')}
        </Typography>
        <Typography variant="body2" color="text.secondary">
          {t('intro')}
        </Typography>
      </Box>
      {/* Remounted when the URL changes (back/forward, a pasted link), so the fields show what is applied. */}
      <ActivityFilterBar key={search} filters={filters} onApply={(next) => setParams(filtersToSearch(next))} />
      {ignored.length > 0 && (
        <Alert severity="warning">{t('filters.ignored', { names: ignored.map((name) => t(`filters.${name}`)).join(', ') })}</Alert>
      )}
      {body}
    </Stack>
  );
}
