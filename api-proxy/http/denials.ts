import type { ActionName } from '../../ecs/contract';
import type { AuditIntent } from '../audit';

/**
 * Which refusals are written to the audit trail one by one, and a summary of the rest.
 *
 * Every refusal is accounted for, but a user (or a script acting as one) must not be able to fill the disk
 * with fsynced records: per user and window, at most `budget` refusals are written, and an exact repeat of
 * one already written in the last window is not written again. The refusals held back are counted, and
 * ONE summary record per user and window says how many there were, between which times, and of which
 * actions. It is written when the window ends, or when the proxy stops, whichever comes first.
 */

export interface DenialLedgerOptions {
  windowMs: number;
  /** Refusals written one by one per user and window. */
  budget: number;
  clock: () => number;
  /** Writes one denied record; may be asynchronous. A failure is reported to `onError`, never thrown. */
  write: (intent: AuditIntent, reason: string) => void | Promise<void>;
  onError: (error: unknown, what: 'denial' | 'summary') => void;
  /** One line for each refusal that was counted rather than written. */
  onSuppressed?: (user: string, action: ActionName) => void;
}

export interface DenialLedger {
  /** `key` identifies an exact repeat (same user, action, targets). Resolves once the record is written (or counted). */
  record(intent: AuditIntent, reason: string, key: string): Promise<void>;
  /** Writes every pending summary now (on close). */
  flush(): Promise<void>;
}

interface UserWindow {
  windowStart: number;
  written: number;
  suppressed: number;
  firstAt: number;
  lastAt: number;
  /** The latest refusal held back: who (e-mail, groups, address) and where, for the summary record. */
  last?: AuditIntent;
  actions: Map<ActionName, number>;
  timer?: NodeJS.Timeout;
}

/** Bounded memory for exact-repeat detection; forgetting only means a repeat is written (or counted) anew. */
const MAX_REPEAT_KEYS = 10_000;

export function createDenialLedger(options: DenialLedgerOptions): DenialLedger {
  const { windowMs, budget, clock } = options;
  const users = new Map<string, UserWindow>();
  const lastWritten = new Map<string, number>();

  async function write(intent: AuditIntent, reason: string, what: 'denial' | 'summary'): Promise<void> {
    try {
      await options.write(intent, reason);
    } catch (error) {
      options.onError(error, what);
    }
  }

  /** Takes the user's window out of the ledger (synchronously, so it is summarized once) and writes its summary. */
  async function close(user: string, window: UserWindow): Promise<void> {
    if (users.get(user) === window) users.delete(user);
    if (window.timer !== undefined) clearTimeout(window.timer);
    window.timer = undefined;
    const last = window.last;
    if (window.suppressed === 0 || last === undefined) return;
    const actions = [...window.actions].map(([action, count]) => `${action} ×${count}`).join(', ');
    // The record names the user in full; the sentence is kept short enough for the store's text limit.
    const name = user.length > 100 ? `${user.slice(0, 100)}…` : user;
    const reason = `${window.suppressed} further refusal${window.suppressed === 1 ? '' : 's'} of ${name} suppressed between ${iso(window.firstAt)} and ${iso(window.lastAt)} (${actions})`;
    const summary: AuditIntent = {
      at: window.lastAt,
      user: last.user,
      ...(last.email === undefined ? {} : { email: last.email }),
      groups: last.groups,
      clientAddress: last.clientAddress,
      action: last.action,
      regionId: last.regionId,
      instanceIds: [],
    };
    await write(summary, reason, 'summary');
  }

  return {
    async record(intent, reason, key) {
      const now = clock();
      const windowStart = now - (now % windowMs);
      let window = users.get(intent.user);
      if (window !== undefined && window.windowStart !== windowStart) {
        // A new window opened for this user: the last one's summary goes first, so the trail stays in order.
        await close(intent.user, window);
        window = undefined;
      }
      window ??= users.get(intent.user);
      if (window === undefined) {
        window = { windowStart, written: 0, suppressed: 0, firstAt: now, lastAt: now, actions: new Map() };
        users.set(intent.user, window);
      }
      const previous = lastWritten.get(key);
      const isRepeat = previous !== undefined && now - previous < windowMs;
      if (!isRepeat && window.written < budget) {
        window.written += 1;
        if (lastWritten.size >= MAX_REPEAT_KEYS) lastWritten.clear();
        lastWritten.set(key, now);
        await write(intent, reason, 'denial');
        return;
      }
      if (window.suppressed === 0) window.firstAt = now;
      window.suppressed += 1;
      window.lastAt = now;
      window.last = intent;
      window.actions.set(intent.action, (window.actions.get(intent.action) ?? 0) + 1);
      options.onSuppressed?.(intent.user, intent.action);
      if (window.timer === undefined) {
        const owner = window;
        const user = intent.user;
        // When the window ends, its summary is written even if the user never comes back. The end is judged
        // by the ledger's clock, not by the timer: a timer can fire early against that clock (a stepped or
        // injected clock), and closing early would reopen the user's budget inside the same window.
        const arm = (delayMs: number) => {
          owner.timer = setTimeout(() => {
            const left = owner.windowStart + windowMs - clock();
            if (left <= 0) void close(user, owner);
            else arm(Math.max(left, 1000));
          }, delayMs);
          owner.timer.unref();
        };
        arm(Math.max(0, windowStart + windowMs - now));
      }
    },
    async flush() {
      await Promise.all([...users].map(([user, window]) => close(user, window)));
    },
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
