import PauseIcon from '@mui/icons-material/Pause';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import ReplayIcon from '@mui/icons-material/Replay';
import StopIcon from '@mui/icons-material/Stop';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'wouter';
import type { Run } from '#ecs/runs-api';
import { isRunFinal, useRunControl } from '@web/lib/runs';
import { sessionQueries } from '@web/lib/session';
import { actionsOfRun, controlsFor, retryableCount } from '../states';

export interface RunControlsProps {
  run: Run;
  runHref: (id: string) => string;
}

/**
 * Pause, resume, cancel and retry (docs/product.md#step-7-activation), offered only where the state allows them
 * and only to an operator whose groups allow every action the run sends (docs/product.md#roles-per-action); the
 * proxy checks again. Anyone else follows the run and is told why there is nothing to press.
 */
export function RunControls({ run, runHref }: RunControlsProps) {
  const { t, i18n } = useTranslation('runs');
  const session = useQuery(sessionQueries.current());
  const control = useRunControl(run);
  const [, navigate] = useLocation();
  const [dialog, setDialog] = useState<'cancel' | 'retry' | undefined>(undefined);
  if (session.data === undefined) return null;
  const needed = actionsOfRun(run);
  const missing = needed.filter((action) => !session.data.allowedActions.includes(action));
  if (missing.length > 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        {t('controls.readOnly', { actions: new Intl.ListFormat(i18n.language, { type: 'conjunction' }).format(needed) })}
      </Typography>
    );
  }
  const valid = controlsFor(run.state);
  const retryable = retryableCount(run);
  // Retrying while the run still moves would send an instance twice at once; the proxy offers it after the end.
  const canRetry = isRunFinal(run) && retryable > 0;
  if (!valid.pause && !valid.resume && !valid.cancel && !canRetry) return null;
  const busy = control.isPending;
  return (
    <Box role="group" aria-label={t('controls.label')} sx={{ display: 'flex', gap: 1, flexWrap: 'wrap' }}>
      {valid.pause && (
        <Button variant="outlined" startIcon={<PauseIcon aria-hidden />} disabled={busy} onClick={() => control.mutate('pause')}>
          {t('controls.pause')}
        </Button>
      )}
      {valid.resume && (
        <Button variant="contained" startIcon={<PlayArrowIcon aria-hidden />} disabled={busy} onClick={() => control.mutate('resume')}>
          {t('controls.resume')}
        </Button>
      )}
      {valid.cancel && (
        <Button variant="outlined" color="error" startIcon={<StopIcon aria-hidden />} disabled={busy} onClick={() => setDialog('cancel')}>
          {t('controls.cancel')}
        </Button>
      )}
      {canRetry && (
        <Button variant="contained" startIcon={<ReplayIcon aria-hidden />} disabled={busy} onClick={() => setDialog('retry')}>
          {t('controls.retry')}
        </Button>
      )}
      <ConfirmDialog
        isOpen={dialog === 'cancel'}
        title={t('controls.cancelTitle')}
        body={t('controls.cancelBody')}
        confirm={t('controls.cancelConfirm')}
        dismiss={t('controls.keepRunning')}
        isDanger
        isBusy={busy}
        onDismiss={() => setDialog(undefined)}
        onConfirm={() => control.mutate('cancel', { onSettled: () => setDialog(undefined) })}
      />
      <ConfirmDialog
        isOpen={dialog === 'retry'}
        title={t('controls.retryTitle')}
        body={t('controls.retryBody', { count: retryable })}
        confirm={t('controls.retryConfirm')}
        dismiss={t('controls.back')}
        isBusy={busy}
        onDismiss={() => setDialog(undefined)}
        onConfirm={() =>
          control.mutate('retry', {
            onSettled: () => setDialog(undefined),
            onSuccess: (retry) => navigate(runHref(retry.id)),
          })
        }
      />
    </Box>
  );
}

interface ConfirmDialogProps {
  isOpen: boolean;
  title: string;
  body: string;
  confirm: string;
  dismiss: string;
  isDanger?: boolean;
  isBusy: boolean;
  onConfirm: () => void;
  onDismiss: () => void;
}

function ConfirmDialog({ isOpen, title, body, confirm, dismiss, isDanger = false, isBusy, onConfirm, onDismiss }: ConfirmDialogProps) {
  const titleId = useId();
  const bodyId = useId();
  return (
    <Dialog open={isOpen} onClose={isBusy ? undefined : onDismiss} aria-labelledby={titleId} aria-describedby={bodyId}>
      <DialogTitle id={titleId}>{title}</DialogTitle>
      <DialogContent>
        <DialogContentText id={bodyId}>{body}</DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={onDismiss} disabled={isBusy} autoFocus>
          {dismiss}
        </Button>
        <Button onClick={onConfirm} disabled={isBusy} aria-busy={isBusy} variant="contained" color={isDanger ? 'error' : 'primary'}>
          {confirm}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
