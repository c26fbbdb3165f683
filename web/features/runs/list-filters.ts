import type { RunState } from '#ecs/runs-api';
import { REGION_ID_PATTERN } from '#ecs/wire';
import type { RunsFilter } from '@web/lib/runs';
import { isRunState } from './states';

/**
 * The runs list's filters live in the URL query string, like the activity page's (docs/product.md#console-qualities:
 * a link reproduces the view): `/runs?state=running&creator=alice&regionId=cn-hangzhou&keyPairName=ops-team`.
 * Names and limits are the proxy's `GET /api/runs` ones (ecs/runs-api.ts RunsQuery); a value the proxy would
 * refuse is dropped and named in `ignored`, so the page says so instead of showing more than the link asked for.
 */

export type RunsFilterName = 'state' | 'creator' | 'regionId' | 'keyPairName';
export const RUNS_FILTER_NAMES = ['state', 'creator', 'regionId', 'keyPairName'] as const satisfies readonly RunsFilterName[];

/** RunsQuery's bounds (ecs/runs-api.ts), zod-free. */
const MAX_LENGTH: Record<Exclude<RunsFilterName, 'state'>, number> = { creator: 256, regionId: 64, keyPairName: 128 };

export interface ParsedRunsFilter {
  filter: RunsFilter;
  ignored: RunsFilterName[];
}

export function parseRunsFilter(params: URLSearchParams): ParsedRunsFilter {
  const filter: RunsFilter = {};
  const ignored: RunsFilterName[] = [];
  for (const name of RUNS_FILTER_NAMES) {
    const value = params.get(name)?.trim();
    if (value === undefined || value === '') continue;
    if (name === 'state') {
      if (isRunState(value)) filter.state = value satisfies RunState;
      else ignored.push(name);
    } else if (value.length > MAX_LENGTH[name] || (name === 'regionId' && !REGION_ID_PATTERN.test(value))) {
      ignored.push(name);
    } else {
      filter[name] = value;
    }
  }
  return { filter, ignored };
}

/** The URL form, in a fixed order so equal filters give equal links. */
export function runsFilterToSearch(filter: RunsFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of RUNS_FILTER_NAMES) {
    const value = filter[name]?.trim();
    if (value !== undefined && value !== '') params.set(name, value);
  }
  return params;
}

export function hasRunsFilter(filter: RunsFilter): boolean {
  return RUNS_FILTER_NAMES.some((name) => filter[name] !== undefined);
}
