import type { InvocationStatus } from '../../ecs/cloud-assistant';
import { encodeBase64 } from '../../ecs/ssh-keys';
import { LIMITS } from '../../ecs/wire';
import type { CommandFaultMode } from './control';
import { runScript } from './script-run';
import { cloneSsh, type SshState } from './ssh';

/**
 * Cloud Assistant invocations (docs/ecs-notes.md#invocation-results): one per accepted RunCommand, with one run
 * per instance that moves on with the simulator clock, lazily, like an instance's boot (model.ts `settle`):
 * Pending for the delivery time, then Running, then Success / Failed / Timeout, or Aborted / Invalid without
 * running. This file holds the records and their rules; model.ts decides when each step is due, and
 * cloud-assistant.ts answers the calls.
 */

/** How one instance's run of an accepted call plays out (SimControl.commandMs and commandFaults). */
export interface CommandPlan {
  deliveryMs: number;
  runMs: number;
  fault: { mode: CommandFaultMode; exitCode: number } | null;
}

export interface Invocation {
  InvokeId: string;
  CommandId: string;
  CommandName: string;
  CommandDescription: string;
  CommandType: string;
  /** The content as sent, decoded to text, before parameter substitution. */
  content: string;
  /** The call's Parameters when EnableParameter=true (values as strings). */
  parameters: Readonly<Record<string, string>> | undefined;
  /** The Parameters as ECS shows them: a JSON string, "{}" when none. */
  parametersJson: string;
  timeoutS: number;
  username: string;
  workingDir: string;
  terminationMode: string;
  createdAt: number;
  runs: InstanceRun[];
}

export interface InstanceRun {
  readonly invocation: Invocation;
  readonly instanceId: string;
  readonly deliverAt: number;
  readonly plan: CommandPlan;
  status: InvocationStatus;
  startedAt: number | undefined;
  /** When the Running phase ends (set at delivery). */
  endAt: number | undefined;
  /** The command runs out of time before it ends: it ends Timeout at `endAt`. */
  timesOut: boolean;
  finishedAt: number | undefined;
  updatedAt: number;
  /** Set only once the process exited: never a 0 that was not an exit. */
  exitCode: number | undefined;
  errorCode: string;
  errorInfo: string;
  /** Plain text, cut at 24 KB. */
  output: string;
  dropped: number;
}

/** What a run needs to know about its instance when a step is due. */
export interface RunContext {
  isRunning: boolean;
  /** The agent is installed and healthy (it may have been set offline after the call was accepted). */
  isAgentUp: boolean;
  /** The instance's SSH model (Linux); undefined for Windows. */
  ssh: SshState | undefined;
  /** The OS user exists on the instance. */
  hasUser: (name: string) => boolean;
}

const ERROR_INFO: Record<string, string> = {
  InstanceNotRunning: 'The instance is not running when the command is started.',
  ClientNotRunning: 'The Cloud Assistant agent is not running.',
  AccountNotExists: 'The specified account does not exist.',
  ExecutionTimeout: 'The execution timed out.',
  ExitCodeNonzero: 'The execution of the command is complete, but the exit code is not 0.',
  ExecutionInterrupted: 'The task was interrupted.',
};

export function newRun(invocation: Invocation, instanceId: string, plan: CommandPlan, now: number): InstanceRun {
  return {
    invocation,
    instanceId,
    deliverAt: now + plan.deliveryMs,
    plan,
    status: 'Pending',
    startedAt: undefined,
    endAt: undefined,
    timesOut: false,
    finishedAt: undefined,
    updatedAt: now,
    exitCode: undefined,
    errorCode: '',
    errorInfo: '',
    output: '',
    dropped: 0,
  };
}

/** When this run's next step is due, or undefined once it has ended. */
export function nextStepAt(run: InstanceRun): number | undefined {
  if (run.status === 'Pending') return run.deliverAt;
  if (run.status === 'Running') return run.endAt;
  return undefined;
}

function end(run: InstanceRun, at: number, status: InvocationStatus, errorCode = ''): void {
  run.status = status;
  run.finishedAt = at;
  run.updatedAt = at;
  run.errorCode = errorCode;
  run.errorInfo = ERROR_INFO[errorCode] ?? '';
}

function setOutput(run: InstanceRun, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= LIMITS.commandOutputBytes) {
    run.output = text;
    return;
  }
  run.output = new TextDecoder().decode(bytes.subarray(0, LIMITS.commandOutputBytes));
  run.dropped = bytes.length - LIMITS.commandOutputBytes;
}

/** Applies the step due at `nextStepAt(run)`. */
export function step(run: InstanceRun, ctx: RunContext): void {
  const at = nextStepAt(run);
  if (at === undefined) return;
  if (run.status === 'Pending') deliver(run, at, ctx);
  else finish(run, at, ctx);
}

function deliver(run: InstanceRun, at: number, ctx: RunContext): void {
  const { plan, invocation } = run;
  // The call was checked when it was accepted; a reboot in between means the command finds no running instance.
  if (!ctx.isRunning) return end(run, at, 'Aborted', 'InstanceNotRunning');
  if (plan.fault?.mode === 'agent-lost' || !ctx.isAgentUp) return end(run, at, 'Aborted', 'ClientNotRunning');
  // Status for a missing user: unconfirmed (docs/ecs-notes.md#open-items); Invalid is "a parameter is invalid".
  if (!ctx.hasUser(invocation.username)) return end(run, at, 'Invalid', 'AccountNotExists');
  const timeoutMs = invocation.timeoutS * 1000;
  run.status = 'Running';
  run.startedAt = at;
  run.updatedAt = at;
  run.timesOut = plan.fault?.mode === 'timeout' || plan.runMs > timeoutMs;
  run.endAt = at + (run.timesOut ? timeoutMs : plan.runMs);
}

function finish(run: InstanceRun, at: number, ctx: RunContext): void {
  const { plan, invocation } = run;
  if (run.timesOut) return end(run, at, 'Timeout', 'ExecutionTimeout');
  if (plan.fault?.mode === 'exit') {
    run.exitCode = plan.fault.exitCode;
    setOutput(run, `simulated failure: the command exited ${plan.fault.exitCode} (SimControl.commandFaults)\n`);
    return end(run, at, 'Failed', 'ExitCodeNonzero');
  }
  // write-lost: the script runs against a copy, so it reports a write that never reaches the file.
  const ssh = plan.fault?.mode === 'write-lost' && ctx.ssh !== undefined ? cloneSsh(ctx.ssh) : ctx.ssh;
  const result = runScript(ssh, { content: invocation.content, parameters: invocation.parameters, username: invocation.username });
  run.exitCode = result.exitCode;
  setOutput(run, result.output);
  if (result.exitCode === 0) end(run, at, 'Success');
  else end(run, at, 'Failed', 'ExitCodeNonzero');
}

/** The instance stopped under a running command (the unconfirmed status is our choice, docs/ecs-notes.md#open-items). */
export function interrupt(run: InstanceRun, at: number): void {
  if (run.status === 'Running') end(run, at, 'Failed', 'ExecutionInterrupted');
}

// ---------------------------------------------------------------------------------------------------------
// Statuses as the answers show them (docs/ecs-notes.md#invocation-results).

const isDone = (status: InvocationStatus): boolean => status !== 'Pending' && status !== 'Running' && status !== 'Scheduled';
/** The command ran and exited: Success or a non-zero exit. */
const hasExited = (run: InstanceRun): boolean => run.status === 'Success' || (run.status === 'Failed' && run.exitCode !== undefined);
const isStopped = (status: InvocationStatus): boolean => status === 'Cancelled' || status === 'Terminated';

/** The legacy per-instance `InvokeRecordStatus` / `InstanceInvokeStatus`. */
export function legacyRunStatus(run: InstanceRun): string {
  if (!isDone(run.status)) return 'Running';
  if (isStopped(run.status)) return 'Stopped';
  return hasExited(run) ? 'Finished' : 'Failed';
}

/** The task's overall `InvocationStatus` and legacy `InvokeStatus`. */
export function taskStatus(runs: readonly InstanceRun[]): { InvocationStatus: string; InvokeStatus: string } {
  if (runs.some((r) => !isDone(r.status))) {
    return { InvocationStatus: runs.every((r) => r.status === 'Pending') ? 'Pending' : 'Running', InvokeStatus: 'Running' };
  }
  const success = runs.filter((r) => r.status === 'Success').length;
  const stopped = runs.filter((r) => isStopped(r.status)).length;
  const failed = runs.length - success - stopped;
  // Success: at least one Success, the rest Success or stopped; Failed: none succeeded; else PartialFailed.
  let InvocationStatus = 'PartialFailed';
  if (failed === 0) InvocationStatus = success > 0 ? 'Success' : 'Stopped';
  else if (success === 0) InvocationStatus = 'Failed';
  const notExited = runs.filter((r) => !hasExited(r) && !isStopped(r.status)).length;
  const InvokeStatus =
    notExited === 0 ? (stopped === runs.length ? 'Stopped' : 'Finished') : notExited === runs.length ? 'Failed' : 'PartialFailed';
  return { InvocationStatus, InvokeStatus };
}

// ---------------------------------------------------------------------------------------------------------
// Rendering.

/** `yyyy-MM-ddTHH:mm:ssZ`, the second-precision form of the Cloud Assistant examples. */
export function formatSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const time = (ms: number | undefined): string => (ms === undefined ? '' : formatSecond(ms));

/** Base64 by default; PlainText only when asked, case-insensitively (docs/ecs-notes.md#invocation-results). */
export function encodeText(text: string, contentEncoding: string | undefined): string {
  return contentEncoding?.toLowerCase() === 'plaintext' ? text : encodeBase64(new TextEncoder().encode(text));
}

function exitCode(run: InstanceRun): Record<string, number> {
  return run.exitCode === undefined ? {} : { ExitCode: run.exitCode };
}

/** One row of DescribeInvocations' `InvokeInstances.InvokeInstance[]` (note `FinishTime`). */
export function invokeInstanceRow(run: InstanceRun, output: { include: boolean; encoding: string | undefined }): Record<string, unknown> {
  return {
    InstanceId: run.instanceId,
    InvocationStatus: run.status,
    InstanceInvokeStatus: legacyRunStatus(run),
    ...exitCode(run),
    ErrorCode: run.errorCode,
    ErrorInfo: run.errorInfo,
    ...(output.include ? { Output: encodeText(run.output, output.encoding), Dropped: run.dropped } : {}),
    Repeats: run.startedAt === undefined ? 0 : 1,
    CreationTime: formatSecond(run.invocation.createdAt),
    StartTime: time(run.startedAt),
    FinishTime: time(run.finishedAt),
    StopTime: '',
    UpdateTime: formatSecond(run.updatedAt),
    Timed: false,
  };
}

/** One entry of DescribeInvocations' `Invocations.Invocation[]`, over the given runs. */
export function invocationRow(
  invocation: Invocation,
  runs: readonly InstanceRun[],
  rows: Record<string, unknown>[],
  encoding: string | undefined,
) {
  return {
    InvokeId: invocation.InvokeId,
    CommandId: invocation.CommandId,
    CommandName: invocation.CommandName,
    CommandType: invocation.CommandType,
    CommandContent: encodeText(invocation.content, encoding),
    CommandDescription: invocation.CommandDescription,
    CreationTime: formatSecond(invocation.createdAt),
    Frequency: '',
    RepeatMode: 'Once',
    Timed: false,
    Timeout: invocation.timeoutS,
    Username: invocation.username,
    WorkingDir: invocation.workingDir,
    Parameters: invocation.parametersJson,
    ...taskStatus(runs),
    TerminationMode: invocation.terminationMode,
    InvokeInstances: { InvokeInstance: rows },
    Tags: { Tag: [] },
  };
}

/** One row of DescribeInvocationResults' `Invocation.InvocationResults.InvocationResult[]` (note `FinishedTime`). */
export function resultRow(run: InstanceRun, encoding: string | undefined): Record<string, unknown> {
  return {
    InvokeId: run.invocation.InvokeId,
    CommandId: run.invocation.CommandId,
    InstanceId: run.instanceId,
    InvocationStatus: run.status,
    InvokeRecordStatus: legacyRunStatus(run),
    ...exitCode(run),
    ErrorCode: run.errorCode,
    ErrorInfo: run.errorInfo,
    Output: encodeText(run.output, encoding),
    Dropped: run.dropped,
    Repeats: run.startedAt === undefined ? 0 : 1,
    StartTime: time(run.startedAt),
    FinishedTime: time(run.finishedAt),
    StopTime: '',
    Username: run.invocation.username,
    TerminationMode: run.invocation.terminationMode,
    Launcher: '',
    ContainerId: '',
    ContainerName: '',
    Tags: { Tag: [] },
  };
}
