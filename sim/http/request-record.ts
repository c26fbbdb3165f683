/**
 * One HTTP request the ECS door received, whatever became of it. Side effects are counted where they happen:
 * a client that retries shows up here once per attempt, so tests can bound retries by counting at ECS itself.
 */
export interface SimRequestRecord {
  /** Server clock (ms) when the request had been read. */
  at: number;
  method: string;
  /** The Action the request named, where it could be read (also for refused requests). */
  action?: string;
  /** Business parameters of a request that passed verification (V1 common and signature parameters removed). */
  params: Record<string, string>;
  /** The request's RegionId parameter, if it had one. */
  regionId?: string;
  /** The Host header as received (which regional endpoint the client meant). */
  host?: string;
  /** The HTTP status answered; `null` when the connection was dropped or the client left before an answer. */
  status: number | null;
  /** `Code` of an error answer. */
  code?: string;
  requestId: string;
}

/** Default number of records kept; older ones are dropped first, so a long-running simulator stays bounded. */
export const DEFAULT_REQUEST_RECORD_LIMIT = 10_000;

/** The record itself: bounded, oldest first. */
export interface RequestRecord {
  add(entry: SimRequestRecord): void;
  /** The newest `limit` records, oldest first (copies). */
  list(): SimRequestRecord[];
  clear(): void;
}

export function createRequestRecord(limit: number = DEFAULT_REQUEST_RECORD_LIMIT): RequestRecord {
  let records: SimRequestRecord[] = [];
  return {
    add(entry) {
      records.push(entry);
      // Trimmed in chunks, so a full record does not copy itself on every request.
      if (records.length > limit + Math.max(1, Math.floor(limit / 10))) records = records.slice(-limit);
    },
    list() {
      return records.slice(-limit).map((entry) => ({ ...entry, params: { ...entry.params } }));
    },
    clear() {
      records = [];
    },
  };
}
