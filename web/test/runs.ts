import type { z } from 'zod';
import type { CreateRun, Run } from '#ecs/runs-api';
import { mockModel } from '../mocks/node';

/**
 * Test helpers for the run pages: runs created in the mock console (web/mocks/runs-model.ts) from the seeded
 * fleet, a held simulator clock so a run waits at a known step, and a wait for a run's end.
 */

export const REGION = 'cn-hangzhou';
/** An operator who may look but not change anything. */
export const READ_ONLY = ['DescribeRegions', 'DescribeInstances', 'DescribeKeyPairs', 'DescribeInstanceStatus'];

/** Linux instances a run attaches to without a skip: no operation lock, settled, not already on `keyPairName`. */
export function linux(status: 'Running' | 'Stopped', keyPairName = 'ops-team'): { InstanceId: string; InstanceName: string }[] {
  return mockModel.simulator
    .instancesIn(REGION)
    .filter(
      (i) =>
        i.OSType === 'linux' && i.Status === status && (i.OperationLocks.LockReason ?? []).length === 0 && i.KeyPairName !== keyPairName,
    );
}

export function windows(): { InstanceId: string; InstanceName: string } {
  const found = mockModel.simulator.instancesIn(REGION).find((i) => i.OSType === 'windows' && i.Status === 'Running');
  if (!found) throw new Error('the seeded fleet has no running Windows instance');
  return found;
}

/** What a client sends (the schema's input: the waves' settings may be left to their defaults). */
type RunInput = z.input<typeof CreateRun>;

export function createRun(input: Partial<RunInput> & Pick<RunInput, 'InstanceIds'>): Run {
  const answer = mockModel.runs.create({
    RegionId: REGION,
    kind: 'attach',
    KeyPairName: 'ops-team',
    policy: { stopped: 'leave', running: { mode: 'leave' } },
    ...input,
  });
  if (answer.status !== 201) throw new Error(`the mock refused the run: ${JSON.stringify(answer.body)}`);
  return answer.body as Run;
}

export function runNow(id: string): Run {
  return mockModel.runs.get(id).body as Run;
}

/** Waits (in the model, not on screen) until the run is final. */
export async function finished(id: string): Promise<Run> {
  for (let i = 0; i < 1000; i++) {
    const run = runNow(id);
    if (['completed', 'completed_with_failures', 'cancelled'].includes(run.state)) return run;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`run ${id} did not finish`);
}

/**
 * Stops the simulator's clock 10 s ahead (instances of the fresh fleet mid-transition settle), so a reboot sent
 * now waits for the test: the run sits in its wave until `release()` lets the clock run on from where it stands.
 * vi.restoreAllMocks() undoes it.
 */
export function holdSimulatorClock(): { release: () => void } {
  const options = mockModel.simulator.options;
  const at = options.now() + 10_000;
  const spy = vi.spyOn(options, 'now').mockImplementation(() => at);
  return {
    release: () => {
      const offset = at - Date.now();
      spy.mockImplementation(() => Date.now() + offset);
    },
  };
}

/** Quick boots, so a wave is over in a few polls of the health gate. */
export function quickBoots(): void {
  mockModel.simulator.setControl({ transitionMs: { stopping: 20, starting: 40 } });
}
