import { previewActivation } from '@web/lib/activation-preview';
import { activationTargetsOf, buildPlan, needsTypedConfirmation, outcomeOf } from './plan';

const target = (InstanceId: string, Status: string, KeyPairName?: string, pendingKeyPairName?: string) => ({
  InstanceId,
  InstanceName: InstanceId,
  Status,
  KeyPairName,
  ZoneId: undefined,
  pendingKeyPairName,
});

describe('the review plan', () => {
  it('says per instance what happens to its key pair and when the new one takes effect', () => {
    const plan = buildPlan(
      [
        target('i-1', 'Running', 'old'),
        target('i-2', 'Stopped', 'ops'),
        target('i-3', 'Running'),
        target('i-4', 'Starting', 'old'),
        target('i-5', 'Stopped', 'other'),
      ],
      'ops',
    );
    expect(plan.rows.map((r) => [r.keyChange, r.effect])).toEqual([
      ['replace', 'afterReboot'],
      ['same', 'afterStart'],
      ['none', 'afterReboot'],
      ['replace', 'starting'],
      ['replace', 'afterStart'],
    ]);
    expect(plan.counts).toEqual({ replace: 3, same: 1, none: 1, afterReboot: 2, afterStart: 2, transitional: 1 });
    expect(plan.replaced).toEqual([
      { KeyPairName: 'old', count: 2 },
      { KeyPairName: 'other', count: 1 },
    ]);
  });

  it('treats an empty KeyPairName as none (ECS sends empty or absent)', () => {
    expect(buildPlan([target('i-1', 'Running', '')], 'ops').counts.none).toBe(1);
  });

  it('says what the run does to each instance, by the re-check’s rules', () => {
    const plan = buildPlan(
      [
        target('i-1', 'Running', 'old'),
        target('i-2', 'Stopped', 'ops'),
        target('i-3', 'Running', 'ops', 'ops'),
        target('i-4', 'Starting', 'old'),
        target('i-5', 'Stopped'),
        target('i-6', 'Running'),
      ],
      'ops',
    );
    // Activated if every attach succeeds: not i-2 (already has it, nothing pending) nor i-4 (not settled).
    const targets = activationTargetsOf(plan, 'ops');
    expect(targets.map((t) => t.InstanceId)).toEqual(['i-1', 'i-3', 'i-5', 'i-6']);
    const waves = {
      mode: 'waves',
      size: { kind: 'count', value: 2 },
      oneZoneAtATime: false,
      healthTimeoutMs: 600_000,
      failureBudget: 0,
      pauseBetweenWavesMs: 0,
      forceReboot: false,
    } as const;
    const preview = previewActivation(targets, { stopped: 'start', running: waves });
    expect(plan.rows.map((row) => outcomeOf(row, 'ops', preview))).toEqual([
      { kind: 'attach', then: { kind: 'wave', wave: 1 } },
      { kind: 'no-change' },
      { kind: 'activate-only', then: { kind: 'wave', wave: 1 } },
      { kind: 'not-settled' },
      { kind: 'attach', then: { kind: 'start' } },
      { kind: 'attach', then: { kind: 'wave', wave: 2 } },
    ]);
    // While the policy is invalid there is no activation to name.
    expect(outcomeOf(plan.rows[0]!, 'ops', undefined)).toEqual({ kind: 'attach', then: undefined });
  });

  it('asks for typed confirmation above 20 instances', () => {
    expect(needsTypedConfirmation(20)).toBe(false);
    expect(needsTypedConfirmation(21)).toBe(true);
  });
});
