import { z } from 'zod';
import {
  FIELD_LIMITS,
  INSTANCE_ID_PATTERN,
  INSTANCE_STATUSES,
  KEY_PAIR_NAME_PATTERN,
  KEY_PAIR_NAME_SEARCH_PATTERN,
  NEXT_TOKEN_PATTERN,
  REGION_ID_PATTERN,
  VPC_ID_PATTERN,
  ZONE_ID_PATTERN,
} from './wire';

/**
 * The zod schemas of the fields and response pieces that several ECS actions share, built from the catalogue in
 * wire.ts. contract.ts composes them into each action's request and response, and re-exports the public ones;
 * import them from there.
 */

/**
 * How a list parameter travels on the wire: `json` is one parameter holding JSON (the `InstanceIds` array,
 * docs/ecs-notes.md#list-parameters, or RunCommand's `Parameters` object, docs/ecs-notes.md#run-command); `repeat`
 * is `Name.1`, `Name.2`, … (docs/ecs-notes.md#batch-reboot-and-start); `tags` is `Tag.N.Key`/`Tag.N.Value`
 * (docs/ecs-notes.md#list-parameters). Scalars that are not strings are named in `numbers`/`booleans` so
 * `fromWire` knows how to read them.
 */
export interface WireShape {
  json?: readonly string[];
  repeat?: readonly string[];
  tags?: readonly string[];
  numbers?: readonly string[];
  booleans?: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------
// Loose wire scalars (docs/ecs-notes.md#loose-types): declared strings that real responses send as numbers or
// booleans.

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
export const RegionId = z.string().max(FIELD_LIMITS.regionIdMax).regex(REGION_ID_PATTERN, 'must look like a region ID, e.g. cn-hangzhou');

/** Instance IDs: `i-` plus alphanumerics (the simulator and ECS both use this shape). */
export const InstanceId = z
  .string()
  .max(FIELD_LIMITS.instanceIdMax)
  .regex(INSTANCE_ID_PATTERN, 'must look like an instance ID, e.g. i-bp67acfmxazb4p');

/**
 * Key pair names (docs/ecs-notes.md#key-pair-names): 2–128 characters, starts with a letter or a Chinese
 * character, may contain letters, digits, `:`, `_`, `.`, `-`. Search patterns may also carry `*`
 * (docs/ecs-notes.md#describe-key-pairs).
 */
export const KeyPairName = z
  .string()
  .min(FIELD_LIMITS.keyPairNameMin)
  .max(FIELD_LIMITS.keyPairNameMax)
  .regex(KEY_PAIR_NAME_PATTERN, 'is not a valid key pair name')
  .refine((s) => !/^https?:\/\//i.test(s), 'must not start with http:// or https://');
export const KeyPairNamePattern = z
  .string()
  .min(1)
  .max(FIELD_LIMITS.keyPairNameSearchMax)
  .regex(KEY_PAIR_NAME_SEARCH_PATTERN, 'is not a valid key pair name pattern');

export const InstanceStatus = z.enum(INSTANCE_STATUSES);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

export const AcceptLanguage = z.enum(['zh-CN', 'en-US', 'ja', 'zh-TW', 'fr', 'de', 'ko']);

// Lone UTF-16 surrogates cannot be percent-encoded (encodeURIComponent throws), so they are refused here.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const PlainText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode text');
export const ZoneId = z.string().max(FIELD_LIMITS.zoneIdMax).regex(ZONE_ID_PATTERN, 'is not a valid zone ID');
export const VpcId = z.string().max(FIELD_LIMITS.vpcIdMax).regex(VPC_ID_PATTERN, 'is not a valid VPC ID');
export const NextToken = z.string().max(FIELD_LIMITS.nextTokenMax).regex(NEXT_TOKEN_PATTERN, 'is not a valid NextToken');
export const PageNumber = z.number().int().min(1).max(1_000_000);
export const pageSize = (max: number) => z.number().int().min(1).max(max);
export const TagFilter = z.strictObject({
  Key: PlainText(FIELD_LIMITS.plainTextMax).min(1),
  Value: PlainText(FIELD_LIMITS.plainTextMax).optional(),
});

// ---------------------------------------------------------------------------------------------------------
// Response pieces. Objects are loose: ECS adds fields over time and the console must not break on them.
// List wrappers (`Instances`, `KeyPairs`, …) are optional: expect a missing one (docs/ecs-notes.md#empty-wrappers).

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
  /** LoginAsNonRoot: the login user is `ecs-user`, not root (docs/ecs-notes.md#boot-time-key-handling). */
  ImageOptions: z.looseObject({ LoginAsNonRoot: LooseFlag.optional() }).optional(),
});
export type Instance = z.infer<typeof Instance>;

export const KeyPair = z.looseObject({
  KeyPairName: z.string(),
  KeyPairFingerPrint: z.string().optional(),
  CreationTime: z.string().optional(),
  ResourceGroupId: z.string().optional(),
  Tags: TagSet.optional(),
  /** The OpenSSH line, only with IncludePublicKey=true (docs/ecs-notes.md#describe-key-pairs). */
  PublicKey: z.string().optional(),
});
export type KeyPair = z.infer<typeof KeyPair>;

export const Region = z.looseObject({
  RegionId: z.string(),
  LocalName: z.string(),
  RegionEndpoint: z.string().optional(),
  Status: z.string().optional(),
});
export type Region = z.infer<typeof Region>;

export const KeyPairResult = z.looseObject({
  InstanceId: z.string(),
  Code: LooseCode,
  Message: z.string().optional(),
  Success: LooseFlag.optional(),
});
export type KeyPairResult = z.infer<typeof KeyPairResult>;

export const InstanceResponse = z.looseObject({
  InstanceId: z.string(),
  Code: LooseCode,
  Message: z.string().optional(),
  PreviousStatus: z.string().optional(),
  CurrentStatus: z.string().optional(),
});
export type InstanceResponse = z.infer<typeof InstanceResponse>;

export const Envelope = { RequestId: z.string() };
