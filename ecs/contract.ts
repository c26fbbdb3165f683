import { z } from 'zod';
import { LIMITS } from './wire';

export { ECS_API_VERSION, LIMITS, isResultOk, isTrue, toCount } from './wire';

/**
 * The ECS contract: for every action the console uses, the request and response schemas with wire names
 * exactly as ECS spells them (ecs-api.md), whether the action mutates, and how list parameters travel on the
 * wire. Every other module derives its types from here (STYLE.md habit 1). Standard Web APIs only: the browser
 * imports this file too.
 *
 * Requests are described in their *structured* form (lists are arrays, numbers are numbers), which is what the
 * web app sends to the proxy as JSON. `toWire` flattens that into ECS's query form, `fromWire` parses ECS's
 * query form back (the simulator's door), and both are checked against the same schema.
 */

// ---------------------------------------------------------------------------------------------------------
// Loose wire scalars (ecs-api.md §0.1): declared strings that real responses send as numbers or booleans.

/** A count that may arrive as `2` or `"2"`. */
export const LooseCount = z.union([z.number(), z.string()]);
/** A flag that may arrive as `true` or `"true"`. */
export const LooseFlag = z.union([z.boolean(), z.string()]);
/** A result code that may arrive as `200` or `"200"`. */
export const LooseCode = z.union([z.string(), z.number()]);

// ---------------------------------------------------------------------------------------------------------
// Field schemas shared by several actions.

/**
 * Region IDs are lowercase words joined by dashes (`cn-hangzhou`, `ap-southeast-1`). This is deliberately
 * tight: the proxy builds upstream host names from region IDs, so nothing that could steer a host (dots,
 * slashes, `@`, colons, unicode) can ever pass.
 */
export const RegionId = z
  .string()
  .max(64)
  .regex(/^[a-z]{2,}(?:-[a-z0-9]+){1,4}$/, 'must look like a region ID, e.g. cn-hangzhou');

/** Instance IDs: `i-` plus alphanumerics (the simulator and ECS both use this shape). */
export const InstanceId = z
  .string()
  .max(64)
  .regex(/^i-[a-z0-9]{1,60}$/, 'must look like an instance ID, e.g. i-bp67acfmxazb4p');

/**
 * Key pair names (ecs-api.md §7): 2–128 characters, starts with a letter or a Chinese character, may
 * contain letters, digits, `:`, `_`, `.`, `-`. Search patterns may also carry `*` (§5).
 */
export const KeyPairName = z
  .string()
  .min(2)
  .max(128)
  .regex(/^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5:_.-]*$/, 'is not a valid key pair name')
  .refine((s) => !/^https?:\/\//i.test(s), 'must not start with http:// or https://');
export const KeyPairNamePattern = z
  .string()
  .min(1)
  .max(130)
  .regex(/^[A-Za-z0-9\u4e00-\u9fa5:_.*-]+$/, 'is not a valid key pair name pattern');

export const InstanceStatus = z.enum(['Pending', 'Running', 'Starting', 'Stopping', 'Stopped']);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

export const AcceptLanguage = z.enum(['zh-CN', 'en-US', 'ja', 'zh-TW', 'fr', 'de', 'ko']);

// Lone UTF-16 surrogates cannot be percent-encoded (encodeURIComponent throws), so they are refused here.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PlainText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode text');
const ZoneId = z.string().max(64).regex(/^[a-z0-9-]+$/, 'is not a valid zone ID');
const VpcId = z.string().max(64).regex(/^vpc-[a-z0-9]+$/, 'is not a valid VPC ID');
const NextToken = z.string().max(256).regex(/^[A-Za-z0-9+/=_-]*$/, 'is not a valid NextToken');
const PageNumber = z.number().int().min(1).max(1_000_000);
const pageSize = (max: number) => z.number().int().min(1).max(max);
const TagFilter = z.strictObject({ Key: PlainText(128).min(1), Value: PlainText(128).optional() });

// ---------------------------------------------------------------------------------------------------------
// Response pieces. Objects are loose: ECS adds fields over time and the console must not break on them.
// List wrappers (`Instances`, `KeyPairs`, …) are optional: ecs-api.md §1 says to expect a missing wrapper.

const IpList = z.looseObject({ IpAddress: z.array(z.string()).optional() });
const Tag = z.looseObject({ TagKey: z.string(), TagValue: z.string().optional() });
const TagSet = z.looseObject({ Tag: z.array(Tag).optional() });

export const Instance = z.looseObject({
  InstanceId: z.string(),
  InstanceName: z.string().optional(),
  HostName: z.string().optional(),
  Status: z.string(),
  OSType: z.string().optional(),
  OSName: z.string().optional(),
  OSNameEn: z.string().optional(),
  KeyPairName: z.string().optional(),
  RegionId: z.string(),
  ZoneId: z.string().optional(),
  InstanceType: z.string().optional(),
  ImageId: z.string().optional(),
  IoOptimized: LooseFlag.optional(),
  CreationTime: z.string().optional(),
  StartTime: z.string().optional(),
  ExpiredTime: z.string().optional(),
  InstanceNetworkType: z.string().optional(),
  InstanceChargeType: z.string().optional(),
  StoppedMode: z.string().optional(),
  VpcAttributes: z
    .looseObject({
      VpcId: z.string().optional(),
      VSwitchId: z.string().optional(),
      NatIpAddress: z.string().optional(),
      PrivateIpAddress: IpList.optional(),
    })
    .optional(),
  PublicIpAddress: IpList.optional(),
  InnerIpAddress: IpList.optional(),
  EipAddress: z
    .looseObject({
      AllocationId: z.string().optional(),
      IpAddress: z.string().optional(),
      InternetChargeType: z.string().optional(),
    })
    .optional(),
  Tags: TagSet.optional(),
  OperationLocks: z
    .looseObject({
      LockReason: z.array(z.looseObject({ LockReason: z.string(), LockMsg: z.string().optional() })).optional(),
    })
    .optional(),
});
export type Instance = z.infer<typeof Instance>;

export const KeyPair = z.looseObject({
  KeyPairName: z.string(),
  KeyPairFingerPrint: z.string().optional(),
  CreationTime: z.string().optional(),
  ResourceGroupId: z.string().optional(),
  Tags: TagSet.optional(),
});
export type KeyPair = z.infer<typeof KeyPair>;

export const Region = z.looseObject({
  RegionId: z.string(),
  LocalName: z.string(),
  RegionEndpoint: z.string().optional(),
  Status: z.string().optional(),
});
export type Region = z.infer<typeof Region>;

const KeyPairResult = z.looseObject({
  InstanceId: z.string(),
  Code: LooseCode,
  Message: z.string().optional(),
  Success: LooseFlag.optional(),
});
export type KeyPairResult = z.infer<typeof KeyPairResult>;

const InstanceResponse = z.looseObject({
  InstanceId: z.string(),
  Code: LooseCode,
  Message: z.string().optional(),
  PreviousStatus: z.string().optional(),
  CurrentStatus: z.string().optional(),
});
export type InstanceResponse = z.infer<typeof InstanceResponse>;

const Envelope = { RequestId: z.string() };

// ---------------------------------------------------------------------------------------------------------
// Actions.

/**
 * How a list parameter travels on the wire: `json` is one parameter holding a JSON array (`InstanceIds`,
 * ecs-api.md §0.2); `repeat` is `Name.1`, `Name.2`, … (§6.3); `tags` is `Tag.N.Key`/`Tag.N.Value` (§1).
 * Scalars that are not strings are named in `numbers`/`booleans` so `fromWire` knows how to read them.
 */
export interface WireShape {
  json?: readonly string[];
  repeat?: readonly string[];
  tags?: readonly string[];
  numbers?: readonly string[];
  booleans?: readonly string[];
}

interface ActionSpec<Req extends z.ZodType, Res extends z.ZodType> {
  /** Changes something in the cloud: audited and permission-checked by the proxy. */
  mutating: boolean;
  /** Whether ECS requires RegionId (Reboot/StartInstance take none; ecs-api.md §3.2). */
  regional: boolean;
  request: Req;
  response: Res;
  wire: WireShape;
}

function action<Req extends z.ZodType, Res extends z.ZodType>(spec: ActionSpec<Req, Res>): ActionSpec<Req, Res> {
  return spec;
}

export const actions = {
  DescribeRegions: action({
    mutating: false,
    regional: false,
    request: z.strictObject({
      AcceptLanguage: AcceptLanguage.optional(),
      InstanceChargeType: z.enum(['PostPaid', 'PrePaid', 'SpotWithPriceLimit', 'SpotAsPriceGo']).optional(),
      ResourceType: z.enum(['instance', 'disk', 'reservedinstance', 'scu']).optional(),
    }),
    response: z.looseObject({ ...Envelope, Regions: z.looseObject({ Region: z.array(Region).optional() }).optional() }),
    wire: {},
  }),

  DescribeInstances: action({
    mutating: false,
    regional: true,
    request: z.strictObject({
      RegionId,
      InstanceIds: z.array(InstanceId).max(LIMITS.describeInstancesIds).optional(),
      MaxResults: pageSize(LIMITS.describeInstancesPageSize).optional(),
      NextToken: NextToken.optional(),
      PageNumber: PageNumber.optional(),
      PageSize: pageSize(LIMITS.describeInstancesPageSize).optional(),
      Status: InstanceStatus.optional(),
      KeyPairName: KeyPairName.optional(),
      InstanceName: PlainText(128).optional(),
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

  DescribeKeyPairs: action({
    mutating: false,
    regional: true,
    request: z.strictObject({
      RegionId,
      KeyPairName: KeyPairNamePattern.optional(),
      KeyPairFingerPrint: z.string().max(64).regex(/^[0-9a-f:]+$/, 'is not an MD5 fingerprint').optional(),
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
    wire: { numbers: ['PageNumber', 'PageSize'] },
  }),

  DescribeInstanceStatus: action({
    mutating: false,
    regional: true,
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
      InstanceStatuses: z.looseObject({
        InstanceStatus: z.array(z.looseObject({ InstanceId: z.string(), Status: z.string() })).optional(),
      }).optional(),
    }),
    wire: { repeat: ['InstanceId'], numbers: ['PageNumber', 'PageSize'] },
  }),

  AttachKeyPair: action({
    mutating: true,
    regional: true,
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

  RebootInstance: action({
    mutating: true,
    regional: false,
    request: z.strictObject({ InstanceId, ForceStop: z.boolean().optional(), DryRun: z.boolean().optional() }),
    response: z.looseObject(Envelope),
    wire: { booleans: ['ForceStop', 'DryRun'] },
  }),

  StartInstance: action({
    mutating: true,
    regional: false,
    request: z.strictObject({ InstanceId, DryRun: z.boolean().optional() }),
    response: z.looseObject(Envelope),
    wire: { booleans: ['DryRun'] },
  }),

  RebootInstances: action({
    mutating: true,
    regional: true,
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

  StartInstances: action({
    mutating: true,
    regional: true,
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
} as const;

export type ActionName = keyof typeof actions;
export const ACTION_NAMES = Object.keys(actions) as ActionName[];
export type RequestOf<A extends ActionName> = z.infer<(typeof actions)[A]['request']>;
export type ResponseOf<A extends ActionName> = z.infer<(typeof actions)[A]['response']>;

export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(actions, name);
}

// ---------------------------------------------------------------------------------------------------------
// Wire form (ecs-api.md §1): flatten structured parameters into ECS's string parameters, and back.

/** Flattens a structured request into ECS's query parameters (not yet percent-encoded). */
export function toWire(name: ActionName, params: Record<string, unknown>): Record<string, string> {
  const shape = actions[name].wire;
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
      out[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
    }
  }
  return out;
}

/** Why a wire parameter could not be read; the simulator turns this into ECS's error. */
export interface WireProblem {
  kind: 'missing' | 'invalid';
  param: string;
  detail: string;
}

/**
 * Reads ECS's query parameters into the structured request and validates it. Parameters the action does not
 * know are ignored, as ECS does (common parameters, `OwnerId`, Terraform's extra `RegionId`, …).
 */
export function fromWire<A extends ActionName>(
  name: A,
  wire: Record<string, string>,
): { ok: true; value: RequestOf<A> } | { ok: false; problem: WireProblem } {
  const spec = actions[name];
  const shape = spec.wire;
  const known = Object.keys((spec.request as unknown as z.ZodObject).shape);
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
          return { ok: false, problem: { kind: 'invalid', param: key, detail: 'is not a JSON array' } };
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
  const parsed = spec.request.safeParse(structured);
  if (parsed.success) return { ok: true, value: parsed.data as RequestOf<A> };
  const issue = parsed.error.issues[0];
  const param = String(issue?.path[0] ?? 'unknown');
  const isMissing = issue?.code === 'invalid_type' && structured[param] === undefined;
  return {
    ok: false,
    problem: { kind: isMissing ? 'missing' : 'invalid', param, detail: issue?.message ?? 'is not valid' },
  };
}

/** Gathers `Name.N…` parameters in N order; `part` maps the suffix after N to a field (or rejects it). */
function collectIndexed(
  wire: Record<string, string>,
  name: string,
  part: (rest: string) => string | undefined,
): Record<string, string>[] {
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
