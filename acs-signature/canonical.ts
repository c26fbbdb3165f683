import { createHash } from 'node:crypto';

/**
 * The pieces V3 and V1 share: percent-encoding, the canonical query string, the date format and the payload
 * hash. Pure functions, like the rest of the signer (docs/conventions.md#pure-signer).
 */

/**
 * RFC 3986 percent-encoding as ECS wants it (docs/ecs-notes.md#v1-algorithm step 3,
 * docs/ecs-notes.md#signer-notes): `encodeURIComponent` leaves `! ' ( ) *` alone, so those are encoded too; `~`
 * stays; space is `%20`, never `+`.
 * Throws `URIError` on a lone UTF-16 surrogate, exactly like the SDK's `encode` — such a string has no UTF-8
 * form and could not be signed meaningfully anyway.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Ascending UTF-16 code unit order — what JS `<` does and what ECS expects (`Tag.10.Key` < `Tag.2.Key`,
 * docs/ecs-notes.md#signer-notes).
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `k1=v1&k2=v2…`: names sorted by UTF-16 code unit, names and values percent-encoded once
 * (docs/ecs-notes.md#v1-algorithm steps 2–4, docs/ecs-notes.md#v3-canonical-request). Empty values give `k=`;
 * no parameters give the empty string. The sort uses the raw names, like the SDK; for the ASCII names ECS uses
 * this is the same as sorting the encoded names.
 */
export function canonicalQueryString(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort(byCodeUnit)
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name] ?? '')}`)
    .join('&');
}

/**
 * `yyyy-MM-ddTHH:mm:ssZ` in UTC, no milliseconds: V3 `x-acs-date` and V1 `Timestamp`
 * (docs/ecs-notes.md#v3-headers, docs/ecs-notes.md#v1-common-parameters).
 */
export function formatAcsDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Lowercase hex SHA-256 of the raw body bytes (strings as UTF-8): `HashedRequestPayload`,
 * docs/ecs-notes.md#v3-canonical-request.
 */
export function hashPayload(body: string | Uint8Array = ''): string {
  return createHash('sha256').update(body).digest('hex');
}
