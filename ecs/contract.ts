import { z } from 'zod';
import {
  AcceptLanguage,
  Envelope,
  Instance,
  InstanceId,
  InstanceResponse,
  InstanceStatus,
  KeyPair,
  KeyPairName,
  KeyPairNamePattern,
  KeyPairResult,
  LooseCount,
  NextToken,
  PageNumber,
  pageSize,
  PlainText,
  Region,
  RegionId,
  TagFilter,
  VpcId,
  ZoneId,
  type WireShape,
} from './fields';
import { cloudAssistantSchemas } from './cloud-assistant';
import {
  ACTIONS,
  FIELD_LIMITS,
  FINGERPRINT_PATTERN,
  INTERNAL_ACTIONS,
  LIMITS,
  type ActionName,
  type EcsActionName,
  type InternalActionName,
} from './wire';

export {
  ACTION_NAMES,
  ECS_ACTION_NAMES,
  ECS_API_VERSION,
  INTERNAL_ACTION_NAMES,
  LIMITS,
  isActionName,
  isEcsActionName,
  isResultOk,
  isTrue,
  toCount,
  type ActionName,
  type EcsActionName,
  type InternalActionName,
} from './wire';
export {
  AcceptLanguage,
  Instance,
  InstanceId,
  InstanceStatus,
  KeyPair,
  KeyPairName,
  KeyPairNamePattern,
  LooseCode,
  LooseCount,
  LooseFlag,
  Region,
  RegionId,
  type InstanceResponse,
  type KeyPairResult,
  type WireShape,
} from './fields';

/**
 * The ECS contract: for every action the console uses, the request and response schemas with wire names
 * exactly as ECS spells them, and how list parameters travel on the wire. Whether an action mutates or needs a
 * region, the status lists, ID patterns and limits come from the catalogue in wire.ts, so no value is written
 * twice. Every other module derives its types from here (docs/conventions.md#one-contract). Standard Web APIs
 * only: the browser imports this file too.
 *
 * Requests are described in their *structured* form (lists are arrays, numbers are numbers), which is what the
 * web app sends to the proxy as JSON. `toWire` flattens that into ECS's query form, `fromWire` parses ECS's
 * query form back (the simulator's door), and both are checked against the same schema.
 */

// ---------------------------------------------------------------------------------------------------------
// Actions.

interface ActionSchemas<Req extends z.ZodObject, Res extends z.ZodType> {
  request: Req;
  response: Res;
  wire: WireShape;
}

type Traits = typeof ACTIONS & typeof INTERNAL_ACTIONS;
const TRAITS: Traits = { ...ACTIONS, ...INTERNAL_ACTIONS };

/** The schemas of one action, with its traits (`mutating`, `regional`) taken from the catalogue in wire.ts. */
type ActionSpec<N extends EcsActionName, Req extends z.ZodObject, Res extends z.ZodType> = Traits[N] & ActionSchemas<Req, Res>;

function action<N extends EcsActionName, Req extends z.ZodObject, Res extends z.ZodType>(
  name: N,
  schemas: ActionSchemas<Req, Res>,
): ActionSpec<N, Req, Res> {
  return { ...TRAITS[name], ...schemas };
}

export const actions = {
  DescribeRegions: action('DescribeRegions', {
    request: z.strictObject({
      AcceptLanguage: AcceptLanguage.optional(),
      InstanceChargeType: z.enum(['PostPaid', 'PrePaid', 'SpotWithPriceLimit', 'SpotAsPriceGo']).optional(),
      ResourceType: z.enum(['instance', 'disk', 'reservedinstance', 'scu']).optional(),
    }),
    response: z.looseObject({ ...Envelope, Regions: z.looseObject({ Region: z.array(Region).optional() }).optional() }),
    wire: {},
  }),

  DescribeInstances: action('DescribeInstances', {
    request: z.strictObject({
      RegionId,
      InstanceIds: z.array(InstanceId).max(LIMITS.describeInstancesIds).optional(),
      MaxResults: pageSize(LIMITS.describeInstancesPageSize).optional(),
      NextToken: NextToken.optional(),
      PageNumber: PageNumber.optional(),
      PageSize: pageSize(LIMITS.describeInstancesPageSize).optional(),
      Status: InstanceStatus.optional(),
      KeyPairName: KeyPairName.optional(),
      InstanceName: PlainText(FIELD_LIMITS.plainTextMax).optional(),
      ZoneId: ZoneId.optional(),
      VpcId: VpcId.optional(),
      Tag: z.array(TagFilter).max(LIMITS.tags).optional(),
    }),
    response: z.looseObject({
      ...Envelope,
      TotalCount: LooseCount.optional(),
      PageNumber: LooseCount.optional(),
      PageSize: LooseCount.optional(),
      NextToken: z.string().optional(),
      Instances: z.looseObject({ Instance: z.array(Instance).optional() }).optional(),
    }),
    wire: { json: ['InstanceIds'], tags: ['Tag'], numbers: ['MaxResults', 'PageNumber', 'PageSize'] },
  }),

  DescribeKeyPairs: action('DescribeKeyPairs', {
    request: z.strictObject({
      RegionId,
      KeyPairName: KeyPairNamePattern.optional(),
      KeyPairFingerPrint: z.string().max(FIELD_LIMITS.fingerprintMax).regex(FINGERPRINT_PATTERN, 'is not an MD5 fingerprint').optional(),
      /** Default false; true adds each pair's PublicKey (docs/ecs-notes.md#describe-key-pairs). */
      IncludePublicKey: z.boolean().optional(),
      PageNumber: PageNumber.optional(),
      PageSize: pageSize(LIMITS.describeKeyPairsPageSize).optional(),
    }),
    response: z.looseObject({
      ...Envelope,
      TotalCount: LooseCount.optional(),
      PageNumber: LooseCount.optional(),
      PageSize: LooseCount.optional(),
      KeyPairs: z.looseObject({ KeyPair: z.array(KeyPair).optional() }).optional(),
    }),
    wire: { numbers: ['PageNumber', 'PageSize'], booleans: ['IncludePublicKey'] },
  }),

  DescribeInstanceStatus: action('DescribeInstanceStatus', {
    request: z.strictObject({
      RegionId,
      InstanceId: z.array(InstanceId).min(1).max(LIMITS.statusInstanceIds).optional(),
      ZoneId: ZoneId.optional(),
      PageNumber: PageNumber.optional(),
      PageSize: pageSize(LIMITS.describeInstanceStatusPageSize).optional(),
    }),
    response: z.looseObject({
      ...Envelope,
      TotalCount: LooseCount.optional(),
      PageNumber: LooseCount.optional(),
      PageSize: LooseCount.optional(),
      InstanceStatuses: z
        .looseObject({
          InstanceStatus: z.array(z.looseObject({ InstanceId: z.string(), Status: z.string() })).optional(),
        })
        .optional(),
    }),
    wire: { repeat: ['InstanceId'], numbers: ['PageNumber', 'PageSize'] },
  }),

  AttachKeyPair: action('AttachKeyPair', {
    request: z.strictObject({
      RegionId,
      KeyPairName,
      InstanceIds: z.array(InstanceId).min(1).max(LIMITS.attachInstanceIds),
    }),
    response: z.looseObject({
      ...Envelope,
      KeyPairName: z.string().optional(),
      TotalCount: LooseCount.optional(),
      FailCount: LooseCount.optional(),
      Results: z.looseObject({ Result: z.array(KeyPairResult).optional() }).optional(),
    }),
    wire: { json: ['InstanceIds'] },
  }),

  RebootInstance: action('RebootInstance', {
    request: z.strictObject({ InstanceId, ForceStop: z.boolean().optional(), DryRun: z.boolean().optional() }),
    response: z.looseObject(Envelope),
    wire: { booleans: ['ForceStop', 'DryRun'] },
  }),

  StartInstance: action('StartInstance', {
    request: z.strictObject({ InstanceId, DryRun: z.boolean().optional() }),
    response: z.looseObject(Envelope),
    wire: { booleans: ['DryRun'] },
  }),

  RebootInstances: action('RebootInstances', {
    request: z.strictObject({
      RegionId,
      InstanceId: z.array(InstanceId).min(1).max(LIMITS.batchInstanceIds),
      BatchOptimization: z.enum(['AllTogether', 'SuccessFirst']).optional(),
      ForceReboot: z.boolean().optional(),
      DryRun: z.boolean().optional(),
    }),
    response: z.looseObject({
      ...Envelope,
      InstanceResponses: z.looseObject({ InstanceResponse: z.array(InstanceResponse).optional() }).optional(),
    }),
    wire: { repeat: ['InstanceId'], booleans: ['ForceReboot', 'DryRun'] },
  }),

  StartInstances: action('StartInstances', {
    request: z.strictObject({
      RegionId,
      InstanceId: z.array(InstanceId).min(1).max(LIMITS.batchInstanceIds),
      BatchOptimization: z.enum(['AllTogether', 'SuccessFirst']).optional(),
      DryRun: z.boolean().optional(),
    }),
    response: z.looseObject({
      ...Envelope,
      InstanceResponses: z.looseObject({ InstanceResponse: z.array(InstanceResponse).optional() }).optional(),
    }),
    wire: { repeat: ['InstanceId'], booleans: ['DryRun'] },
  }),
} as const satisfies { [N in ActionName]: ActionSpec<N, z.ZodObject, z.ZodType> };

/**
 * The actions only the proxy sends (wire.ts INTERNAL_ACTIONS): never in `actions`, so nothing keyed by the
 * console's actions (the allowlist, roles, the session, the audit) can take them by accident.
 */
export const internalActions = {
  DescribeCloudAssistantStatus: action('DescribeCloudAssistantStatus', cloudAssistantSchemas.DescribeCloudAssistantStatus),
  RunCommand: action('RunCommand', cloudAssistantSchemas.RunCommand),
  DescribeInvocations: action('DescribeInvocations', cloudAssistantSchemas.DescribeInvocations),
  DescribeInvocationResults: action('DescribeInvocationResults', cloudAssistantSchemas.DescribeInvocationResults),
} as const satisfies { [N in InternalActionName]: ActionSpec<N, z.ZodObject, z.ZodType> };

/** Every action's schemas: what the simulator answers and the wire readers and writers know. */
export const ecsActions = { ...actions, ...internalActions };

export type RequestOf<A extends EcsActionName> = z.infer<(typeof ecsActions)[A]['request']>;
export type ResponseOf<A extends EcsActionName> = z.infer<(typeof ecsActions)[A]['response']>;

// ---------------------------------------------------------------------------------------------------------
// Wire form (docs/ecs-notes.md#list-parameters): flatten structured parameters into ECS's string parameters, and back.

/** Flattens a structured request into ECS's query parameters (not yet percent-encoded). */
export function toWire(name: EcsActionName, params: Record<string, unknown>): Record<string, string> {
  const shape: WireShape = ecsActions[name].wire;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (shape.json?.includes(key)) {
      out[key] = JSON.stringify(value);
    } else if (shape.repeat?.includes(key) && Array.isArray(value)) {
      (value as (string | number)[]).forEach((item, i) => {
        out[`${key}.${i + 1}`] = String(item);
      });
    } else if (shape.tags?.includes(key) && Array.isArray(value)) {
      (value as { Key: string; Value?: string }[]).forEach((tag, i) => {
        out[`${key}.${i + 1}.Key`] = tag.Key;
        if (tag.Value !== undefined) out[`${key}.${i + 1}.Value`] = tag.Value;
      });
    } else {
      out[key] =
        typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
    }
  }
  return out;
}

/** Why a wire parameter could not be read; the simulator turns this into ECS's error. */
export interface WireProblem {
  kind: 'missing' | 'invalid';
  param: string;
  detail: string;
  /** zod's issue code (`too_big`, `invalid_value`, …), so the simulator can pick ECS's code for a limit. */
  issue?: string;
}

/**
 * Reads ECS's query parameters into the structured request and validates it. Parameters the action does not
 * know are ignored, as ECS does (common parameters, `OwnerId`, Terraform's extra `RegionId`, …).
 */
export function fromWire<A extends EcsActionName>(
  name: A,
  wire: Record<string, string>,
): { ok: true; value: RequestOf<A> } | { ok: false; problem: WireProblem } {
  const spec = ecsActions[name];
  const shape: WireShape = spec.wire;
  const request: z.ZodObject = spec.request;
  const known = Object.keys(request.shape);
  const structured: Record<string, unknown> = {};
  for (const key of known) {
    if (shape.repeat?.includes(key)) {
      const items = collectIndexed(wire, key, (rest) => (rest === '' ? 'value' : undefined));
      if (items.length > 0) structured[key] = items.map((item) => item.value);
    } else if (shape.tags?.includes(key)) {
      const items = collectIndexed(wire, key, (rest) => (rest === '.Key' ? 'Key' : rest === '.Value' ? 'Value' : undefined));
      if (items.length > 0) structured[key] = items;
    } else if (wire[key] !== undefined) {
      const raw = wire[key];
      if (shape.json?.includes(key)) {
        try {
          structured[key] = JSON.parse(raw);
        } catch {
          return { ok: false, problem: { kind: 'invalid', param: key, detail: 'is not valid JSON', issue: 'invalid_json' } };
        }
      } else if (shape.numbers?.includes(key)) {
        structured[key] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
      } else if (shape.booleans?.includes(key)) {
        structured[key] = raw === 'true' ? true : raw === 'false' ? false : raw;
      } else {
        structured[key] = raw;
      }
    }
  }
  const parsed = request.safeParse(structured);
  if (parsed.success) return { ok: true, value: parsed.data as RequestOf<A> };
  const issue = parsed.error.issues[0];
  const param = String(issue?.path[0] ?? 'unknown');
  const isMissing = issue?.code === 'invalid_type' && structured[param] === undefined;
  return {
    ok: false,
    problem: { kind: isMissing ? 'missing' : 'invalid', param, detail: issue?.message ?? 'is not valid', issue: issue?.code ?? 'invalid' },
  };
}

/** Gathers `Name.N…` parameters in N order; `part` maps the suffix after N to a field (or rejects it). */
function collectIndexed(wire: Record<string, string>, name: string, part: (rest: string) => string | undefined): Record<string, string>[] {
  const byIndex = new Map<number, Record<string, string>>();
  const prefix = `${name}.`;
  for (const [key, value] of Object.entries(wire)) {
    if (!key.startsWith(prefix)) continue;
    const match = /^(\d+)(.*)$/.exec(key.slice(prefix.length));
    if (!match) continue;
    const field = part(match[2] ?? '');
    if (field === undefined) continue;
    const index = Number(match[1]);
    const entry = byIndex.get(index) ?? {};
    entry[field] = value;
    byIndex.set(index, entry);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
}
