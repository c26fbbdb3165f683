import { isActionName, type ActionName } from '../../ecs/contract';
import { OperationStatus, type ActivityQuery } from '../../ecs/console-api';
import { decodeCursor } from './cursor';
import { AuditInputError } from './errors';
import { AUDIT_LIMITS, optionalText, requireTime } from './validate';

/**
 * The activity list's filters as a store applies them: the console API's query (already parsed by the proxy)
 * checked once more, the cursor decoded and the page size settled. Newest first; every filter narrows.
 */
export interface ActivityFilter {
  user?: string;
  regionId?: string;
  /** Matches what the call named, so pending, denied and unknown operations are found too. */
  instanceId?: string;
  action?: ActionName;
  status?: OperationStatus;
  /** Inclusive bounds on the intent's `at`. */
  from?: number;
  to?: number;
  /** Strictly after this keyset position, the last item of the previous page. */
  after?: { at: number; seq: number };
  /** Default 50; values above 200 are clamped to 200. */
  limit: number;
}

export function readActivityQuery(query: ActivityQuery): ActivityFilter {
  if (typeof query !== 'object' || query === null) throw new AuditInputError('the activity query must be an object');
  const filter: ActivityFilter = { limit: AUDIT_LIMITS.pageSizeDefault };
  const user = optionalText('user filter', query.user);
  if (user !== undefined) filter.user = user;
  const regionId = optionalText('regionId filter', query.regionId);
  if (regionId !== undefined) filter.regionId = regionId;
  const instanceId = optionalText('instanceId filter', query.instanceId);
  if (instanceId !== undefined) filter.instanceId = instanceId;
  if (query.action !== undefined) {
    if (typeof query.action !== 'string' || !isActionName(query.action)) {
      throw new AuditInputError('action filter is not an action of the ECS contract');
    }
    filter.action = query.action;
  }
  if (query.status !== undefined) {
    const status = OperationStatus.safeParse(query.status);
    if (!status.success) throw new AuditInputError('status filter is not an operation status');
    filter.status = status.data;
  }
  if (query.from !== undefined) filter.from = requireTime('from', query.from);
  if (query.to !== undefined) filter.to = requireTime('to', query.to);
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== 'string') throw new AuditInputError('invalid activity cursor');
    filter.after = decodeCursor(query.cursor);
  }
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1) throw new AuditInputError('limit must be a positive integer');
    filter.limit = Math.min(query.limit, AUDIT_LIMITS.pageSizeMax);
  }
  return filter;
}
