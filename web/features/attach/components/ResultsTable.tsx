import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import CircularProgress from '@mui/material/CircularProgress';
import FormControlLabel from '@mui/material/FormControlLabel';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import BlockIcon from '@mui/icons-material/Block';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import HelpIcon from '@mui/icons-material/Help';
import KeyIcon from '@mui/icons-material/Key';
import ScheduleIcon from '@mui/icons-material/Schedule';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyRequestIdButton } from '@web/components/CopyRequestIdButton';
import { DisabledReason } from '@web/components/DisabledReason';
import { InstanceCell } from '@web/components/InstanceCell';
import { VirtualTable } from '@web/components/VirtualTable';
import { isTransitionalStatus } from '#ecs/wire';
import { followUpFor } from '../follow-up-state';
import type { FollowUpAction } from '../model';
import { explainResult, statusText } from '../outcome-text';
import { outcomeOf, type ResultRow } from '../results-rows';

export interface ResultsTableProps {
  rows: readonly ResultRow[];
  isForce: boolean;
  /** Why the single Reboot/Start is disabled (permissions), per action; undefined = allowed. */
  followUpBlocked: Record<FollowUpAction, string | undefined>;
  onFollowUp: (action: FollowUpAction, instanceId: string) => void;
  includedUnknown: ReadonlySet<string>;
  onToggleUnknown: (instanceId: string) => void;
}

/** One row per instance: outcome in words and icon, ECS RequestId, status and the next step (docs/product.md#step-6-results, docs/product.md#step-7-activation). */
export function ResultsTable(props: ResultsTableProps) {
  const { t } = useTranslation('attach');
  return (
    <VirtualTable<ResultRow>
      rows={props.rows}
      label={t('results.tableLabel')}
      columnCount={5}
      rowHeight={64}
      isMeasured
      isScrollRegion
      size={{ maxHeight: '45vh' }}
      rowKey={(row) => row.target.InstanceId}
      head={
        <TableRow aria-rowindex={1}>
          <TableCell>{t('results.colInstance')}</TableCell>
          <TableCell sx={{ minWidth: 260 }}>{t('results.colResult')}</TableCell>
          <TableCell>{t('results.colRequestId')}</TableCell>
          <TableCell>{t('results.colStatus')}</TableCell>
          <TableCell sx={{ minWidth: 200 }}>{t('results.colFollowUp')}</TableCell>
        </TableRow>
      }
      renderCells={(row) => (
        <>
          <TableCell>
            <InstanceCell InstanceId={row.target.InstanceId} InstanceName={row.target.InstanceName} />
          </TableCell>
          <TableCell>
            <ResultCell row={row} isIncluded={props.includedUnknown.has(row.target.InstanceId)} onToggle={props.onToggleUnknown} />
          </TableCell>
          <TableCell>
            <RequestIdCell requestId={row.result?.requestId} />
          </TableCell>
          <TableCell>
            <Typography variant="body2">{statusText(t, row.status)}</Typography>
            {row.status !== row.target.Status && (
              <Typography variant="caption" color="text.secondary">
                {t('results.statusAtAttach', { status: statusText(t, row.target.Status) })}
              </Typography>
            )}
          </TableCell>
          <TableCell>{outcomeOf(row) === 'succeeded' ? <FollowUpCell row={row} {...props} /> : null}</TableCell>
        </>
      )}
    />
  );
}

function Line({ icon, children, color }: { icon: ReactNode; children: ReactNode; color?: string }) {
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.75, color }}>
      {icon}
      <Typography variant="body2" component="span" sx={{ fontWeight: 500 }}>
        {children}
      </Typography>
    </Box>
  );
}

/** The ID in full (a batch's instances share it), selectable by hand, with the copy button. */
function RequestIdCell({ requestId }: { requestId: string | undefined }) {
  const { t } = useTranslation('attach');
  if (!requestId) {
    return (
      <Box component="span" sx={{ color: 'text.secondary' }}>
        {t('results.noRequestId')}
      </Box>
    );
  }
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5, minWidth: 0 }}>
      <Box component="span" sx={{ fontFamily: 'monospace', fontSize: '0.75rem', wordBreak: 'break-all', userSelect: 'all' }}>
        {requestId}
      </Box>
      <CopyRequestIdButton requestId={requestId} />
    </Box>
  );
}

function ResultCell({ row, isIncluded, onToggle }: { row: ResultRow; isIncluded: boolean; onToggle: (id: string) => void }) {
  const { t } = useTranslation('attach');
  const result = row.result;
  const outcome = outcomeOf(row);
  if (outcome === 'waiting' || result === undefined) {
    return <Line icon={<ScheduleIcon fontSize="small" aria-hidden />}>{t('results.waiting')}</Line>;
  }
  if (outcome === 'succeeded') {
    return (
      <Line icon={<CheckCircleIcon fontSize="small" aria-hidden />} color="success.main">
        {t('results.succeeded')}
      </Line>
    );
  }
  const explanation = explainResult(t, result, 'AttachKeyPair');
  const hasEcsMessage = result.message !== undefined && result.message !== '' && result.message !== explanation;
  return (
    <Box>
      {outcome === 'failed' && (
        <Line icon={<ErrorIcon fontSize="small" aria-hidden />} color="error.main">
          {t('results.failed', { code: result.code ?? '' })}
        </Line>
      )}
      {outcome === 'unknown' && (
        <Line icon={<HelpIcon fontSize="small" aria-hidden />} color="warning.main">
          {t('results.unknown', { code: result.code ?? '' })}
        </Line>
      )}
      {outcome === 'not-sent' && <Line icon={<BlockIcon fontSize="small" aria-hidden />}>{t('results.notSent')}</Line>}
      <Typography variant="body2">{explanation}</Typography>
      {hasEcsMessage && (
        <Typography variant="caption" color="text.secondary">
          {t('results.ecsSaid', { message: result.message })}
        </Typography>
      )}
      {outcome === 'unknown' && (
        <FormControlLabel
          control={<Checkbox size="small" checked={isIncluded} onChange={() => onToggle(row.target.InstanceId)} />}
          label={t('results.includeUnknown', { id: row.target.InstanceId })}
        />
      )}
    </Box>
  );
}

function FollowUpCell({ row, isForce, followUpBlocked, onFollowUp }: { row: ResultRow } & ResultsTableProps) {
  const { t } = useTranslation('attach');
  const followUp = row.followUp;
  const name = row.target.InstanceName ? `${row.target.InstanceName} (${row.target.InstanceId})` : row.target.InstanceId;
  const status = statusText(t, row.status);

  if (followUp?.kind === 'sending') {
    return (
      <Line icon={<CircularProgress size={16} aria-hidden />}>
        {followUp.action === 'reboot' ? t('followUp.sendingReboot') : t('followUp.sendingStart')}
      </Line>
    );
  }
  if (followUp?.kind === 'waiting') {
    return (
      <Box role="status">
        <Line icon={<CircularProgress size={16} aria-hidden />}>
          {followUp.action === 'reboot' ? t('followUp.waitingReboot', { status }) : t('followUp.waitingStart', { status })}
        </Line>
        {followUp.isOutcomeUnknown && (
          <Typography variant="caption" color="text.secondary">
            {t('followUp.waitingUnknown')}
          </Typography>
        )}
      </Box>
    );
  }
  if (followUp?.kind === 'active') {
    return (
      <Line icon={<KeyIcon fontSize="small" aria-hidden />} color="success.main">
        {t('followUp.active')}
      </Line>
    );
  }

  const action = followUpFor(row.status);
  const failure =
    followUp?.kind === 'failed' ? (
      <Box sx={{ mb: 0.5 }}>
        <Line icon={<ErrorIcon fontSize="small" aria-hidden />} color="error.main">
          {followUp.action === 'reboot'
            ? t('followUp.failedReboot', { code: followUp.code })
            : t('followUp.failedStart', { code: followUp.code })}
        </Line>
        <Typography variant="body2">
          {explainResult(t, followUp, followUp.action === 'reboot' ? 'RebootInstance' : 'StartInstance')}
        </Typography>
      </Box>
    ) : null;

  if (action === undefined) {
    return (
      <Box>
        {failure}
        <Typography variant="body2" color="text.secondary">
          {isTransitionalStatus(row.status) ? t('followUp.settling', { status }) : t('followUp.noFollowUp', { status })}
        </Typography>
      </Box>
    );
  }
  const isForced = action === 'reboot' && isForce;
  const label =
    action === 'start'
      ? t('followUp.startLabel', { name })
      : isForced
        ? t('followUp.forceRebootLabel', { name })
        : t('followUp.rebootLabel', { name });
  return (
    <Box>
      {failure}
      <DisabledReason reason={followUpBlocked[action]}>
        {(describedBy) => (
          <Button
            size="small"
            variant="outlined"
            color={isForced ? 'error' : 'primary'}
            disabled={followUpBlocked[action] !== undefined}
            aria-label={label}
            aria-describedby={describedBy}
            onClick={() => onFollowUp(action, row.target.InstanceId)}
          >
            {action === 'start' ? t('followUp.start') : isForced ? t('followUp.forceReboot') : t('followUp.reboot')}
          </Button>
        )}
      </DisabledReason>
    </Box>
  );
}
