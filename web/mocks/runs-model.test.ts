import type { Run, RunInstance } from '#ecs/runs-api';
import { createConsoleModel } from './console-model';

/** The mock run engine must behave like the proxy's where the screens depend on it: waves, skips, controls. */
describe('runs in the mock console', () => {
  const setup = () => {
    const model = createConsoleModel({ instances: 150 });
    model.simulator.setControl({ transitionMs: { stopping: 20, starting: 40 } });
    const answer = model.ecs('DescribeInstances', { RegionId: 'cn-hangzhou', MaxResults: 100 });
    const all = (answer.body as { Instances: { Instance: Record<string, unknown>[] } }).Instances.Instance;
    const linux = (status: string) =>
      all.filter(
        (i) => i['OSType'] === 'linux' && i['Status'] === status && !(i['OperationLocks'] as { LockReason: unknown[] }).LockReason.length,
      );
    return { model, linux };
  };
  const until = async (model: ReturnType<typeof createConsoleModel>, id: string, sample?: () => void): Promise<Run> => {
    for (let i = 0; i < 400; i++) {
      sample?.();
      const run = model.runs.get(id).body as Run;
      if (['completed', 'completed_with_failures', 'cancelled'].includes(run.state)) return run;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('run did not finish');
  };

  it('attaches, then reboots in waves: never more instances down than a wave', async () => {
    const { model, linux } = setup();
    const running = linux('Running')
      .filter((i) => i['KeyPairName'] !== 'ops-team')
      .slice(0, 7)
      .map((i) => String(i['InstanceId']));
    const created = model.runs.create({
      RegionId: 'cn-hangzhou',
      kind: 'attach',
      KeyPairName: 'ops-team',
      InstanceIds: running,
      policy: { stopped: 'leave', running: { mode: 'waves', size: { kind: 'count', value: 3 } } },
    });
    expect(created.status).toBe(201);
    let maxDown = 0;
    const run = await until(model, (created.body as Run).id, () => {
      const statuses = model.simulator.statusesOf(running);
      maxDown = Math.max(maxDown, statuses.filter((s) => s !== 'Running').length);
    });
    expect(run.state).toBe('completed');
    expect(run.waves.map((w) => w.size)).toEqual([3, 3, 1]);
    expect(maxDown).toBeLessThanOrEqual(3);
    const rows = (model.runs.instances(run.id, new URLSearchParams()).body as { items: RunInstance[] }).items;
    expect(rows.every((r) => r.state === 'active' && r.evidence === 'inferred-reboot')).toBe(true);
    expect((model.pending('cn-hangzhou').body as { Pending: unknown[] }).Pending).toEqual([]);
    // Like the proxy's, the activity records of the calls a run sent name the run.
    const records = (model.activity(new URLSearchParams()).body as { items: { action: string; runId?: string }[] }).items;
    expect(records.map((r) => r.action).sort()).toEqual(['AttachKeyPair', 'RebootInstances', 'RebootInstances', 'RebootInstances']);
    expect(records.every((r) => r.runId === run.id)).toBe(true);
  });

  it('skips instances that already have the key and leaves others pending', async () => {
    const { model, linux } = setup();
    const has = linux('Running').find((i) => i['KeyPairName'] !== undefined && i['KeyPairName'] !== '');
    const other = linux('Stopped').find((i) => i['KeyPairName'] !== has?.['KeyPairName']);
    if (!has || !other) throw new Error('fleet has no candidates');
    const created = model.runs.create({
      RegionId: 'cn-hangzhou',
      kind: 'attach',
      KeyPairName: String(has['KeyPairName']),
      InstanceIds: [String(has['InstanceId']), String(other['InstanceId'])],
      policy: { stopped: 'leave', running: { mode: 'leave' } },
    });
    const run = await until(model, (created.body as Run).id);
    expect(run.counts).toEqual({ skipped: 1, pending: 1 });
  });

  it('refuses a run the session may not send', () => {
    const { model } = setup();
    model.setSession({ allowedActions: ['DescribeInstances', 'AttachKeyPair'] });
    const answer = model.runs.create({
      RegionId: 'cn-hangzhou',
      kind: 'activate',
      InstanceIds: ['i-abc'],
      policy: { stopped: 'start', running: { mode: 'leave' } },
    });
    expect(answer.status).toBe(403);
  });
});
