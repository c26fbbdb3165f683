/** Escapes text for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** "1,234" → 1234 (counts are formatted with the locale's grouping). */
export function parseCount(text: string): number {
  const match = /\d[\d,]*/.exec(text);
  if (!match) throw new Error(`no number in "${text}"`);
  return Number(match[0].replace(/,/g, ''));
}
