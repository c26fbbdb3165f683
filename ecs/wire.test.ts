import { InstanceStatus, actions } from './contract';
import { OperationStatus } from './console-api';
import {
  ACTION_NAMES,
  ACTIONS,
  INSTANCE_ID_PATTERN,
  INSTANCE_STATUSES,
  isTransitionalStatus,
  MUTATING_ACTIONS,
  OPERATION_STATUSES,
  OUTCOME_STATUSES,
  REGION_ID_PATTERN,
  SETTLED_STATUSES,
  TRANSITIONAL_STATUSES,
} from './wire';

describe('the catalogue (ecs/wire.ts)', () => {
  it('is what the schemas are built from', () => {
    expect(Object.keys(actions)).toEqual(ACTION_NAMES);
    for (const name of ACTION_NAMES) {
      expect({ mutating: actions[name].mutating, regional: actions[name].regional }).toEqual(ACTIONS[name]);
    }
    expect(InstanceStatus.options).toEqual([...INSTANCE_STATUSES]);
    expect(OperationStatus.options).toEqual([...OPERATION_STATUSES]);
  });

  it('audits exactly the calls that change something', () => {
    expect(MUTATING_ACTIONS).toEqual(['AttachKeyPair', 'RebootInstance', 'StartInstance', 'RebootInstances', 'StartInstances']);
  });

  it('splits the instance states into settled and transitional, and knows nothing else as transitional', () => {
    expect([...SETTLED_STATUSES, ...TRANSITIONAL_STATUSES].sort()).toEqual([...INSTANCE_STATUSES].sort());
    expect(TRANSITIONAL_STATUSES.every(isTransitionalStatus)).toBe(true);
    expect([...SETTLED_STATUSES, 'Expired', '', undefined].some(isTransitionalStatus)).toBe(false);
  });

  it('reads outcomes as operation statuses that are neither pending nor denied', () => {
    expect(OPERATION_STATUSES.filter((s) => s !== 'pending' && s !== 'denied')).toEqual([...OUTCOME_STATUSES]);
  });

  it('accepts region and instance IDs as ECS writes them, and nothing that could steer a host', () => {
    for (const id of ['cn-hangzhou', 'ap-southeast-1', 'cn-shanghai-finance-1']) expect(REGION_ID_PATTERN.test(id)).toBe(true);
    for (const id of ['ecs.evil.example', 'cn-hangzhou/x', 'user@cn-hangzhou', 'CN-HANGZHOU', 'cn', ''])
      expect(REGION_ID_PATTERN.test(id)).toBe(false);
    expect(INSTANCE_ID_PATTERN.test('i-bp67acfmxazb4p')).toBe(true);
    for (const id of ['i-', 'I-ABC', 'i-a.b', 'bp67acfmxazb4p']) expect(INSTANCE_ID_PATTERN.test(id)).toBe(false);
  });
});
