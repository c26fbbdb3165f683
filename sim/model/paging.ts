import { ecsErrors } from '../../ecs/errors';
import { hashString } from './random';

/**
 * Paging and name matching shared by the Describe* actions (docs/ecs-notes.md#instance-paging,
 * docs/ecs-notes.md#describe-key-pairs, docs/ecs-notes.md#instance-status-polling).
 */

export const DEFAULT_PAGE_SIZE = 10;

/** A page of `items` by 1-based page number; past the end is an empty page, as in ECS. */
export function pageOf<T>(items: readonly T[], pageNumber: number, pageSize: number): T[] {
  const start = (pageNumber - 1) * pageSize;
  return items.slice(start, start + pageSize);
}

/**
 * `*` is the only wildcard (`*x`, `x*`, `*x*`); without one the match is exact (InstanceName:
 * docs/ecs-notes.md#instance-filters, KeyPairName: docs/ecs-notes.md#describe-key-pairs).
 */
export function wildcardMatcher(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${body}$`, 's');
  return (value) => re.test(value);
}

/**
 * NextToken (docs/ecs-notes.md#instance-paging) is opaque to clients. Ours is base64url of `<offset>.<check>`,
 * where the check binds the offset to the region, so a garbage or hand-edited token is rejected with
 * InvalidParameter.NextToken instead of silently restarting the walk. Standard `btoa`/`atob` keep it browser-safe.
 */
export function encodeNextToken(regionId: string, offset: number): string {
  const raw = `${offset}.${hashString(`${regionId}:${offset}`).toString(36)}`;
  return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The offset a token encodes; throws InvalidParameter.NextToken for anything we did not issue. */
export function decodeNextToken(regionId: string, token: string): number {
  let raw: string;
  try {
    const b64 = token.replace(/-/g, '+').replace(/_/g, '/');
    raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  } catch {
    throw ecsErrors.invalidNextToken();
  }
  const match = /^(\d{1,9})\.([0-9a-z]+)$/.exec(raw);
  const offset = Number(match?.[1]);
  if (!match || match[2] !== hashString(`${regionId}:${offset}`).toString(36)) throw ecsErrors.invalidNextToken();
  return offset;
}
