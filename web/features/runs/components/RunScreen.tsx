import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Run } from '#ecs/runs-api';
import { ErrorAlert } from '@web/components/ErrorAlert';
import { explainError } from '@web/lib/error-text';
import { isRunFinal, runQueries, useRunEvents } from '@web/lib/runs';
import { RunControls } from './RunControls';
import { RunFacts } from './RunFacts';
import { RunInstances } from './RunInstances';
import { RunProgress } from './RunProgress';
import { RunStateIcon } from './StateIcons';

export interface RunScreenProps {
  id: string;
  /** Where another run's page is; the app owns its URLs. */
  runHref: (id: string) => string;
}

/**
 * One run, as everyone allowed to look sees it (docs/product.md#step-7-activation): what it is, how far it got,
 * each instance's fate, and the controls the operator's roles allow. The proxy executes it; this page only
 * follows it (the live feed, with polling behind it) until it is final, then stops asking.
 */
export function RunScreen({ id, runHref }: RunScreenProps) {
  const { t } = useTranslation('runs');
  const detail = useQuery(runQueries.detail(id));
  const run = detail.data;
  useRunEvents(id, run);
  const isFinal = isRunFinal(run);
  const instances = useQuery(runQueries.instances(id, !isFinal));
  useFinalRefresh(id, run === undefined ? undefined : isFinal);

  if (run === undefined) {
    return detail.isError ? (
      <ErrorAlert
        message={t('loadFailed', { message: explainError(t, detail.error) })}
        error={detail.error}
        onRetry={() => void detail.refetch()}
      />
    ) : (
      <Box sx={{ display: 'flex', justifyContent: 'center', p: 4 }}>
        <CircularProgress aria-label={t('loading')} />
      </Box>
    );
  }
  return (
    <Stack component="section" spacing={2} aria-labelledby="run-title">
      <Box>
        <Typography variant="h5" component="h1" id="run-title">
          {t('title')}
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ fontFamily: 'monospace' }}>
          {t('runId', { id: run.id })}
        </Typography>
      </Box>
      <RunStateBanner run={run} />
      <RunControls run={run} runHref={runHref} />
      <RunFacts run={run} runHref={runHref} />
      <RunProgress run={run} rows={instances.data} />
      <RunInstances run={run} query={instances} />
    </Stack>
  );
}

/** The state in words, announced when it changes (a live region: the run moves while the operator reads). */
function RunStateBanner({ run }: { run: Run }) {
  const { t } = useTranslation('runs');
  const hint =
    run.state === 'paused'
      ? run.pausedReason
        ? t('stateHint.paused', { reason: run.pausedReason })
        : t('stateHint.pausedNoReason')
      : run.state === 'cancelling'
        ? t('stateHint.cancelling')
        : undefined;
  return (
    <Box role="status" aria-label={t('stateLabel')}>
      <Typography variant="h6" component="p">
        <RunStateIcon state={run.state} size="medium">
          {t(`runState.${run.state}`)}
        </RunStateIcon>
      </Typography>
      {hint !== undefined && (
        <Typography variant="body2" color="text.secondary">
          {hint}
        </Typography>
      )}
    </Box>
  );
}

/**
 * The rows poll only while the run moves; the poll before the run became final may have read them a moment
 * too early, so they are read once more when it does.
 */
function useFinalRefresh(id: string, isFinal: boolean | undefined): void {
  const client = useQueryClient();
  const wasFinal = useRef(isFinal);
  useEffect(() => {
    // Only a run seen moving: one that is already final when the page opens is read once anyway.
    if (isFinal === true && wasFinal.current === false)
      void client.invalidateQueries({ queryKey: runQueries.instances(id, false).queryKey });
    wasFinal.current = isFinal;
  }, [client, id, isFinal]);
}
