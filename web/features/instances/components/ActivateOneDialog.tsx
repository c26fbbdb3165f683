import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import { useTranslation } from 'react-i18next';
import type { PendingActivation } from '#ecs/console-api';
import { CreateRunError } from '@web/components/CreateRunError';
import { DisabledReason } from '@web/components/DisabledReason';
import { singleActivationPolicy } from '@web/lib/activation-preview';
import { useRunCreation } from '@web/lib/run-creation';
import type { InstanceRow } from '../api/describe-instances';

export interface ActivateOneDialogProps {
  regionId: string;
  row: InstanceRow & { Status: 'Running' | 'Stopped' };
  pending: PendingActivation;
  onClose: () => void;
}

/**
 * The small confirm before one pending instance is activated from the list (docs/product.md#step-9-pending-activation):
 * what will happen to it, in words, then an activation run of that one instance (a start, or a reboot alone
 * with the default health gate), and its page.
 */
export function ActivateOneDialog({ regionId, row, pending, onClose }: ActivateOneDialogProps) {
  const { t } = useTranslation('instances');
  const run = useRunCreation(onClose);
  const isReboot = row.Status === 'Running';
  const name = row.InstanceName || row.InstanceId;
  const close = () => {
    if (!run.isCreating) onClose();
  };
  return (
    <Dialog open onClose={close} maxWidth="sm" fullWidth>
      <DialogTitle>{t(isReboot ? 'activation.oneTitleReboot' : 'activation.oneTitleStart', { name })}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          {t(isReboot ? 'activation.oneBodyReboot' : 'activation.oneBodyStart', { id: row.InstanceId, keyPairName: pending.keyPairName })}
        </DialogContentText>
        {pending.mayBePending === true && (
          <Alert severity="warning" variant="outlined" sx={{ mt: 2 }}>
            {t('activation.oneMaybe', { keyPairName: pending.keyPairName })}
          </Alert>
        )}
        <Typography variant="body2" color="text.secondary" sx={{ mt: 2 }}>
          {t('activation.runNote')}
        </Typography>
        {run.error && <CreateRunError error={run.error} />}
      </DialogContent>
      <DialogActions>
        <DisabledReason reason={run.isCreating ? t('app:runCreate.reasonCreating') : undefined}>
          {(describedBy) => (
            <Button onClick={close} disabled={run.isCreating} aria-describedby={describedBy}>
              {t('activation.cancel')}
            </Button>
          )}
        </DisabledReason>
        <Button
          variant="contained"
          color="warning"
          disabled={run.isCreating}
          aria-busy={run.isCreating}
          startIcon={run.isCreating ? <CircularProgress size={16} color="inherit" aria-hidden /> : undefined}
          onClick={() =>
            run.create({ RegionId: regionId, kind: 'activate', InstanceIds: [row.InstanceId], policy: singleActivationPolicy(row.Status) })
          }
        >
          {run.isCreating ? t('app:runCreate.creating') : t(isReboot ? 'activation.confirmReboot' : 'activation.confirmStart')}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
