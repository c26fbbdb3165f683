import type { TFunction } from 'i18next';
import type { FollowUpState } from './follow-up-state';
import type { AttachTarget, InstanceResult, InstanceResultStatus } from './model';
import { explainResult } from './outcome-text';
import type { CsvRow } from './results-csv';

/** One row of the results screen: the instance as confirmed, its attach outcome, and its follow-up. */
export interface ResultRow {
  target: AttachTarget;
  result: InstanceResult | undefined;
  followUp: FollowUpState | undefined;
  /** Latest known status (polled), else the status at attach. */
  status: string | undefined;
}

export type RowOutcome = InstanceResultStatus | 'waiting';

export function outcomeOf(row: Pick<ResultRow, 'result'>): RowOutcome {
  return row.result?.status ?? 'waiting';
}

/** Problems first: the operator's next decision is about them, not about the hundreds that worked. */
const ORDER: Record<RowOutcome, number> = { failed: 0, unknown: 1, 'not-sent': 2, waiting: 3, succeeded: 4 };

export function sortRows(rows: readonly ResultRow[]): ResultRow[] {
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => ORDER[outcomeOf(a.row)] - ORDER[outcomeOf(b.row)] || a.index - b.index)
    .map(({ row }) => row);
}

export function countOutcomes(rows: readonly ResultRow[]): Record<RowOutcome, number> {
  const counts: Record<RowOutcome, number> = { succeeded: 0, failed: 0, unknown: 0, 'not-sent': 0, waiting: 0 };
  for (const row of rows) counts[outcomeOf(row)] += 1;
  return counts;
}

/** Stable tokens for the CSV's FollowUp column. */
export function followUpToken(followUp: FollowUpState | undefined): string {
  if (followUp === undefined) return '';
  switch (followUp.kind) {
    case 'sending':
      return `${followUp.action}-sending`;
    case 'waiting':
      return followUp.isOutcomeUnknown ? `${followUp.action}-outcome-unknown` : `${followUp.action}-sent`;
    case 'active':
      return 'key-pair-active';
    case 'failed':
      return `${followUp.action}-failed:${followUp.code}`;
  }
}

export function toCsvRows(t: TFunction, rows: readonly ResultRow[]): CsvRow[] {
  return rows.map((row) => {
    const outcome = outcomeOf(row);
    const result = row.result;
    const isProblem = outcome !== 'succeeded' && outcome !== 'waiting';
    return {
      InstanceId: row.target.InstanceId,
      InstanceName: row.target.InstanceName,
      Result: outcome,
      Code: result?.code ?? '',
      // The sentence the operator saw for a problem; ECS's own message ("successful") otherwise.
      Message: result && isProblem ? explainResult(t, result, 'AttachKeyPair') : (result?.message ?? ''),
      RequestId: result?.requestId ?? '',
      StatusAtAttach: row.target.Status,
      FollowUp: followUpToken(row.followUp),
    };
  });
}
