import { isBase64Encoding } from '../../ecs/cloud-assistant';
import type { RequestOf } from '../../ecs/contract';
import { LIMITS } from '../../ecs/wire';
import { encodeBase64 } from '../../ecs/ssh-keys';
import { cloudAssistantErrors as errors } from './cloud-assistant-errors';
import {
  formatSecond,
  invocationRow,
  invokeInstanceRow,
  legacyRunStatus,
  newRun,
  resultRow,
  taskStatus,
  type Invocation,
} from './invocations';
import { addRun, isAgentBeating, requireRegion, settle, settleRegion } from './model';
import type { RegionState, Slot, World } from './model';
import { DEFAULT_PAGE_SIZE, decodeNextToken, encodeNextToken } from './paging';
import { heartbeatAt } from './ssh';

/**
 * The Cloud Assistant actions (docs/ecs-notes.md#cloud-assistant): DescribeCloudAssistantStatus, RunCommand and
 * the two invocation reads. RunCommand checks the whole call before anything runs: one instance that is not
 * Running or whose agent is not heartbeating refuses it all (docs/ecs-notes.md#two-levels-of-failure); after
 * that, each instance's result arrives on its own, with the clock (invocations.ts).
 */

type Body = Record<string, unknown>;

/** The instance if it exists in this region, settled to `now`. */
function slotIn(world: World, region: RegionState, instanceId: string): Slot | undefined {
  const slot = world.fleet.byId.get(instanceId);
  if (slot === undefined || slot.region !== region) return undefined;
  settle(slot, world.now);
  return slot;
}

/** A token-paged slice: MaxResults (default 10) from the offset the NextToken names, scoped to one listing. */
function tokenPage<T>(rows: readonly T[], scope: string, maxResults: number | undefined, nextToken: string | undefined) {
  const size = maxResults ?? DEFAULT_PAGE_SIZE;
  const offset = nextToken ? decodeNextToken(scope, nextToken) : 0;
  return {
    page: rows.slice(offset, offset + size),
    paging: {
      TotalCount: rows.length,
      PageNumber: Math.floor(offset / size) + 1,
      PageSize: size,
      // Empty on the last page, as DescribeInstances does (docs/ecs-notes.md#instance-paging).
      NextToken: offset + size < rows.length ? encodeNextToken(scope, offset + size) : '',
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// DescribeCloudAssistantStatus (docs/ecs-notes.md#cloud-assistant-status)

/** Session Manager needs Linux agent 2.2.3.189 or later. */
function supportsSessionManager(slot: Slot): boolean {
  const parts = slot.agent.version.split('.').map(Number);
  const [a = 0, b = 0, c = 0, d = 0] = parts;
  return slot.data.OSType === 'linux' && a * 1e9 + b * 1e6 + c * 1e4 + d >= 2 * 1e9 + 2 * 1e6 + 3 * 1e4 + 189;
}

function statusRow(slot: Slot, now: number): Body {
  const agent = slot.agent;
  const isBeating = isAgentBeating(slot);
  const last = isBeating ? heartbeatAt(agent, now) : agent.lastHeartbeatAt;
  return {
    InstanceId: slot.data.InstanceId,
    // The declared string form; "true" means a heartbeat in the last two minutes.
    CloudAssistantStatus: isBeating ? 'true' : 'false',
    CloudAssistantVersion: agent.state === 'none' ? '' : agent.version,
    ...(last === undefined ? {} : { LastHeartbeatTime: formatSecond(last) }),
    ...(agent.lastInvokedAt === undefined ? {} : { LastInvokedTime: formatSecond(agent.lastInvokedAt) }),
    ActiveTaskCount: slot.runs.length,
    InvocationCount: agent.invocationCount,
    OSType: slot.data.OSType === 'windows' ? 'Windows' : 'Linux',
    SupportSessionManager: supportsSessionManager(slot),
  };
}

/**
 * With InstanceId.N (≤ 100) every named instance is answered and MaxResults is ignored; one unknown ID fails
 * the call (unconfirmed, docs/ecs-notes.md#cloud-assistant-status). Without, the region pages by MaxResults and
 * NextToken.
 */
export function describeCloudAssistantStatus(world: World, req: RequestOf<'DescribeCloudAssistantStatus'>): Body {
  const region = requireRegion(world, req.RegionId);
  const os = req.OSType?.toLowerCase();
  const matchesOs = (slot: Slot) => os === undefined || slot.data.OSType === os;
  if (req.InstanceId !== undefined) {
    const slots = [...new Set(req.InstanceId)].map((id) => {
      const slot = slotIn(world, region, id);
      if (slot === undefined) throw errors.instanceNotFound();
      return slot;
    });
    const rows = slots.filter(matchesOs).map((slot) => statusRow(slot, world.now));
    return {
      TotalCount: rows.length,
      PageNumber: 1,
      PageSize: rows.length,
      NextToken: '',
      InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: rows },
    };
  }
  settleRegion(region, world.now);
  const all = os === undefined ? region.slots : region.slots.filter(matchesOs);
  const { page, paging } = tokenPage(all, `${region.info.RegionId}/cloud-assistant`, req.MaxResults, req.NextToken);
  return { ...paging, InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: page.map((slot) => statusRow(slot, world.now)) } };
}

// ---------------------------------------------------------------------------------------------------------
// RunCommand (docs/ecs-notes.md#run-command)

function decodeContent(req: RequestOf<'RunCommand'>): string {
  if (!isBase64Encoding(req.ContentEncoding)) return req.CommandContent;
  const text = req.CommandContent;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw errors.contentDecodeError();
  return new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
}

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** The custom `{{name}}` placeholders of the content; the built-in `{{ACS::…}}` ones need no value. */
function placeholders(content: string): Set<string> {
  const names = new Set<string>();
  for (const match of content.matchAll(PLACEHOLDER)) if (!match[1]?.startsWith('ACS::')) names.add(match[1] ?? '');
  return names;
}

/** The values to substitute, checked the way ECS checks them; undefined when parameters are off. */
function checkParameters(req: RequestOf<'RunCommand'>, content: string): Record<string, string> | undefined {
  const given = Object.entries(req.Parameters ?? {});
  if (req.EnableParameter !== true) {
    if (given.length > 0) throw errors.parameterDisabled();
    return undefined;
  }
  if (given.length > LIMITS.runCommandParameters) throw errors.parameterCountExceedLimit();
  if (given.some(([key]) => key.length === 0 || key.length > 64)) throw errors.parameterKeyExceedLimit();
  const names = placeholders(content);
  for (const [key] of given) if (!names.has(key)) throw errors.parameterNotMatched(key);
  const values = Object.fromEntries(given.map(([key, value]) => [key, String(value)]));
  for (const name of names) if (!Object.hasOwn(values, name)) throw errors.parameterMissingValue(name);
  return values;
}

/** ≤ 24 KB after Base64 with the parameters substituted (18 KB when the command is kept). */
function checkSize(content: string, parameters: Record<string, string> | undefined, isKept: boolean): void {
  const substituted = parameters === undefined ? content : content.replace(PLACEHOLDER, (whole, name: string) => parameters[name] ?? whole);
  const size = encodeBase64(new TextEncoder().encode(substituted)).length;
  if (size > (isKept ? LIMITS.keptCommandContentBytes : LIMITS.commandContentBytes)) throw errors.contentExceedLimit();
}

/** A canonical form of the call without its ClientToken: keys sorted at every level. */
function signatureOf(req: RequestOf<'RunCommand'>): string {
  const sort = (value: unknown): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([k, v]) => [k, sort(v)]),
        )
      : value;
  const rest: Record<string, unknown> = { ...req };
  delete rest['ClientToken'];
  return JSON.stringify(sort(rest));
}

/** The instance can take the command now: Running, agent heartbeating, and an OS that runs this Type. */
function canRun(slot: Slot, type: string): boolean {
  const wantsLinux = type === 'RunShellScript';
  return isAgentBeating(slot) && (slot.data.OSType === 'linux') === wantsLinux;
}

/**
 * Checks the parameters, then the ClientToken (the same token with the same parameters answers the first call
 * again and runs nothing), then every instance: unknown → InvalidInstance.NotFound; not Running, agent not
 * heartbeating, or the wrong OS for Type → InvalidInstance.NotMatch for the whole call, and nothing runs.
 */
export function runCommand(world: World, req: RequestOf<'RunCommand'>): Body {
  const region = requireRegion(world, req.RegionId);
  if (req.InstanceId === undefined) throw errors.missingInstanceId();
  const repeatMode = req.RepeatMode ?? 'Once';
  if (repeatMode !== 'Once' && repeatMode !== 'DryRun') throw errors.repeatModeNotSimulated(repeatMode);
  const content = decodeContent(req);
  const parameters = checkParameters(req, content);
  checkSize(content, parameters, req.KeepCommand === true);

  const signature = signatureOf(req);
  const token = req.ClientToken;
  const earlier = token === undefined ? undefined : region.clientTokens.get(token);
  if (earlier !== undefined) {
    if (earlier.signature !== signature) throw errors.idempotentParameterMismatch();
    return { CommandId: earlier.CommandId, InvokeId: earlier.InvokeId };
  }

  const slots = [...new Set(req.InstanceId)].map((id) => {
    const slot = slotIn(world, region, id);
    if (slot === undefined) throw errors.instanceNotFound();
    return slot;
  });
  if (slots.some((slot) => !canRun(slot, req.Type))) throw errors.instanceNotMatch();
  if (repeatMode === 'DryRun') throw errors.dryRunOperation();

  const isLinux = req.Type === 'RunShellScript';
  const username = req.Username ?? (isLinux ? 'root' : 'System');
  const invocation: Invocation = {
    InvokeId: world.newId('t', region),
    CommandId: world.newId('c', region),
    CommandName: req.Name ?? '',
    CommandDescription: req.Description ?? '',
    CommandType: req.Type,
    content,
    parameters,
    parametersJson: JSON.stringify(req.Parameters ?? {}),
    timeoutS: req.Timeout ?? 60,
    username,
    // The default for a non-root user is unconfirmed (docs/ecs-notes.md#open-items): that user's home here.
    workingDir: req.WorkingDir ?? (isLinux ? (username === 'root' ? '/root' : `/home/${username}`) : 'C:\\Windows\\system32'),
    terminationMode: req.TerminationMode ?? 'Process',
    createdAt: world.now,
    runs: [],
  };
  for (const slot of slots) {
    const id = slot.data.InstanceId;
    const plan = world.planCommand(id);
    // The agent drops out right after the check: the call is accepted, the command never arrives.
    if (plan.fault?.mode === 'agent-lost') world.recordAgent(id, 'offline');
    const run = newRun(invocation, id, plan, world.now);
    invocation.runs.push(run);
    addRun(slot, run);
    slot.agent.invocationCount += 1;
    slot.agent.lastInvokedAt = world.now;
  }
  region.invocations.push(invocation);
  region.invocationById.set(invocation.InvokeId, invocation);
  if (token !== undefined) region.clientTokens.set(token, { signature, CommandId: invocation.CommandId, InvokeId: invocation.InvokeId });
  return { CommandId: invocation.CommandId, InvokeId: invocation.InvokeId };
}

// ---------------------------------------------------------------------------------------------------------
// DescribeInvocations and DescribeInvocationResults (docs/ecs-notes.md#invocation-results)

/** Brings every instance of these invocations up to `now`. */
function settleRuns(world: World, invocations: readonly Invocation[]): void {
  for (const invocation of invocations) {
    for (const run of invocation.runs) {
      const slot = world.fleet.byId.get(run.instanceId);
      if (slot !== undefined) settle(slot, world.now);
    }
  }
}

/** The region's invocations, newest first, narrowed by ID filters. */
function candidates(region: RegionState, filter: { InvokeId?: string | undefined; CommandId?: string | undefined }): Invocation[] {
  if (filter.InvokeId !== undefined) {
    const one = region.invocationById.get(filter.InvokeId);
    return one === undefined || (filter.CommandId !== undefined && one.CommandId !== filter.CommandId) ? [] : [one];
  }
  const all = [...region.invocations].reverse();
  return filter.CommandId === undefined ? all : all.filter((i) => i.CommandId === filter.CommandId);
}

/**
 * Per task, with a row per instance (`FinishTime`). An InstanceId narrows to the tasks that ran there and to
 * that instance's row; Output is included only with IncludeOutput=true and an InvokeId or InstanceId.
 */
export function describeInvocations(world: World, req: RequestOf<'DescribeInvocations'>): Body {
  const region = requireRegion(world, req.RegionId);
  let list = candidates(region, req);
  const { CommandName, CommandType, InstanceId, InvokeStatus } = req;
  if (CommandName !== undefined) list = list.filter((i) => i.CommandName === CommandName);
  if (CommandType !== undefined) list = list.filter((i) => i.CommandType === CommandType);
  if (InstanceId !== undefined) list = list.filter((i) => i.runs.some((r) => r.instanceId === InstanceId));
  settleRuns(world, list);
  if (InvokeStatus !== undefined) {
    list = list.filter((i) => {
      const status = taskStatus(i.runs);
      return status.InvocationStatus === InvokeStatus || status.InvokeStatus === InvokeStatus;
    });
  }
  const { page, paging } = tokenPage(list, `${region.info.RegionId}/invocations`, req.MaxResults, req.NextToken);
  const output = {
    include: req.IncludeOutput === true && (req.InvokeId !== undefined || InstanceId !== undefined),
    encoding: req.ContentEncoding,
  };
  return {
    ...paging,
    Invocations: {
      Invocation: page.map((invocation) => {
        const runs = InstanceId === undefined ? invocation.runs : invocation.runs.filter((r) => r.instanceId === InstanceId);
        return invocationRow(
          invocation,
          runs,
          runs.map((run) => invokeInstanceRow(run, output)),
          req.ContentEncoding,
        );
      }),
    },
  };
}

/** Per instance (`FinishedTime`), inside the extra `Invocation` wrapper that also holds the paging fields. */
export function describeInvocationResults(world: World, req: RequestOf<'DescribeInvocationResults'>): Body {
  const region = requireRegion(world, req.RegionId);
  const list = candidates(region, req);
  settleRuns(world, list);
  const { InstanceId, InvokeRecordStatus } = req;
  let runs = list.flatMap((invocation) => invocation.runs);
  if (InstanceId !== undefined) runs = runs.filter((r) => r.instanceId === InstanceId);
  if (InvokeRecordStatus !== undefined)
    runs = runs.filter((r) => legacyRunStatus(r) === InvokeRecordStatus || r.status === InvokeRecordStatus);
  const { page, paging } = tokenPage(runs, `${region.info.RegionId}/invocation-results`, req.MaxResults, req.NextToken);
  return { Invocation: { ...paging, InvocationResults: { InvocationResult: page.map((run) => resultRow(run, req.ContentEncoding)) } } };
}
