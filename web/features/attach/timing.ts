import { createContext, useContext } from 'react';
import { abortableSleep } from './api/batch-runner';

/**
 * The clocks of the attach flow, in one place so tests can shorten them without fake timers (which would also
 * stall msw and user-event). The app always uses the defaults.
 */
export interface AttachTiming {
  /** DescribeInstanceStatus polling while instances reboot or start (~2 s, docs/ecs-notes.md#instance-status-polling: poll modestly). */
  pollIntervalMs: number;
  sleep: (ms: number, cancel: AbortSignal) => Promise<void>;
  now: () => number;
}

export const defaultAttachTiming: AttachTiming = { pollIntervalMs: 2000, sleep: abortableSleep, now: () => Date.now() };

export const AttachTimingContext = createContext<AttachTiming>(defaultAttachTiming);

export function useAttachTiming(): AttachTiming {
  return useContext(AttachTimingContext);
}
