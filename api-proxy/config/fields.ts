import { isIP } from 'node:net';
import { z } from 'zod';
import { unsetIfEmpty } from '#ecs/env';
import { LOGIN_USER_PATTERN } from '#ecs/key-script';

/**
 * Readers of single environment variables, the pieces the configuration schema (schema.ts, auth.ts) is built
 * from. Each one turns the raw text into a value or into messages that name the offending item, so that
 * `loadConfig` can report every problem at once (docs/conventions.md#fail-fast-on-configuration).
 */

export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Unset or empty: `undefined`; otherwise read by `schema`. */
export function optional<T>(schema: z.ZodType<T, string>) {
  return z.preprocess(unsetIfEmpty, schema.optional());
}

/** A case-insensitive choice among fixed words. */
export function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .trim()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` }));
}

export type ItemResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** A comma-separated list; every bad item is reported (with the item), not just the first. */
export function list<T>(item: (raw: string) => ItemResult<T>) {
  return z.string().transform((raw, ctx) => {
    const out: T[] = [];
    for (const part of raw.split(',')) {
      const trimmed = part.trim();
      if (trimmed === '') continue;
      const result = item(trimmed);
      if (result.ok) out.push(result.value);
      else ctx.issues.push({ code: 'custom', message: result.message, input: raw });
    }
    return out;
  });
}

/** One value read by an item reader (the same rules as one entry of a `list`). */
export function fromItem<T>(item: (raw: string) => ItemResult<T>) {
  return z
    .string()
    .trim()
    .transform((raw, ctx) => {
      const result = item(raw);
      if (result.ok) return result.value;
      ctx.issues.push({ code: 'custom', message: result.message, input: raw });
      return z.NEVER;
    });
}

export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((value) => !CONTROL_CHARS.test(value), 'must not contain control characters');

export const hostSchema = z
  .string()
  .trim()
  .max(253)
  .refine(
    (value) =>
      isIP(value) !== 0 ||
      /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(value),
    'must be a host name or an IP address (IPv6 without brackets)',
  );

export const pathSchema = plainText(4096).pipe(z.string().min(1));

/** RFC 9110 token; stored lowercase because Node lowercases incoming header names. */
export const headerName = z
  .string()
  .trim()
  .max(128)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name')
  .transform((value) => value.toLowerCase());

/** An absolute http(s) URL with nothing that could smuggle a second destination or a secret into it. */
export function parseUrl(raw: string): ItemResult<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: `"${raw}" is not a URL` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, message: `"${raw}" must be an http or https URL` };
  if (url.username !== '' || url.password !== '') return { ok: false, message: `"${raw}" must not contain credentials` };
  if (url.hash !== '') return { ok: false, message: `"${raw}" must not contain a fragment` };
  return { ok: true, value: url };
}

/** `scheme://host[:port]` with no path or query: what `Origin` headers and per-region bases look like. */
export function parseOrigin(raw: string): ItemResult<string> {
  if (raw === '*') return { ok: false, message: '"*" is not allowed: list the origins the console is served from' };
  const parsed = parseUrl(raw);
  if (!parsed.ok) return parsed;
  if (parsed.value.pathname !== '/' || parsed.value.search !== '') {
    return { ok: false, message: `"${raw}" must be scheme://host[:port] with no path or query` };
  }
  return { ok: true, value: parsed.value.origin };
}

/** A login user name the Cloud Assistant key script accepts (ecs/key-script.ts). */
export function parseLoginUser(raw: string): ItemResult<string> {
  if (LOGIN_USER_PATTERN.test(raw)) return { ok: true, value: raw };
  return {
    ok: false,
    message: `"${raw.slice(0, 40)}" is not a login user name (lowercase letters, digits, "_" and "-", starting with a letter or "_", at most 32)`,
  };
}

/** What a rule across variables reports into, and what it may ask about the raw environment. */
export interface EnvChecks {
  errors: string[];
  warnings: string[];
  /** The variable is set to something other than blanks. */
  isSet: (name: string) => boolean;
  /** The set variables whose names start with `prefix`, sorted, leaving out `except`. */
  setAmong: (prefix: string, except?: readonly string[]) => string[];
}
