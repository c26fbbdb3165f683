import { failedCallVerdict, instanceVerdict, operationStatus, readEcsAnswer, readKeyPairReadings } from './outcomes';

describe('reading what a mutating call did per instance', () => {
  const ok = (InstanceId: string) => ({ InstanceId, Code: '200', Message: 'successful', Success: true });

  it('reads a partial AttachKeyPair per instance', () => {
    const read = readEcsAnswer('AttachKeyPair', ['i-a', 'i-b'], 200, {
      RequestId: 'R1',
      Results: { Result: [ok('i-a'), { InstanceId: 'i-b', Code: 'DependencyViolation.WindowsInstance', Success: 'false' }] },
    });
    expect(read).toMatchObject({ status: 'partial', requestId: 'R1' });
    expect(read.instances).toEqual([
      { InstanceId: 'i-a', ok: true, Code: '200', Message: 'successful' },
      { InstanceId: 'i-b', ok: false, Code: 'DependencyViolation.WindowsInstance' },
    ]);
  });

  it('calls an instance ECS did not report unknown: neither a success nor a failure', () => {
    const none = readEcsAnswer('AttachKeyPair', ['i-a', 'i-b'], 200, { RequestId: 'R' });
    expect(none.status).toBe('unknown');
    expect(none.instances.map(instanceVerdict)).toEqual(['unknown', 'unknown']);
    expect(none.instances[0]).toMatchObject({ InstanceId: 'i-a', ok: false, Code: 'Console.NoResult', unknown: true });
    const half = readEcsAnswer('AttachKeyPair', ['i-a', 'i-b'], 200, { Results: { Result: [ok('i-a')] } });
    expect(half.status).toBe('partial');
    expect(half.instances.map(instanceVerdict)).toEqual(['succeeded', 'unknown']);
  });

  it('does not take "200 but Success false" for a success', () => {
    const read = readEcsAnswer('AttachKeyPair', ['i-a'], 200, {
      Results: { Result: [{ InstanceId: 'i-a', Code: '200', Success: 'false' }] },
    });
    expect(read.instances.map(instanceVerdict)).toEqual(['failed']);
    expect(read.status).toBe('failed');
  });

  it('ignores results for instances that were not asked about', () => {
    const read = readEcsAnswer('RebootInstances', ['i-a'], 200, {
      InstanceResponses: {
        InstanceResponse: [
          { InstanceId: 'i-a', Code: '200' },
          { InstanceId: 'i-zzz', Code: '200' },
        ],
      },
    });
    expect(read.instances.map((i) => i.InstanceId)).toEqual(['i-a']);
    expect(read.status).toBe('succeeded');
  });

  it('marks every instance failed with the code of a definite request-level refusal', () => {
    expect(readEcsAnswer('StartInstance', ['i-a'], 403, { RequestId: 'R', Code: 'IncorrectInstanceStatus', Message: 'no' })).toEqual({
      status: 'failed',
      requestId: 'R',
      errorCode: 'IncorrectInstanceStatus',
      errorMessage: 'no',
      instances: [{ InstanceId: 'i-a', ok: false, Code: 'IncorrectInstanceStatus', Message: 'no' }],
    });
  });

  // The whole rule in one table: what came back for a mutating call, and what each instance then is.
  it.each([
    // Definite refusals by ECS: nothing was applied.
    ['ECS refuses the key pair', 404, { Code: 'InvalidKeyPairName.NotFound', RequestId: 'R' }, 'failed'],
    ['ECS refuses bad parameters', 400, { Code: 'InvalidInstanceIds.ValueNotSupported' }, 'failed'],
    ['ECS throttles', 400, { Code: 'Throttling.User' }, 'failed'],
    ['ECS refuses a Windows instance', 403, { Code: 'DependencyViolation.WindowsInstance' }, 'failed'],
    ['a 5xx that carries a specific ECS refusal', 500, { Code: 'InstanceNotReady' }, 'failed'],
    ['a 429 with no body', 429, {}, 'failed'],
    // The proxy's own refusals: nothing was sent.
    ['the proxy could not write the audit intent', 503, { Code: 'Proxy.AuditUnavailable' }, 'failed'],
    ['the proxy could not reach ECS', 502, { Code: 'Proxy.UpstreamUnreachable' }, 'failed'],
    ['the proxy refused the caller', 403, { Code: 'Proxy.Forbidden' }, 'failed'],
    ['the proxy ran out of time before sending', 503, { Code: 'Proxy.Timeout' }, 'failed'],
    // No definite answer from ECS: the change may have been applied.
    ['no reply at all', 0, {}, 'unknown'],
    ['the proxy timed out after sending, or the connection was reset', 504, { Code: 'Proxy.OutcomeUnknown' }, 'unknown'],
    ['ECS InternalError', 500, { Code: 'InternalError', RequestId: 'R' }, 'unknown'],
    ['ECS UnknownError', 400, { Code: 'UnknownError' }, 'unknown'],
    ['ECS ServiceUnavailable after the proxy stopped retrying', 503, { Code: 'ServiceUnavailable' }, 'unknown'],
    ['ECS ServiceUnavailable.RegionMaintaining', 503, { Code: 'ServiceUnavailable.RegionMaintaining' }, 'unknown'],
    ['a gateway 500 without an ECS code', 500, {}, 'unknown'],
    ['a gateway 502 without an ECS code', 502, { message: 'Bad Gateway' }, 'unknown'],
    ['a bare 503', 503, {}, 'unknown'],
    ['a 4xx without any ECS code', 400, {}, 'unknown'],
    ['an upstream answer that did not parse', 502, { Code: 'Proxy.BadUpstreamResponse' }, 'unknown'],
    ['a reply the browser could not parse', 200, { Code: 'Proxy.BadResponse' }, 'unknown'],
    ['the proxy failed after it may have sent', 500, { Code: 'Proxy.InternalError' }, 'unknown'],
    ['a 200 error envelope with InternalError', 200, { Code: 'InternalError' }, 'unknown'],
    ['a 200 error envelope with a definite refusal', 200, { Code: 'InvalidKeyPairName.NotFound' }, 'failed'],
  ] as const)('%s (HTTP %i) → %s', (_what, status, body, expected) => {
    const read = readEcsAnswer('AttachKeyPair', ['i-a', 'i-b'], status, body);
    expect(read.status).toBe(expected);
    expect(read.instances.map(instanceVerdict)).toEqual([expected, expected]);
    expect(read.instances.every((i) => !i.ok && i.Code === read.errorCode)).toBe(true);
    expect(failedCallVerdict(status, 'Code' in body ? body.Code : undefined)).toBe(expected);
  });

  it('reads a single Reboot/Start the same way as a batch', () => {
    expect(readEcsAnswer('RebootInstance', ['i-a'], 200, { RequestId: 'R' })).toMatchObject({
      status: 'succeeded',
      instances: [{ ok: true }],
    });
    expect(readEcsAnswer('RebootInstance', ['i-a'], 502, {}).instances.map(instanceVerdict)).toEqual(['unknown']);
  });

  it('reads records written before the unknown flag existed by their codes', () => {
    expect(instanceVerdict({ ok: false, Code: 'Proxy.OutcomeUnknown' })).toBe('unknown');
    expect(instanceVerdict({ ok: false, Code: 'Console.NoResult' })).toBe('unknown');
    expect(instanceVerdict({ ok: false, Code: 'IncorrectInstanceStatus' })).toBe('failed');
  });

  it('folds instances into the operation status: unknown wins over failed, any success makes it partial', () => {
    const s = { ok: true, Code: '200' };
    const f = { ok: false, Code: 'IncorrectInstanceStatus' };
    const u = { ok: false, Code: 'InternalError', unknown: true };
    expect(operationStatus([s, s])).toBe('succeeded');
    expect(operationStatus([s, f])).toBe('partial');
    expect(operationStatus([s, u])).toBe('partial');
    expect(operationStatus([f, u])).toBe('unknown');
    expect(operationStatus([f, f])).toBe('failed');
  });
});

describe('reading key pairs back after an attach of unknown outcome', () => {
  const answer = {
    RequestId: 'R',
    Instances: {
      Instance: [
        { InstanceId: 'i-a', KeyPairName: 'ops' },
        { InstanceId: 'i-b', KeyPairName: 'old' },
        { InstanceId: 'i-c' },
        { InstanceId: 'i-zzz', KeyPairName: 'ops' },
      ],
    },
  };

  it('says per instance whether it now carries the key pair, and skips instances the answer does not list', () => {
    expect(readKeyPairReadings('ops', ['i-a', 'i-b', 'i-c', 'i-d'], 200, answer)).toEqual([
      { InstanceId: 'i-a', KeyPairName: 'ops', attached: true },
      { InstanceId: 'i-b', KeyPairName: 'old', attached: false },
      { InstanceId: 'i-c', KeyPairName: '', attached: false },
    ]);
  });

  it('learns nothing from a failed read or an empty list', () => {
    expect(readKeyPairReadings('ops', ['i-a'], 500, answer)).toEqual([]);
    expect(readKeyPairReadings('ops', ['i-a'], 200, { RequestId: 'R', Instances: { Instance: [] } })).toEqual([]);
  });
});
