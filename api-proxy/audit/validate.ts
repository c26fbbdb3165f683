import { InstanceId, KeyPairName, RegionId, isActionName } from '../../ecs/contract';
import type { ActionName } from '../../ecs/contract';
import type { InstanceOutcome } from '../../ecs/console-api';
import { instanceVerdict } from '../../ecs/outcomes';
import { AuditInputError } from './errors';
import type { AuditIntent, AuditOutcome, AuditReconciliation } from './types';

/**
 * What a store accepts, checked again whatever the proxy checked before (defence in depth: the proxy validates
 * with the contract first): absurd values are refused with AuditInputError, over-long free text is clipped.
 * Every store runs its input through here, so they refuse and clip alike.
 */

/** Defence in depth: the proxy validates first; these only stop absurd values from becoming records. */
export const AUDIT_LIMITS = {
  /** UTF-8 bytes of any single identifier or name. */
  textBytes: 1024,
  instances: 1000,
  groups: 1000,
  options: 32,
  pageSizeDefault: 50,
  pageSizeMax: 200,
} as const;

/**
 * Option names that could only carry a credential. The intent type has no place for secrets; this catches a
 * caller that copies request parameters into `options` wholesale (docs/ecs-notes.md#signer-notes: never
 * forward credentials).
 */
const SECRET_LIKE_NAME = /secret|passw|token|signature|credential|access.?key|private.?key|authoriz|cookie/i;

function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

export function requireText(field: string, value: unknown, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new AuditInputError(`${field} must be a string`);
  if (!allowEmpty && value.length === 0) throw new AuditInputError(`${field} must not be empty`);
  if (byteLength(value) > AUDIT_LIMITS.textBytes) {
    throw new AuditInputError(`${field} is longer than ${AUDIT_LIMITS.textBytes} bytes`);
  }
  return value;
}

export function optionalText(field: string, value: unknown): string | undefined {
  return value === undefined ? undefined : requireText(field, value, { allowEmpty: true });
}

/**
 * Free text is cut to the size limit instead of refused. What ECS wrote (error and per-instance messages;
 * SignatureDoesNotMatch quotes the whole string-to-sign) arrives after the action happened, and losing its
 * record would be worse than keeping the first KiB. What the caller brought (user, e-mail, groups, client
 * address, option values, a denial's reason) must not turn a valid call into a refusal either: one odd header
 * would otherwise make the audit "unavailable" for that user, and a refused call would leave no record at all.
 * A clipped value ends in "…" so a reader can tell.
 */
const CLIP_MARK = '…';

function clip(value: string): string {
  if (byteLength(value) <= AUDIT_LIMITS.textBytes) return value;
  const budget = AUDIT_LIMITS.textBytes - byteLength(CLIP_MARK);
  let used = 0;
  let out = '';
  for (const char of value) {
    const size = byteLength(char);
    if (used + size > budget) break;
    used += size;
    out += char;
  }
  return out + CLIP_MARK;
}

/** A string, clipped to the limit; still refused when it is not a string or (unless allowed) empty. */
export function clippedText(field: string, value: unknown, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new AuditInputError(`${field} must be a string`);
  if (!allowEmpty && value.length === 0) throw new AuditInputError(`${field} must not be empty`);
  return clip(value);
}

function optionalClippedText(field: string, value: unknown): string | undefined {
  return value === undefined ? undefined : clippedText(field, value, { allowEmpty: true });
}

export function requireTime(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AuditInputError(`${field} must be a non-negative integer (ms since the epoch)`);
  }
  return value;
}

function requireList(field: string, value: unknown, max: number): unknown[] {
  if (!Array.isArray(value)) throw new AuditInputError(`${field} must be an array`);
  if (value.length > max) throw new AuditInputError(`${field} has more than ${max} entries`);
  return value;
}

/**
 * The caller's groups, at most the limit: past it, the last kept entry says how many were left out, so the
 * record stays honest about being incomplete instead of refusing the call.
 */
function clippedList(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new AuditInputError('groups must be an array');
  if (value.length <= AUDIT_LIMITS.groups) return value;
  const kept: unknown[] = value.slice(0, AUDIT_LIMITS.groups - 1);
  kept.push(`${CLIP_MARK} ${value.length - kept.length} more`);
  return kept;
}

function contractField(field: string, schema: { safeParse(v: unknown): { success: boolean } }, value: unknown): string {
  const text = requireText(field, value);
  if (!schema.safeParse(text).success) throw new AuditInputError(`${field} "${text.slice(0, 80)}" is not valid`);
  return text;
}

export interface CleanIntent {
  at: number;
  user: string;
  email: string | undefined;
  groupsJson: string;
  clientAddress: string;
  action: ActionName;
  regionId: string;
  keyPairName: string | undefined;
  instanceIds: string[];
  optionsJson: string | undefined;
  runId: string | undefined;
}

export function validateIntent(intent: AuditIntent, kind: 'intent' | 'denial' = 'intent'): CleanIntent {
  if (typeof intent !== 'object' || intent === null) throw new AuditInputError('the intent must be an object');
  const action: unknown = intent.action;
  if (typeof action !== 'string' || !isActionName(action)) {
    throw new AuditInputError(`action "${String(action).slice(0, 80)}" is not an action of the ECS contract`);
  }
  const groups = clippedList(intent.groups).map((g, i) => clippedText(`groups[${i}]`, g, { allowEmpty: true }));
  if (action === 'AttachKeyPair' && intent.keyPairName === undefined && kind === 'intent') {
    // Pending activation names the key pair that awaits a reboot; an attach without one is not a record.
    // A refusal never becomes pending, and one refused for a bad key pair name has no valid name to keep.
    throw new AuditInputError('an AttachKeyPair intent needs its keyPairName');
  }
  const instanceIds = requireList('instanceIds', intent.instanceIds, AUDIT_LIMITS.instances).map((id, i) =>
    contractField(`instanceIds[${i}]`, InstanceId, id),
  );
  return {
    at: requireTime('at', intent.at),
    user: clippedText('user', intent.user),
    email: optionalClippedText('email', intent.email),
    groupsJson: JSON.stringify(groups),
    // Empty is kept too: a caller whose address is unknown (a socket already gone) is still audited.
    clientAddress: clippedText('clientAddress', intent.clientAddress, { allowEmpty: true }),
    action,
    regionId: contractField('regionId', RegionId, intent.regionId),
    keyPairName: intent.keyPairName === undefined ? undefined : contractField('keyPairName', KeyPairName, intent.keyPairName),
    instanceIds,
    optionsJson: validateOptions(intent.options),
    runId: optionalClippedText('runId', intent.runId),
  };
}

function validateOptions(options: unknown): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new AuditInputError('options must be a plain object');
  }
  const entries = Object.entries(options);
  if (entries.length > AUDIT_LIMITS.options) throw new AuditInputError(`more than ${AUDIT_LIMITS.options} options`);
  const clean: Record<string, string | number | boolean> = {};
  for (const [name, value] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) throw new AuditInputError(`option name "${name.slice(0, 80)}" is not valid`);
    if (SECRET_LIKE_NAME.test(name)) throw new AuditInputError(`option "${name}" looks like a secret and is never stored`);
    if (typeof value === 'string') clean[name] = clippedText(`options.${name}`, value, { allowEmpty: true });
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new AuditInputError(`option "${name}" must be a finite number`);
      clean[name] = value;
    } else if (typeof value === 'boolean') clean[name] = value;
    else throw new AuditInputError(`option "${name}" must be a string, number or boolean`);
  }
  return JSON.stringify(clean);
}

const OUTCOME_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'partial', 'failed', 'unknown']);

export interface CleanOutcome {
  at: number;
  status: string;
  httpStatus: number | undefined;
  requestId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  durationMs: number;
  instances: { instanceId: string; ok: boolean; unknown: boolean; code: string; message: string | undefined }[];
}

export function validateOutcome(outcome: AuditOutcome): CleanOutcome {
  if (typeof outcome !== 'object' || outcome === null) throw new AuditInputError('the outcome must be an object');
  if (!OUTCOME_STATUSES.has(outcome.status)) throw new AuditInputError(`outcome status "${String(outcome.status)}" is not valid`);
  const { httpStatus, durationMs } = outcome;
  if (httpStatus !== undefined && (!Number.isInteger(httpStatus) || httpStatus < 100 || httpStatus > 599)) {
    throw new AuditInputError('httpStatus must be an HTTP status code');
  }
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
    throw new AuditInputError('durationMs must be a non-negative number');
  }
  const instances = requireList('instances', outcome.instances, AUDIT_LIMITS.instances).map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw new AuditInputError(`instances[${i}] must be an object`);
    const item = raw as Partial<InstanceOutcome>;
    if (typeof item.ok !== 'boolean') throw new AuditInputError(`instances[${i}].ok must be a boolean`);
    return {
      // As ECS reported it (possibly odd, e.g. "i-TestID" in docs/ecs-notes.md#batch-reboot-and-start): recorded, but only a valid
      // instance ID can become a pending activation.
      instanceId: clippedText(`instances[${i}].InstanceId`, item.InstanceId, { allowEmpty: true }),
      ok: item.ok,
      // The one outcome rule (ecs/outcomes.ts) decides; the flag alone would miss codes that mean "unknown".
      unknown: instanceVerdict({ ok: item.ok, Code: String(item.Code), unknown: item.unknown === true }) === 'unknown',
      code: clippedText(`instances[${i}].Code`, item.Code, { allowEmpty: true }),
      message: optionalClippedText(`instances[${i}].Message`, item.Message),
    };
  });
  return {
    at: requireTime('outcome at', outcome.at),
    status: outcome.status,
    httpStatus,
    requestId: optionalClippedText('requestId', outcome.requestId),
    errorCode: optionalClippedText('errorCode', outcome.errorCode),
    errorMessage: optionalClippedText('errorMessage', outcome.errorMessage),
    durationMs: Math.round(durationMs),
    instances,
  };
}

/** What reading instances back found, checked like every other input (the operation id is checked by the caller). */
export function validateReadings(readings: readonly AuditReconciliation[]): AuditReconciliation[] {
  return requireList('readings', readings, AUDIT_LIMITS.instances).map((raw, i): AuditReconciliation => {
    if (typeof raw !== 'object' || raw === null) throw new AuditInputError(`readings[${i}] must be an object`);
    const reading = raw as Partial<AuditReconciliation>;
    if (typeof reading.attached !== 'boolean') throw new AuditInputError(`readings[${i}].attached must be a boolean`);
    return {
      InstanceId: contractField(`readings[${i}].InstanceId`, InstanceId, reading.InstanceId),
      at: requireTime(`readings[${i}].at`, reading.at),
      KeyPairName: clippedText(`readings[${i}].KeyPairName`, reading.KeyPairName, { allowEmpty: true }),
      attached: reading.attached,
    };
  });
}
