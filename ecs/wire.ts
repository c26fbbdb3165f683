/**
 * The zod-free part of the ECS contract: the catalogue of runtime constants (actions, statuses, ID patterns,
 * limits) and defensive readers of ECS's loose wire types. The browser imports these at run time without
 * pulling zod into its first load (docs/product.md#console-qualities); everything else the browser takes from
 * contract.ts is a type. contract.ts and console-api.ts build their schemas from this catalogue, so a value
 * written here is the only copy.
 */

export const ECS_API_VERSION = '2014-05-26';

// ---------------------------------------------------------------------------------------------------------
// Actions.

export interface ActionTraits {
  /** Changes something in the cloud: audited and permission-checked by the proxy. */
  readonly mutating: boolean;
  /**
   * Whether ECS requires RegionId. RebootInstance and StartInstance take none, yet the proxy still needs a
   * region to route them (docs/ecs-notes.md#endpoints).
   */
  readonly regional: boolean;
}

/** Every action the console uses, in the order the contract lists them. Nothing else is ever sent. */
export const ACTIONS = {
  DescribeRegions: { mutating: false, regional: false },
  DescribeInstances: { mutating: false, regional: true },
  DescribeKeyPairs: { mutating: false, regional: true },
  DescribeInstanceStatus: { mutating: false, regional: true },
  AttachKeyPair: { mutating: true, regional: true },
  RebootInstance: { mutating: true, regional: false },
  StartInstance: { mutating: true, regional: false },
  RebootInstances: { mutating: true, regional: true },
  StartInstances: { mutating: true, regional: true },
} as const satisfies Record<string, ActionTraits>;

export type ActionName = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

/** One of the console's own actions: the allowlist of `POST /api/ecs/{Action}`. Internal actions are not. */
export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(ACTIONS, name);
}

/**
 * Cloud Assistant actions (docs/ecs-notes.md#cloud-assistant) that only the proxy sends, on its own account,
 * never on a browser's behalf. They are deliberately not in ACTIONS: `POST /api/ecs/{Action}` allows only
 * ACTIONS, so a browser can never send RunCommand (a script run as root on the instances, which must only ever
 * be the proxy's fixed script, docs/product.md#fixed-commands-only). The reads are internal too:
 * DescribeInvocations and DescribeInvocationResults return the content and output of every command run in the
 * region, other people's included, and the console shows the proof the proxy read back
 * (docs/product.md#step-8-proof), not raw invocations; DescribeCloudAssistantStatus only feeds the proxy's own
 * choice between activating online and rebooting. The simulator answers all of them.
 */
export const INTERNAL_ACTIONS = {
  DescribeCloudAssistantStatus: { mutating: false, regional: true },
  RunCommand: { mutating: true, regional: true },
  DescribeInvocations: { mutating: false, regional: true },
  DescribeInvocationResults: { mutating: false, regional: true },
} as const satisfies Record<string, ActionTraits>;

export type InternalActionName = keyof typeof INTERNAL_ACTIONS;
export const INTERNAL_ACTION_NAMES = Object.keys(INTERNAL_ACTIONS) as InternalActionName[];
/** Every action the contract describes: the console's own and the proxy's internal ones. */
export type EcsActionName = ActionName | InternalActionName;
export const ECS_ACTION_NAMES: readonly EcsActionName[] = [...ACTION_NAMES, ...INTERNAL_ACTION_NAMES];

export function isEcsActionName(name: string): name is EcsActionName {
  return isActionName(name) || Object.hasOwn(INTERNAL_ACTIONS, name);
}

/** The actions that change something: the ones the audit trail records. */
export type MutatingAction = { [A in ActionName]: (typeof ACTIONS)[A]['mutating'] extends true ? A : never }[ActionName];
export const MUTATING_ACTIONS = ACTION_NAMES.filter((name): name is MutatingAction => ACTIONS[name].mutating);

// ---------------------------------------------------------------------------------------------------------
// Statuses.

/**
 * The states ECS reports for an instance (docs/ecs-notes.md#instance-states), settled ones first: the order the
 * console offers them in its status filter.
 */
export const INSTANCE_STATUSES = ['Running', 'Stopped', 'Starting', 'Stopping', 'Pending'] as const;
export type KnownInstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** States an instance passes through on its own: worth polling until it settles. */
export const TRANSITIONAL_STATUSES = ['Starting', 'Stopping', 'Pending'] as const satisfies readonly KnownInstanceStatus[];
/** States an instance stays in until someone acts: the ones a key pair can be attached in and activated from. */
export const SETTLED_STATUSES = ['Running', 'Stopped'] as const satisfies readonly KnownInstanceStatus[];

/** ECS may add states; anything this console does not know is neither transitional nor settled. */
export function isKnownInstanceStatus(status: string | undefined): status is KnownInstanceStatus {
  return (INSTANCE_STATUSES as readonly (string | undefined)[]).includes(status);
}

export function isTransitionalStatus(status: string | undefined): boolean {
  return (TRANSITIONAL_STATUSES as readonly (string | undefined)[]).includes(status);
}

/**
 * How an operation in the audit trail stands, in the order the activity page offers them: the outcomes of a
 * completed call first, then a refusal (`denied`, nothing was sent) and one still in flight (`pending`).
 */
export const OPERATION_STATUSES = ['succeeded', 'partial', 'failed', 'unknown', 'denied', 'pending'] as const;
export type OperationStatusName = (typeof OPERATION_STATUSES)[number];

/** How a call that was sent ended, read from its answer (ecs/outcomes.ts): never pending, never denied. */
export const OUTCOME_STATUSES = ['succeeded', 'partial', 'failed', 'unknown'] as const satisfies readonly OperationStatusName[];

// ---------------------------------------------------------------------------------------------------------
// ID patterns. Deliberately tight: the proxy builds upstream host names from region IDs, and the browser checks
// a hand-edited link against the same patterns before asking.

/**
 * Region IDs are lowercase words joined by dashes (`cn-hangzhou`, `ap-southeast-1`): nothing that could steer
 * a host (dots, slashes, `@`, colons, unicode) can ever pass.
 */
export const REGION_ID_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+){1,4}$/;
/** Instance IDs: `i-` plus alphanumerics (the simulator and ECS both use this shape). */
export const INSTANCE_ID_PATTERN = /^i-[a-z0-9]{1,60}$/;
/**
 * Key pair names: start with a letter or a Chinese character, then letters, digits, `:`, `_`, `.`, `-`
 * (docs/ecs-notes.md#key-pair-names).
 */
export const KEY_PAIR_NAME_PATTERN = /^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5:_.-]*$/;
/** A DescribeKeyPairs search: the name's characters plus `*` (docs/ecs-notes.md#describe-key-pairs). */
export const KEY_PAIR_NAME_SEARCH_PATTERN = /^[A-Za-z0-9\u4e00-\u9fa5:_.*-]+$/;
export const ZONE_ID_PATTERN = /^[a-z0-9-]+$/;
export const VPC_ID_PATTERN = /^vpc-[a-z0-9]+$/;
export const NEXT_TOKEN_PATTERN = /^[A-Za-z0-9+/=_-]*$/;
/** An MD5 fingerprint as ECS prints it (docs/ecs-notes.md#fingerprints). */
export const FINGERPRINT_PATTERN = /^[0-9a-f:]+$/;

// ---------------------------------------------------------------------------------------------------------
// Limits.

/** ECS's per-call limits (docs/ecs-notes.md#limits, #batch-reboot-and-start, #instance-status-polling). */
export const LIMITS = {
  attachInstanceIds: 50,
  describeInstancesIds: 100,
  batchInstanceIds: 100,
  describeInstancesPageSize: 100,
  describeKeyPairsPageSize: 50,
  describeInstanceStatusPageSize: 50,
  statusInstanceIds: 100,
  tags: 20,
  /** DescribeCloudAssistantStatus's InstanceId.N and RunCommand's (docs/ecs-notes.md#cloud-assistant-status, #run-command). */
  cloudAssistantInstanceIds: 100,
  runCommandInstanceIds: 100,
  /** MaxResults of DescribeCloudAssistantStatus, DescribeInvocations and DescribeInvocationResults. */
  cloudAssistantPageSize: 50,
  /** Values in RunCommand's Parameters (docs/ecs-notes.md#run-command). */
  runCommandParameters: 10,
  /**
   * CommandContent after Base64, parameters substituted: 24 KB for a run-only command, 18 KB when it is kept
   * (docs/ecs-notes.md#cloud-assistant-preconditions). Output is cut at 24 KB too.
   */
  commandContentBytes: 24 * 1024,
  keptCommandContentBytes: 18 * 1024,
  commandOutputBytes: 24 * 1024,
} as const;

/** Lengths of the fields above; the contract's schemas and the browser's checks read the same numbers. */
export const FIELD_LIMITS = {
  regionIdMax: 64,
  instanceIdMax: 64,
  zoneIdMax: 64,
  vpcIdMax: 64,
  keyPairNameMin: 2,
  keyPairNameMax: 128,
  keyPairNameSearchMax: 130,
  fingerprintMax: 64,
  nextTokenMax: 256,
  /** Instance names and tag keys/values. */
  plainTextMax: 128,
  /** RunCommand (docs/ecs-notes.md#run-command, docs/ecs-notes.md#cloud-assistant-preconditions). */
  clientTokenMax: 64,
  commandNameMax: 128,
  commandDescriptionMax: 512,
  usernameMax: 255,
  workingDirMax: 200,
  parameterKeyMax: 64,
  invokeIdMax: 64,
} as const;

/** The proxy's `GET /api/activity` query: the largest values it accepts, and the page it answers by default. */
export const ACTIVITY_QUERY_LIMITS = {
  userMax: 256,
  instanceIdMax: FIELD_LIMITS.instanceIdMax,
  cursorMax: 512,
  pageSizeDefault: 50,
  pageSizeMax: 200,
} as const;

// ---------------------------------------------------------------------------------------------------------
// Defensive readers of ECS's loose wire types (docs/ecs-notes.md#loose-types).

/** `Number(x)`, with absent or unparsable values as 0. */
export function toCount(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** `String(x) === "true"`, case-insensitive. */
export function isTrue(value: unknown): boolean {
  return String(value).toLowerCase() === 'true';
}

/** A per-instance result succeeded: Code "200" and, where present, Success "true" (docs/ecs-notes.md#attach-response). */
export function isResultOk(result: { Code: unknown; Success?: unknown }): boolean {
  return String(result.Code) === '200' && (result.Success === undefined || isTrue(result.Success));
}
