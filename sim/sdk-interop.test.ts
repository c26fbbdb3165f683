import Ecs, * as $Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil, ClientError, ThrottlingError } from '@alicloud/openapi-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseKeyScriptOutput } from '../ecs/key-script';
import { ecsFingerprint, parsePublicKey } from '../ecs/ssh-keys';
import { createSimulator } from './model/simulator';
import type { SimInstance, Simulator } from './model/simulator';
import { keyScriptRequest, readyInstances, unb64 } from './model/test-support';
import { createSimServer } from './http/server';
import type { SimServer } from './http/server';

/**
 * The official SDK (@alicloud/ecs20140526 over @alicloud/openapi-core) as a real client of the simulated ECS:
 * if the SDK's own signer, request shapes and response parsing all work against the simulator, then the
 * simulator's signature checks and wire format are faithful enough for the proxy to be tested against it.
 * Both signing modes: V3 (the SDK default, docs/ecs-notes.md#signature-v3) and V1
 * (`signatureAlgorithm: 'v2'`, docs/ecs-notes.md#signature-v1).
 *
 * Only 127.0.0.1 is ever dialled: the endpoint is the simulator's port. The SDK's transport (httpx via
 * @darabonba/typescript doAction) does not read HTTP(S)_PROXY from the environment — it proxies only when
 * Config.httpProxy is set — so proxy variables in CI cannot reroute these calls.
 */

const AK = 'interop-access-key';
const SK = 'interop-access-secret';
const STS_AK = 'interop-sts-key';
const STS_SK = 'interop-sts-secret';
const STS_TOKEN = 'interop-sts-token';
const REGION = 'cn-hangzhou';

let simulator: Simulator;
let sim: SimServer;
let endpoint: string;
let baseUrl: string;

beforeAll(async () => {
  simulator = createSimulator({ seed: 'sdk-interop', instances: 45 });
  sim = createSimServer({
    simulator,
    accessKeys: { [AK]: SK, [STS_AK]: STS_SK },
    securityTokens: { [STS_AK]: STS_TOKEN },
  });
  const { port, url } = await sim.listen(0);
  endpoint = `127.0.0.1:${port}`;
  baseUrl = url;
});

afterAll(async () => {
  await sim.close();
});

type Mode = 'v3' | 'v1';

function client(
  mode: Mode,
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string } = { accessKeyId: AK, accessKeySecret: SK },
): Ecs {
  return new Ecs(
    new $OpenApiUtil.Config({
      ...credentials,
      endpoint,
      protocol: 'http',
      regionId: REGION,
      ...(mode === 'v1' ? { signatureAlgorithm: 'v2' } : {}),
      // One attempt per call: the tests want to see each error, not the SDK retrying it. A plain object of the
      // RetryOptions shape, so the test need not import @darabonba/typescript (the SDK's own dependency).
      retryOptions: { retryable: false, retryCondition: [], noRetryCondition: [] },
      readTimeout: 5_000,
      connectTimeout: 2_000,
    }),
  );
}

function pick(predicate: (i: SimInstance) => boolean, count: number): string[] {
  const found = simulator
    .instancesIn(REGION)
    .filter((i) => (i.OperationLocks.LockReason ?? []).length === 0 && predicate(i))
    .slice(0, count)
    .map((i) => i.InstanceId);
  if (found.length < count) throw new Error('the seeded test fleet lacks the instances this test needs');
  return found;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe.each<Mode>(['v3', 'v1'])('official SDK against the simulator (%s signing)', (mode) => {
  beforeEach(async () => {
    await fetch(`${baseUrl}/__sim/reset`, { method: 'POST' });
  });

  it('DescribeRegions parses into the SDK model', async () => {
    const res = await client(mode).describeRegions(new $Ecs.DescribeRegionsRequest({ acceptLanguage: 'en-US' }));
    expect(res.statusCode).toBe(200);
    expect(res.body?.requestId).toMatch(/^[0-9A-F-]{36}$/);
    const regions = res.body?.regions?.region ?? [];
    expect(regions.map((r) => r.regionId)).toContain(REGION);
    expect(regions.find((r) => r.regionId === REGION)?.localName).toBe('China (Hangzhou)');
  });

  it('DescribeInstances pages through the whole region with NextToken', async () => {
    const ecs = client(mode);
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const res = await ecs.describeInstances(
        new $Ecs.DescribeInstancesRequest({ regionId: REGION, maxResults: 20, ...(nextToken ? { nextToken } : {}) }),
      );
      const instances = res.body?.instances?.instance ?? [];
      expect(instances.length).toBeLessThanOrEqual(20);
      for (const instance of instances) {
        expect(instance.instanceId).toMatch(/^i-/);
        expect(['Running', 'Stopped', 'Starting', 'Stopping', 'Pending']).toContain(instance.status);
        expect(['linux', 'windows']).toContain(instance.OSType);
        expect(instance.regionId).toBe(REGION);
        seen.push(instance.instanceId ?? '');
      }
      nextToken = res.body?.nextToken || undefined;
      pages += 1;
    } while (nextToken !== undefined && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(45);
    expect([...seen].sort()).toEqual(
      simulator
        .instancesIn(REGION)
        .map((i) => i.InstanceId)
        .sort(),
    );
  });

  it('DescribeInstances filters by InstanceIds (a JSON array string)', async () => {
    const ids = pick((i) => i.OSType === 'linux', 2);
    const res = await client(mode).describeInstances(
      new $Ecs.DescribeInstancesRequest({ regionId: REGION, instanceIds: JSON.stringify(ids) }),
    );
    expect((res.body?.instances?.instance ?? []).map((i) => i.instanceId).sort()).toEqual([...ids].sort());
  });

  it('DescribeKeyPairs and DescribeInstanceStatus parse into the SDK models', async () => {
    const ecs = client(mode);
    const keyPairs = await ecs.describeKeyPairs(new $Ecs.DescribeKeyPairsRequest({ regionId: REGION, pageSize: 50 }));
    const names = (keyPairs.body?.keyPairs?.keyPair ?? []).map((k) => k.keyPairName);
    expect(names).toContain('ops-team');
    expect(keyPairs.body?.totalCount).toBe(names.length);

    const ids = pick(() => true, 3);
    const statuses = await ecs.describeInstanceStatus(new $Ecs.DescribeInstanceStatusRequest({ regionId: REGION, instanceId: ids }));
    const rows = statuses.body?.instanceStatuses?.instanceStatus ?? [];
    expect(rows.map((r) => r.instanceId).sort()).toEqual([...ids].sort());
    for (const row of rows) expect(row.status).toBe(simulator.instance(row.instanceId ?? '')?.Status);
  });

  it('AttachKeyPair succeeds per instance and reports a Windows target as a failed entry', async () => {
    const [running, stopped] = [
      pick((i) => i.OSType === 'linux' && i.Status === 'Running', 1)[0],
      pick((i) => i.OSType === 'linux' && i.Status === 'Stopped', 1)[0],
    ];
    const [windows] = pick((i) => i.OSType === 'windows' && (i.Status === 'Running' || i.Status === 'Stopped'), 1);
    const res = await client(mode).attachKeyPair(
      new $Ecs.AttachKeyPairRequest({
        regionId: REGION,
        keyPairName: 'ops-team',
        instanceIds: JSON.stringify([running, stopped, windows]),
      }),
    );
    expect(res.statusCode).toBe(200);
    // The model declares these as strings; the SDK's cast turns the simulator's numbers and booleans into
    // strings, exactly as docs/ecs-notes.md#loose-types describes for the real service.
    expect(res.body?.totalCount).toBe('3');
    expect(res.body?.failCount).toBe('1');
    expect(res.body?.keyPairName).toBe('ops-team');
    const results = res.body?.results?.result ?? [];
    const byId = new Map(results.map((r) => [r.instanceId, r]));
    for (const id of [running, stopped]) {
      expect(byId.get(id)).toMatchObject({ success: 'true', code: '200', message: 'successful' });
      expect(simulator.instance(id ?? '')?.KeyPairName).toBe('ops-team');
    }
    expect(byId.get(windows)).toMatchObject({ success: 'false', code: 'DependencyViolation.WindowsInstance' });
  });

  it('RebootInstance, StartInstance, RebootInstances and StartInstances drive the state machine', async () => {
    const ecs = client(mode);
    const [runningA, runningB] = pick((i) => i.OSType === 'linux' && i.Status === 'Running', 2);
    const [stoppedA, stoppedB] = pick((i) => i.OSType === 'linux' && i.Status === 'Stopped', 2);

    const reboot = await ecs.rebootInstance(new $Ecs.RebootInstanceRequest({ instanceId: runningA }));
    expect(reboot.statusCode).toBe(200);
    expect(reboot.body?.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(simulator.instance(runningA ?? '')?.Status).toBe('Stopping');

    const start = await ecs.startInstance(new $Ecs.StartInstanceRequest({ instanceId: stoppedA }));
    expect(start.statusCode).toBe(200);
    expect(simulator.instance(stoppedA ?? '')?.Status).toBe('Starting');

    const reboots = await ecs.rebootInstances(new $Ecs.RebootInstancesRequest({ regionId: REGION, instanceId: [runningB ?? ''] }));
    expect(reboots.body?.instanceResponses?.instanceResponse?.[0]).toMatchObject({
      instanceId: runningB,
      code: '200',
      previousStatus: 'Running',
    });

    const starts = await ecs.startInstances(
      new $Ecs.StartInstancesRequest({
        regionId: REGION,
        instanceId: [stoppedB ?? '', 'i-doesnotexist'],
        batchOptimization: 'SuccessFirst',
      }),
    );
    const entries = starts.body?.instanceResponses?.instanceResponse ?? [];
    expect(entries.find((e) => e.instanceId === stoppedB)).toMatchObject({ code: '200', previousStatus: 'Stopped' });
    expect(entries.find((e) => e.instanceId === 'i-doesnotexist')?.code).toBe('InvalidInstanceId.NotFound');

    const again = await caught(ecs.startInstance(new $Ecs.StartInstanceRequest({ instanceId: stoppedA })));
    expect(again).toBeInstanceOf(ClientError);
    expect(again).toMatchObject({ code: 'IncorrectInstanceStatus', statusCode: 403 });
  });

  it('DescribeKeyPairs with IncludePublicKey parses the OpenSSH line, whose MD5 is KeyPairFingerPrint', async () => {
    const ecs = client(mode);
    const plain = await ecs.describeKeyPairs(new $Ecs.DescribeKeyPairsRequest({ regionId: REGION, keyPairName: 'ops-team' }));
    expect(plain.body?.keyPairs?.keyPair?.[0]?.publicKey).toBeUndefined();
    const res = await ecs.describeKeyPairs(
      new $Ecs.DescribeKeyPairsRequest({ regionId: REGION, keyPairName: 'ops-team', includePublicKey: true }),
    );
    const pair = res.body?.keyPairs?.keyPair?.[0];
    expect(pair?.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ ops-team$/);
    expect(pair?.keyPairFingerPrint).toBe(ecsFingerprint(parsePublicKey(pair?.publicKey ?? '')));
    // The filter finds it by that fingerprint.
    const found = await ecs.describeKeyPairs(
      new $Ecs.DescribeKeyPairsRequest({ regionId: REGION, keyPairFingerPrint: pair?.keyPairFingerPrint }),
    );
    expect(found.body?.keyPairs?.keyPair?.map((k) => k.keyPairName)).toEqual(['ops-team']);
  });

  it('DescribeCloudAssistantStatus parses into the SDK model, by IDs and paged', async () => {
    const ecs = client(mode);
    const [id = ''] = readyInstances(simulator, REGION, 1);
    const res = await ecs.describeCloudAssistantStatus(
      new $Ecs.DescribeCloudAssistantStatusRequest({ regionId: REGION, instanceId: [id] }),
    );
    const row = res.body?.instanceCloudAssistantStatusSet?.instanceCloudAssistantStatus?.[0];
    expect(row).toMatchObject({
      instanceId: id,
      cloudAssistantStatus: 'true',
      OSType: 'Linux',
      activeTaskCount: 0,
    });
    expect(typeof row?.supportSessionManager).toBe('boolean');
    expect(row?.cloudAssistantVersion).toMatch(/^2\./);
    expect(Date.now() - Date.parse(row?.lastHeartbeatTime ?? '')).toBeLessThan(61_000);
    const page = await ecs.describeCloudAssistantStatus(new $Ecs.DescribeCloudAssistantStatusRequest({ regionId: REGION, maxResults: 20 }));
    expect(page.body?.instanceCloudAssistantStatusSet?.instanceCloudAssistantStatus).toHaveLength(20);
    expect(page.body?.totalCount).toBe(45);
    expect(page.body?.nextToken).toBeTruthy();
  });

  it('RunCommand (Parameters shrunk to one JSON string, Base64 content), then DescribeInvocations and DescribeInvocationResults', async () => {
    const ecs = client(mode);
    const patched = await fetch(`${baseUrl}/__sim/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ commandMs: { delivery: 5, run: 5 } }),
    });
    expect(patched.status).toBe(200);
    const [id = ''] = readyInstances(simulator, REGION, 1);
    const request = keyScriptRequest(REGION, [id], { mode: 'list' }, { ClientToken: `interop-${mode}` });
    const sent = new $Ecs.RunCommandRequest({
      regionId: request.RegionId,
      type: request.Type,
      commandContent: request.CommandContent,
      contentEncoding: request.ContentEncoding,
      instanceId: request.InstanceId,
      enableParameter: true,
      parameters: request.Parameters,
      timeout: 60,
      clientToken: request.ClientToken,
      name: 'interop-list',
    });
    const started = await ecs.runCommand(sent);
    expect(started.body?.commandId).toMatch(/^c-/);
    expect(started.body?.invokeId).toMatch(/^t-/);
    const invokeId = started.body?.invokeId ?? '';
    // The simulator read the one Parameters query parameter as the JSON object the SDK shrank.
    const wire = sim.requests().find((r) => r.action === 'RunCommand')?.params ?? {};
    expect(JSON.parse(wire['Parameters'] ?? '')).toEqual(request.Parameters);
    // The same ClientToken and parameters: the same invocation, not a second run.
    expect((await ecs.runCommand(sent)).body?.invokeId).toBe(invokeId);

    const finished = async () => {
      const res = await ecs.describeInvocationResults(new $Ecs.DescribeInvocationResultsRequest({ regionId: REGION, invokeId }));
      return res.body?.invocation?.invocationResults?.invocationResult?.[0];
    };
    await expect.poll(async () => (await finished())?.invocationStatus, { timeout: 2_000, interval: 10 }).toBe('Success');
    const result = await finished();
    expect(result).toMatchObject({ instanceId: id, invokeId, exitCode: 0, invokeRecordStatus: 'Finished', errorCode: '', dropped: 0 });
    expect(result?.finishedTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const out = parseKeyScriptOutput(unb64(result?.output ?? ''));
    expect(out).toMatchObject({ result: 'listed', user: 'root', file: '/root/.ssh/authorized_keys' });
    expect(out?.keys.map((k) => k.md5)).toEqual(
      (simulator.sshState(id)?.files.get('root') ?? []).map((line) => ecsFingerprint(parsePublicKey(line))),
    );

    const tasks = await ecs.describeInvocations(new $Ecs.DescribeInvocationsRequest({ regionId: REGION, invokeId, includeOutput: true }));
    const task = tasks.body?.invocations?.invocation?.[0];
    expect(tasks.body?.totalCount).toBe(1);
    expect(task).toMatchObject({
      invokeId,
      commandName: 'interop-list',
      invocationStatus: 'Success',
      invokeStatus: 'Finished',
      timeout: 60,
    });
    expect(JSON.parse(task?.parameters ?? '')).toEqual(request.Parameters);
    const row = task?.invokeInstances?.invokeInstance?.[0];
    expect(row).toMatchObject({ instanceId: id, invocationStatus: 'Success', exitCode: 0 });
    expect(row?.finishTime).toMatch(/Z$/);
    expect(unb64(row?.output ?? '')).toContain('RESULT=listed');
  });

  it('RunCommand takes a 24 KB script in the query and refuses one byte more with CmdContent.ExceedLimit', async () => {
    const [id = ''] = readyInstances(simulator, REGION, 1);
    const command = (bytes: number) =>
      new $Ecs.RunCommandRequest({ regionId: REGION, type: 'RunShellScript', commandContent: 'x'.repeat(bytes), instanceId: [id] });
    // 18,432 plain bytes are 24,576 characters of Base64: exactly ECS's limit.
    expect((await client(mode).runCommand(command(18_432))).body?.invokeId).toMatch(/^t-/);
    const error = await caught(client(mode).runCommand(command(18_433)));
    expect(error).toMatchObject({ code: 'CmdContent.ExceedLimit', statusCode: 403 });
  });

  it('RunCommand refuses the whole call when one agent is offline, as a ClientError the SDK parses', async () => {
    const [ok = '', silent = ''] = readyInstances(simulator, REGION, 2);
    await fetch(`${baseUrl}/__sim/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agents: { [silent]: 'offline' } }),
    });
    const request = keyScriptRequest(REGION, [ok, silent], { mode: 'list' });
    const error = await caught(
      client(mode).runCommand(
        new $Ecs.RunCommandRequest({
          regionId: REGION,
          type: request.Type,
          commandContent: request.CommandContent,
          contentEncoding: 'Base64',
          instanceId: request.InstanceId,
          enableParameter: true,
          parameters: request.Parameters,
        }),
      ),
    );
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'InvalidInstance.NotMatch', statusCode: 400 });
  });

  it('a wrong secret surfaces as a ClientError with code SignatureDoesNotMatch', async () => {
    const error = await caught(
      client(mode, { accessKeyId: AK, accessKeySecret: `${SK}x` }).describeRegions(new $Ecs.DescribeRegionsRequest({})),
    );
    if (!(error instanceof ClientError)) throw new Error(`expected a ClientError, got ${String(error)}`);
    expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 400, data: { Code: 'SignatureDoesNotMatch' } });
    // The SDK copies ECS's Message, which carries the server's string-to-sign (docs/ecs-notes.md#error-shape).
    expect(error.message).toContain('server string to sign is:');
  });

  it('an unknown AccessKeyId surfaces as InvalidAccessKeyId.NotFound', async () => {
    const error = await caught(
      client(mode, { accessKeyId: 'nobody', accessKeySecret: SK }).describeRegions(new $Ecs.DescribeRegionsRequest({})),
    );
    expect(error).toMatchObject({ code: 'InvalidAccessKeyId.NotFound' });
  });

  it('STS credentials: the token is sent and checked (and a wrong one refused)', async () => {
    const ok = await client(mode, { accessKeyId: STS_AK, accessKeySecret: STS_SK, securityToken: STS_TOKEN }).describeRegions(
      new $Ecs.DescribeRegionsRequest({}),
    );
    expect(ok.statusCode).toBe(200);
    const error = await caught(
      client(mode, { accessKeyId: STS_AK, accessKeySecret: STS_SK, securityToken: `${STS_TOKEN}x` }).describeRegions(
        new $Ecs.DescribeRegionsRequest({}),
      ),
    );
    expect(error).toMatchObject({ code: 'InvalidSecurityToken.MismatchWithAccessKey' });
  });

  it('throttling surfaces as the SDK ThrottlingError with retryAfter from x-acs-retry-after', async () => {
    const patched = await fetch(`${baseUrl}/__sim/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Windows are aligned to the clock; an hour-long one makes a boundary between the two calls vanishingly rare.
      body: JSON.stringify({ throttle: { limit: 1, windowMs: 3_600_000 }, throttleActions: ['DescribeKeyPairs'] }),
    });
    expect(patched.status).toBe(200);
    const ecs = client(mode);
    await ecs.describeKeyPairs(new $Ecs.DescribeKeyPairsRequest({ regionId: REGION }));
    const error = await caught(ecs.describeKeyPairs(new $Ecs.DescribeKeyPairsRequest({ regionId: REGION })));
    if (!(error instanceof ThrottlingError)) throw new Error(`expected a ThrottlingError, got ${String(error)}`);
    expect(error.code).toMatch(/^Throttling/);
    expect(error.statusCode).toBe(400);
    const retryAfter = error.retryAfter;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3_600_000);
    // Other actions are not throttled (docs/ecs-notes.md#throttling: limits are per API).
    expect((await ecs.describeRegions(new $Ecs.DescribeRegionsRequest({}))).statusCode).toBe(200);
  });
});
