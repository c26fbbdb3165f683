import type { AuditIntent } from '../audit';
import { createDenialLedger } from './denials';

const WINDOW = 10_000;

function intent(overrides: Partial<AuditIntent> = {}): AuditIntent {
  return {
    at: 0,
    user: 'alice',
    groups: ['viewers'],
    clientAddress: '198.51.100.7',
    action: 'RebootInstance',
    regionId: 'cn-hangzhou',
    instanceIds: ['i-abc'],
    ...overrides,
  };
}

function setup(budget = 3) {
  let now = 1_000_000;
  const written: { intent: AuditIntent; reason: string }[] = [];
  const errors: unknown[] = [];
  const ledger = createDenialLedger({
    windowMs: WINDOW,
    budget,
    clock: () => now,
    write: (i, reason) => {
      written.push({ intent: i, reason });
    },
    onError: (error) => errors.push(error),
  });
  return {
    ledger,
    written,
    errors,
    advance: (ms: number) => (now += ms),
    summaries: () => written.filter((w) => w.reason.includes('suppressed')),
  };
}

describe('the denial ledger', () => {
  afterEach(() => vi.useRealTimers());

  it('writes refusals one by one up to the budget, then one summary per user and window when the next opens', async () => {
    const { ledger, written, advance, summaries } = setup(3);
    for (let i = 0; i < 3; i += 1) await ledger.record(intent({ instanceIds: [`i-${i}`] }), 'refused: x', `k${i}`);
    expect(written).toHaveLength(3);
    for (let i = 3; i < 8; i += 1)
      await ledger.record(intent({ instanceIds: [`i-${i}`], action: i % 2 ? 'AttachKeyPair' : 'RebootInstance' }), 'refused: x', `k${i}`);
    expect(written).toHaveLength(3);
    // Another user has a budget of their own.
    await ledger.record(intent({ user: 'bob' }), 'refused: x', 'bob');
    expect(written).toHaveLength(4);

    advance(WINDOW);
    await ledger.record(intent({ instanceIds: ['i-new'] }), 'refused: y', 'k-new');
    expect(summaries()).toHaveLength(1);
    const summary = summaries()[0];
    expect(summary?.reason).toMatch(
      /^5 further refusals of alice suppressed between \d{4}-\d\d-\d\dT\S+Z and \S+Z \(AttachKeyPair ×3, RebootInstance ×2\)$/,
    );
    expect(summary?.intent).toMatchObject({ user: 'alice', clientAddress: '198.51.100.7', instanceIds: [] });
    // The new window's refusal is written after the summary, and bob had nothing suppressed.
    expect(written.at(-1)?.reason).toBe('refused: y');
    expect(written).toHaveLength(6);
  });

  it('counts an exact repeat within the window instead of writing it again', async () => {
    const { ledger, written, advance, summaries } = setup(30);
    for (let i = 0; i < 4; i += 1) await ledger.record(intent(), 'refused: x', 'same');
    expect(written).toHaveLength(1);
    await ledger.flush();
    expect(summaries().map((s) => s.reason)).toEqual([expect.stringMatching(/^3 further refusals of alice suppressed/)]);
    advance(WINDOW + 1);
    await ledger.record(intent(), 'refused: x', 'same');
    expect(written).toHaveLength(3);
  });

  it('writes the summary when the window ends even if the user never comes back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { ledger, summaries, advance } = setup(1);
    await ledger.record(intent(), 'refused: x', 'a');
    await ledger.record(intent(), 'refused: x', 'b');
    expect(summaries()).toHaveLength(0);
    advance(WINDOW);
    await vi.advanceTimersByTimeAsync(WINDOW);
    expect(summaries().map((s) => s.reason)).toEqual([expect.stringMatching(/^1 further refusal of alice suppressed/)]);
    // Written once: a flush after the timer has nothing left to say.
    await ledger.flush();
    expect(summaries()).toHaveLength(1);
  });

  it('judges the end of a window by its clock, so a timer that fires early does not reopen the budget', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { ledger, written, summaries } = setup(1);
    await ledger.record(intent(), 'refused: x', 'a');
    await ledger.record(intent(), 'refused: x', 'b');
    // Real time passes, the ledger's clock does not (a frozen or stepped clock): the window is still open.
    await vi.advanceTimersByTimeAsync(3 * WINDOW);
    expect(summaries()).toHaveLength(0);
    await ledger.record(intent(), 'refused: x', 'c');
    expect(written).toHaveLength(1);
    await ledger.flush();
    expect(summaries().map((s) => s.reason)).toEqual([expect.stringMatching(/^2 further refusals of alice suppressed/)]);
  });

  it('writes pending summaries on flush (close), and a write failure is reported, not thrown', async () => {
    let failing = true;
    const errors: unknown[] = [];
    const reasons: string[] = [];
    const ledger = createDenialLedger({
      windowMs: WINDOW,
      budget: 1,
      clock: () => 5,
      write: (_i, reason) => {
        if (failing) throw new Error('disk full');
        reasons.push(reason);
        return Promise.resolve();
      },
      onError: (error) => errors.push(error),
    });
    await expect(ledger.record(intent(), 'refused: x', 'a')).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    await ledger.record(intent(), 'refused: x', 'b');
    failing = false;
    await ledger.flush();
    expect(reasons).toEqual([expect.stringMatching(/^1 further refusal of alice suppressed/)]);
  });
});
