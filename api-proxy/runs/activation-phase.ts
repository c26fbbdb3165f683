import { LIMITS } from '../../ecs/contract';
import { instanceVerdict } from '../../ecs/outcomes';
import { DEFAULT_HEALTH_TIMEOUT_MS, type ActivationPolicy, type RunInstance } from '../../ecs/runs-api';
import { planWaves } from '../../ecs/waves';
import type { StoredRunInstance } from '../audit';
import { chunks, inPages, nestedList, type RunDriver } from './driver';

/**
 * The activation phase (docs/product.md#step-7-activation): a key pair takes effect at the next boot
 * (docs/ecs-notes.md#reboot-and-start). Stopped instances are started (StartInstances, ≤ 100 per call) or left
 * pending; running ones are left pending or rebooted in waves (ecs/waves.ts, the plan the review previewed),
 * RebootInstances ≤ 100 per call with `BatchOptimization=SuccessFirst`, each wave gated on its instances being
 * Running again before the next, failures past the budget pausing the run. The instances it starts pass the same
 * health gate before the waves begin: Running within the waves policy's `healthTimeoutMs` (10 minutes without
 * one), or they fail with the gate's codes.
 *
 * "active" rests on the accepted reboot or start only (evidence `inferred-reboot` / `inferred-start`): nothing
 * yet verifies on the instance that the new key logs in.
 */

/** Not Running within the health gate's timeout (a reboot of a wave, or a start). */
export const GATE_TIMEOUT_CODE = 'Console.HealthGateTimeout';
/** Stopped where it should have come up: a reboot that ended Stopped, or a start that went back to Stopped. */
export const DID_NOT_BOOT_CODE = 'Console.DidNotBoot';

type WavesPolicy = Extract<ActivationPolicy['running'], { mode: 'waves' }>;

/** The rows ready for activation: attached by this run, or (an activation run) re-checked as pending. */
function ready(driver: RunDriver): StoredRunInstance[] {
  return driver.inState(driver.run.kind === 'attach' ? 'attached' : 'queued');
}

/** Decides, once, what each ready row gets: pending, a start, or a wave; plans the waves. */
export async function planActivation(driver: RunDriver): Promise<void> {
  const { policy } = driver.run;
  const rows = ready(driver).filter((r) => r.wave === undefined);
  const leave = rows.filter((r) => (r.statusBefore === 'Stopped' ? policy.stopped === 'leave' : policy.running.mode === 'leave'));
  const changed = driver.set(
    leave.map((r) => r.InstanceId),
    { state: 'pending' },
  );
  if (policy.running.mode === 'waves' && driver.run.waves.length === 0) {
    const running = rows.filter((r) => r.statusBefore === 'Running');
    const plan = planWaves(running, { size: policy.running.size, oneZoneAtATime: policy.running.oneZoneAtATime });
    plan.waves.forEach((ids, i) => changed.push(...driver.set(ids, { wave: i + 1 })));
    driver.run = { ...driver.run, waves: plan.waves.map((ids, i) => ({ index: i + 1, size: ids.length, state: 'waiting', failures: 0 })) };
  }
  await driver.save(changed, { kind: 'state', detail: `activation planned: ${driver.run.waves.length} wave(s)` });
}

/**
 * Starts the stopped instances the policy starts, then gates them: a start that ECS accepted has only begun
 * (docs/ecs-notes.md#reboot-and-start), so an instance is active once it is Running. The gate also waits on
 * starts a previous process sent (engine.ts, restart), and runs on while the run is paused or cancelled: what it
 * waits on was sent.
 */
export async function startPhase(driver: RunDriver): Promise<void> {
  const { running } = driver.run.policy;
  const timeoutMs = running.mode === 'waves' ? running.healthTimeoutMs : DEFAULT_HEALTH_TIMEOUT_MS;
  const stopped = ready(driver).filter((r) => r.statusBefore === 'Stopped' && r.wave === undefined);
  for (const ids of chunks(
    stopped.map((r) => r.InstanceId),
    LIMITS.batchInstanceIds,
  )) {
    if (!(await driver.mayContinue())) break;
    // The gate's clock starts with the first start and is kept with the run, so a restart keeps the deadline.
    if (driver.run.startGateSince === undefined) driver.run = { ...driver.run, startGateSince: driver.deps.clock() };
    await sendBoot(driver, 'StartInstances', ids, undefined);
  }
  await healthGate(driver, {
    members: (r) => r.wave === undefined,
    evidence: 'inferred-start',
    timeoutMs,
    startedAt: driver.run.startGateSince ?? driver.deps.clock(),
    label: 'start',
    late: `Not Running within ${Math.round(timeoutMs / 1000)} s of its start.`,
    down: 'The instance went back to Stopped instead of reaching Running.',
  });
}

/**
 * Sends a reboot or start for `ids` (≤ 100). Rows are durably 'activating' with the intent's id before the call;
 * refused ones become 'activation_failed' here, accepted ones stay 'activating' for the health gate. Returns the
 * accepted IDs.
 */
async function sendBoot(
  driver: RunDriver,
  name: 'RebootInstances' | 'StartInstances',
  ids: string[],
  forceReboot: boolean | undefined,
): Promise<string[]> {
  const params: Record<string, unknown> = { RegionId: driver.run.regionId, InstanceId: ids, BatchOptimization: 'SuccessFirst' };
  if (forceReboot === true) params['ForceReboot'] = true;
  const accepted: string[] = [];
  await driver.mutate(name, params, ids, {
    // Durable with the operation id, in the intent's transaction (attach-phase.ts says why).
    begun: (operationId) => driver.set(ids, { state: 'activating', operationId }),
    answered: ({ read }) => {
      const changed: StoredRunInstance[] = [];
      for (const instance of read.instances) {
        const row = driver.rows.get(instance.InstanceId);
        if (row === undefined) continue;
        const requestIds = read.requestId === undefined ? row.requestIds : [...row.requestIds, read.requestId];
        if (instanceVerdict(instance) === 'succeeded') {
          accepted.push(instance.InstanceId);
          changed.push(...driver.set([instance.InstanceId], { requestIds }));
        } else {
          // Unknown counts as a failure of the wave: the health gate cannot wait on a reboot that may not exist.
          changed.push(
            ...driver.set([instance.InstanceId], {
              state: 'activation_failed',
              Code: instance.Code,
              ...(instance.Message ? { Message: instance.Message } : {}),
              requestIds,
            }),
          );
        }
      }
      const detail = `${name === 'StartInstances' ? 'start' : 'reboot'}: ${accepted.length} of ${ids.length} accepted`;
      return { rows: changed, event: { kind: 'instances', detail } };
    },
  });
  return accepted;
}

/**
 * Reads statuses (DescribeInstanceStatus, one page of 50 per call, pages in flight up to the region's cap);
 * `undefined` for an ID not read.
 */
export async function readStatuses(driver: RunDriver, ids: readonly string[]): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  await inPages(chunks(ids, LIMITS.describeInstanceStatusPageSize), driver.options.readsInFlight, async (chunk) => {
    const outcome = await driver.read('DescribeInstanceStatus', {
      RegionId: driver.run.regionId,
      InstanceId: chunk,
      PageSize: LIMITS.describeInstanceStatusPageSize,
    });
    if (outcome.kind !== 'response' || outcome.status < 200 || outcome.status >= 300) return true;
    for (const s of nestedList(outcome.body, 'InstanceStatuses', 'InstanceStatus')) {
      if (typeof s['InstanceId'] === 'string' && typeof s['Status'] === 'string') statuses.set(s['InstanceId'], s['Status']);
    }
    return true;
  });
  return statuses;
}

/** What one health gate waits on, and the words of its failures. */
interface GateSpec {
  /** The activating rows it waits on. */
  members: (row: StoredRunInstance) => boolean;
  evidence: NonNullable<RunInstance['evidence']>;
  timeoutMs: number;
  startedAt: number;
  /** Names the gate in the run's events ("wave 2", "start"). */
  label: string;
  /** The message of GATE_TIMEOUT_CODE and of DID_NOT_BOOT_CODE. */
  late: string;
  down: string;
}

/**
 * The health gate: polls until every instance it waits on is Running (active), Stopped where it should have
 * come up (failed at once), or the timeout passes (failed). A reboot never passes through Stopped, so Stopped
 * fails it at once; a started instance is Stopped to begin with, so only going back to Stopped after it was
 * seen leaving it fails a start early. Reads only, so it runs on while paused or cancelling: the boots it waits
 * on were sent.
 */
async function healthGate(driver: RunDriver, gate: GateSpec): Promise<void> {
  const deadline = gate.startedAt + gate.timeoutMs;
  const isStart = gate.evidence === 'inferred-start';
  const leftStopped = new Set<string>();
  const waiting = () => driver.inState('activating').filter(gate.members);
  for (;;) {
    const now = waiting();
    if (now.length === 0) return;
    const statuses = await readStatuses(
      driver,
      now.map((r) => r.InstanceId),
    );
    for (const [id, status] of statuses) if (status !== 'Stopped') leftStopped.add(id);
    const up = now.filter((r) => statuses.get(r.InstanceId) === 'Running').map((r) => r.InstanceId);
    const down = now
      .filter((r) => statuses.get(r.InstanceId) === 'Stopped' && (!isStart || leftStopped.has(r.InstanceId)))
      .map((r) => r.InstanceId);
    const changed = [
      ...driver.set(up, { state: 'active', evidence: gate.evidence }),
      ...driver.set(down, { state: 'activation_failed', Code: DID_NOT_BOOT_CODE, Message: gate.down }),
    ];
    if (driver.deps.clock() >= deadline) {
      const late = waiting().map((r) => r.InstanceId);
      changed.push(...driver.set(late, { state: 'activation_failed', Code: GATE_TIMEOUT_CODE, Message: gate.late }));
    }
    if (changed.length > 0) {
      await driver.save(changed, { kind: 'instances', detail: `${gate.label}: ${up.length} ${isStart ? 'running' : 'back'}` });
    }
    if (waiting().length > 0) await driver.sleep(driver.options.pollMs);
  }
}

export async function wavesPhase(driver: RunDriver): Promise<void> {
  const policy = driver.run.policy.running;
  if (policy.mode !== 'waves') return;
  for (const wave of driver.run.waves) {
    if (wave.state === 'done' || wave.state === 'failed' || wave.state === 'skipped') continue;
    const members = () => driver.all().filter((r) => r.wave === wave.index);
    const unsent = members().filter((r) => r.state === 'attached' || r.state === 'queued');
    // A wave a restart finds under way only has its gate left for what was sent, and sends the rest.
    if (unsent.length > 0 && !(await driver.mayContinue())) return;
    const startedAt = wave.startedAt ?? driver.deps.clock();
    setWave(driver, wave.index, { state: 'rebooting', startedAt });
    await driver.save([], { kind: 'wave', detail: `wave ${wave.index} of ${driver.run.waves.length}: rebooting ${wave.size}` });
    for (const ids of chunks(
      unsent.map((r) => r.InstanceId),
      LIMITS.batchInstanceIds,
    ))
      await sendBoot(driver, 'RebootInstances', ids, policy.forceReboot);
    await healthGate(driver, {
      members: (r) => r.wave === wave.index,
      evidence: 'inferred-reboot',
      timeoutMs: policy.healthTimeoutMs,
      startedAt,
      label: `wave ${wave.index}`,
      late: `Not Running again within ${Math.round(policy.healthTimeoutMs / 1000)} s.`,
      down: 'The instance stopped instead of coming back to Running.',
    });
    const failures = members().filter((r) => r.state === 'activation_failed').length;
    setWave(driver, wave.index, { state: failures > 0 ? 'failed' : 'done', endedAt: driver.deps.clock(), failures });
    await budget(driver, policy, wave.index, failures);
    const isLast = wave.index === driver.run.waves.length;
    if (!isLast && policy.pauseBetweenWavesMs > 0 && driver.run.state === 'running') await driver.sleep(policy.pauseBetweenWavesMs);
  }
}

function setWave(driver: RunDriver, index: number, patch: Partial<StoredRunWave>): void {
  driver.run = { ...driver.run, waves: driver.run.waves.map((w) => (w.index === index ? { ...w, ...patch } : w)) };
}

type StoredRunWave = RunDriver['run']['waves'][number];

/** Failures past the budget pause the run with the reason; the next waves stay unsent until resumed. */
async function budget(driver: RunDriver, policy: WavesPolicy, wave: number, failures: number): Promise<void> {
  const counted = (driver.run.budgetFailures ?? 0) + failures;
  driver.run = { ...driver.run, budgetFailures: counted };
  const event = { kind: 'wave' as const, detail: `wave ${wave}: ${failures} failure(s)` };
  if (counted > policy.failureBudget && driver.run.state === 'running') {
    driver.run = {
      ...driver.run,
      state: 'paused',
      pausedReason: `${counted} activation failure(s), past the failure budget of ${policy.failureBudget} (wave ${wave})`,
    };
    await driver.save([], event);
    await driver.save([], { kind: 'state', detail: driver.run.pausedReason });
    return;
  }
  await driver.save([], event);
}
