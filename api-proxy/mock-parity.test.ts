import { createConsoleModel, type ConsoleModel } from '../web/mocks/console-model';
import { instanceVerdict, readEcsAnswer } from '../ecs/outcomes';
import { isActionName } from '../ecs/contract';
import { createTestProxy, jsonFromConsole, type TestProxy } from './test-support';

/**
 * The msw model (web/mocks/console-model.ts) is what most web tests and `npm run dev:mock` run against. This
 * runs one script of calls through it and through the real proxy (inject() over the simulated ECS, same seed
 * and size) and compares what the web app would read, so the mock cannot drift from the proxy's rules.
 */

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface Door {
  ecs(action: string, body: unknown): Promise<Answer>;
  get(path: string): Promise<Answer>;
}

function proxyDoor(proxy: TestProxy): Door {
  return {
    async ecs(action, body) {
      const res = await proxy.app.inject({
        method: 'POST',
        url: `/api/ecs/${action}`,
        headers: jsonFromConsole,
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
    },
    async get(path) {
      const res = await proxy.app.inject({ method: 'GET', url: path });
      return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
    },
  };
}

function modelDoor(model: ConsoleModel): Door {
  return {
    ecs: (action, body) => Promise.resolve(model.ecs(action, body) as Answer),
    get(path) {
      const url = new URL(path, 'http://console');
      const answer = url.pathname === '/api/pending' ? model.pending(url.searchParams.get('RegionId')) : model.activity(url.searchParams);
      return Promise.resolve(answer as Answer);
    },
  };
}

type Instance = {
  InstanceId: string;
  InstanceName: string;
  OSType: string;
  KeyPairName?: string;
  Status: string;
  OperationLocks?: { LockReason?: unknown[] };
};

/** What the web app reads from each step, with request IDs, times and operation IDs left out. */
async function runScript(door: Door): Promise<unknown[]> {
  const seen: unknown[] = [];
  const regions = await door.ecs('DescribeRegions', {});
  seen.push({
    step: 'regions',
    status: regions.status,
    ids: ((regions.body['Regions'] as { Region: { RegionId: string }[] }).Region ?? []).map((r) => r.RegionId),
  });

  const page = await door.ecs('DescribeInstances', { RegionId: 'cn-hangzhou', PageNumber: 1, PageSize: 100 });
  const instances = (page.body['Instances'] as { Instance: Instance[] }).Instance;
  seen.push({
    step: 'instances',
    status: page.status,
    total: page.body['TotalCount'],
    rows: instances.map((i) => [i.InstanceId, i.OSType, i.KeyPairName ?? '']),
  });

  const keys = await door.ecs('DescribeKeyPairs', { RegionId: 'cn-hangzhou', PageSize: 50 });
  const keyNames = (keys.body['KeyPairs'] as { KeyPair: { KeyPairName: string }[] }).KeyPair.map((k) => k.KeyPairName);
  seen.push({ step: 'key pairs', status: keys.status, names: keyNames });

  const refusal = (answer: Answer) => ({ status: answer.status, Code: answer.body['Code'] });
  seen.push({ step: 'off-list action', ...refusal(await door.ecs('DeleteInstance', { RegionId: 'cn-hangzhou', InstanceId: 'i-x' })) });
  // The Cloud Assistant actions are the proxy's own: neither door lets a browser send one.
  for (const action of ['RunCommand', 'DescribeInvocations']) {
    const body = { RegionId: 'cn-hangzhou', Type: 'RunShellScript', CommandContent: 'id', InstanceId: ['i-x'] };
    seen.push({ step: `internal action ${action}`, ...refusal(await door.ecs(action, body)) });
  }
  seen.push({ step: 'unknown parameter', ...refusal(await door.ecs('DescribeInstances', { RegionId: 'cn-hangzhou', Bogus: 1 })) });
  seen.push({
    step: 'attach without a key pair',
    ...refusal(await door.ecs('AttachKeyPair', { RegionId: 'cn-hangzhou', InstanceIds: ['i-x'] })),
  });
  seen.push({ step: 'unknown region', ...refusal(await door.ecs('DescribeInstances', { RegionId: 'xx-nowhere-1' })) });
  seen.push({
    step: 'too many instances',
    ...refusal(
      await door.ecs('AttachKeyPair', {
        RegionId: 'cn-hangzhou',
        KeyPairName: 'k1',
        InstanceIds: Array.from({ length: 51 }, (_, i) => `i-p${i}`),
      }),
    ),
  });

  const isLocked = (i: Instance) => (i.OperationLocks?.LockReason?.length ?? 0) > 0;
  const linux = instances.find((i) => i.OSType === 'linux' && !isLocked(i) && i.Status === 'Running');
  const windows = instances.find((i) => i.OSType === 'windows');
  const key = keyNames.find((k) => k !== linux?.KeyPairName);
  if (!linux || !windows || !key) throw new Error('the seeded fleet lacks the instances this script needs');
  const targets = [linux.InstanceId, windows.InstanceId];
  const attach = await door.ecs('AttachKeyPair', { RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: targets });
  const read = readEcsAnswer('AttachKeyPair', targets, attach.status, attach.body);
  seen.push({ step: 'attach', status: attach.status, verdicts: read.instances.map((i) => [i.InstanceId, instanceVerdict(i), i.Code]) });

  const pendingOf = async () => {
    const answer = await door.get('/api/pending?RegionId=cn-hangzhou');
    const list = (answer.body['Pending'] as { InstanceId: string; keyPairName: string; mayBePending?: boolean }[]) ?? [];
    return { status: answer.status, pending: list.map((p) => [p.InstanceId, p.keyPairName, p.mayBePending ?? false]) };
  };
  seen.push({ step: 'pending after attach', ...(await pendingOf()) });
  seen.push({ step: 'pending without a region', status: (await door.get('/api/pending')).status });

  const reboot = await door.ecs('RebootInstance', { RegionId: 'cn-hangzhou', InstanceId: linux.InstanceId });
  seen.push({ step: 'reboot', status: reboot.status });
  seen.push({ step: 'pending after reboot', ...(await pendingOf()) });

  const activity = await door.get('/api/activity?limit=10');
  const items = (activity.body['items'] as { action: string; status: string; keyPairName?: string; instanceIds: string[] }[]) ?? [];
  seen.push({
    step: 'activity',
    status: activity.status,
    items: items.filter((i) => isActionName(i.action)).map((i) => [i.action, i.status, i.keyPairName ?? '', i.instanceIds]),
  });
  seen.push({
    step: 'activity by action',
    items: ((await door.get('/api/activity?action=RebootInstance')).body['items'] as unknown[]).length,
  });
  return seen;
}

describe('the msw model and the real proxy', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await createTestProxy();
  });
  afterAll(() => proxy.close());

  it('answer the same script of calls the same way', async () => {
    const viaProxy = await runScript(proxyDoor(proxy));
    const viaModel = await runScript(modelDoor(createConsoleModel({ instances: 150 })));
    expect(viaModel).toEqual(viaProxy);
  });
});
