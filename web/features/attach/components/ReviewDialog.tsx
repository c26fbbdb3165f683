import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
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
import { memo, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DisabledReason } from '@web/components/DisabledReason';
import { InstanceCell } from '@web/components/InstanceCell';
import { VirtualTable } from '@web/components/VirtualTable';
import type { AttachTarget } from '../model';
import { statusText } from '../outcome-text';
import { buildPlan, needsTypedConfirmation, type Effect, type Plan, type PlanRow } from '../plan';

export interface ReviewDialogProps {
  open: boolean;
  regionId: string;
  keyPairName: string;
  targets: readonly AttachTarget[];
  onCancel: () => void;
  onConfirm: () => void;
}

const EFFECT_KEYS: Record<Effect, string> = {
  afterReboot: 'review.effectAfterReboot',
  afterStart: 'review.effectAfterStart',
  starting: 'review.effectStarting',
  stopping: 'review.effectStopping',
  pending: 'review.effectPending',
  other: 'review.effectOther',
};

/**
 * The plan for every selected instance before anything is sent (docs/product.md#step-4-review): what happens to
 * its key pair, when the new one takes effect, counts per group, the password-login warning, and for a large
 * batch the key pair name typed to confirm.
 */
export function ReviewDialog({ open, regionId, keyPairName, targets, onCancel, onConfirm }: ReviewDialogProps) {
  const { t } = useTranslation('attach');
  const [typed, setTyped] = useState('');
  const plan = useMemo(() => buildPlan(targets, keyPairName), [targets, keyPairName]);
  const count = targets.length;
  const isTypedRequired = needsTypedConfirmation(count);
  // Exact, case-sensitive: ECS key pair names are case-sensitive, and a near-miss is exactly what this guards.
  const isConfirmed = !isTypedRequired || typed === keyPairName;

  const close = () => {
    setTyped('');
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

        <PlanOverview plan={plan} keyPairName={keyPairName} />

        {isTypedRequired && (
          <TextField
            label={t('review.confirmLabel')}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            helperText={t('review.confirmHelp', { count, keyPairName })}
            fullWidth
            autoComplete="off"
            spellCheck={false}
            sx={{ mt: 2 }}
          />
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={close}>{t('review.cancel')}</Button>
        <DisabledReason reason={isConfirmed ? undefined : t('review.confirmReason')}>
          {(describedBy) => (
            <Button
              variant="contained"
              color="warning"
              disabled={!isConfirmed}
              aria-describedby={describedBy}
              onClick={() => {
                setTyped('');
                onConfirm();
              }}
            >
              {t('review.confirm', { count })}
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
const PlanOverview = memo(function PlanOverview({ plan, keyPairName }: { plan: Plan; keyPairName: string }) {
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
            <TableCell>{statusText(t, row.target.Status)}</TableCell>
            <TableCell>
              <KeyChangeText row={row} />
            </TableCell>
            <TableCell>{t(EFFECT_KEYS[row.effect], { status: row.target.Status })}</TableCell>
          </>
        )}
      />
    </>
  );
});

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
