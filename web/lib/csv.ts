/**
 * CSV for exports a change record or a support ticket takes (docs/product.md#step-6-results): RFC 4180 fields,
 * CRLF line ends, a guard against formula injection, and the download. Shared by every feature that exports;
 * each feature keeps its own columns (stable identifiers, like ECS wire names, so scripts can read an export
 * from any UI language).
 */

/**
 * One field, RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. A leading = + - @ (or
 * tab/CR) would make a spreadsheet run it as a formula (OWASP "CSV injection"), so such a field gets a leading
 * apostrophe; instance names and ECS messages are not trusted input.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A header line of `columns`, then one line per row in the same order; every line ends with CRLF. */
export function toCsv<C extends string>(columns: readonly C[], rows: readonly Readonly<Record<C, string>>[]): string {
  const lines = [columns.map(csvField).join(','), ...rows.map((row) => columns.map((column) => csvField(row[column])).join(','))];
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
