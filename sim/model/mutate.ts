import type { InstanceStatus, RequestOf } from '../../ecs/contract';
import { EcsError, ecsErrors } from '../../ecs/errors';
import { lockReasons, requireRegion, schedule, settle } from './model';
import type { BootPlan, RegionState, Slot, World } from './model';

/**
 * The mutating actions: AttachKeyPair (docs/ecs-notes.md#attach-key-pair) and Start/Reboot, single and batch
 * (docs/ecs-notes.md#reboot-and-start).
 */

type Body = Record<string, unknown>;

/**
 * A passed dry run is reported as an error, with a different code for the single and batch APIs
 * (docs/ecs-notes.md#reboot-instance, docs/ecs-notes.md#batch-reboot-and-start).
 */
const dryRunOperation = () => new EcsError(400, 'DryRunOperation', 'Request validation has been passed with DryRun flag set.');
const dryRunSuccess = () => new EcsError(400, 'DRYRUN.SUCCESS', 'This request is a dryrun request with successful result.');
/** Financial locks (overdue or expired) block start and reboot (docs/ecs-notes.md#instance-fields). */
const expiredOrInArrears = () =>
  new EcsError(
    403,
    'InstanceExpiredOrInArrears',
    'The specified operation is denied as your prepay instance is expired (prepay mode) or in arrears (afterpay mode).',
  );

/** The instance if it exists in this region, settled to `now`. Instances of other regions do not exist here. */
function findIn(world: World, region: RegionState, instanceId: string): Slot | undefined {
  const slot = world.fleet.byId.get(instanceId);
  if (slot === undefined || slot.region !== region) return undefined;
  settle(slot, world.now);
  return slot;
}

// ---------------------------------------------------------------------------------------------------------
// AttachKeyPair

/**
 * Why this instance cannot take a key pair; the per-instance failures of docs/ecs-notes.md#attach-errors and
 * docs/ecs-notes.md#required-states.
 */
function attachProblem(slot: Slot): EcsError | undefined {
  if (slot.data.OSType === 'windows') return ecsErrors.windowsInstance();
  if (lockReasons(slot.data).includes('security')) return ecsErrors.lockedForSecurity();
  // Only Running and Stopped are documented as accepted; the code for the rest is [UNCONFIRMED]
  // (docs/ecs-notes.md#required-states, docs/ecs-notes.md#open-items).
  if (slot.data.Status !== 'Running' && slot.data.Status !== 'Stopped') return ecsErrors.incorrectInstanceStatus();
  return undefined;
}

function failedResult(instanceId: string, error: EcsError) {
  return { InstanceId: instanceId, Code: error.code, Message: error.message, Success: false };
}

/**
 * Request-level checks first (unknown key pair: nothing applied, docs/ecs-notes.md#partial-failure), then one
 * result per instance. The results use the loose form of the docs' JSON example (docs/ecs-notes.md#loose-types):
 * counts as numbers, Success as a boolean, Code as a string. Repeated IDs are answered once (ECS behaviour for
 * duplicates is not documented).
 */
export function attachKeyPair(world: World, req: RequestOf<'AttachKeyPair'>): Body {
  const region = requireRegion(world, req.RegionId);
  if (!region.keyPairByName.has(req.KeyPairName)) throw ecsErrors.keyPairNotFound();
  const results = [...new Set(req.InstanceIds)].map((id) => {
    const slot = findIn(world, region, id);
    if (slot === undefined) return failedResult(id, ecsErrors.instanceNotFound());
    // Injected faults stand for ECS failing an instance that would otherwise have succeeded.
    const problem = attachProblem(slot) ?? world.takeInstanceFault(id);
    if (problem !== undefined) return failedResult(id, problem);
    // One key pair per instance: a new one silently replaces the old (docs/ecs-notes.md#effect-on-the-instance).
    slot.data.KeyPairName = req.KeyPairName;
    return { InstanceId: id, Code: '200', Message: 'successful', Success: true };
  });
  return {
    KeyPairName: req.KeyPairName,
    TotalCount: results.length,
    FailCount: results.filter((r) => !r.Success).length,
    Results: { Result: results },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Start / Reboot

interface Operation {
  required: InstanceStatus;
  act: (world: World, slot: Slot) => void;
}

/** How a boot ends: Running, or per an injected failure (SimControl.bootFaults) Stopped or never. */
function bootEnd(boot: BootPlan): (readonly [InstanceStatus, number])[] {
  if (boot.fault === 'never-returns') return [];
  return [[boot.fault === 'stops' ? 'Stopped' : 'Running', boot.startingMs]];
}

/** RebootInstance: Running → Stopping → Starting → Running (docs/ecs-notes.md#reboot-instance). */
const REBOOT: Operation = {
  required: 'Running',
  act: (world, slot) => {
    const boot = world.planBoot(slot.data.InstanceId);
    schedule(slot, world.now, [['Stopping', 0], ['Starting', boot.stoppingMs], ...bootEnd(boot)]);
  },
};

/** StartInstance: Stopped → Starting → Running (docs/ecs-notes.md#start-instance). */
const START: Operation = {
  required: 'Stopped',
  act: (world, slot) => {
    const boot = world.planBoot(slot.data.InstanceId);
    schedule(slot, world.now, [['Starting', 0], ...bootEnd(boot)]);
  },
};

/**
 * Security locks are checked before the status (docs/ecs-notes.md#instance-fields: they block start/reboot
 * whatever the state).
 */
function operationProblem(slot: Slot, op: Operation): EcsError | undefined {
  const locks = lockReasons(slot.data);
  if (locks.includes('security')) return ecsErrors.lockedForSecurity();
  if (locks.includes('financial')) return expiredOrInArrears();
  if (slot.data.Status !== op.required) return ecsErrors.incorrectInstanceStatus();
  return undefined;
}

/**
 * RebootInstance / StartInstance: no RegionId, so the instance is found in any region
 * (docs/ecs-notes.md#endpoints).
 */
function single(world: World, instanceId: string, isDryRun: boolean, op: Operation): Body {
  const slot = world.fleet.byId.get(instanceId);
  if (slot === undefined) throw ecsErrors.instanceNotFound();
  settle(slot, world.now);
  const problem = operationProblem(slot, op);
  if (problem !== undefined) throw problem;
  if (isDryRun) throw dryRunOperation();
  const fault = world.takeInstanceFault(instanceId);
  if (fault !== undefined) throw fault;
  op.act(world, slot);
  return {};
}

export function rebootInstance(world: World, req: RequestOf<'RebootInstance'>): Body {
  // ForceStop only changes how the guest is stopped; the simulated timings are the same.
  return single(world, req.InstanceId, req.DryRun === true, REBOOT);
}

export function startInstance(world: World, req: RequestOf<'StartInstance'>): Body {
  return single(world, req.InstanceId, req.DryRun === true, START);
}

interface BatchRequest {
  RegionId: string;
  InstanceId: string[];
  BatchOptimization?: 'AllTogether' | 'SuccessFirst' | undefined;
  DryRun?: boolean | undefined;
}

/**
 * RebootInstances / StartInstances (docs/ecs-notes.md#batch-reboot-and-start). AllTogether (default): the first
 * failing instance fails the whole request and nothing is acted on. SuccessFirst: every instance gets its own
 * InstanceResponse, and a dry run always answers DRYRUN.SUCCESS.
 */
function batch(world: World, req: BatchRequest, op: Operation): Body {
  const region = requireRegion(world, req.RegionId);
  const ids = [...new Set(req.InstanceId)];
  if (req.BatchOptimization === 'SuccessFirst') {
    if (req.DryRun === true) throw dryRunSuccess();
    return {
      InstanceResponses: {
        InstanceResponse: ids.map((id) => {
          const slot = findIn(world, region, id);
          if (slot === undefined) {
            const error = ecsErrors.instanceNotFound();
            return { InstanceId: id, Code: error.code, Message: error.message, PreviousStatus: '', CurrentStatus: '' };
          }
          const previous = slot.data.Status;
          const problem = operationProblem(slot, op) ?? world.takeInstanceFault(id);
          if (problem !== undefined) {
            return { InstanceId: id, Code: problem.code, Message: problem.message, PreviousStatus: previous, CurrentStatus: previous };
          }
          op.act(world, slot);
          return { InstanceId: id, Code: '200', Message: 'success', PreviousStatus: previous, CurrentStatus: slot.data.Status };
        }),
      },
    };
  }

  const slots = ids.map((id) => {
    const slot = findIn(world, region, id);
    if (slot === undefined) throw ecsErrors.instanceNotFound();
    const problem = operationProblem(slot, op);
    if (problem !== undefined) throw problem;
    return slot;
  });
  if (req.DryRun === true) throw dryRunSuccess();
  for (const slot of slots) {
    const fault = world.takeInstanceFault(slot.data.InstanceId);
    if (fault !== undefined) throw fault;
  }
  return {
    InstanceResponses: {
      InstanceResponse: slots.map((slot) => {
        const previous = slot.data.Status;
        op.act(world, slot);
        return {
          InstanceId: slot.data.InstanceId,
          Code: '200',
          Message: 'success',
          PreviousStatus: previous,
          CurrentStatus: slot.data.Status,
        };
      }),
    },
  };
}

export function rebootInstances(world: World, req: RequestOf<'RebootInstances'>): Body {
  // ForceReboot is accepted and, as with ForceStop, does not change the simulated timings.
  return batch(world, req, REBOOT);
}

export function startInstances(world: World, req: RequestOf<'StartInstances'>): Body {
  return batch(world, req, START);
}
