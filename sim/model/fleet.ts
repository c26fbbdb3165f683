import type { InstanceStatus } from '../../ecs/contract';
import { drawInside } from './fleet-inside';
import { COLLEAGUES, drawKeySeed } from './keys';
import { formatMinute } from './model';
import type { Fleet, RegionInfo, RegionState, SimInstance, SimKeyPair, Slot } from './model';
import { Rng } from './random';

/**
 * Builds the deterministic simulated account: seven regions, one large (cn-hangzhou, `instances` long) and six
 * small ones, each with twelve key pairs. Same seed, same fleet, down to every IP address. Only the clock-relative
 * ends of the few mid-transition instances depend on `now`.
 */

export const REGIONS: readonly RegionInfo[] = [
  { RegionId: 'cn-hangzhou', zh: '华东1（杭州）', en: 'China (Hangzhou)', zones: ['g', 'h', 'i'], idPrefix: 'bp1' },
  { RegionId: 'cn-shanghai', zh: '华东2（上海）', en: 'China (Shanghai)', zones: ['e', 'f', 'g'], idPrefix: 'uf6' },
  { RegionId: 'cn-beijing', zh: '华北2（北京）', en: 'China (Beijing)', zones: ['g', 'h', 'i'], idPrefix: '2ze' },
  { RegionId: 'cn-shenzhen', zh: '华南1（深圳）', en: 'China (Shenzhen)', zones: ['c', 'd', 'e'], idPrefix: 'wz9' },
  { RegionId: 'ap-southeast-1', zh: '新加坡', en: 'Singapore', zones: ['a', 'b', 'c'], idPrefix: 't4n' },
  { RegionId: 'eu-central-1', zh: '德国（法兰克福）', en: 'Germany (Frankfurt)', zones: ['a', 'b', 'c'], idPrefix: 'gw8' },
  { RegionId: 'us-west-1', zh: '美国（硅谷）', en: 'US (Silicon Valley)', zones: ['a', 'b', 'c'], idPrefix: 'rj9' },
].map((r) => ({ ...r, zones: r.zones.map((z) => `${r.RegionId}-${z}`) }));

export const LARGE_REGION = 'cn-hangzhou';

/** Fixed reference date, so creation and start times do not drift with the wall clock. */
const EPOCH = Date.UTC(2026, 0, 15, 8, 0);
const DAY = 86_400_000;

interface OsSpec {
  OSType: 'linux' | 'windows';
  OSName: string;
  OSNameEn: string;
  ImageId: string;
}

const LINUX: readonly (readonly [OsSpec, number])[] = [
  [
    {
      OSType: 'linux',
      OSName: 'Alibaba Cloud Linux  3.2104 LTS 64位',
      OSNameEn: 'Alibaba Cloud Linux  3.2104 LTS 64 bit',
      ImageId: 'aliyun_3_x64_20G_alibase_20240819.vhd',
    },
    35,
  ],
  [
    {
      OSType: 'linux',
      OSName: 'Ubuntu  22.04 64位',
      OSNameEn: 'Ubuntu  22.04 64 bit',
      ImageId: 'ubuntu_22_04_x64_20G_alibase_20240130.vhd',
    },
    25,
  ],
  [{ OSType: 'linux', OSName: 'CentOS  7.9 64位', OSNameEn: 'CentOS  7.9 64 bit', ImageId: 'centos_7_9_x64_20G_alibase_20240628.vhd' }, 18],
  [
    { OSType: 'linux', OSName: 'Debian  12.6 64位', OSNameEn: 'Debian  12.6 64 bit', ImageId: 'debian_12_6_x64_20G_alibase_20240819.vhd' },
    12,
  ],
  [
    {
      OSType: 'linux',
      OSName: 'Rocky Linux  9.4 64位',
      OSNameEn: 'Rocky Linux  9.4 64 bit',
      ImageId: 'rockylinux_9_4_x64_20G_alibase_20240709.vhd',
    },
    10,
  ],
];
const WINDOWS: readonly OsSpec[] = [
  {
    OSType: 'windows',
    OSName: 'Windows Server 2022 数据中心版 64位中文版',
    OSNameEn: 'Windows Server 2022 Data Center Edition 64bit Chinese Edition',
    ImageId: 'win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240816.vhd',
  },
  {
    OSType: 'windows',
    OSName: 'Windows Server 2019 数据中心版 64位英文版',
    OSNameEn: 'Windows Server 2019 Data Center Edition 64bit English Edition',
    ImageId: 'win2019_1809_x64_dtc_en-us_40G_alibase_20240816.vhd',
  },
];

/** Roles give names (`web-prod-012`) and the `app` tag; Windows boxes get Windows-ish roles. */
interface Role {
  name: string;
  app: Tag;
}
type Tag = { TagKey: string; TagValue: string };

/**
 * Nested values many instances have in common are built once and frozen: fewer allocations for 10,000-instance
 * fleets, and a consumer that mutates a nested part of a response row gets a TypeError (modules are strict)
 * instead of silently changing thousands of instances. They stay
 * typed as the (mutable) wire types, because that is what they are on the wire.
 */
function frozen<T extends object>(value: T): T {
  Object.freeze(value);
  return value;
}
const makeTag = (key: string, value: string): Tag => frozen({ TagKey: key, TagValue: value });
const role = (name: string, app: string): Role => ({ name, app: makeTag('app', app) });

const LINUX_ROLES: readonly Role[] = [
  role('web', 'storefront'),
  role('api', 'gateway'),
  role('db', 'mysql'),
  role('cache', 'redis'),
  role('worker', 'jobs'),
  role('batch', 'etl'),
  role('gw', 'ingress'),
  role('bastion', 'access'),
  role('mq', 'kafka'),
  role('search', 'elasticsearch'),
  role('ml', 'inference'),
  role('ci', 'runner'),
];
const WINDOWS_ROLES: readonly Role[] = [role('ad', 'directory'), role('rdp', 'desktop'), role('mssql', 'sqlserver'), role('iis', 'portal')];
const ENVS: readonly (readonly [Tag, number])[] = [
  [makeTag('env', 'prod'), 50],
  [makeTag('env', 'stg'), 25],
  [makeTag('env', 'dev'), 25],
];
const TEAMS: readonly Tag[] = ['platform', 'payments', 'data', 'growth', 'infra', 'security'].map((t) => makeTag('team', t));
const NO_IPS = frozen({ IpAddress: frozen<string[]>([]) });
const NO_EIP = frozen({ AllocationId: '', IpAddress: '', InternetChargeType: '' });
const NO_LOCKS = frozen({ LockReason: frozen<{ LockReason: string; LockMsg: string }[]>([]) });
const SECURITY_LOCK = frozen({
  LockReason: frozen([frozen({ LockReason: 'security', LockMsg: 'The instance is locked because a security risk was detected.' })]),
});
const FINANCIAL_LOCK = frozen({
  LockReason: frozen([frozen({ LockReason: 'financial', LockMsg: 'The instance is locked due to an overdue payment.' })]),
});
const POSTPAID_EXPIRY = '2099-12-31T15:59Z';

const INSTANCE_TYPES: readonly (readonly [string, number, number])[] = [
  ['ecs.g7.large', 2, 8192],
  ['ecs.g7.xlarge', 4, 16384],
  ['ecs.c7.large', 2, 4096],
  ['ecs.c7.2xlarge', 8, 16384],
  ['ecs.r7.large', 2, 16384],
  ['ecs.g6.large', 2, 8192],
  ['ecs.t6-c1m2.large', 2, 4096],
  ['ecs.g8i.xlarge', 4, 16384],
  ['ecs.u1-c1m2.large', 2, 4096],
];

/** Mostly Running and Stopped (~65/28); a few are caught mid-transition and settle shortly (model.ts). */
const STATUS_MIX: readonly (readonly [InstanceStatus, number])[] = [
  ['Running', 65],
  ['Stopped', 28],
  ['Starting', 3.5],
  ['Stopping', 3.5],
];

/** The first four exist in every region (demos and tests rely on them); eight more are drawn from the rest. */
const ALWAYS_KEY_PAIRS = ['ops-team', 'alice-laptop', 'break-glass-2026', 'ci-deploy'];
const OTHER_KEY_PAIRS = [
  'sre-oncall',
  'bob-workstation',
  'data-eng',
  'release-bot',
  'carol-macbook',
  'legacy-2019',
  'bastion-access',
  'ansible',
  'dave-thinkpad',
  'payments-deploy',
  'terraform',
  'vendor-support',
];
export const KEY_PAIRS_PER_REGION = 12;

/** Settled within seconds of construction so a fresh fleet quickly reaches Running/Stopped. */
const SETTLE_MIN_MS = 800;
const SETTLE_MAX_MS = 4000;

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

const PUBLIC_FIRST_OCTETS = [47, 101, 118, 120, 121, 139];
function publicIp(rng: Rng): string {
  return `${rng.pick(PUBLIC_FIRST_OCTETS)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

/** Unique per region: 172.16.1.1, 172.16.1.2, …, never .0 or .255. */
function privateIp(index: number): string {
  const n = Math.floor(index / 253) * 256 + (index % 253) + 1 + 256;
  return `172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * Every pair gets an ed25519 key from 32 seeded bytes (keys.ts); the key itself, and with it KeyPairFingerPrint
 * and PublicKey, is derived on first use (model.ts keyPairsOf).
 */
function buildKeyPairs(rng: Rng, groups: readonly string[], seeds: Map<string, Uint8Array>): SimKeyPair[] {
  const names = [...ALWAYS_KEY_PAIRS, ...shuffled(rng, OTHER_KEY_PAIRS).slice(0, KEY_PAIRS_PER_REGION - ALWAYS_KEY_PAIRS.length)];
  return names
    .map((name) => {
      const created = EPOCH - rng.int(10, 1500) * DAY - rng.int(0, 1439) * 60_000;
      seeds.set(name, drawKeySeed(rng));
      const pair: SimKeyPair = {
        KeyPairName: name,
        KeyPairFingerPrint: '',
        CreationTime: '',
        ResourceGroupId: rng.pick(groups),
        Tags: { Tag: [rng.pick(TEAMS)] },
        PublicKey: '',
      };
      return { created, pair };
    })
    .sort((a, b) => a.created - b.created)
    .map(({ created, pair }) => ({ ...pair, CreationTime: formatMinute(created) }));
}

interface Network {
  vpcs: { VpcId: string; vswitches: Map<string, string> }[];
}

function buildNetwork(rng: Rng, info: RegionInfo): Network {
  const vpcs = [0, 1].map(() => {
    const vswitches = new Map<string, string>();
    for (const zone of info.zones) vswitches.set(zone, `vsw-${info.idPrefix}${rng.alnum(17)}`);
    return { VpcId: `vpc-${info.idPrefix}${rng.alnum(17)}`, vswitches };
  });
  return { vpcs };
}

/**
 * Creation times are drawn first, sorted and made strictly increasing, so generation order is already the listing
 * order (creation time, docs/ecs-notes.md#instance-paging): no sort of 10,000 records afterwards, and no ties to
 * break.
 */
function creationTimes(rng: Rng, size: number): Float64Array {
  const times = new Float64Array(size);
  for (let i = 0; i < size; i++) times[i] = EPOCH - rng.int(1, 1400) * DAY - rng.int(0, 1439) * 60_000;
  times.sort();
  for (let i = 1; i < size; i++) {
    const previous = times[i - 1] ?? 0;
    if ((times[i] ?? 0) <= previous) times[i] = previous + 60_000;
  }
  return times;
}

interface Streams {
  fleet: Rng;
  inside: Rng;
  colleagueSeeds: readonly Uint8Array[];
}

function buildRegion(
  streams: Streams,
  info: RegionInfo,
  size: number,
  groups: readonly string[],
  byId: Map<string, Slot>,
  now: number,
): RegionState {
  const rng = streams.fleet;
  const region: RegionState = {
    info,
    slots: [],
    keyPairs: [],
    keyPairByName: new Map(),
    keySeeds: new Map(),
    colleagueSeeds: streams.colleagueSeeds,
    transitioning: new Set(),
    invocations: [],
    invocationById: new Map(),
    clientTokens: new Map(),
  };
  region.keyPairs = buildKeyPairs(rng, groups, region.keySeeds);
  for (const pair of region.keyPairs) region.keyPairByName.set(pair.KeyPairName, pair);
  const network = buildNetwork(rng, info);
  // The four always-present pairs are the popular ones.
  const keyPairWeights = region.keyPairs.map((p) => [p.KeyPairName, ALWAYS_KEY_PAIRS.includes(p.KeyPairName) ? 4 : 1] as const);
  const created = creationTimes(rng, size);
  const counters = new Map<string, number>();

  for (let i = 0; i < size; i++) {
    let id = `i-${info.idPrefix}${rng.alnum(17)}`;
    while (byId.has(id)) id = `i-${info.idPrefix}${rng.alnum(17)}`;

    const isWindows = rng.chance(0.15);
    const os = isWindows ? rng.pick(WINDOWS) : rng.weighted(LINUX);
    const { name: roleName, app } = rng.pick(isWindows ? WINDOWS_ROLES : LINUX_ROLES);
    const env = rng.weighted(ENVS);
    const prefix = `${roleName}-${env.TagValue}`;
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    const name = `${prefix}-${n < 10 ? '00' : n < 100 ? '0' : ''}${n}`;

    const lockRoll = rng.next();
    const locks = lockRoll < 0.015 ? SECURITY_LOCK : lockRoll < 0.02 ? FINANCIAL_LOCK : NO_LOCKS;
    const drawn = rng.weighted(STATUS_MIX);
    // Financially locked instances are stopped by ECS; security locks leave the instance as it was.
    const status: InstanceStatus = locks === FINANCIAL_LOCK ? 'Stopped' : drawn;
    const keyPair = !isWindows && rng.chance(0.35) ? rng.weighted(keyPairWeights) : undefined;

    const zone = rng.pick(info.zones);
    const vpc = rng.pick(network.vpcs);
    const [type, cpu, memory] = rng.pick(INSTANCE_TYPES);
    const createdAt = created[i] ?? EPOCH;
    const isPrePaid = rng.chance(0.2);
    const ipRoll = rng.next();
    const tags = [env];
    if (rng.chance(0.9)) tags.push(rng.pick(TEAMS));
    tags.push(app);
    const startedAt = createdAt + Math.floor(rng.next() * (EPOCH - createdAt));

    const data: SimInstance = {
      InstanceId: id,
      InstanceName: name,
      HostName: name,
      Status: status,
      OSType: os.OSType,
      OSName: os.OSName,
      OSNameEn: os.OSNameEn,
      RegionId: info.RegionId,
      ZoneId: zone,
      InstanceType: type,
      Cpu: cpu,
      Memory: memory,
      ImageId: os.ImageId,
      IoOptimized: true,
      CreationTime: formatMinute(createdAt),
      StartTime: formatMinute(startedAt),
      ExpiredTime: isPrePaid ? formatMinute(EPOCH + rng.int(20, 400) * DAY) : POSTPAID_EXPIRY,
      InstanceNetworkType: 'vpc',
      InstanceChargeType: isPrePaid ? 'PrePaid' : 'PostPaid',
      ResourceGroupId: rng.pick(groups),
      StoppedMode: status === 'Stopped' ? rng.pick(['KeepCharging', 'StopCharging']) : 'Not-applicable',
      VpcAttributes: {
        VpcId: vpc.VpcId,
        VSwitchId: vpc.vswitches.get(zone) ?? '',
        NatIpAddress: '',
        PrivateIpAddress: { IpAddress: [privateIp(i)] },
      },
      PublicIpAddress: ipRoll < 0.4 ? { IpAddress: [publicIp(rng)] } : NO_IPS,
      InnerIpAddress: NO_IPS,
      EipAddress:
        ipRoll >= 0.4 && ipRoll < 0.5
          ? { AllocationId: `eip-${info.idPrefix}${rng.alnum(17)}`, IpAddress: publicIp(rng), InternetChargeType: 'PayByTraffic' }
          : NO_EIP,
      Tags: { Tag: tags },
      OperationLocks: locks,
    };
    // Absent rather than empty when unbound (docs/ecs-notes.md#instance-fields).
    if (keyPair !== undefined) data.KeyPairName = keyPair;
    const inside = drawInside(streams.inside, data, keyPair, startedAt, now);
    data.ImageOptions = inside.imageOptions;

    const slot: Slot = { data, region, order: i, pending: [], sshPlan: inside.plan, ssh: undefined, agent: inside.agent, runs: [] };
    if (status === 'Starting' || status === 'Stopping') {
      // Keep the drawn status for now and finish it shortly: Starting → Running, Stopping → Stopped.
      slot.pending.push({ status: status === 'Starting' ? 'Running' : 'Stopped', at: now + rng.int(SETTLE_MIN_MS, SETTLE_MAX_MS) });
      region.transitioning.add(slot);
    }
    region.slots.push(slot);
    byId.set(id, slot);
  }
  return region;
}

export function buildFleet(seed: string, largeRegionSize: number, now: number): Fleet {
  const rng = new Rng(`${seed}/fleet`);
  const colleagueRng = new Rng(`${seed}/colleagues`);
  const streams: Streams = { fleet: rng, inside: new Rng(`${seed}/ssh`), colleagueSeeds: COLLEAGUES.map(() => drawKeySeed(colleagueRng)) };
  const groups = [0, 1, 2].map(() => `rg-acfm${rng.alnum(11)}`);
  const byId = new Map<string, Slot>();
  const regions = REGIONS.map((info) =>
    buildRegion(streams, info, info.RegionId === LARGE_REGION ? largeRegionSize : rng.int(20, 60), groups, byId, now),
  );
  return { regions, byRegion: new Map(regions.map((r) => [r.info.RegionId, r])), byId };
}
