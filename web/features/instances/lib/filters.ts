import { INSTANCE_ID_PATTERN, isKnownInstanceStatus } from '#ecs/wire';
import type { InstanceRow } from '../api/describe-instances';

/**
 * The instance filters, kept in the URL's query string so a link reproduces the view (docs/product.md#console-qualities):
 * `q` free text over name, ID and IPs; `status`; `os` (linux/windows); `key` (a key pair name, or `none` for
 * instances without one); `tag` (`key=value`, or `key` for any value); `ids` (comma-separated instance IDs, how
 * the activity page links to an operation's instances).
 */
export interface InstanceFilters {
  q: string;
  status: string;
  os: '' | 'linux' | 'windows';
  key: string;
  tag: string;
  ids: readonly string[];
}

/**
 * `key=none` means "no key pair". A key pair literally named `none` is legal in ECS (docs/ecs-notes.md#key-pair-names) but would be shadowed;
 * the URL form is what the brief fixed, and such a pair can still be found through the free text of its users.
 */
export const NO_KEY_PAIR = 'none';
const FILTER_PARAMS = ['q', 'status', 'os', 'key', 'tag', 'ids'] as const;

export function parseFilters(params: URLSearchParams): InstanceFilters {
  const status = params.get('status') ?? '';
  const os = params.get('os') ?? '';
  return {
    q: params.get('q') ?? '',
    // Unknown values from a hand-edited link are ignored rather than silently matching nothing.
    status: isKnownInstanceStatus(status) ? status : '',
    os: os === 'linux' || os === 'windows' ? os : '',
    key: params.get('key') ?? '',
    tag: params.get('tag') ?? '',
    ids: (params.get('ids') ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => INSTANCE_ID_PATTERN.test(id)),
  };
}

/** The current query string with the filter parameters replaced (other parameters are kept). */
export function withFilters(params: URLSearchParams, patch: Partial<InstanceFilters>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [name, value] of Object.entries(patch)) {
    const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
    if (text === '') next.delete(name);
    else next.set(name, text);
  }
  return next;
}

export function clearedFilters(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of FILTER_PARAMS) next.delete(name);
  return next;
}

export function hasFilters(filters: InstanceFilters): boolean {
  return (
    filters.q.trim() !== '' ||
    filters.status !== '' ||
    filters.os !== '' ||
    filters.key !== '' ||
    filters.tag.trim() !== '' ||
    filters.ids.length > 0
  );
}

/**
 * One predicate for all filters. Free text is split on spaces and every word must appear (so `web prod` finds
 * `web-prod-012`); rows carry a precomputed lowercase `searchText`, so this stays a few `includes` per row.
 */
export function compileFilters(filters: InstanceFilters): (row: InstanceRow) => boolean {
  const words = filters.q.toLowerCase().split(/\s+/).filter(Boolean);
  const ids = filters.ids.length > 0 ? new Set(filters.ids) : undefined;
  const tag = filters.tag.trim();
  const separator = tag.indexOf('=');
  const tagKey = separator === -1 ? tag : tag.slice(0, separator).trim();
  const tagValue = separator === -1 ? undefined : tag.slice(separator + 1).trim();
  const { status, os, key } = filters;
  return (row) =>
    (ids === undefined || ids.has(row.InstanceId)) &&
    (status === '' || row.Status === status) &&
    (os === '' || row.OSType === os) &&
    (key === '' || (key === NO_KEY_PAIR ? row.KeyPairName === undefined : row.KeyPairName === key)) &&
    (tagKey === '' || row.tags.some((t) => t.TagKey === tagKey && (tagValue === undefined || t.TagValue === tagValue))) &&
    words.every((word) => row.searchText.includes(word));
}
