/**
 * The results as CSV (docs/product.md#step-6-results), for a change record or a support ticket. Column names and result
 * tokens are stable identifiers (like ECS wire names), not prose, so scripts can read exports from any UI
 * language; the message column carries the sentence the operator saw.
 */

export const CSV_COLUMNS = ['InstanceId', 'InstanceName', 'Result', 'Code', 'Message', 'RequestId', 'StatusAtAttach', 'FollowUp'] as const;

export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string>;

/**
 * One field, RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. A leading = + - @ (or
 * tab/CR) would make a spreadsheet run it as a formula (OWASP "CSV injection"), so such a field gets a leading
 * apostrophe; instance names and ECS messages are not trusted input.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: readonly CsvRow[]): string {
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((column) => csvField(row[column])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/** Downloads through a Blob URL; the BOM makes spreadsheet apps read the UTF-8 (Chinese messages) correctly. */
export function downloadCsv(filename: string, csv: string): void {
  const url = URL.createObjectURL(new Blob(['\uFEFF', csv], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // Revoked on the next tick: some browsers start the download asynchronously after click().
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}
