import { buildPlan, needsTypedConfirmation } from './plan';

const target = (InstanceId: string, Status: string, KeyPairName?: string) => ({
  InstanceId,
  InstanceName: InstanceId,
  Status,
  KeyPairName,
  ZoneId: undefined,
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

  it('asks for typed confirmation above 20 instances', () => {
    expect(needsTypedConfirmation(20)).toBe(false);
    expect(needsTypedConfirmation(21)).toBe(true);
  });
});
