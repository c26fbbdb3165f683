/**
 * The zod-free part of the ECS contract: constants and defensive readers of ECS's loose wire types. The browser
 * imports these at run time without pulling zod into its first load (issue 4 performance target); everything
 * else the browser takes from contract.ts is a type.
 */

export const ECS_API_VERSION = '2014-05-26';

/** Limits from ecs-api.md §0.2, §0.5, §6.3, §6.4. */
export const LIMITS = {
  attachInstanceIds: 50,
  describeInstancesIds: 100,
  batchInstanceIds: 100,
  describeInstancesPageSize: 100,
  describeKeyPairsPageSize: 50,
  describeInstanceStatusPageSize: 50,
  statusInstanceIds: 100,
  tags: 20,
} as const;

/** `Number(x)`, with absent or unparsable values as 0 (§2.2's defensive parse). */
export function toCount(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** `String(x) === "true"`, case-insensitive (§2.2). */
export function isTrue(value: unknown): boolean {
  return String(value).toLowerCase() === 'true';
}

/** A per-instance result succeeded: Code "200" and, where present, Success "true" (§2.2). */
export function isResultOk(result: { Code: unknown; Success?: unknown }): boolean {
  return String(result.Code) === '200' && (result.Success === undefined || isTrue(result.Success));
}
