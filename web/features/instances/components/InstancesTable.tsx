import HourglassTopIcon from '@mui/icons-material/HourglassTop';
import HelpOutlineIcon from '@mui/icons-material/HelpOutlineOutlined';
import LockIcon from '@mui/icons-material/Lock';
import PlayCircleIcon from '@mui/icons-material/PlayCircle';
import ScheduleIcon from '@mui/icons-material/Schedule';
import StopCircleIcon from '@mui/icons-material/StopCircle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import visuallyHidden from '@mui/utils/visuallyHidden';
import type { TFunction } from 'i18next';
import { memo, useCallback, useRef, type ChangeEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { PendingActivation } from '#ecs/console-api';
import { isKnownInstanceStatus, isTransitionalStatus } from '#ecs/wire';
import type { InstanceRow } from '../api/describe-instances';
import { DisabledReason } from '@web/components/DisabledReason';
import { InstanceCell } from '@web/components/InstanceCell';
import { VirtualTable } from '@web/components/VirtualTable';

/**
 * The instance table, on the shared virtual table (docs/decisions/virtual-table-over-datagrid.md): operators need
 * one smooth scroll over up to 10,000 instances and Shift-range selection across it
 * (docs/product.md#step-2-instances). Fixed row heights and column widths, so nothing is measured while scrolling.
 */

const ROW_HEIGHT = 56;
const HEADER_HEIGHT = 40;

const COLUMNS = [
  { key: 'select', width: 52 },
  { key: 'name', width: 230 },
  { key: 'status', width: 170 },
  { key: 'os', width: 210 },
  { key: 'keyPair', width: 210 },
  { key: 'activation', width: 120 },
  { key: 'privateIp', width: 150 },
  { key: 'publicIp', width: 170 },
  { key: 'zone', width: 140 },
  { key: 'type', width: 150 },
  { key: 'tags', width: 260 },
] as const;
const TABLE_WIDTH = COLUMNS.reduce((sum, c) => sum + c.width, 0);

const rowKey = (row: InstanceRow) => row.InstanceId;

export interface InstancesTableProps {
  /** Accessible name of the table. */
  label: string;
  rows: readonly InstanceRow[];
  selectedIds: ReadonlySet<string>;
  pendingById: ReadonlyMap<string, PendingActivation> | undefined;
  /** `isRange`: Shift was held (click or Space), so the range from the last toggled row follows. */
  onToggle: (row: InstanceRow, isRange: boolean) => void;
  /** Shown in a single row when `rows` is empty. */
  emptyText: string;
  /** Reboot or start one pending instance (docs/product.md#step-9-pending-activation): the screen confirms first. */
  onActivate: (row: InstanceRow) => void;
  /** Why the operator may not reboot / start (no power role); undefined when they may. */
  rebootReason: string | undefined;
  startReason: string | undefined;
}

/** Memoized: a keystroke in the filters re-renders the screen at once, the table only when the rows change. */
export const InstancesTable = memo(function InstancesTable({
  label,
  rows,
  selectedIds,
  pendingById,
  onToggle,
  emptyText,
  onActivate,
  rebootReason,
  startReason,
}: InstancesTableProps) {
  const { t } = useTranslation('instances');
  const rowProps = useCallback((row: InstanceRow) => ({ hover: true, selected: selectedIds.has(row.InstanceId) }), [selectedIds]);
  const renderCells = useCallback(
    (row: InstanceRow) => (
      <InstanceCells
        row={row}
        isSelected={selectedIds.has(row.InstanceId)}
        pending={pendingById?.get(row.InstanceId)}
        onToggle={onToggle}
        onActivate={onActivate}
        rebootReason={rebootReason}
        startReason={startReason}
      />
    ),
    [selectedIds, pendingById, onToggle, onActivate, rebootReason, startReason],
  );
  return (
    <VirtualTable<InstanceRow>
      rows={rows}
      label={label}
      columnCount={COLUMNS.length}
      rowKey={rowKey}
      rowHeight={ROW_HEIGHT}
      overscan={6}
      rowProps={rowProps}
      renderCells={renderCells}
      // Keyboard focus moving down the rows must not hide under the sticky header.
      size={{ height: 'calc(100vh - 360px)', minHeight: 360, scrollPaddingTop: HEADER_HEIGHT }}
      tableSx={{ tableLayout: 'fixed', width: TABLE_WIDTH }}
      colgroup={
        <colgroup>
          {COLUMNS.map((c) => (
            <col key={c.key} style={{ width: c.width }} />
          ))}
        </colgroup>
      }
      head={
        <TableRow aria-rowindex={1} sx={{ height: HEADER_HEIGHT }}>
          <TableCell padding="checkbox">
            <Box component="span" sx={visuallyHidden}>
              {t('table.select')}
            </Box>
          </TableCell>
          <TableCell>{t('table.name')}</TableCell>
          <TableCell>{t('table.status')}</TableCell>
          <TableCell>{t('table.os')}</TableCell>
          <TableCell>{t('table.keyPair')}</TableCell>
          <TableCell>{t('activation.column')}</TableCell>
          <TableCell>{t('table.privateIp')}</TableCell>
          <TableCell>{t('table.publicIp')}</TableCell>
          <TableCell>{t('table.zone')}</TableCell>
          <TableCell>{t('table.type')}</TableCell>
          <TableCell>{t('table.tags')}</TableCell>
        </TableRow>
      }
      emptyContent={
        <Typography sx={{ py: 3, textAlign: 'center' }} color="text.secondary">
          {emptyText}
        </Typography>
      }
    />
  );
});

interface CellsProps {
  row: InstanceRow;
  isSelected: boolean;
  pending: PendingActivation | undefined;
  onToggle: (row: InstanceRow, isRange: boolean) => void;
  onActivate: (row: InstanceRow) => void;
  rebootReason: string | undefined;
  startReason: string | undefined;
}

const cellText = { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;

/** One row's cells, memoized: a change of selection or pending marks re-renders only the rows it touches. */
const InstanceCells = memo(function InstanceCells({
  row,
  isSelected,
  pending,
  onToggle,
  onActivate,
  rebootReason,
  startReason,
}: CellsProps) {
  const { t, i18n } = useTranslation('instances');
  const lockText = row.locks[0] ? lockReasonText(t, row.locks[0].LockReason) : '';
  const reason = row.isWindows ? t('why.windows') : row.isLocked ? t('why.locked', { reason: lockText }) : undefined;
  // Shift+Space extends the range from the keyboard. The checkbox would also toggle itself on the Space that
  // follows, so the click that may come after a handled Shift+Space is swallowed once.
  const isKeyboardRange = useRef(false);
  const onKeyDown = useCallback(
    (event: KeyboardEvent) => {
      if (event.key !== ' ' || !event.shiftKey) return;
      event.preventDefault();
      isKeyboardRange.current = true;
      onToggle(row, true);
    },
    [onToggle, row],
  );
  const onKeyUp = useCallback((event: KeyboardEvent) => {
    if (event.key !== ' ' || !isKeyboardRange.current) return;
    event.preventDefault();
    setTimeout(() => {
      isKeyboardRange.current = false;
    }, 0);
  }, []);
  const onChange = useCallback(
    (event: ChangeEvent<HTMLInputElement>) => {
      if (isKeyboardRange.current) return;
      // React reports a checkbox's change from its click event, which carries the Shift key.
      const native = event.nativeEvent as Partial<MouseEvent>;
      onToggle(row, native.shiftKey === true);
    },
    [onToggle, row],
  );
  const name = row.InstanceName || row.InstanceId;
  const osName = i18n.language === 'zh-CN' && row.OSName ? row.OSName : row.OSNameEn;
  const publicText = [...row.publicIps, ...(row.eip ? [`${t('table.eip')} ${row.eip}`] : [])].join(', ');
  const tagText = row.tags.map((tag) => (tag.TagValue ? `${tag.TagKey}=${tag.TagValue}` : tag.TagKey)).join(' · ');
  return (
    <>
      <TableCell padding="checkbox">
        <DisabledReason reason={reason} isFocusable={false}>
          {(describedBy) => (
            <Checkbox
              checked={isSelected}
              disabled={!row.isSelectable}
              onChange={onChange}
              onKeyDown={onKeyDown}
              onKeyUp={onKeyUp}
              // Same box with or without the reason wrapper, so disabled rows line up with the others.
              sx={{ p: 0 }}
              slotProps={{ input: { 'aria-label': t('table.selectRow', { name, id: row.InstanceId }), 'aria-describedby': describedBy } }}
            />
          )}
        </DisabledReason>
      </TableCell>
      <TableCell>
        <InstanceCell InstanceId={row.InstanceId} InstanceName={row.InstanceName} isTruncated />
      </TableCell>
      <TableCell>
        <StatusText status={row.Status} />
        {row.isLocked && (
          <Typography variant="caption" color="warning.main" sx={{ ...cellText, display: 'flex', alignItems: 'center', gap: 0.5 }}>
            <LockIcon sx={{ fontSize: 14 }} aria-hidden />
            {t('lock.label', { reason: lockText })}
          </Typography>
        )}
      </TableCell>
      <TableCell>
        <Typography variant="body2" sx={cellText}>
          {row.OSType === 'windows' ? t('os.windows') : row.OSType === 'linux' ? t('os.linux') : t('os.unknown')}
        </Typography>
        <Typography variant="caption" color="text.secondary" sx={{ ...cellText, display: 'block' }} title={osName}>
          {osName}
        </Typography>
      </TableCell>
      <TableCell>
        {row.KeyPairName ? (
          <Typography variant="body2" sx={cellText} title={row.KeyPairName}>
            {row.KeyPairName}
          </Typography>
        ) : (
          <Typography variant="body2" color="text.secondary" sx={{ ...cellText, fontStyle: 'italic' }}>
            {t('table.noKeyPair')}
          </Typography>
        )}
        {pending && <PendingBadge pending={pending} />}
      </TableCell>
      <TableCell>
        {pending && (row.Status === 'Running' || row.Status === 'Stopped') && (
          <ActivateButton
            row={row}
            reason={row.isLocked ? t('activation.reasonLocked') : row.Status === 'Running' ? rebootReason : startReason}
            onActivate={onActivate}
          />
        )}
      </TableCell>
      <TableCell>
        <Typography variant="body2" sx={{ ...cellText, fontFamily: 'monospace' }} title={row.privateIps.join(', ')}>
          {row.privateIps.join(', ') || t('table.noAddress')}
        </Typography>
      </TableCell>
      <TableCell>
        <Typography variant="body2" sx={{ ...cellText, fontFamily: 'monospace' }} title={publicText}>
          {publicText || t('table.noAddress')}
        </Typography>
      </TableCell>
      <TableCell>
        <Typography variant="body2" sx={cellText}>
          {row.ZoneId ?? t('table.noAddress')}
        </Typography>
      </TableCell>
      <TableCell>
        <Typography variant="body2" sx={cellText}>
          {row.InstanceType ?? t('table.noAddress')}
        </Typography>
      </TableCell>
      <TableCell>
        <Typography variant="caption" sx={{ ...cellText, display: 'block' }} title={tagText}>
          {tagText}
        </Typography>
      </TableCell>
    </>
  );
});

/** Status as an icon and a word, never colour alone (docs/product.md#console-qualities). */
export function StatusText({ status }: { status: string }) {
  const { t } = useTranslation('instances');
  const icon =
    status === 'Running' ? (
      <PlayCircleIcon color="success" sx={{ fontSize: 18 }} aria-hidden />
    ) : status === 'Stopped' ? (
      <StopCircleIcon color="disabled" sx={{ fontSize: 18 }} aria-hidden />
    ) : isTransitionalStatus(status) ? (
      <HourglassTopIcon color="info" sx={{ fontSize: 18 }} aria-hidden />
    ) : (
      <HelpOutlineIcon color="disabled" sx={{ fontSize: 18 }} aria-hidden />
    );
  return (
    <Typography variant="body2" component="span" sx={{ display: 'flex', alignItems: 'center', gap: 0.5 }}>
      {icon}
      {isKnownInstanceStatus(status) ? t(`app:instanceStatus.${status}`) : t('app:instanceStatus.unknown', { status })}
    </Typography>
  );
}

/**
 * "Reboot" or "Start" for a pending instance: the boot that makes its key pair take effect. Only a settled
 * instance gets one (ECS refuses both while it is starting or stopping); the reason shows when it is disabled.
 */
function ActivateButton({
  row,
  reason,
  onActivate,
}: {
  row: InstanceRow;
  reason: string | undefined;
  onActivate: (row: InstanceRow) => void;
}) {
  const { t } = useTranslation('instances');
  return (
    <DisabledReason reason={reason}>
      {(describedBy) => (
        <Button
          size="small"
          variant="outlined"
          disabled={reason !== undefined}
          aria-describedby={describedBy}
          aria-haspopup="dialog"
          onClick={() => onActivate(row)}
        >
          {t(row.Status === 'Running' ? 'activation.reboot' : 'activation.start')}
        </Button>
      )}
    </DisabledReason>
  );
}

/** A "may be" mark differs in icon and words, not only in colour: the operator must check before acting. */
function PendingBadge({ pending }: { pending: PendingActivation }) {
  const { t, i18n } = useTranslation('instances');
  const at = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(pending.at);
  const isMaybe = pending.mayBePending === true;
  const detail = t(isMaybe ? 'pending.maybeDetail' : 'pending.detail', { keyPairName: pending.keyPairName, user: pending.user, at });
  return (
    <Tooltip title={detail} describeChild>
      {/* Focusable so a keyboard user can reach the tooltip; the detail is also its accessible description. */}
      <Chip
        size="small"
        color="warning"
        variant="outlined"
        icon={isMaybe ? <HelpOutlineIcon aria-hidden /> : <ScheduleIcon aria-hidden />}
        label={t(isMaybe ? 'pending.maybeBadge' : 'pending.badge')}
        tabIndex={0}
        aria-description={detail}
        sx={{ mt: 0.25, height: 20, '& .MuiChip-label': { px: 0.75, fontSize: 12 } }}
      />
    </Tooltip>
  );
}

function lockReasonText(t: TFunction<'instances'>, reason: string): string {
  const known = ['financial', 'security', 'recycling', 'dedicatedhostfinancial', 'refunded', 'expired'] as const;
  const key = known.find((k) => k === reason.toLowerCase());
  return key ? t(`lock.${key}`) : reason;
}
