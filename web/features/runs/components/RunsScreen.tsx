import RefreshIcon from '@mui/icons-material/Refresh';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import IconButton from '@mui/material/IconButton';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link as RouterLink, useSearchParams } from 'wouter';
import type { Run } from '#ecs/runs-api';
import { ErrorAlert } from '@web/components/ErrorAlert';
import { explainError } from '@web/lib/error-text';
import { runQueries } from '@web/lib/runs';
import { formatAbsoluteTime, formatLocalTime, formatRelativeTime, useNow } from '../format';
import { hasRunsFilter, parseRunsFilter, runsFilterToSearch } from '../list-filters';
import { countsSummary, runKindText } from '../run-text';
import { RunsFilterBar } from './RunsFilterBar';
import { RunStateIcon } from './StateIcons';

export interface RunsScreenProps {
  runHref: (id: string) => string;
}

const COLUMNS = ['colState', 'colRun', 'colRegion', 'colCreator', 'colWhen', 'colCounts'] as const;

/**
 * Every run, in progress first (the proxy's order), filtered by state, creator, region and key pair in the URL
 * (docs/product.md#console-qualities). One page of the latest 200; the counts keep moving while any is in progress.
 */
export function RunsScreen({ runHref }: RunsScreenProps) {
  const { t } = useTranslation('runs');
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const { filter, ignored } = useMemo(() => parseRunsFilter(new URLSearchParams(search)), [search]);
  const list = useQuery(runQueries.list(filter));
  const now = useNow();
  const runs = list.data?.items;

  let body;
  if (runs === undefined) {
    body = list.isError ? (
      <ErrorAlert
        message={t('list.loadFailed', { message: explainError(t, list.error) })}
        error={list.error}
        onRetry={() => void list.refetch()}
      />
    ) : (
      <Box sx={{ display: 'flex', justifyContent: 'center', p: 4 }}>
        <CircularProgress aria-label={t('list.loading')} />
      </Box>
    );
  } else {
    body = (
      <>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
          <Typography variant="body2" color="text.secondary">
            {t('list.shown', { count: runs.length })}
          </Typography>
          <Tooltip title={t('list.refresh')}>
            <IconButton size="small" aria-label={t('list.refresh')} onClick={() => void list.refetch()}>
              <RefreshIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        </Box>
        {list.data?.nextCursor != null && <Alert severity="info">{t('list.more', { count: runs.length })}</Alert>}
        {runs.length === 0 ? (
          <Typography sx={{ py: 3 }}>{hasRunsFilter(filter) ? t('list.noneMatch') : t('list.noneYet')}</Typography>
        ) : (
          <TableContainer component={Paper} variant="outlined">
            <Table size="small" aria-label={t('list.label')}>
              <TableHead>
                <TableRow>
                  {COLUMNS.map((column) => (
                    <TableCell key={column} scope="col" sx={{ whiteSpace: 'nowrap' }}>
                      {t(`list.${column}`)}
                    </TableCell>
                  ))}
                </TableRow>
              </TableHead>
              <TableBody>
                {runs.map((run) => (
                  <RunRow key={run.id} run={run} runHref={runHref} now={now} />
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </>
    );
  }

  return (
    <Stack component="section" spacing={2} aria-labelledby="runs-title">
      <Box>
        <Typography variant="h5" component="h1" id="runs-title">
          {t('listTitle')}
        </Typography>
        <Typography variant="body2" color="text.secondary">
          {t('listIntro')}
        </Typography>
      </Box>
      {/* Remounted when the URL changes (back/forward, a pasted link), so the fields show what is applied. */}
      <RunsFilterBar key={search} filter={filter} onApply={(next) => setParams(runsFilterToSearch(next))} />
      {ignored.length > 0 && (
        <Alert severity="warning">{t('filters.ignored', { names: ignored.map((name) => t(`filters.${name}`)).join(', ') })}</Alert>
      )}
      {body}
    </Stack>
  );
}

function RunRow({ run, runHref, now }: { run: Run; runHref: (id: string) => string; now: number }) {
  const { t, i18n } = useTranslation('runs');
  return (
    <TableRow hover sx={{ '& > td': { verticalAlign: 'top' } }}>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>
        <RunStateIcon state={run.state}>{t(`runState.${run.state}`)}</RunStateIcon>
      </TableCell>
      <TableCell>
        <Link component={RouterLink} href={runHref(run.id)}>
          {runKindText(t, run)}
        </Link>
        <Typography variant="caption" component="div" color="text.secondary" sx={{ fontFamily: 'monospace' }}>
          {run.id}
          {run.retryOf !== undefined && `${t('separator')}${t('list.retryOf', { id: run.retryOf })}`}
        </Typography>
      </TableCell>
      <TableCell sx={{ fontFamily: 'monospace', fontSize: '0.8125rem' }}>{run.regionId}</TableCell>
      <TableCell>{run.createdBy}</TableCell>
      <TableCell sx={{ whiteSpace: 'nowrap' }}>
        <time dateTime={new Date(run.createdAt).toISOString()} title={formatAbsoluteTime(i18n.language, run.createdAt)}>
          {formatLocalTime(i18n.language, run.createdAt)}
        </time>
        <Typography variant="caption" component="div" color="text.secondary">
          {formatRelativeTime(i18n.language, run.createdAt, now)}
        </Typography>
      </TableCell>
      <TableCell>
        {countsSummary(t, run.counts)}
        <Typography variant="caption" component="div" color="text.secondary">
          {t('list.total', { count: run.total })}
        </Typography>
      </TableCell>
    </TableRow>
  );
}
