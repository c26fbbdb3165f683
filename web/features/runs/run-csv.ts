import type { TFunction } from 'i18next';
import type { Run, RunInstance } from '#ecs/runs-api';
import { toCsv } from '@web/lib/csv';
import { instanceStateText } from './run-text';

/**
 * A run's per-instance rows as CSV (docs/product.md#step-6-results), for a change record or a support ticket.
 * Column names and the State / Reason / Evidence values are the runs API's identifiers (ecs/runs-api.ts), so a
 * script reads an export from any UI language; Explanation carries the sentence the operator saw.
 */
export const RUN_CSV_COLUMNS = [
  'InstanceId',
  'InstanceName',
  'ZoneId',
  'StatusBefore',
  'KeyPairBefore',
  'Wave',
  'State',
  'SkipReason',
  'Evidence',
  'Code',
  'Message',
  'Explanation',
  'RequestIds',
] as const;

type RunCsvRow = Record<(typeof RUN_CSV_COLUMNS)[number], string>;

export function runCsvRows(t: TFunction, rows: readonly RunInstance[]): RunCsvRow[] {
  return rows.map((row) => ({
    InstanceId: row.InstanceId,
    InstanceName: row.InstanceName ?? '',
    ZoneId: row.ZoneId ?? '',
    StatusBefore: row.statusBefore ?? '',
    KeyPairBefore: row.previousKeyPairName ?? '',
    Wave: row.wave === undefined ? '' : String(row.wave),
    State: row.state,
    SkipReason: row.skipReason ?? '',
    Evidence: row.evidence ?? '',
    Code: row.Code ?? '',
    Message: row.Message ?? '',
    Explanation: instanceStateText(t, row).detail,
    // Space-separated: a row can carry the attach's and the reboot's request IDs.
    RequestIds: row.requestIds.join(' '),
  }));
}

export function runCsv(t: TFunction, rows: readonly RunInstance[]): string {
  return toCsv(RUN_CSV_COLUMNS, runCsvRows(t, rows));
}

/** `run-<id>-<region>-<time>.csv`: the file names itself in a download folder. */
export function runCsvFilename(run: Pick<Run, 'id' | 'regionId'>, at: number): string {
  const stamp = new Date(at).toISOString().replace(/[:.]/g, '-');
  return `run-${run.id}-${run.regionId}-${stamp}.csv`;
}
