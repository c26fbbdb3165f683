import { z } from 'zod';
import { Envelope, InstanceId, LooseCount, LooseFlag, NextToken, pageSize, RegionId, type WireShape } from './fields';
import { FIELD_LIMITS, LIMITS } from './wire';

/**
 * The Cloud Assistant part of the contract (docs/ecs-notes.md#cloud-assistant): the request and response schemas
 * of DescribeCloudAssistantStatus, RunCommand, DescribeInvocations and DescribeInvocationResults, and the status
 * values their answers carry. contract.ts joins these to the catalogue's internal actions (wire.ts
 * INTERNAL_ACTIONS): the proxy sends them itself and the browser never can. Wire names exactly as ECS spells
 * them, including the two spellings of the finish time (`FinishTime` per instance in DescribeInvocations,
 * `FinishedTime` in DescribeInvocationResults, docs/ecs-notes.md#invocation-results).
 */

// ---------------------------------------------------------------------------------------------------------
// Status values (docs/ecs-notes.md#invocation-results).

/** Per instance `InvocationStatus`; a one-off command ends in one of TERMINAL_INVOCATION_STATUSES. */
export const INVOCATION_STATUSES = [
  'Pending',
  'Scheduled',
  'Running',
  'Stopping',
  'Success',
  'Failed',
  'Invalid',
  'Aborted',
  'Error',
  'Timeout',
  'Cancelled',
  'Terminated',
] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];
export const TERMINAL_INVOCATION_STATUSES = [
  'Success',
  'Failed',
  'Invalid',
  'Aborted',
  'Error',
  'Timeout',
  'Cancelled',
  'Terminated',
] as const satisfies readonly InvocationStatus[];

/** Overall `InvocationStatus` of a task in DescribeInvocations. */
export const TASK_INVOCATION_STATUSES = [
  'Pending',
  'Scheduled',
  'Running',
  'Success',
  'Failed',
  'PartialFailed',
  'Stopping',
  'Stopped',
] as const;
/**
 * The legacy `InvokeStatus` (task) and `InvokeRecordStatus` / `InstanceInvokeStatus` (per instance). `Finished`
 * only means everything completed, whatever the exit codes: read each instance's InvocationStatus and ExitCode.
 */
export const LEGACY_INVOKE_STATUSES = ['Running', 'Finished', 'Failed', 'PartialFailed', 'Stopping', 'Stopped'] as const;

/** RunCommand's `Type` values; a Linux instance runs RunShellScript only. */
export const COMMAND_TYPES = ['RunShellScript', 'RunBatScript', 'RunPowerShellScript'] as const;
export const REPEAT_MODES = ['Once', 'Period', 'NextRebootOnly', 'EveryReboot', 'DryRun'] as const;
export const TERMINATION_MODES = ['Process', 'ProcessTree'] as const;

/** `ContentEncoding`: case-insensitive; on RunCommand anything else silently means PlainText (docs/ecs-notes.md#run-command). */
export function isBase64Encoding(value: string | undefined): boolean {
  return value?.toLowerCase() === 'base64';
}

// ---------------------------------------------------------------------------------------------------------
// Requests. Lengths ECS limits with its own codes are bounded here, and the simulator maps the failure to that
// code (sim/model/cloud-assistant-errors.ts); limits that need the decoded content (size, parameters) are
// checked by the simulator's handler.

const ContentEncoding = z.string().max(32);
const Id = z.string().min(1).max(FIELD_LIMITS.invokeIdMax);
const ParameterValue = z.union([z.string(), z.number(), z.boolean()]);

export const cloudAssistantSchemas = {
  DescribeCloudAssistantStatus: {
    request: z.strictObject({
      RegionId,
      InstanceId: z.array(InstanceId).min(1).max(LIMITS.cloudAssistantInstanceIds).optional(),
      OSType: z
        .string()
        .regex(/^(windows|linux|freebsd)$/i, 'must be Windows, Linux or FreeBSD')
        .optional(),
      MaxResults: pageSize(LIMITS.cloudAssistantPageSize).optional(),
      NextToken: NextToken.optional(),
    }),
    response: z.looseObject({
      ...Envelope,
      TotalCount: LooseCount.optional(),
      PageNumber: LooseCount.optional(),
      PageSize: LooseCount.optional(),
      NextToken: z.string().optional(),
      InstanceCloudAssistantStatusSet: z
        .looseObject({
          InstanceCloudAssistantStatus: z
            .array(
              z.looseObject({
                InstanceId: z.string(),
                /** Declared "true"/"false", sent as a boolean in the newest example: read with isTrue. */
                CloudAssistantStatus: LooseFlag,
                /** Empty when the agent is not installed. */
                CloudAssistantVersion: z.string().optional(),
                LastHeartbeatTime: z.string().optional(),
                LastInvokedTime: z.string().optional(),
                ActiveTaskCount: LooseCount.optional(),
                InvocationCount: LooseCount.optional(),
                OSType: z.string().optional(),
                SupportSessionManager: LooseFlag.optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    }),
    wire: { repeat: ['InstanceId'], numbers: ['MaxResults'] },
  },

  RunCommand: {
    request: z.strictObject({
      RegionId,
      Type: z.enum(COMMAND_TYPES),
      CommandContent: z.string().min(1),
      ContentEncoding: ContentEncoding.optional(),
      /** 1–100; mutually exclusive with ResourceTag.N, which the console never uses. */
      InstanceId: z.array(InstanceId).min(1).max(LIMITS.runCommandInstanceIds).optional(),
      Name: z.string().max(FIELD_LIMITS.commandNameMax).optional(),
      Description: z.string().max(FIELD_LIMITS.commandDescriptionMax).optional(),
      /** Seconds, default 60. InvokeCommand documents ≥ 10; the maximum is unconfirmed (docs/ecs-notes.md#open-items). */
      Timeout: z.number().int().min(10).max(86_400).optional(),
      Username: z.string().min(1).max(FIELD_LIMITS.usernameMax).optional(),
      WorkingDir: z.string().min(1).max(FIELD_LIMITS.workingDirMax).optional(),
      RepeatMode: z.enum(REPEAT_MODES).optional(),
      KeepCommand: z.boolean().optional(),
      EnableParameter: z.boolean().optional(),
      /** A JSON object on the wire (the SDK's `parametersShrink`); count and key lengths are checked by ECS's codes. */
      Parameters: z.record(z.string(), ParameterValue).optional(),
      /** ASCII, ≤ 64: always send one, so a retry cannot run the script twice (docs/ecs-notes.md#run-command). */
      ClientToken: z
        .string()
        .min(1)
        .max(FIELD_LIMITS.clientTokenMax)
        .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
        .optional(),
      TerminationMode: z.enum(TERMINATION_MODES).optional(),
      ResourceGroupId: z.string().max(64).optional(),
    }),
    response: z.looseObject({ ...Envelope, CommandId: z.string(), InvokeId: z.string() }),
    wire: {
      repeat: ['InstanceId'],
      json: ['Parameters'],
      numbers: ['Timeout'],
      booleans: ['KeepCommand', 'EnableParameter'],
    },
  },

  DescribeInvocations: {
    request: z.strictObject({
      RegionId,
      InvokeId: Id.optional(),
      CommandId: Id.optional(),
      CommandName: z.string().max(FIELD_LIMITS.commandNameMax).optional(),
      CommandType: z.string().max(64).optional(),
      /** One instance: the invocations that ran on it, with only its own row. */
      InstanceId: InstanceId.optional(),
      InvokeStatus: z.string().max(32).optional(),
      /** Default false; Output is sent only when true. */
      IncludeOutput: z.boolean().optional(),
      /** Default Base64. */
      ContentEncoding: ContentEncoding.optional(),
      RepeatMode: z.string().max(32).optional(),
      MaxResults: pageSize(LIMITS.cloudAssistantPageSize).optional(),
      NextToken: NextToken.optional(),
    }),
    response: z.looseObject({
      ...Envelope,
      TotalCount: LooseCount.optional(),
      PageNumber: LooseCount.optional(),
      PageSize: LooseCount.optional(),
      NextToken: z.string().optional(),
      Invocations: z
        .looseObject({
          Invocation: z
            .array(
              z.looseObject({
                InvokeId: z.string(),
                CommandId: z.string().optional(),
                CommandName: z.string().optional(),
                CommandType: z.string().optional(),
                CommandContent: z.string().optional(),
                CommandDescription: z.string().optional(),
                CreationTime: z.string().optional(),
                Frequency: z.string().optional(),
                RepeatMode: z.string().optional(),
                Timed: LooseFlag.optional(),
                Timeout: LooseCount.optional(),
                Username: z.string().optional(),
                WorkingDir: z.string().optional(),
                /** A JSON string, e.g. "{}". */
                Parameters: z.string().optional(),
                InvocationStatus: z.string().optional(),
                InvokeStatus: z.string().optional(),
                TerminationMode: z.string().optional(),
                InvokeInstances: z
                  .looseObject({
                    InvokeInstance: z
                      .array(
                        z.looseObject({
                          InstanceId: z.string(),
                          InvocationStatus: z.string(),
                          InstanceInvokeStatus: z.string().optional(),
                          /** Absent while nothing has exited (the simulator's choice: never a 0 that was not an exit). */
                          ExitCode: LooseCount.optional(),
                          ErrorCode: z.string().optional(),
                          ErrorInfo: z.string().optional(),
                          Output: z.string().optional(),
                          Dropped: LooseCount.optional(),
                          Repeats: LooseCount.optional(),
                          CreationTime: z.string().optional(),
                          StartTime: z.string().optional(),
                          FinishTime: z.string().optional(),
                          StopTime: z.string().optional(),
                          UpdateTime: z.string().optional(),
                          Timed: LooseFlag.optional(),
                        }),
                      )
                      .optional(),
                  })
                  .optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    }),
    wire: { numbers: ['MaxResults'], booleans: ['IncludeOutput'] },
  },

  DescribeInvocationResults: {
    request: z.strictObject({
      RegionId,
      InvokeId: Id.optional(),
      InstanceId: InstanceId.optional(),
      CommandId: Id.optional(),
      InvokeRecordStatus: z.string().max(32).optional(),
      /** Only for periodic tasks, which the console never runs. */
      IncludeHistory: z.boolean().optional(),
      /** Default Base64. */
      ContentEncoding: ContentEncoding.optional(),
      MaxResults: pageSize(LIMITS.cloudAssistantPageSize).optional(),
      NextToken: NextToken.optional(),
    }),
    response: z.looseObject({
      ...Envelope,
      /** The extra wrapper, with the paging fields inside it. */
      Invocation: z
        .looseObject({
          TotalCount: LooseCount.optional(),
          PageNumber: LooseCount.optional(),
          PageSize: LooseCount.optional(),
          NextToken: z.string().optional(),
          InvocationResults: z
            .looseObject({
              InvocationResult: z
                .array(
                  z.looseObject({
                    InvokeId: z.string(),
                    CommandId: z.string().optional(),
                    InstanceId: z.string(),
                    InvocationStatus: z.string(),
                    InvokeRecordStatus: z.string().optional(),
                    ExitCode: LooseCount.optional(),
                    ErrorCode: z.string().optional(),
                    ErrorInfo: z.string().optional(),
                    Output: z.string().optional(),
                    Dropped: LooseCount.optional(),
                    Repeats: LooseCount.optional(),
                    StartTime: z.string().optional(),
                    FinishedTime: z.string().optional(),
                    StopTime: z.string().optional(),
                    Username: z.string().optional(),
                    TerminationMode: z.string().optional(),
                  }),
                )
                .optional(),
            })
            .optional(),
        })
        .optional(),
    }),
    wire: { numbers: ['MaxResults'], booleans: ['IncludeHistory'] },
  },
} as const satisfies Record<string, { request: z.ZodObject; response: z.ZodType; wire: WireShape }>;
