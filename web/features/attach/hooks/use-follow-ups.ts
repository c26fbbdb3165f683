import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { isTransitionalStatus } from '#ecs/wire';
import { instanceStatusQueries } from '@web/lib/instance-status';
import { keyRoots } from '@web/lib/query-keys';
import { runBatches } from '../api/batch-runner';
import { FOLLOW_UP_BATCH_SIZE, sendFollowUpBatch, sendFollowUpSingle } from '../api/follow-ups';
import { afterCall, afterPoll, type FollowUpState } from '../follow-up-state';
import type { AttachRun, FollowUpAction, InstanceResult } from '../model';
import { useAttachTiming } from '../timing';

interface State {
  runId: number | undefined;
  byId: Record<string, FollowUpState>;
  /** Latest status seen per instance (from polling or a batch answer's CurrentStatus). */
  statuses: Record<string, string>;
}

interface Send {
  action: FollowUpAction;
  ids: string[];
  /** Batch APIs for "Reboot all"/"Start all"; the single APIs for one row. */
  isBatch: boolean;
  isForce: boolean;
}

const empty = (runId: number | undefined): State => ({ runId, byId: {}, statuses: {} });

/**
 * Reboot/Start after an attach and watching the instances until the key pair is active (docs/product.md#step-7-activation). State
 * belongs to one run: a new run starts from nothing.
 */
export function useFollowUps(run: AttachRun | undefined) {
  const queryClient = useQueryClient();
  const timing = useAttachTiming();
  const runId = run?.runId;
  const regionId = run?.regionId ?? '';
  const [raw, setState] = useState<State>(() => empty(runId));
  const fresh = useMemo(() => empty(runId), [runId]);
  const state = raw.runId === runId ? raw : fresh;
  const update = useCallback(
    (change: (s: State) => State) => setState((prev) => change(prev.runId === runId ? prev : empty(runId))),
    [runId],
  );

  // A map, not a search per row: a run can hold thousands of instances.
  const statusAtAttach = useMemo(() => new Map((run?.targets ?? []).map((t) => [t.InstanceId, t.Status])), [run?.targets]);
  /** The status to act on: the latest seen, else the status when the attach was confirmed. */
  const statusOf = useCallback(
    (id: string): string | undefined => state.statuses[id] ?? statusAtAttach.get(id),
    [state.statuses, statusAtAttach],
  );

  // Watch instances on their way to Running, and attached ones caught mid-transition (so their Reboot/Start
  // appears once they settle).
  const watchIds = useMemo(() => {
    if (!run) return [];
    return run.targets
      .map((t) => t.InstanceId)
      .filter((id) => {
        if (run.results[id]?.status !== 'succeeded') return false;
        const followUp = state.byId[id];
        if (followUp) return followUp.kind === 'waiting';
        return isTransitionalStatus(statusOf(id));
      });
  }, [run, state.byId, statusOf]);

  const poll = useQuery(instanceStatusQueries.poll(regionId, watchIds, timing.pollIntervalMs));

  useEffect(() => {
    const seen = poll.data;
    if (Object.keys(seen).length === 0) return;
    const now = timing.now();
    update((s) => {
      const byId = { ...s.byId };
      for (const [id, status] of Object.entries(seen)) {
        const followUp = byId[id];
        if (followUp) byId[id] = afterPoll(followUp, status, now);
      }
      return { ...s, byId, statuses: { ...s.statuses, ...seen } };
    });
  }, [poll.data, poll.dataUpdatedAt, timing, update]);

  // Once instances are Running with their key active, the pending badges and statuses elsewhere are stale.
  const activeCount = Object.values(state.byId).filter((f) => f.kind === 'active').length;
  const lastActive = useRef(activeCount);
  useEffect(() => {
    if (activeCount > lastActive.current && regionId) {
      void queryClient.invalidateQueries({ queryKey: keyRoots.pending(regionId) });
      void queryClient.invalidateQueries({ queryKey: keyRoots.instances(regionId) });
    }
    lastActive.current = activeCount;
  }, [activeCount, queryClient, regionId]);

  const { mutate } = useMutation({
    mutationFn: (send: Send) => {
      const call = { regionId, action: send.action, isForce: send.action === 'reboot' && send.isForce };
      return runBatches({
        ids: send.ids,
        batchSize: send.isBatch ? FOLLOW_UP_BATCH_SIZE : 1,
        // One call at a time: reboots are not something to fire in parallel bursts.
        concurrency: 1,
        sleep: timing.sleep,
        send: (batch) => (send.isBatch ? sendFollowUpBatch(call, batch) : sendFollowUpSingle(call, batch)),
        onResults: (results: InstanceResult[]) => {
          const now = timing.now();
          update((s) => {
            const byId = { ...s.byId };
            const statuses = { ...s.statuses };
            for (const result of results) {
              byId[result.InstanceId] = afterCall(send.action, result, now);
              if (result.currentStatus) statuses[result.InstanceId] = result.currentStatus;
            }
            return { ...s, byId, statuses };
          });
        },
      });
    },
    // Failures are shown on each row, with the code's sentence.
    meta: { silent: true },
    onSettled: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: keyRoots.pending(regionId) }),
        queryClient.invalidateQueries({ queryKey: keyRoots.instances(regionId) }),
        queryClient.invalidateQueries({ queryKey: keyRoots.activity() }),
      ]);
    },
  });

  const send = useCallback(
    (action: FollowUpAction, ids: readonly string[], options: { isBatch: boolean; isForce: boolean }) => {
      if (ids.length === 0) return;
      update((s) => {
        const byId = { ...s.byId };
        for (const id of ids) byId[id] = { kind: 'sending', action };
        return { ...s, byId };
      });
      mutate({ action, ids: [...ids], ...options });
    },
    [mutate, update],
  );

  return { followUps: state.byId, statusOf, send, isPolling: watchIds.length > 0, pollError: poll.error };
}
