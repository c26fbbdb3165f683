import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { CreateRun, Run, RunInstance, RunInstanceState, RunState } from '../../ecs/runs-api';
import { controlRun, createRun, getRun, getRunInstances, listRuns } from './api-client';
import { keyRoots } from './query-keys';

/**
 * Runs as the browser sees them (docs/product.md#step-7-activation): the proxy executes them, so the browser
 * creates, reads and controls them, and every viewer sees the same run. Shared: the review (attach), the
 * activation center (instances) and the run pages all use it. Types only from ecs/runs-api.ts: zod stays out
 * of the browser.
 */

export const RUN_FINAL_STATES: ReadonlySet<RunState> = new Set(['completed', 'completed_with_failures', 'cancelled']);
export const isRunFinal = (run: Pick<Run, 'state'> | undefined): boolean => run !== undefined && RUN_FINAL_STATES.has(run.state);

/** While a run moves, what is shown is refreshed this often even without the live feed (a proxy that buffers SSE). */
export const RUN_POLL_MS = 2_000;
/** Per-instance rows are read in pages of this size (the proxy's maximum). */
export const RUN_INSTANCES_PAGE = 1000;

async function allInstances(id: string, state: RunInstanceState | undefined, signal: AbortSignal): Promise<RunInstance[]> {
  const rows: RunInstance[] = [];
  let cursor: string | undefined;
  do {
    const page = await getRunInstances(id, { limit: RUN_INSTANCES_PAGE, cursor, state }, signal);
    rows.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return rows;
}

export interface RunsFilter {
  state?: RunState | undefined;
  creator?: string | undefined;
  regionId?: string | undefined;
  keyPairName?: string | undefined;
}

export const runQueries = {
  all: () => keyRoots.runs(),
  list: (filter: RunsFilter = {}) =>
    queryOptions({
      queryKey: [...keyRoots.runs(), 'list', filter] as const,
      queryFn: ({ signal }) => listRuns({ ...filter, limit: 200 }, signal),
      staleTime: 0,
      // Runs in progress are the first rows; keep their counts moving without a live feed per row.
      refetchInterval: (query) => (query.state.data?.items.some((run) => !isRunFinal(run)) ? RUN_POLL_MS * 2 : false),
    }),
  detail: (id: string) =>
    queryOptions({
      queryKey: [...keyRoots.runs(), 'detail', id] as const,
      queryFn: ({ signal }) => getRun(id, signal),
      staleTime: 0,
      refetchInterval: (query) => (query.state.data === undefined || isRunFinal(query.state.data) ? false : RUN_POLL_MS),
    }),
  /** Every per-instance row of a run (≤ 10,000, read in pages of 1,000). */
  instances: (id: string, live: boolean) =>
    queryOptions({
      queryKey: [...keyRoots.runs(), 'instances', id] as const,
      queryFn: ({ signal }) => allInstances(id, undefined, signal),
      staleTime: 0,
      refetchInterval: live ? RUN_POLL_MS : false,
    }),
};

/** Everything a run changes elsewhere: pending activation, the instance list's key pairs, the activity log. */
function invalidateAfterRun(client: ReturnType<typeof useQueryClient>, regionId: string): void {
  void client.invalidateQueries({ queryKey: keyRoots.pending(regionId) });
  void client.invalidateQueries({ queryKey: keyRoots.instances(regionId) });
  void client.invalidateQueries({ queryKey: keyRoots.activity() });
}

export function useCreateRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateRun) => createRun(input),
    // No toast: every caller shows the failure in its dialog, next to the choices it keeps for another try.
    meta: { silent: true },
    onSuccess: (run) => {
      client.setQueryData(runQueries.detail(run.id).queryKey, run);
      void client.invalidateQueries({ queryKey: [...keyRoots.runs(), 'list'] });
      invalidateAfterRun(client, run.regionId);
    },
  });
}

export type RunControlAction = 'pause' | 'resume' | 'cancel' | 'retry';

export function useRunControl(run: Pick<Run, 'id' | 'regionId'>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: RunControlAction) => controlRun(run.id, action),
    onSuccess: (answer, action) => {
      if (action !== 'retry') client.setQueryData(runQueries.detail(run.id).queryKey, answer);
      else client.setQueryData(runQueries.detail(answer.id).queryKey, answer);
      void client.invalidateQueries({ queryKey: keyRoots.runs() });
    },
  });
}

/**
 * The live feed (Server-Sent Events, `GET /api/runs/:id/events`): each event refreshes the run and its rows at
 * once instead of at the next poll. EventSource reconnects by itself with Last-Event-ID; where it does not
 * exist (tests, old proxies) the polling above is the feed. Closed when the run is final, or the stream would
 * be reopened forever.
 */
export function useRunEvents(id: string, run: Run | undefined): void {
  const client = useQueryClient();
  const final = isRunFinal(run);
  const regionId = run?.regionId;
  useEffect(() => {
    if (final || typeof EventSource === 'undefined') return;
    const source = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
    let scheduled: ReturnType<typeof setTimeout> | undefined;
    const refresh = (): void => {
      // Events come in bursts (a batch of 50 rows); one refresh per burst.
      if (scheduled !== undefined) return;
      scheduled = setTimeout(() => {
        scheduled = undefined;
        void client.invalidateQueries({ queryKey: runQueries.detail(id).queryKey });
        void client.invalidateQueries({ queryKey: runQueries.instances(id, true).queryKey });
        if (regionId !== undefined) invalidateAfterRun(client, regionId);
      }, 250);
    };
    for (const kind of ['created', 'state', 'instances', 'wave', 'control']) source.addEventListener(kind, refresh);
    return () => {
      if (scheduled !== undefined) clearTimeout(scheduled);
      source.close();
    };
  }, [client, final, id, regionId]);
}
