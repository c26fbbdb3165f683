import type { EcsActionName, WireProblem } from '../../ecs/contract';
import { EcsError, ecsErrors } from '../../ecs/errors';

/**
 * The request-level errors of the Cloud Assistant actions, with the statuses and codes of the InvokeCommand and
 * RunCommand tables (docs/ecs-notes.md#two-levels-of-failure, docs/ecs-notes.md#run-command). Where the docs give
 * two statuses (InvalidInstance.NotMatch: 400 in the newer docs, 403 in 2021) the newer one is used.
 */
export const cloudAssistantErrors = {
  missingInstanceId: () => new EcsError(400, 'MissingParam.InstanceId', 'The parameter "InstanceId" is required.'),
  instanceIdsExceedLimit: () => new EcsError(403, 'InstanceIds.ExceedLimit', 'The number of instance IDs exceeds the upper limit.'),
  instanceNotFound: () => new EcsError(404, 'InvalidInstance.NotFound', 'The specified instance does not exist.'),
  /** The whole call is refused, without naming the instance (docs/ecs-notes.md#two-levels-of-failure). */
  instanceNotMatch: () =>
    new EcsError(
      400,
      'InvalidInstance.NotMatch',
      'The specified instance type does not match the command. Check whether the state of the instance meets the conditions.',
    ),
  commandTypeNotFound: () => new EcsError(404, 'InvalidCmdType.NotFound', 'The specified command type does not exist.'),
  contentDecodeError: () => new EcsError(400, 'CmdContent.DecodeError', 'The CommandContent cannot be decoded by Base64.'),
  contentExceedLimit: () => new EcsError(403, 'CmdContent.ExceedLimit', 'The length of the command content exceeds the upper limit.'),
  nameExceedLimit: () => new EcsError(403, 'CmdName.ExceedLimit', 'The length of the command name exceeds the upper limit.'),
  descriptionExceedLimit: () => new EcsError(403, 'CmdDesc.ExceedLimit', 'The length of the command description exceeds the upper limit.'),
  usernameExceedLimit: () => new EcsError(403, 'Username.ExceedLimit', 'The length of the username exceeds the upper limit.'),
  invalidWorkingDir: () => new EcsError(400, 'InvalidParameter.WorkingDir', 'The specified parameter "WorkingDir" is not valid.'),
  invalidTimeout: () => new EcsError(403, 'InvalidTimeout.ExceedLimit', 'The specified timeout is out of range.'),
  invalidClientToken: () => new EcsError(400, 'InvalidClientToken.Malformed', 'The specified parameter "ClientToken" is not valid.'),
  repeatModeNotFound: () => new EcsError(404, 'InvalidRepeatMode.NotFound', 'The specified RepeatMode does not exist.'),
  repeatModeNotSimulated: (mode: string) =>
    ecsErrors.invalidParameter('RepeatMode', `is ${mode}, which the simulator does not model (only Once and DryRun)`),
  terminationModeNotFound: () => new EcsError(404, 'InvalidTerminationMode.NotFound', 'The specified TerminationMode does not exist.'),
  parametersInvalid: () => new EcsError(400, 'InvalidParameter.Parameters', 'The specified parameter "Parameters" is not valid.'),
  parameterCountExceedLimit: () => new EcsError(403, 'ParameterCount.ExceedLimit', 'The number of parameters exceeds the upper limit.'),
  parameterKeyExceedLimit: () => new EcsError(403, 'ParameterKey.ExceedLimit', 'The length of a parameter name exceeds the upper limit.'),
  parameterMissingValue: (name: string) => new EcsError(400, 'Parameter.MissingValue', `No value is given for the parameter "${name}".`),
  parameterDisabled: () => new EcsError(400, 'Parameter.Disabled', 'Parameters are given but EnableParameter is not true.'),
  parameterNotMatched: (name: string) =>
    new EcsError(403, 'Parameter.NotMatched', `The parameter "${name}" is not defined in the command content.`),
  idempotentParameterMismatch: () =>
    new EcsError(403, 'IdempotentParameterMismatch', 'The specified ClientToken was used before with different parameters.'),
  invalidMaxResults: () => new EcsError(400, 'InvalidParameter.MaxResults', 'The specified parameter "MaxResults" is not valid.'),
  dryRunOperation: () => new EcsError(400, 'DryRunOperation', 'Request validation has been passed with DryRun flag set.'),
} as const;

const RUN_COMMAND_LIMITS: Record<string, () => EcsError> = {
  InstanceId: cloudAssistantErrors.instanceIdsExceedLimit,
  Type: cloudAssistantErrors.commandTypeNotFound,
  Name: cloudAssistantErrors.nameExceedLimit,
  Description: cloudAssistantErrors.descriptionExceedLimit,
  Username: cloudAssistantErrors.usernameExceedLimit,
  WorkingDir: cloudAssistantErrors.invalidWorkingDir,
  Timeout: cloudAssistantErrors.invalidTimeout,
  ClientToken: cloudAssistantErrors.invalidClientToken,
  RepeatMode: cloudAssistantErrors.repeatModeNotFound,
  TerminationMode: cloudAssistantErrors.terminationModeNotFound,
  Parameters: cloudAssistantErrors.parametersInvalid,
};

/** ECS's code for a parameter the Cloud Assistant schemas refused, or undefined to use the generic mapping. */
export function cloudAssistantProblem(action: EcsActionName, problem: WireProblem): EcsError | undefined {
  const { kind, param } = problem;
  if (action === 'DescribeCloudAssistantStatus' && param === 'InstanceId' && problem.issue === 'too_big')
    return cloudAssistantErrors.instanceIdsExceedLimit();
  if (
    (action === 'DescribeCloudAssistantStatus' || action === 'DescribeInvocations' || action === 'DescribeInvocationResults') &&
    param === 'MaxResults'
  )
    return cloudAssistantErrors.invalidMaxResults();
  if (action !== 'RunCommand' || kind === 'missing') return undefined;
  if (param === 'InstanceId' && problem.issue !== 'too_big') return ecsErrors.invalidParameter(param, problem.detail);
  return RUN_COMMAND_LIMITS[param]?.();
}
