import { ActivationPolicy, RUN_MAX_INSTANCES } from '#ecs/runs-api';
import {
  defaultActivationForm,
  MAX_RUN_INSTANCES,
  previewActivation,
  readActivationForm,
  singleActivationPolicy,
  waveSizeRuns,
  type ActivationForm,
  type ActivationTarget,
} from './activation-preview';

const running = (n: number, zone = (i: number) => `zone-${i % 2 === 0 ? 'a' : 'b'}`): ActivationTarget[] =>
  Array.from({ length: n }, (_, i) => ({ InstanceId: `i-run${i}`, Status: 'Running', ZoneId: zone(i) }));
const stopped = (n: number): ActivationTarget[] => Array.from({ length: n }, (_, i) => ({ InstanceId: `i-stop${i}`, Status: 'Stopped' }));

const waves = (patch: Partial<ActivationForm>): ActivationForm => ({ ...defaultActivationForm('attach'), running: 'waves', ...patch });
const policyOf = (form: ActivationForm): ActivationPolicy => {
  const read = readActivationForm(form);
  if (read.policy === undefined) throw new Error(`invalid: ${read.issues.map((i) => i.key).join(', ')}`);
  return read.policy;
};

describe('the activation form', () => {
  it('by default leaves everything pending on an attach, and the proxy accepts what it builds', () => {
    const policy = policyOf(defaultActivationForm('attach'));
    expect(policy).toEqual({ stopped: 'leave', running: { mode: 'leave' } });
    expect(ActivationPolicy.parse(policy)).toEqual(policy);
  });

  it('by default starts and reboots in waves of 10 on an activation, with a 10 min gate and no failure tolerated', () => {
    const policy = policyOf(defaultActivationForm('activate'));
    expect(policy).toEqual({
      stopped: 'start',
      running: {
        mode: 'waves',
        size: { kind: 'count', value: 10 },
        oneZoneAtATime: false,
        healthTimeoutMs: 600_000,
        failureBudget: 0,
        pauseBetweenWavesMs: 0,
        forceReboot: false,
      },
    });
    expect(ActivationPolicy.parse(policy)).toEqual(policy);
  });

  it('turns units into milliseconds and keeps every choice', () => {
    const policy = policyOf(
      waves({
        sizeKind: 'percent',
        size: '25',
        oneZoneAtATime: true,
        healthTimeout: '90',
        healthTimeoutUnit: 's',
        failureBudget: '3',
        pauseBetweenWaves: '2',
        pauseUnit: 'min',
        forceReboot: true,
      }),
    );
    expect(policy.running).toEqual({
      mode: 'waves',
      size: { kind: 'percent', value: 25 },
      oneZoneAtATime: true,
      healthTimeoutMs: 90_000,
      failureBudget: 3,
      pauseBetweenWavesMs: 120_000,
      forceReboot: true,
    });
    expect(ActivationPolicy.parse(policy)).toEqual(policy);
  });

  it.each([
    [{ size: '0' }, 'countRange'],
    [{ size: '2.5' }, 'countRange'],
    [{ size: '' }, 'countRange'],
    [{ size: '10001' }, 'countRange'],
    [{ sizeKind: 'percent', size: '0.5' }, 'percentRange'],
    [{ sizeKind: 'percent', size: '101' }, 'percentRange'],
    [{ healthTimeout: '9', healthTimeoutUnit: 's' }, 'timeoutRange'],
    [{ healthTimeout: '61' }, 'timeoutRange'],
    [{ healthTimeout: 'abc' }, 'timeoutRange'],
    [{ failureBudget: '-1' }, 'budgetRange'],
    [{ failureBudget: '1.5' }, 'budgetRange'],
    [{ pauseBetweenWaves: '61', pauseUnit: 'min' }, 'pauseRange'],
    [{ pauseBetweenWaves: '-1' }, 'pauseRange'],
  ] as const)('refuses %o (%s), which the proxy would refuse too', (patch, key) => {
    const form = waves(patch);
    const read = readActivationForm(form);
    expect(read.policy).toBeUndefined();
    expect(read.issues.map((i) => i.key)).toEqual([key]);
  });

  it('accepts the bounds themselves: 1 instance, 1 % and 100 %, 10 s and 60 min, an empty pause', () => {
    for (const form of [
      waves({ size: '1' }),
      waves({ size: String(MAX_RUN_INSTANCES) }),
      waves({ sizeKind: 'percent', size: '1' }),
      waves({ sizeKind: 'percent', size: '100' }),
      waves({ healthTimeout: '10', healthTimeoutUnit: 's' }),
      waves({ healthTimeout: '60', healthTimeoutUnit: 'min' }),
      waves({ pauseBetweenWaves: '' }),
    ])
      expect(ActivationPolicy.safeParse(policyOf(form)).success).toBe(true);
    expect(MAX_RUN_INSTANCES).toBe(RUN_MAX_INSTANCES);
  });

  it('ignores the wave fields when running instances are left pending', () => {
    expect(readActivationForm({ ...defaultActivationForm('attach'), size: '0', stopped: 'start' }).policy).toEqual({
      stopped: 'start',
      running: { mode: 'leave' },
    });
  });

  it('activates one instance from the list: a start, or a reboot alone with the default gate', () => {
    expect(singleActivationPolicy('Stopped')).toEqual({ stopped: 'start', running: { mode: 'leave' } });
    const reboot = singleActivationPolicy('Running');
    expect(reboot.running).toMatchObject({ mode: 'waves', size: { kind: 'count', value: 1 }, healthTimeoutMs: 600_000, failureBudget: 0 });
    expect(ActivationPolicy.parse(reboot)).toEqual(reboot);
  });
});

describe('the activation preview', () => {
  it('waves by count: 25 running in waves of 10 are 10, 10, 5', () => {
    const preview = previewActivation(running(25), policyOf(waves({ size: '10' })));
    expect(preview.waves.map((w) => w.ids.length)).toEqual([10, 10, 5]);
    expect(preview.maxAtOnce).toBe(10);
    expect(preview.byInstance.get('i-run0')).toEqual({ kind: 'wave', wave: 1 });
    expect(preview.byInstance.get('i-run24')).toEqual({ kind: 'wave', wave: 3 });
    expect(preview.zoneRuns).toEqual([]);
  });

  it('waves by percent round up: 25 running at 30 % are waves of 8', () => {
    const preview = previewActivation(running(25), policyOf(waves({ sizeKind: 'percent', size: '30' })));
    expect(preview.waves.map((w) => w.ids.length)).toEqual([8, 8, 8, 1]);
    expect(preview.maxAtOnce).toBe(8);
  });

  it('one zone at a time: no wave mixes zones, the larger zone goes first, and says which waves reboot where', () => {
    const targets = running(7, (i) => (i < 5 ? 'zone-b' : 'zone-a'));
    const preview = previewActivation(targets, policyOf(waves({ size: '2', oneZoneAtATime: true })));
    expect(preview.waves.map((w) => [w.ids.length, w.zones])).toEqual([
      [2, ['zone-b']],
      [2, ['zone-b']],
      [1, ['zone-b']],
      [2, ['zone-a']],
    ]);
    expect(preview.zoneRuns).toEqual([
      { zone: 'zone-b', from: 1, to: 3 },
      { zone: 'zone-a', from: 4, to: 4 },
    ]);
    // Without it, a wave may hold both zones.
    const mixed = previewActivation(targets, policyOf(waves({ size: '6' })));
    expect(mixed.waves[0]?.zones).toEqual(['zone-b', 'zone-a']);
  });

  it('counts the stopped to start or to leave, and the running left pending', () => {
    const targets = [...running(3), ...stopped(4), { InstanceId: 'i-busy', Status: 'Starting' }];
    const left = previewActivation(targets, policyOf(defaultActivationForm('attach')));
    expect([left.startCount, left.leaveStoppedCount, left.leaveRunningCount, left.waves.length]).toEqual([0, 4, 3, 0]);
    expect(left.byInstance.get('i-stop0')).toEqual({ kind: 'leave' });
    // A transitional instance is not activated: the run's re-check skips it.
    expect(left.byInstance.has('i-busy')).toBe(false);
    const started = previewActivation(targets, policyOf({ ...defaultActivationForm('attach'), stopped: 'start' }));
    expect([started.startCount, started.leaveStoppedCount]).toEqual([4, 0]);
    expect(started.byInstance.get('i-stop3')).toEqual({ kind: 'start' });
  });

  it('shortens long lists of wave sizes', () => {
    const preview = previewActivation(running(995), policyOf(waves({ size: '10' })));
    expect(waveSizeRuns(preview.waves)).toEqual([
      { size: 10, repeat: 99 },
      { size: 5, repeat: 1 },
    ]);
  });
});
