import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import AddCircleOutlineIcon from '@mui/icons-material/AddCircleOutlined';
import CheckCircleOutlineIcon from '@mui/icons-material/CheckCircleOutlined';
import SwapHorizIcon from '@mui/icons-material/SwapHoriz';
import type { TFunction } from 'i18next';
import { memo, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ActivationPolicy } from '#ecs/runs-api';
import { ActivationPolicyFields, activationIssueText } from '@web/components/ActivationPolicyFields';
import { CreateRunError } from '@web/components/CreateRunError';
import { DisabledReason } from '@web/components/DisabledReason';
import { InstanceCell } from '@web/components/InstanceCell';
import { VirtualTable } from '@web/components/VirtualTable';
import { defaultActivationForm, previewActivation, readActivationForm, type ActivationPreview } from '@web/lib/activation-preview';
import type { ApiError } from '@web/lib/api-error';
import { useCan } from '@web/lib/session';
import type { AttachTarget } from '../model';
import { activationTargetsOf, buildPlan, needsTypedConfirmation, outcomeOf, type Plan, type PlanRow } from '../plan';

export interface ReviewDialogProps {
  open: boolean;
  regionId: string;
  keyPairName: string;
  targets: readonly AttachTarget[];
  /** The run is being created: nothing may change or close until the proxy answers. */
  isCreating: boolean;
  /** The last failed attempt to create the run, shown in the dialog (its choices are kept). */
  error: ApiError | null;
  onCancel: () => void;
  onConfirm: (policy: ActivationPolicy) => void;
}

/**
 * The plan for every selected instance before anything is sent (docs/product.md#step-4-review): what happens to
 * its key pair, what the run does next (the activation policy, docs/product.md#step-7-activation, with a live
 * preview of its waves), counts per group, the password-login warning, and for a large batch the key pair name
 * typed to confirm. Confirming creates the run; the proxy carries it out.
 */
export function ReviewDialog({ open, regionId, keyPairName, targets, isCreating, error, onCancel, onConfirm }: ReviewDialogProps) {
  const { t } = useTranslation('attach');
  const [typed, setTyped] = useState('');
  const [form, setForm] = useState(() => defaultActivationForm('attach'));
  const canStart = useCan('StartInstances');
  const canReboot = useCan('RebootInstances');
  const plan = useMemo(() => buildPlan(targets, keyPairName), [targets, keyPairName]);
  const activation = useMemo(() => activationTargetsOf(plan, keyPairName), [plan, keyPairName]);
  const read = useMemo(() => readActivationForm(form), [form]);
  const preview = useMemo(() => (read.policy ? previewActivation(activation, read.policy) : undefined), [activation, read]);
  const runningCount = activation.filter((a) => a.Status === 'Running').length;
  const count = targets.length;
  const isTypedRequired = needsTypedConfirmation(count);
  // Exact, case-sensitive: ECS key pair names are case-sensitive, and a near-miss is exactly what this guards.
  const isConfirmed = !isTypedRequired || typed === keyPairName;
  const hasWork = plan.rows.some((row) => outcomeOf(row, keyPairName, undefined).kind !== 'no-change');
  const reason = !hasWork
    ? t('review.reasonNothingToDo')
    : (activationIssueText(t, read.issues) ?? (isConfirmed ? undefined : t('review.confirmReason')));

  const close = () => {
    // While the run is being created the dialog stays: its answer (the run's page, or why not) is shown here.
    if (isCreating) return;
    onCancel();
  };

  return (
    // MUI labels the dialog with its DialogTitle; the subtitle sits outside it to keep that name short.
    <Dialog open={open} onClose={close} fullWidth maxWidth="lg" scroll="paper">
      <DialogTitle>{t('review.title', { count, keyPairName })}</DialogTitle>
      <DialogContent dividers>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          {t('review.region', { regionId })}
        </Typography>
        <Alert severity="warning" variant="outlined" sx={{ mb: 2, fontSize: '1rem' }}>
          <AlertTitle sx={{ fontWeight: 700 }}>{t('review.warningTitle')}</AlertTitle>
          {t('review.warningBody', { count, keyPairName })}
        </Alert>

        <Box sx={{ mb: 2 }}>
          <ActivationPolicyFields
            variant="attach"
            form={form}
            onChange={setForm}
            read={read}
            preview={preview}
            runningCount={runningCount}
            stoppedCount={activation.length - runningCount}
            startReason={canStart ? undefined : t('app:permission.notAllowed', { action: 'StartInstances' })}
            rebootReason={canReboot ? undefined : t('app:permission.notAllowed', { action: 'RebootInstances' })}
            isDisabled={isCreating}
          />
        </Box>

        <PlanOverview plan={plan} keyPairName={keyPairName} preview={preview} />

        {isTypedRequired && (
          <TextField
            label={t('review.confirmLabel')}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            helperText={t('review.confirmHelp', { count, keyPairName })}
            disabled={isCreating}
            fullWidth
            autoComplete="off"
            spellCheck={false}
            sx={{ mt: 2 }}
          />
        )}
        {error && <CreateRunError error={error} />}
      </DialogContent>
      <DialogActions>
        <DisabledReason reason={isCreating ? t('app:runCreate.reasonCreating') : undefined}>
          {(describedBy) => (
            <Button onClick={close} disabled={isCreating} aria-describedby={describedBy}>
              {t('review.cancel')}
            </Button>
          )}
        </DisabledReason>
        <DisabledReason reason={isCreating ? undefined : reason}>
          {(describedBy) => (
            <Button
              variant="contained"
              color="warning"
              disabled={reason !== undefined || isCreating}
              aria-describedby={describedBy}
              aria-busy={isCreating}
              startIcon={isCreating ? <CircularProgress size={16} color="inherit" aria-hidden /> : undefined}
              onClick={() => {
                if (read.policy) onConfirm(read.policy);
              }}
            >
              {isCreating ? t('app:runCreate.creating') : t('review.confirm', { count })}
            </Button>
          )}
        </DisabledReason>
      </DialogActions>
    </Dialog>
  );
}

/**
 * Counts per group and the per-instance table. Memoised: typing the confirmation re-renders the dialog on every
 * keystroke, and the plan of thousands of instances does not change with it.
 */
const PlanOverview = memo(function PlanOverview({
  plan,
  keyPairName,
  preview,
}: {
  plan: Plan;
  keyPairName: string;
  preview: ActivationPreview | undefined;
}) {
  const { t } = useTranslation('attach');
  return (
    <>
      <Box component="section" aria-label={t('review.summaryLabel')} sx={{ display: 'flex', gap: 4, flexWrap: 'wrap', mb: 2 }}>
        <Box>
          <Typography variant="subtitle2" component="h3">
            {t('review.keyGroup')}
          </Typography>
          <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
            <li>{t('review.countReplace', { count: plan.counts.replace })}</li>
            <li>{t('review.countSame', { count: plan.counts.same, keyPairName })}</li>
            <li>{t('review.countNone', { count: plan.counts.none })}</li>
          </Box>
          {plan.replaced.length > 0 && (
            <Typography variant="body2" color="text.secondary">
              {t('review.replacedList', {
                list: plan.replaced.map((r) => t('review.replacedItem', { name: r.KeyPairName, count: r.count })).join(', '),
              })}
            </Typography>
          )}
        </Box>
        <Box>
          <Typography variant="subtitle2" component="h3">
            {t('review.effectGroup')}
          </Typography>
          <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
            <li>{t('review.countAfterReboot', { count: plan.counts.afterReboot })}</li>
            <li>{t('review.countAfterStart', { count: plan.counts.afterStart })}</li>
            {plan.counts.transitional > 0 && <li>{t('review.countTransitional', { count: plan.counts.transitional })}</li>}
          </Box>
        </Box>
      </Box>

      <VirtualTable<PlanRow>
        rows={plan.rows}
        label={t('review.tableLabel')}
        columnCount={4}
        rowHeight={53}
        isMeasured
        isScrollRegion
        size={{ maxHeight: '40vh' }}
        rowKey={(row) => row.target.InstanceId}
        head={
          <TableRow aria-rowindex={1}>
            <TableCell>{t('review.colInstance')}</TableCell>
            <TableCell>{t('review.colStatus')}</TableCell>
            <TableCell>{t('review.colKeyPair')}</TableCell>
            <TableCell>{t('review.colEffect')}</TableCell>
          </TableRow>
        }
        renderCells={(row) => (
          <>
            <TableCell>
              <InstanceCell InstanceId={row.target.InstanceId} InstanceName={row.target.InstanceName} />
            </TableCell>
            <TableCell>{t('app:instanceStatus.' + row.target.Status, { defaultValue: row.target.Status })}</TableCell>
            <TableCell>
              <KeyChangeText row={row} />
            </TableCell>
            <TableCell>{outcomeText(t, row, keyPairName, preview)}</TableCell>
          </>
        )}
      />
      <Typography variant="caption" color="text.secondary" sx={{ display: 'block', mt: 1 }}>
        {t('review.recheckNote')}
      </Typography>
    </>
  );
});

/** What the run will do to this instance, from the re-check's rules and the previewed policy. */
function outcomeText(t: TFunction, row: PlanRow, keyPairName: string, preview: ActivationPreview | undefined): string {
  const outcome = outcomeOf(row, keyPairName, preview);
  if (outcome.kind === 'no-change') return t('review.outcomeNoChange');
  if (outcome.kind === 'not-settled') return t('review.outcomeNotSettled');
  const then = outcome.then;
  const isAttach = outcome.kind === 'attach';
  if (then === undefined) return t(isAttach ? 'review.outcomeAttach' : 'review.outcomeActivate');
  if (then.kind === 'start') return t(isAttach ? 'review.outcomeAttachStart' : 'review.outcomeActivateStart');
  if (then.kind === 'wave') return t(isAttach ? 'review.outcomeAttachWave' : 'review.outcomeActivateWave', { wave: then.wave });
  if (!isAttach) return t('review.outcomeActivateLeave');
  return t(row.target.Status === 'Stopped' ? 'review.outcomeAttachLeaveStopped' : 'review.outcomeAttachLeaveRunning');
}

/** Icon plus words, so the key change never rests on colour alone. */
function KeyChangeText({ row }: { row: PlanRow }) {
  const { t } = useTranslation('attach');
  if (row.keyChange === 'replace') {
    return (
      <Box sx={{ display: 'flex', gap: 0.5, alignItems: 'center', color: 'warning.main' }}>
        <SwapHorizIcon fontSize="small" aria-hidden />
        <span>{t('review.planReplace', { old: row.target.KeyPairName })}</span>
      </Box>
    );
  }
  if (row.keyChange === 'same') {
    return (
      <Box sx={{ display: 'flex', gap: 0.5, alignItems: 'center' }}>
        <CheckCircleOutlineIcon fontSize="small" aria-hidden />
        <span>{t('review.planSame')}</span>
      </Box>
    );
  }
  return (
    <Box sx={{ display: 'flex', gap: 0.5, alignItems: 'center' }}>
      <AddCircleOutlineIcon fontSize="small" aria-hidden />
      <span>{t('review.planNone')}</span>
    </Box>
  );
}
