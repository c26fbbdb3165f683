import { readEcsAnswer } from './outcomes';

describe('reading what a mutating call did per instance', () => {
  const ok = (InstanceId: string) => ({ InstanceId, Code: '200', Message: 'successful', Success: true });

  it('reads a partial AttachKeyPair per instance (ecs-api.md §0.3)', () => {
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

  it('does not call an answer without results a success', () => {
    expect(readEcsAnswer('AttachKeyPair', ['i-a', 'i-b'], 200, { RequestId: 'R' })).toMatchObject({
      status: 'unknown',
      instances: [
        { InstanceId: 'i-a', ok: false, Code: 'Console.NoResult' },
        { InstanceId: 'i-b', ok: false, Code: 'Console.NoResult' },
      ],
    });
    const half = readEcsAnswer('AttachKeyPair', ['i-a', 'i-b'], 200, { Results: { Result: [ok('i-a')] } });
    expect(half.status).toBe('partial');
    expect(half.instances[1]).toMatchObject({ InstanceId: 'i-b', ok: false, Code: 'Console.NoResult' });
  });

  it('ignores results for instances that were not asked about', () => {
    const read = readEcsAnswer('RebootInstances', ['i-a'], 200, {
      InstanceResponses: { InstanceResponse: [{ InstanceId: 'i-a', Code: '200' }, { InstanceId: 'i-zzz', Code: '200' }] },
    });
    expect(read.instances.map((i) => i.InstanceId)).toEqual(['i-a']);
    expect(read.status).toBe('succeeded');
  });

  it('marks every instance failed with the code of a request-level error', () => {
    expect(readEcsAnswer('StartInstance', ['i-a'], 403, { RequestId: 'R', Code: 'IncorrectInstanceStatus', Message: 'no' })).toMatchObject({
      status: 'failed',
      errorCode: 'IncorrectInstanceStatus',
      instances: [{ InstanceId: 'i-a', ok: false, Code: 'IncorrectInstanceStatus', Message: 'no' }],
    });
  });
});
