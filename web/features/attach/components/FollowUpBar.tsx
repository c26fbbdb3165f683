import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import Typography from '@mui/material/Typography';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import RestartAltIcon from '@mui/icons-material/RestartAlt';
import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DisabledReason } from '@web/components/DisabledReason';

export interface FollowUpBarProps {
  runningIds: readonly string[];
  stoppedIds: readonly string[];
  isForce: boolean;
  onForceChange: (isForce: boolean) => void;
  /** Why the batch Reboot/Start is not allowed (permissions); undefined = allowed. */
  rebootBlocked: string | undefined;
  startBlocked: string | undefined;
  onRebootAll: () => void;
  onStartAll: () => void;
}

/**
 * "Reboot all N running" / "Start all M stopped" (docs/product.md#step-7-activation), graceful by default; force only when the
 * operator ticks the clearly marked box and confirms what it means (docs/ecs-notes.md#reboot-instance: like a power cut).
 */
export function FollowUpBar(props: FollowUpBarProps) {
  const { t } = useTranslation('attach');
  const headingId = useId();
  const [isConfirmingForce, setConfirmingForce] = useState(false);
  const running = props.runningIds.length;
  const stopped = props.stoppedIds.length;
  const rebootReason = props.rebootBlocked ?? (running === 0 ? t('followUp.reasonNoneRunning') : undefined);
  const startReason = props.startBlocked ?? (stopped === 0 ? t('followUp.reasonNoneStopped') : undefined);

  return (
    <Box component="section" aria-labelledby={headingId} sx={{ mt: 2, p: 2, border: 1, borderColor: 'divider', borderRadius: 1 }}>
      <Typography id={headingId} variant="subtitle1" component="h3" sx={{ fontWeight: 600 }}>
        {t('followUp.sectionLabel')}
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        {t('followUp.intro')}
      </Typography>
      <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap', alignItems: 'flex-start' }}>
        <DisabledReason reason={rebootReason}>
          {(describedBy) => (
            <Button
              variant="contained"
              color={props.isForce ? 'error' : 'primary'}
              startIcon={<RestartAltIcon />}
              disabled={rebootReason !== undefined}
              aria-describedby={describedBy}
              onClick={props.onRebootAll}
            >
              {props.isForce ? t('followUp.forceRebootAll', { count: running }) : t('followUp.rebootAll', { count: running })}
            </Button>
          )}
        </DisabledReason>
        <DisabledReason reason={startReason}>
          {(describedBy) => (
            <Button
              variant="contained"
              startIcon={<PlayArrowIcon />}
              disabled={startReason !== undefined}
              aria-describedby={describedBy}
              onClick={props.onStartAll}
            >
              {t('followUp.startAll', { count: stopped })}
            </Button>
          )}
        </DisabledReason>
      </Box>
      <FormControlLabel
        sx={{ mt: 1, color: props.isForce ? 'error.main' : undefined }}
        control={
          <Checkbox
            color="error"
            checked={props.isForce}
            onChange={(event) => {
              if (event.target.checked) setConfirmingForce(true);
              else props.onForceChange(false);
            }}
          />
        }
        label={
          <Box component="span" sx={{ display: 'inline-flex', gap: 0.5, alignItems: 'center' }}>
            <WarningAmberIcon fontSize="small" aria-hidden />
            {t('followUp.force')}
          </Box>
        }
      />
      {props.isForce ? (
        <Alert severity="error" sx={{ mt: 1 }}>
          {t('followUp.forceOn')}
        </Alert>
      ) : (
        <Typography variant="body2" color="text.secondary">
          {t('followUp.graceful')}
        </Typography>
      )}
      <ForceConfirmDialog
        open={isConfirmingForce}
        onCancel={() => setConfirmingForce(false)}
        onConfirm={() => {
          setConfirmingForce(false);
          props.onForceChange(true);
        }}
      />
    </Box>
  );
}

function ForceConfirmDialog({ open, onCancel, onConfirm }: { open: boolean; onCancel: () => void; onConfirm: () => void }) {
  const { t } = useTranslation('attach');
  const titleId = useId();
  const bodyId = useId();
  return (
    <Dialog open={open} onClose={onCancel} aria-labelledby={titleId} aria-describedby={bodyId} maxWidth="sm">
      <DialogTitle id={titleId}>{t('followUp.forceConfirmTitle')}</DialogTitle>
      <DialogContent>
        <DialogContentText id={bodyId}>{t('followUp.forceConfirmBody')}</DialogContentText>
      </DialogContent>
      <DialogActions>
        {/* The safe choice has the focus, so Enter does not turn force on by accident. */}
        <Button onClick={onCancel} autoFocus>
          {t('review.cancel')}
        </Button>
        <Button color="error" variant="contained" onClick={onConfirm}>
          {t('followUp.forceConfirm')}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
