import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { ecsCall } from '@web/lib/api-client';
import { keyRoots } from '@web/lib/query-keys';
import { runAttach } from '../api/attach-runner';
import type { AttachRun, AttachTarget } from '../model';
import { useAttachTiming } from '../timing';

interface Pass {
  ids: string[];
  regionId: string;
  keyPairName: string;
}

/**
 * Drives the attach runner for AttachFlow: keeps per-instance outcomes, progress and the throttling wait, sends
 * retries of chosen instances into the same run, and refreshes what other screens show afterwards.
 */
export function useAttachRun() {
  const queryClient = useQueryClient();
  const timing = useAttachTiming();
  const [run, setRun] = useState<AttachRun | undefined>(undefined);
  const cancelRef = useRef<AbortController | null>(null);
  const runIdRef = useRef(0);

  const mutation = useMutation({
    mutationFn: async (pass: Pass) => {
      const controller = new AbortController();
      cancelRef.current = controller;
      return runAttach({
        ids: pass.ids,
        cancel: controller.signal,
        sleep: timing.sleep,
        attach: (batch) => ecsCall('AttachKeyPair', { RegionId: pass.regionId, KeyPairName: pass.keyPairName, InstanceIds: [...batch] }),
        onResults: (results) =>
          setRun((current) => {
            if (!current) return current;
            const next = { ...current.results };
            for (const result of results) next[result.InstanceId] = result;
            return { ...current, results: next, progress: { ...current.progress, done: current.progress.done + results.length } };
          }),
        // The notice stays until the longest wait is over: an earlier batch retrying does not end the throttling.
        onBatchStart: () =>
          setRun((current) =>
            current && current.throttledUntil !== undefined && timing.now() >= current.throttledUntil - 100
              ? { ...current, throttledUntil: undefined }
              : current,
          ),
        onThrottled: ({ waitMs }) =>
          setRun((current) => {
            if (!current) return current;
            const until = timing.now() + waitMs;
            // Several batches may wait at once; show the longest wait, the honest one.
            return { ...current, throttledUntil: Math.max(until, current.throttledUntil ?? 0) };
          }),
      });
    },
    // Every instance's outcome is on the results screen; a toast would only repeat it.
    meta: { silent: true },
    onSettled: async (_data, _error, pass) => {
      cancelRef.current = null;
      setRun((current) => (current ? { ...current, isRunning: false, isCancelling: false, throttledUntil: undefined } : current));
      // Key pairs changed and pending activation grew: badges, the list and the audit trail refresh elsewhere.
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: keyRoots.pending(pass.regionId) }),
        queryClient.invalidateQueries({ queryKey: keyRoots.instances(pass.regionId) }),
        queryClient.invalidateQueries({ queryKey: keyRoots.activity() }),
      ]);
    },
  });
  const { mutate } = mutation;

  const start = useCallback(
    (regionId: string, keyPairName: string, targets: readonly AttachTarget[]) => {
      const ids = [...new Set(targets.map((t) => t.InstanceId))];
      runIdRef.current += 1;
      setRun({
        runId: runIdRef.current,
        regionId,
        keyPairName,
        targets: [...targets],
        results: {},
        isRunning: true,
        progress: { done: 0, total: ids.length },
        throttledUntil: undefined,
        isCancelling: false,
      });
      mutate({ ids, regionId, keyPairName });
    },
    [mutate],
  );

  /** Re-sends only these instances, in the same run; their old outcomes are replaced as new ones arrive. */
  const resend = useCallback(
    (ids: readonly string[]) => {
      if (!run || run.isRunning || ids.length === 0) return;
      const unique = [...new Set(ids)];
      const next = { ...run.results };
      for (const id of unique) delete next[id];
      setRun({
        ...run,
        results: next,
        isRunning: true,
        progress: { done: 0, total: unique.length },
        throttledUntil: undefined,
        isCancelling: false,
      });
      mutate({ ids: unique, regionId: run.regionId, keyPairName: run.keyPairName });
    },
    [run, mutate],
  );

  const cancel = useCallback(() => {
    cancelRef.current?.abort();
    setRun((current) => (current ? { ...current, isCancelling: true } : current));
  }, []);

  return { run, start, resend, cancel };
}
