import type { InstanceRow } from '../api/describe-instances';

/**
 * Selection rules (docs/product.md#step-2-instances): one by one, a range with Shift, or all that match. Only selectable rows
 * (not Windows, not locked) ever enter the selection.
 */

/** Toggles one row, or with `isRange` sets every selectable row between the anchor and this one to its new state. */
export function toggleSelection(
  selected: ReadonlySet<string>,
  visible: readonly InstanceRow[],
  target: InstanceRow,
  anchorId: string | undefined,
  isRange: boolean,
): Set<string> {
  const next = new Set(selected);
  const shouldSelect = !selected.has(target.InstanceId);
  const targetIndex = visible.indexOf(target);
  const anchorIndex = anchorId === undefined ? -1 : visible.findIndex((r) => r.InstanceId === anchorId);
  if (!isRange || anchorIndex === -1 || targetIndex === -1) {
    if (target.isSelectable) {
      if (shouldSelect) next.add(target.InstanceId);
      else next.delete(target.InstanceId);
    }
    return next;
  }
  const [from, to] = anchorIndex <= targetIndex ? [anchorIndex, targetIndex] : [targetIndex, anchorIndex];
  for (let i = from; i <= to; i++) {
    const row = visible[i];
    if (row === undefined || !row.isSelectable) continue;
    if (shouldSelect) next.add(row.InstanceId);
    else next.delete(row.InstanceId);
  }
  return next;
}

export function selectAllMatching(selected: ReadonlySet<string>, visible: readonly InstanceRow[]): Set<string> {
  const next = new Set(selected);
  for (const row of visible) if (row.isSelectable) next.add(row.InstanceId);
  return next;
}
