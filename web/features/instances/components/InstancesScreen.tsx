import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useDeferredValue, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { DisabledReason } from '@web/components/DisabledReason';
import { ErrorAlert } from '@web/components/ErrorAlert';
import { useSearchParams } from 'wouter';
import type { ApiError } from '@web/lib/api-error';
import { explainError } from '@web/lib/error-text';
import { sessionQueries, useCan } from '@web/lib/session';
import { useInstances, type InstanceRow } from '../api/describe-instances';
import { pendingQueries } from '../api/pending';
import { useInstanceStatusRefresh } from '../api/status-refresh';
import { clearedFilters, compileFilters, parseFilters, withFilters, type InstanceFilters } from '../lib/filters';
import { selectAllMatching, toggleSelection } from '../lib/selection';
import { ActivateOneDialog } from './ActivateOneDialog';
import { ActivatePendingDialog } from './ActivatePendingDialog';
import { InstanceFiltersBar } from './InstanceFiltersBar';
import { InstancesTable } from './InstancesTable';
import { SelectionBar } from './SelectionBar';

export interface InstancesScreenProps {
  regionId: string;
  selectedIds: ReadonlySet<string>;
  onSelectionChange: (next: ReadonlySet<string>) => void;
  /** Rendered at the end of the sticky selection bar (the page composes the attach flow's entry there). */
  selectionActions?: ReactNode;
}

/**
 * docs/product.md#step-2-instances: every instance of the region, filtered from the URL, with selection. The selection itself is
 * owned by the page, which hands it to the attach flow.
 */
export function InstancesScreen({ regionId, selectedIds, onSelectionChange, selectionActions }: InstancesScreenProps) {
  const { t } = useTranslation('instances');
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseFilters(params), [params]);
  const instances = useInstances(regionId);
  const pending = useQuery(pendingQueries.byRegion(regionId));
  const rows = useMemo(() => instances.data?.rows ?? [], [instances.data]);
  useInstanceStatusRefresh(regionId, rows, !instances.isFetching);

  // Typing stays smooth on 10,000 rows: the input updates at once, the table follows at lower priority.
  const deferredFilters = useDeferredValue(filters);
  const visible = useMemo(() => rows.filter(compileFilters(deferredFilters)), [rows, deferredFilters]);
  const keyPairNames = useMemo(() => [...new Set(rows.flatMap((r) => (r.KeyPairName ? [r.KeyPairName] : [])))].sort(), [rows]);

  const counts = useMemo(() => {
    const visibleIds = new Set(visible.map((r) => r.InstanceId));
    let hidden = 0;
    for (const id of selectedIds) if (!visibleIds.has(id)) hidden++;
    const selectable = visible.filter((r) => r.isSelectable);
    return { hidden, matching: selectable.length, unselectedMatching: selectable.filter((r) => !selectedIds.has(r.InstanceId)).length };
  }, [visible, selectedIds]);

  // The range anchor is the last row toggled; refs keep the row callback stable so visible rows do not re-render.
  const anchor = useRef<string | undefined>(undefined);
  const latest = useRef({ selectedIds, visible, onSelectionChange });
  useLayoutEffect(() => {
    latest.current = { selectedIds, visible, onSelectionChange };
  }, [selectedIds, visible, onSelectionChange]);
  const onToggle = useCallback((row: InstanceRow, isRange: boolean) => {
    const { selectedIds: current, visible: shown, onSelectionChange: change } = latest.current;
    change(toggleSelection(current, shown, row, anchor.current, isRange));
    anchor.current = row.InstanceId;
  }, []);

  // Filter edits replace the history entry: typing must not leave one Back step per keystroke.
  const onFilterChange = useCallback(
    (patch: Partial<InstanceFilters>) => setParams((prev) => withFilters(prev, patch), { replace: true }),
    [setParams],
  );
  const onFilterClear = useCallback(() => setParams((prev) => clearedFilters(prev), { replace: true }), [setParams]);
  const onSelectAll = useCallback(
    () => latest.current.onSelectionChange(selectAllMatching(latest.current.selectedIds, latest.current.visible)),
    [],
  );
  const onClearSelection = useCallback(() => latest.current.onSelectionChange(new Set()), []);

  // The activation center (docs/product.md#step-9-pending-activation): pending instances, from the proxy, are
  // rebooted or started from here, one by one or those of the selection, as activation runs.
  const session = useQuery(sessionQueries.current());
  const canReboot = useCan('RebootInstances');
  const canStart = useCan('StartInstances');
  const powerReason = (can: boolean, action: string) =>
    session.isPending ? t('activation.reasonChecking') : can ? undefined : t('app:permission.notAllowed', { action });
  const rebootReason = powerReason(canReboot, 'RebootInstances');
  const startReason = powerReason(canStart, 'StartInstances');
  const [activating, setActivating] = useState<{ kind: 'one'; row: InstanceRow } | { kind: 'selection' } | undefined>(undefined);
  const onActivate = useCallback((row: InstanceRow) => setActivating({ kind: 'one', row }), []);
  const selectedPending = useMemo(
    () => (pending.data === undefined ? [] : rows.filter((r) => selectedIds.has(r.InstanceId) && pending.data.has(r.InstanceId))),
    [rows, selectedIds, pending.data],
  );
  const one = activating?.kind === 'one' ? activating.row : undefined;
  const onePending = one === undefined ? undefined : pending.data?.get(one.InstanceId);

  return (
    <Box component="section" aria-labelledby="instances-heading" sx={{ display: 'flex', flexDirection: 'column', gap: 1.5 }}>
      <Typography id="instances-heading" variant="h6" component="h2">
        {t('heading')}
      </Typography>
      <InstanceFiltersBar filters={filters} keyPairNames={keyPairNames} onChange={onFilterChange} onClear={onFilterClear} />
      <LoadState
        isPending={instances.isPending}
        isFetching={instances.isFetching}
        error={instances.error}
        loaded={instances.data?.loaded ?? 0}
        total={instances.data?.TotalCount ?? 0}
        shown={visible.length}
        isFiltered={visible.length !== rows.length}
        onRetry={() => void instances.refetch()}
      />
      {pending.isError && (
        <ErrorAlert
          severity="warning"
          message={t('pending.loadFailed', { message: explainError(t, pending.error) })}
          error={pending.error}
          onRetry={() => void pending.refetch()}
        />
      )}
      {instances.data !== undefined && (
        <>
          <SelectionBar
            selectedCount={selectedIds.size}
            hiddenCount={counts.hidden}
            matchingCount={counts.matching}
            unselectedMatchingCount={counts.unselectedMatching}
            onSelectAll={onSelectAll}
            onClear={onClearSelection}
            actions={
              <>
                {selectedPending.length > 0 && (
                  <ActivateSelectionButton
                    count={selectedPending.length}
                    reason={activateSelectionReason(selectedPending, rebootReason, startReason)}
                    onClick={() => setActivating({ kind: 'selection' })}
                  />
                )}
                {selectionActions}
              </>
            }
          />
          <InstancesTable
            label={t('table.label', { region: regionId })}
            rows={visible}
            selectedIds={selectedIds}
            pendingById={pending.data}
            onToggle={onToggle}
            emptyText={rows.length === 0 ? t('empty') : t('noMatch')}
            onActivate={onActivate}
            rebootReason={rebootReason}
            startReason={startReason}
          />
        </>
      )}
      {one && onePending && (one.Status === 'Running' || one.Status === 'Stopped') && (
        <ActivateOneDialog
          regionId={regionId}
          row={{ ...one, Status: one.Status }}
          pending={onePending}
          onClose={() => setActivating(undefined)}
        />
      )}
      {activating?.kind === 'selection' && selectedPending.length > 0 && (
        <ActivatePendingDialog
          regionId={regionId}
          rows={selectedPending}
          startReason={startReason}
          rebootReason={rebootReason}
          onClose={() => setActivating(undefined)}
          onCreated={onClearSelection}
        />
      )}
    </Box>
  );
}

/**
 * Rebooting needs RebootInstances and starting StartInstances (docs/product.md#roles-per-action): the button is
 * disabled when the selection has running instances and the operator may not reboot, or only stopped ones and
 * they may not start. Mixed selections open the dialog, which says which choice is not allowed.
 */
function activateSelectionReason(
  rows: readonly InstanceRow[],
  rebootReason: string | undefined,
  startReason: string | undefined,
): string | undefined {
  if (rows.some((r) => r.Status === 'Running') && rebootReason !== undefined) return rebootReason;
  if (!rows.some((r) => r.Status !== 'Stopped') && startReason !== undefined) return startReason;
  return undefined;
}

function ActivateSelectionButton({ count, reason, onClick }: { count: number; reason: string | undefined; onClick: () => void }) {
  const { t } = useTranslation('instances');
  return (
    <DisabledReason reason={reason} isReasonVisible>
      {(describedBy) => (
        <Button variant="outlined" disabled={reason !== undefined} aria-describedby={describedBy} aria-haspopup="dialog" onClick={onClick}>
          {t('activation.bulk', { count })}
        </Button>
      )}
    </DisabledReason>
  );
}

interface LoadStateProps {
  isPending: boolean;
  isFetching: boolean;
  error: ApiError | null;
  loaded: number;
  total: number;
  shown: number;
  isFiltered: boolean;
  onRetry: () => void;
}

/** First load, streaming progress, counts, and failures with the RequestId and a retry (docs/product.md#console-qualities). */
function LoadState({ isPending, isFetching, error, loaded, total, shown, isFiltered, onRetry }: LoadStateProps) {
  const { t } = useTranslation('instances');
  if (error) {
    const message = explainError(t, error, 'DescribeInstances');
    // "Shows the last answer" is only true when there is one on screen: a failed first page leaves nothing.
    const hasNothing = isPending || loaded === 0;
    return (
      <ErrorAlert
        severity={hasNothing ? 'error' : 'warning'}
        message={
          hasNothing
            ? t('loadFailed', { message })
            : loaded < total
              ? t('partialFailed', { loaded, total, message })
              : t('refreshFailed', { message })
        }
        error={error}
        onRetry={onRetry}
      />
    );
  }
  if (isPending) {
    return (
      <Box role="status" sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
        <CircularProgress size={20} aria-hidden />
        <Typography>{t('loading')}</Typography>
      </Box>
    );
  }
  const isStreaming = isFetching && loaded < total;
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, minHeight: 24 }}>
      <Typography role="status" variant="body2" color="text.secondary">
        {isStreaming ? t('progress', { loaded, total }) : isFetching ? t('refreshing') : t('allLoaded', { count: total })}
        {isFiltered && !isStreaming ? ` · ${t('filters.matching', { shown, total: loaded })}` : ''}
      </Typography>
      {isStreaming && (
        <LinearProgress
          variant="determinate"
          value={total > 0 ? (100 * loaded) / total : 0}
          aria-label={t('progressLabel')}
          sx={{ flexGrow: 1, maxWidth: 320 }}
        />
      )}
    </Box>
  );
}
