import FileDownloadIcon from '@mui/icons-material/FileDownload';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import type { UseQueryResult } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'wouter';
import type { Run, RunInstance, RunInstanceState } from '#ecs/runs-api';
import { ErrorAlert } from '@web/components/ErrorAlert';
import type { ApiError } from '@web/lib/api-error';
import { downloadCsv } from '@web/lib/csv';
import { explainError } from '@web/lib/error-text';
import { runCsv, runCsvFilename } from '../run-csv';
import { stateWord } from '../run-text';
import { INSTANCE_STATE_ORDER, isInstanceState } from '../states';
import { RunInstancesTable } from './RunInstancesTable';

export interface RunInstancesProps {
  run: Run;
  query: UseQueryResult<RunInstance[], ApiError>;
}

/**
 * Each instance's fate, filterable by what happened. The chip in view is in the URL (`?state=failed`), so a link
 * to a run's failures reproduces the view; a chip with no instance is not shown, and a link to one shows all.
 */
export function RunInstances({ run, query }: RunInstancesProps) {
  const { t } = useTranslation('runs');
  const [params, setParams] = useSearchParams();
  const rows = query.data;
  const counts = useMemo(() => {
    const out = new Map<RunInstanceState, number>();
    for (const row of rows ?? []) out.set(row.state, (out.get(row.state) ?? 0) + 1);
    return out;
  }, [rows]);
  const asked = params.get('state') ?? '';
  const shown: RunInstanceState | undefined = isInstanceState(asked) && (counts.get(asked) ?? 0) > 0 ? asked : undefined;
  const visible = useMemo(() => (shown === undefined ? (rows ?? []) : (rows ?? []).filter((r) => r.state === shown)), [rows, shown]);
  const choose = (state: RunInstanceState | undefined) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (state === undefined) next.delete('state');
        else next.set('state', state);
        return next;
      },
      { replace: true },
    );

  let body;
  if (rows === undefined) {
    body = query.isError ? (
      <ErrorAlert
        message={t('instances.loadFailed', { message: explainError(t, query.error) })}
        error={query.error}
        onRetry={() => void query.refetch()}
      />
    ) : (
      <Box sx={{ display: 'flex', justifyContent: 'center', p: 2 }}>
        <CircularProgress aria-label={t('instances.loading')} />
      </Box>
    );
  } else {
    body = (
      <>
        <Box role="group" aria-label={t('instances.filterLabel')} sx={{ display: 'flex', gap: 1, flexWrap: 'wrap' }}>
          <Chip
            label={t('instances.all', { count: rows.length })}
            color={shown === undefined ? 'primary' : 'default'}
            variant={shown === undefined ? 'filled' : 'outlined'}
            aria-pressed={shown === undefined}
            onClick={() => choose(undefined)}
          />
          {INSTANCE_STATE_ORDER.filter((state) => (counts.get(state) ?? 0) > 0).map((state) => (
            <Chip
              key={state}
              label={t('instances.chip', { state: stateWord(t, state), count: counts.get(state) ?? 0 })}
              color={shown === state ? 'primary' : 'default'}
              variant={shown === state ? 'filled' : 'outlined'}
              aria-pressed={shown === state}
              onClick={() => choose(state)}
            />
          ))}
        </Box>
        <RunInstancesTable rows={visible} />
      </>
    );
  }

  return (
    // Not a named section: the table's scroll container is already the region named "Instances in this run".
    <Paper variant="outlined" sx={{ p: 2, display: 'grid', gap: 1.5 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
        <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600, flexGrow: 1 }}>
          {t('instances.label')}
        </Typography>
        {rows !== undefined && rows.length > 0 && (
          <Button
            size="small"
            startIcon={<FileDownloadIcon aria-hidden />}
            onClick={() => downloadCsv(runCsvFilename(run, Date.now()), runCsv(t, rows))}
          >
            {t('instances.export')}
          </Button>
        )}
      </Box>
      {body}
    </Paper>
  );
}
