import { AuditInputError } from './errors';

/**
 * The activity list's cursor: base64url of [at, seq], the keyset position of the last item returned. Opaque to
 * the browser; a store whose order is not (at, begin order) needs its own.
 */

export function encodeCursor(at: number, seq: number): string {
  return Buffer.from(JSON.stringify([at, seq]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { at: number; seq: number } {
  const invalid = new AuditInputError('invalid activity cursor');
  if (cursor.length > 128 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid;
  const [at, seq] = value as unknown[];
  if (!Number.isSafeInteger(at) || !Number.isSafeInteger(seq)) throw invalid;
  return { at: at as number, seq: seq as number };
}
