import { INSTANCE_STATES, RUN_STATES, SKIP_REASONS } from '#ecs/runs-api';
import { actionsOfRun, controlsFor, INSTANCE_STATE_ORDER, RUN_STATE_LIST, SKIP_REASON_LIST } from './states';

/** The app's zod-free copies of the runs API's lists must not drift from the schemas. */
describe('the run states the pages know', () => {
  it('are exactly the API’s states and skip reasons', () => {
    expect([...RUN_STATE_LIST].sort()).toEqual([...RUN_STATES].sort());
    expect([...INSTANCE_STATE_ORDER].sort()).toEqual([...INSTANCE_STATES].sort());
    expect([...SKIP_REASON_LIST].sort()).toEqual([...SKIP_REASONS].sort());
  });

  it('ask for the actions the proxy asks roles for', () => {
    const leave = { stopped: 'leave', running: { mode: 'leave' } } as const;
    const waves = {
      mode: 'waves',
      size: { kind: 'count', value: 5 },
      oneZoneAtATime: false,
      healthTimeoutMs: 600_000,
      failureBudget: 0,
      pauseBetweenWavesMs: 0,
      forceReboot: false,
    } as const;
    expect(actionsOfRun({ kind: 'attach', policy: leave })).toEqual(['AttachKeyPair']);
    expect(actionsOfRun({ kind: 'attach', policy: { stopped: 'start', running: waves } })).toEqual([
      'AttachKeyPair',
      'StartInstances',
      'RebootInstances',
    ]);
    expect(actionsOfRun({ kind: 'activate', policy: leave })).toEqual(['RebootInstances']);
  });

  it('offer pause, resume and cancel only where the engine accepts them', () => {
    expect(controlsFor('running')).toEqual({ pause: true, resume: false, cancel: true });
    expect(controlsFor('paused')).toEqual({ pause: false, resume: true, cancel: true });
    for (const state of ['cancelling', 'cancelled', 'completed', 'completed_with_failures'] as const)
      expect(controlsFor(state)).toEqual({ pause: false, resume: false, cancel: false });
  });
});
