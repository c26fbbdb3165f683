import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ActivationPolicyFields, activationIssueText } from '@web/components/ActivationPolicyFields';
import { CreateRunError } from '@web/components/CreateRunError';
import { DisabledReason } from '@web/components/DisabledReason';
import { defaultActivationForm, previewActivation, readActivationForm } from '@web/lib/activation-preview';
import { useRunCreation } from '@web/lib/run-creation';
import type { InstanceRow } from '../api/describe-instances';

export interface ActivatePendingDialogProps {
  regionId: string;
  /** The pending instances of the selection: the run is created for these and no others. */
  rows: readonly InstanceRow[];
  startReason: string | undefined;
  rebootReason: string | undefined;
  onClose: () => void;
  /** The run exists: the selection has been handed over. */
  onCreated: () => void;
}

/**
 * "Activate N pending…" (docs/product.md#step-9-pending-activation): one activation run for the pending
 * instances of the selection, with the same policy fields and preview as the review. Leaving running instances
 * pending is not offered: pending is what they already are.
 */
export function ActivatePendingDialog({ regionId, rows, startReason, rebootReason, onClose, onCreated }: ActivatePendingDialogProps) {
  const { t } = useTranslation('instances');
  const [form, setForm] = useState(() => ({
    ...defaultActivationForm('activate'),
    ...(startReason === undefined ? {} : { stopped: 'leave' as const }),
  }));
  const run = useRunCreation(() => {
    onCreated();
    onClose();
  });
  const settled = useMemo(() => rows.filter((r) => r.Status === 'Running' || r.Status === 'Stopped'), [rows]);
  const runningCount = settled.filter((r) => r.Status === 'Running').length;
  const read = useMemo(() => readActivationForm(form), [form]);
  const preview = useMemo(() => (read.policy ? previewActivation(settled, read.policy) : undefined), [settled, read]);
  const count = rows.length;
  const notSettled = count - settled.length;
  const reason =
    activationIssueText(t, read.issues) ??
    (preview !== undefined && preview.startCount === 0 && preview.waves.length === 0 ? t('activation.reasonNothing') : undefined);
  const close = () => {
    if (!run.isCreating) onClose();
  };

  return (
    <Dialog open onClose={close} maxWidth="md" fullWidth scroll="paper">
      <DialogTitle>{t('activation.bulkTitle', { count })}</DialogTitle>
      <DialogContent dividers>
        <Typography variant="body2" sx={{ mb: 2 }}>
          {t('activation.bulkIntro', { count })}
          {notSettled > 0 ? ` ${t('activation.bulkNotSettled', { count: notSettled })}` : ''}
        </Typography>
        <ActivationPolicyFields
          variant="activate"
          form={form}
          onChange={setForm}
          read={read}
          preview={preview}
          runningCount={runningCount}
          stoppedCount={settled.length - runningCount}
          startReason={startReason}
          rebootReason={rebootReason}
          isDisabled={run.isCreating}
        />
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
        <DisabledReason reason={run.isCreating ? undefined : reason}>
          {(describedBy) => (
            <Button
              variant="contained"
              color="warning"
              disabled={reason !== undefined || run.isCreating}
              aria-describedby={describedBy}
              aria-busy={run.isCreating}
              startIcon={run.isCreating ? <CircularProgress size={16} color="inherit" aria-hidden /> : undefined}
              onClick={() => {
                if (read.policy)
                  run.create({ RegionId: regionId, kind: 'activate', InstanceIds: rows.map((r) => r.InstanceId), policy: read.policy });
              }}
            >
              {run.isCreating ? t('app:runCreate.creating') : t('activation.bulkConfirm', { count })}
            </Button>
          )}
        </DisabledReason>
      </DialogActions>
    </Dialog>
  );
}
