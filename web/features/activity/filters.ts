import {
  ACTIVITY_QUERY_LIMITS,
  INSTANCE_ID_PATTERN,
  MUTATING_ACTIONS,
  OPERATION_STATUSES,
  REGION_ID_PATTERN,
  type MutatingAction,
  type OperationStatusName,
} from '#ecs/wire';

/**
 * The activity page's filters live in the URL query string (docs/product.md#step-10-activity), so a link reproduces
 * the view: `/activity?user=alice&action=AttachKeyPair&regionId=cn-hangzhou&instanceId=i-…&status=failed&from=…&to=…`.
 * Names match the proxy's `GET /api/activity` parameters; `from`/`to` are ISO instants in the URL (readable and
 * time-zone free when shared) and milliseconds on the API. Action names, statuses, ID patterns and the user
 * filter's length come from the contract's catalogue (ecs/wire.ts), zod-free so the page loads without zod; the
 * proxy refuses a malformed region with a 400, so the page catches it first and says what a region ID looks like.
 */

export interface ActivityFilters {
  user?: string;
  action?: MutatingAction;
  regionId?: string;
  instanceId?: string;
  status?: OperationStatusName;
  /** Inclusive lower bound, ms since the epoch. */
  from?: number;
  /** Inclusive upper bound, ms since the epoch. */
  to?: number;
}

export type FilterName = keyof ActivityFilters;
export const FILTER_NAMES = ['user', 'action', 'regionId', 'instanceId', 'status', 'from', 'to'] as const satisfies readonly FilterName[];

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

function parseInstant(value: string): number | undefined {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/**
 * Reads the filters from the URL. Values that cannot be right (a mistyped status, a region ID with dots, an
 * unreadable date) are dropped and named in `ignored`, so the page can say so instead of silently showing more
 * than the link asked for.
 */
export function parseFilters(params: URLSearchParams): { filters: ActivityFilters; ignored: FilterName[] } {
  const filters: ActivityFilters = {};
  const ignored: FilterName[] = [];
  const read = (name: FilterName): string | undefined => {
    const value = params.get(name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const user = read('user');
  if (user !== undefined) {
    if (user.length <= ACTIVITY_QUERY_LIMITS.userMax) filters.user = user;
    else ignored.push('user');
  }
  const action = read('action');
  if (action !== undefined) {
    if (isOneOf(MUTATING_ACTIONS, action)) filters.action = action;
    else ignored.push('action');
  }
  const regionId = read('regionId');
  if (regionId !== undefined) {
    if (REGION_ID_PATTERN.test(regionId)) filters.regionId = regionId;
    else ignored.push('regionId');
  }
  const instanceId = read('instanceId');
  if (instanceId !== undefined) {
    if (INSTANCE_ID_PATTERN.test(instanceId)) filters.instanceId = instanceId;
    else ignored.push('instanceId');
  }
  const status = read('status');
  if (status !== undefined) {
    if (isOneOf(OPERATION_STATUSES, status)) filters.status = status;
    else ignored.push('status');
  }
  for (const name of ['from', 'to'] as const) {
    const raw = read(name);
    if (raw === undefined) continue;
    const ms = parseInstant(raw);
    if (ms === undefined) ignored.push(name);
    else filters[name] = ms;
  }
  // An empty range cannot be what the link meant; the proxy would answer nothing at all.
  if (filters.from !== undefined && filters.to !== undefined && filters.from > filters.to) {
    delete filters.from;
    delete filters.to;
    ignored.push('from', 'to');
  }
  return { filters, ignored };
}

/** The URL form of the filters, in a fixed order so equal filters give equal links. */
export function filtersToSearch(filters: ActivityFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value === undefined || value === '') continue;
    params.set(name, name === 'from' || name === 'to' ? new Date(value).toISOString() : String(value));
  }
  return params;
}

export function hasFilters(filters: ActivityFilters): boolean {
  return FILTER_NAMES.some((name) => filters[name] !== undefined);
}

/** The query of `GET /api/activity` (the proxy's parameter names; unknown ones are refused there). */
export function toApiQuery(filters: ActivityFilters): Record<string, string | number | undefined> {
  return { ...filters };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `<input type="datetime-local">` speaks local wall-clock minutes: `2026-05-01T09:30`. */
export function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The instant of a datetime-local value (ECMAScript reads a date-time without offset as local time). The input
 * shows minutes, so "to 09:30" means up to the end of that minute.
 */
export function fromLocalInput(value: string, edge: 'start' | 'end'): number | undefined {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  if (!Number.isFinite(ms)) return undefined;
  return edge === 'end' ? ms + 59_999 : ms;
}
