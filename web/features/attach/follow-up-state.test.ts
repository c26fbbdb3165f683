import { afterCall, afterPoll, REBOOT_GRACE_MS, type FollowUpState } from './follow-up-state';

describe('follow-up state', () => {
  it('calls a reboot done only after the instance left Running and came back', () => {
    let state: FollowUpState = afterCall('reboot', { InstanceId: 'i-1', status: 'succeeded', requestId: 'R' }, 0);
    state = afterPoll(state, 'Running', 1000);
    expect(state.kind).toBe('waiting');
    state = afterPoll(state, 'Stopping', 2000);
    state = afterPoll(state, 'Running', 3000);
    expect(state).toEqual({ kind: 'active', action: 'reboot', requestId: 'R' });
  });

  it('trusts a batch answer that already says the instance is stopping', () => {
    const state = afterCall('reboot', { InstanceId: 'i-1', status: 'succeeded', currentStatus: 'Stopping' }, 0);
    expect(afterPoll(state, 'Running', 100).kind).toBe('active');
  });

  it('takes a long-Running instance as rebooted after the grace period, unless the call outcome was unknown', () => {
    const sent = afterCall('reboot', { InstanceId: 'i-1', status: 'succeeded' }, 0);
    expect(afterPoll(sent, 'Running', REBOOT_GRACE_MS).kind).toBe('active');
    const unknown = afterCall('reboot', { InstanceId: 'i-1', status: 'unknown', code: 'Proxy.OutcomeUnknown' }, 0);
    expect(afterPoll(unknown, 'Running', REBOOT_GRACE_MS).kind).toBe('waiting');
  });

  it('calls a start done when the instance is Running', () => {
    const state = afterCall('start', { InstanceId: 'i-1', status: 'succeeded' }, 0);
    expect(afterPoll(afterPoll(state, 'Starting', 1), 'Running', 2).kind).toBe('active');
  });

  it('keeps a failed call with its code', () => {
    expect(
      afterCall('start', { InstanceId: 'i-1', status: 'failed', code: 'IncorrectInstanceStatus', message: 'm', requestId: 'R' }, 0),
    ).toEqual({
      kind: 'failed',
      action: 'start',
      code: 'IncorrectInstanceStatus',
      message: 'm',
      requestId: 'R',
    });
  });
});
