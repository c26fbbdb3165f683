import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import BlockIcon from '@mui/icons-material/Block';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import DownloadIcon from '@mui/icons-material/Download';
import ErrorIcon from '@mui/icons-material/Error';
import HelpIcon from '@mui/icons-material/Help';
import ReplayIcon from '@mui/icons-material/Replay';
import ScheduleIcon from '@mui/icons-material/Schedule';
import SendIcon from '@mui/icons-material/Send';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DisabledReason } from '@web/components/DisabledReason';
import { explainError } from '@web/lib/error-text';
import { useCan } from '@web/lib/session';
import { FOLLOW_UP_ACTIONS } from '../api/follow-ups';
import { followUpFor } from '../follow-up-state';
import type { useFollowUps } from '../hooks/use-follow-ups';
import type { AttachRun, FollowUpAction } from '../model';
import { countOutcomes, outcomeOf, sortRows, toCsvRows, type ResultRow } from '../results-rows';
import { downloadCsv, toCsv } from '../results-csv';
import { AttachProgress } from './AttachProgress';
import { FollowUpBar } from './FollowUpBar';
import { ResultsTable } from './ResultsTable';

export interface RunDialogProps {
  open: boolean;
  run: AttachRun;
  followUps: ReturnType<typeof useFollowUps>;
  onCancelRun: () => void;
  onResend: (ids: readonly string[]) => void;
  onClose: () => void;
}

/** Progress, then results and follow-ups, of one attach run (docs/product.md#step-5-attach to docs/product.md#step-7-activation). */
export function RunDialog({ open, run, followUps, onCancelRun, onResend, onClose }: RunDialogProps) {
  const { t } = useTranslation('attach');
  const [includedUnknown, setIncludedUnknown] = useState<ReadonlySet<string>>(new Set());
  const [isForce, setForce] = useState(false);
  const notAllowed = (action: string) => t('app:permission.notAllowed', { action });
  const canReboot = useCan('RebootInstance');
  const canStart = useCan('StartInstance');
  const canRebootAll = useCan('RebootInstances');
  const canStartAll = useCan('StartInstances');
  const canAttach = useCan('AttachKeyPair');

  const { followUps: followUpById, statusOf } = followUps;
  const rows = useMemo<ResultRow[]>(
    () =>
      sortRows(
        run.targets.map((target) => ({
          target,
          result: run.results[target.InstanceId],
          followUp: followUpById[target.InstanceId],
          status: statusOf(target.InstanceId),
        })),
      ),
    [run.targets, run.results, followUpById, statusOf],
  );
  const counts = countOutcomes(rows);
  const failedIds = rows.filter((r) => outcomeOf(r) === 'failed').map((r) => r.target.InstanceId);
  const unknownTicked = rows
    .filter((r) => outcomeOf(r) === 'unknown' && includedUnknown.has(r.target.InstanceId))
    .map((r) => r.target.InstanceId);
  const retryIds = [...failedIds, ...unknownTicked];
  const notSentIds = rows.filter((r) => outcomeOf(r) === 'not-sent').map((r) => r.target.InstanceId);
  const isDone = !run.isRunning;

  // Ready for a follow-up: attached, nothing sent for it yet (or the last one failed), in the right state.
  const readyFor = (action: FollowUpAction) =>
    rows
      .filter(
        (r) =>
          outcomeOf(r) === 'succeeded' && (r.followUp === undefined || r.followUp.kind === 'failed') && followUpFor(r.status) === action,
      )
      .map((r) => r.target.InstanceId);
  const runningIds = readyFor('reboot');
  const stoppedIds = readyFor('start');

  const attachBlocked = canAttach ? undefined : notAllowed('AttachKeyPair');
  const retryReason = attachBlocked ?? (retryIds.length === 0 ? t('results.retryNone') : undefined);

  const exportCsv = () => {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    downloadCsv(`attach-${run.keyPairName}-${run.regionId}-${stamp}.csv`, toCsv(toCsvRows(t, rows)));
  };

  return (
    <Dialog
      open={open}
      // While batches are going out the dialog stays: the operator has Cancel, and the outcome must be seen.
      onClose={isDone ? onClose : undefined}
      fullWidth
      maxWidth="xl"
      scroll="paper"
    >
      <DialogTitle>
        {isDone ? t('run.titleDone', { keyPairName: run.keyPairName }) : t('run.titleRunning', { keyPairName: run.keyPairName })}
      </DialogTitle>
      <DialogContent dividers>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          {t('run.subtitle', { count: run.targets.length, regionId: run.regionId })}
        </Typography>
        <AttachProgress run={run} onCancel={onCancelRun} />
        <Box component="section" aria-label={t('run.summaryLabel')} sx={{ display: 'flex', gap: 1, flexWrap: 'wrap', mb: 2 }}>
          <Chip
            icon={<CheckCircleIcon />}
            color="success"
            variant="outlined"
            label={t('run.summarySucceeded', { count: counts.succeeded })}
          />
          <Chip icon={<ErrorIcon />} color="error" variant="outlined" label={t('run.summaryFailed', { count: counts.failed })} />
          {counts.unknown > 0 && (
            <Chip icon={<HelpIcon />} color="warning" variant="outlined" label={t('run.summaryUnknown', { count: counts.unknown })} />
          )}
          {counts['not-sent'] > 0 && (
            <Chip icon={<BlockIcon />} variant="outlined" label={t('run.summaryNotSent', { count: counts['not-sent'] })} />
          )}
          {counts.waiting > 0 && (
            <Chip icon={<ScheduleIcon />} variant="outlined" label={t('run.summaryWaiting', { count: counts.waiting })} />
          )}
        </Box>
        {isDone && (counts.failed > 0 || counts.unknown > 0) && (
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            {t('results.retryHint')}
          </Typography>
        )}
        {followUps.pollError && (
          <Alert severity="warning" sx={{ mb: 1 }}>
            {t('followUp.pollFailed', { message: explainError(t, followUps.pollError, 'DescribeInstanceStatus') })}
          </Alert>
        )}
        <ResultsTable
          rows={rows}
          isForce={isForce}
          followUpBlocked={{
            reboot: canReboot ? undefined : notAllowed(FOLLOW_UP_ACTIONS.reboot.single),
            start: canStart ? undefined : notAllowed(FOLLOW_UP_ACTIONS.start.single),
          }}
          onFollowUp={(action, id) => followUps.send(action, [id], { isBatch: false, isForce })}
          includedUnknown={includedUnknown}
          onToggleUnknown={(id) =>
            setIncludedUnknown((current) => {
              const next = new Set(current);
              if (next.has(id)) next.delete(id);
              else next.add(id);
              return next;
            })
          }
        />
        {isDone && counts.succeeded > 0 && (
          <FollowUpBar
            runningIds={runningIds}
            stoppedIds={stoppedIds}
            isForce={isForce}
            onForceChange={setForce}
            rebootBlocked={canRebootAll ? undefined : notAllowed(FOLLOW_UP_ACTIONS.reboot.batch)}
            startBlocked={canStartAll ? undefined : notAllowed(FOLLOW_UP_ACTIONS.start.batch)}
            onRebootAll={() => followUps.send('reboot', runningIds, { isBatch: true, isForce })}
            onStartAll={() => followUps.send('start', stoppedIds, { isBatch: true, isForce: false })}
          />
        )}
      </DialogContent>
      <DialogActions sx={{ flexWrap: 'wrap', gap: 1 }}>
        {isDone && (
          <>
            <DisabledReason reason={retryReason}>
              {(describedBy) => (
                <Button
                  startIcon={<ReplayIcon />}
                  variant="contained"
                  disabled={retryReason !== undefined}
                  aria-describedby={describedBy}
                  onClick={() => {
                    setIncludedUnknown(new Set());
                    onResend(retryIds);
                  }}
                >
                  {t('results.retryFailed', { count: retryIds.length })}
                </Button>
              )}
            </DisabledReason>
            {notSentIds.length > 0 && (
              <DisabledReason reason={attachBlocked}>
                {(describedBy) => (
                  <Button
                    startIcon={<SendIcon />}
                    disabled={attachBlocked !== undefined}
                    aria-describedby={describedBy}
                    onClick={() => onResend(notSentIds)}
                  >
                    {t('results.sendNotSent', { count: notSentIds.length })}
                  </Button>
                )}
              </DisabledReason>
            )}
          </>
        )}
        <Button startIcon={<DownloadIcon />} onClick={exportCsv}>
          {t('results.exportCsv')}
        </Button>
        <Box sx={{ flexGrow: 1 }} />
        {isDone && <Button onClick={onClose}>{t('run.close')}</Button>}
      </DialogActions>
    </Dialog>
  );
}
