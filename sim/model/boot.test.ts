import { createSimulator } from './simulator';
import type { SimOptions, Simulator } from './simulator';
import { callOk, fakeClock, findInstance, findInstances, isPlainLinux } from './test-support';
import type { FakeClock } from './test-support';

// Reading many instances' statuses at one instant: what a health-gated reboot wave is tested against.

const HZ = 'cn-hangzhou';

/** A fleet whose construction-time transitions have already finished. */
function setup(options: SimOptions = {}): { sim: Simulator; clock: FakeClock } {
  const clock = fakeClock();
  const sim = createSimulator({ instances: 300, now: clock.now, ...options });
  clock.advance(60_000);
  return { sim, clock };
}

const running = (sim: Simulator, count: number) => findInstances(sim, HZ, isPlainLinux('Running'), count).map((i) => i.InstanceId);
const stopped = (sim: Simulator, count: number) => findInstances(sim, HZ, isPlainLinux('Stopped'), count).map((i) => i.InstanceId);

describe('statusesOf (a sampler for tests)', () => {
  it('answers in the order asked, undefined for unknown IDs, at one instant of the lazy state machine', () => {
    const { sim, clock } = setup();
    const [a = '', b = ''] = running(sim, 2);
    const [c = ''] = stopped(sim, 1);
    const frankfurt = findInstance(sim, 'eu-central-1', isPlainLinux('Running')).InstanceId;
    callOk(sim, 'RebootInstance', { InstanceId: a });
    expect(sim.statusesOf([c, 'i-nope', a, frankfurt, b])).toEqual(['Stopped', undefined, 'Stopping', 'Running', 'Running']);
    clock.advance(1500);
    expect(sim.statusesOf([a])).toEqual(['Starting']);
    expect(sim.statusesOf([a])[0]).toBe(sim.instance(a)?.Status);
    clock.advance(2500);
    expect(sim.statusesOf([a, b])).toEqual(['Running', 'Running']);
    expect(sim.statusesOf([])).toEqual([]);
  });

});
