import {
  ACTION_NAMES,
  actions,
  ecsActions,
  fromWire,
  INTERNAL_ACTION_NAMES,
  internalActions,
  isActionName,
  isEcsActionName,
  isResultOk,
  isTrue,
  toCount,
  toWire,
} from './contract';

describe('wire form', () => {
  it('sends InstanceIds as one JSON-array string for AttachKeyPair', () => {
    const wire = toWire('AttachKeyPair', { RegionId: 'cn-hangzhou', KeyPairName: 'ops-key', InstanceIds: ['i-a1', 'i-b2'] });
    expect(wire).toEqual({ RegionId: 'cn-hangzhou', KeyPairName: 'ops-key', InstanceIds: '["i-a1","i-b2"]' });
  });

  it('sends the batch calls as a repeat list, and tags as Tag.N.Key/Value', () => {
    expect(toWire('RebootInstances', { RegionId: 'cn-hangzhou', InstanceId: ['i-a1', 'i-b2'], ForceReboot: false })).toEqual({
      RegionId: 'cn-hangzhou',
      'InstanceId.1': 'i-a1',
      'InstanceId.2': 'i-b2',
      ForceReboot: 'false',
    });
    expect(
      toWire('DescribeInstances', { RegionId: 'cn-hangzhou', Tag: [{ Key: 'env', Value: 'prod' }, { Key: 'team' }], MaxResults: 100 }),
    ).toEqual({
      RegionId: 'cn-hangzhou',
      'Tag.1.Key': 'env',
      'Tag.1.Value': 'prod',
      'Tag.2.Key': 'team',
      MaxResults: '100',
    });
  });

  it('reads back what it writes, with list order kept past index 9', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `i-x${i}`);
    const request = { RegionId: 'cn-hangzhou', InstanceId: ids, BatchOptimization: 'SuccessFirst' as const, DryRun: true };
    expect(fromWire('StartInstances', toWire('StartInstances', request))).toEqual({ ok: true, value: request });
  });

  it('ignores parameters the action does not know, as ECS does', () => {
    const parsed = fromWire('RebootInstance', { InstanceId: 'i-a1', RegionId: 'cn-hangzhou', OwnerId: '1' });
    expect(parsed).toEqual({ ok: true, value: { InstanceId: 'i-a1' } });
  });

  it('names the missing or invalid parameter', () => {
    expect(fromWire('AttachKeyPair', { RegionId: 'cn-hangzhou', InstanceIds: '["i-a1"]' })).toMatchObject({
      ok: false,
      problem: { kind: 'missing', param: 'KeyPairName' },
    });
    expect(fromWire('AttachKeyPair', { RegionId: 'cn-hangzhou', KeyPairName: 'ops', InstanceIds: 'i-a1' })).toMatchObject({
      ok: false,
      problem: { kind: 'invalid', param: 'InstanceIds' },
    });
    const tooMany = JSON.stringify(Array.from({ length: 51 }, (_, i) => `i-x${i}`));
    expect(fromWire('AttachKeyPair', { RegionId: 'cn-hangzhou', KeyPairName: 'ops', InstanceIds: tooMany })).toMatchObject({
      ok: false,
      problem: { kind: 'invalid', param: 'InstanceIds' },
    });
  });
});

describe('the Cloud Assistant actions', () => {
  it('are internal: in the contract, never among the console’s own actions', () => {
    expect(INTERNAL_ACTION_NAMES).toEqual([
      'DescribeCloudAssistantStatus',
      'RunCommand',
      'DescribeInvocations',
      'DescribeInvocationResults',
    ]);
    for (const name of INTERNAL_ACTION_NAMES) {
      expect(isActionName(name)).toBe(false);
      expect(isEcsActionName(name)).toBe(true);
      expect(ACTION_NAMES).not.toContain(name);
      expect(Object.keys(actions)).not.toContain(name);
      expect(ecsActions[name]).toBe(internalActions[name]);
    }
    expect(isEcsActionName('InvokeCommand')).toBe(false);
    expect(internalActions.RunCommand.mutating).toBe(true);
  });

  it('send RunCommand’s Parameters as one JSON-object parameter and InstanceId as a repeat list, and read them back', () => {
    const request = {
      RegionId: 'cn-hangzhou',
      Type: 'RunShellScript' as const,
      CommandContent: 'ZWNobyB7e2F9fQ==',
      ContentEncoding: 'Base64',
      InstanceId: ['i-a1', 'i-b2'],
      EnableParameter: true,
      Parameters: { a: 'x', mode: 'list' },
      Timeout: 60,
    };
    const wire = toWire('RunCommand', request);
    expect(wire).toMatchObject({
      'InstanceId.1': 'i-a1',
      'InstanceId.2': 'i-b2',
      Parameters: '{"a":"x","mode":"list"}',
      EnableParameter: 'true',
      Timeout: '60',
    });
    expect(fromWire('RunCommand', wire)).toEqual({ ok: true, value: request });
    expect(fromWire('RunCommand', { ...wire, Parameters: '{"a":' })).toMatchObject({
      ok: false,
      problem: { param: 'Parameters', issue: 'invalid_json' },
    });
    const tooMany = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`InstanceId.${i + 1}`, `i-x${i}`]));
    expect(fromWire('RunCommand', { ...wire, ...tooMany })).toMatchObject({
      ok: false,
      problem: { param: 'InstanceId', issue: 'too_big' },
    });
  });

  it('read IncludePublicKey as a boolean, and the SDK’s string forms of the answers', () => {
    expect(fromWire('DescribeKeyPairs', { RegionId: 'cn-hangzhou', IncludePublicKey: 'true' })).toEqual({
      ok: true,
      value: { RegionId: 'cn-hangzhou', IncludePublicKey: true },
    });
    const status = {
      RequestId: 'r',
      InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: [{ InstanceId: 'i-a', CloudAssistantStatus: true }] },
    };
    expect(internalActions.DescribeCloudAssistantStatus.response.safeParse(status).success).toBe(true);
    const results = {
      RequestId: 'r',
      Invocation: {
        TotalCount: '1',
        InvocationResults: { InvocationResult: [{ InvokeId: 't-a', InstanceId: 'i-a', InvocationStatus: 'Success', ExitCode: '0' }] },
      },
    };
    expect(internalActions.DescribeInvocationResults.response.safeParse(results).success).toBe(true);
  });
});

describe('request schemas refuse anything that could steer a host', () => {
  it.each([
    'evil.com',
    'a/b',
    'x@y',
    'cn-hangzhou.evil.com',
    ':8080',
    'cn-hangzhou:8080',
    'cn-hängzhou',
    'CN-HANGZHOU',
    `cn-${'a'.repeat(80)}`,
    '',
  ])('RegionId %j', (RegionId) => {
    expect(actions.DescribeInstances.request.safeParse({ RegionId }).success).toBe(false);
  });

  it('accepts real region IDs', () => {
    for (const RegionId of ['cn-hangzhou', 'ap-southeast-1', 'cn-qingdao-nebula', 'us-west-1']) {
      expect(actions.DescribeInstances.request.safeParse({ RegionId }).success).toBe(true);
    }
  });

  it('refuses extra parameters in the structured form', () => {
    expect(actions.DescribeRegions.request.safeParse({ Action: 'DeleteInstance' }).success).toBe(false);
  });
});

describe('loose response types', () => {
  it('accepts the documented example with numbers and booleans, and the SDK form with strings', () => {
    const docs = {
      TotalCount: 2,
      FailCount: 0,
      RequestId: '4ADF7A06-66BD-4FBF-A2ED-2364E41D8C06',
      Results: { Result: [{ InstanceId: 'i-m5eg7be9ndloji64jknv', Code: '200', Message: 'successful', Success: true }] },
    };
    const sdk = { ...docs, TotalCount: '2', FailCount: '0', Results: { Result: [{ InstanceId: 'i-a', Code: 200, Success: 'true' }] } };
    expect(actions.AttachKeyPair.response.parse(docs).Results?.Result?.[0]?.InstanceId).toBe('i-m5eg7be9ndloji64jknv');
    expect(actions.AttachKeyPair.response.safeParse(sdk).success).toBe(true);
  });

  it('reads counts, flags and result codes defensively', () => {
    expect(toCount('3')).toBe(3);
    expect(toCount(undefined)).toBe(0);
    expect(toCount('x')).toBe(0);
    expect(isTrue('TRUE')).toBe(true);
    expect(isTrue(false)).toBe(false);
    expect(isResultOk({ Code: 200, Success: 'true' })).toBe(true);
    expect(isResultOk({ Code: '200', Success: false })).toBe(false);
    expect(isResultOk({ Code: 'DependencyViolation.WindowsInstance', Success: 'false' })).toBe(false);
  });
});
