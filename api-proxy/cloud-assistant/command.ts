import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  KEY_SCRIPT_MARKER,
  KEY_SCRIPT_MODES,
  KEY_SCRIPT_PARAMS,
  LOGIN_USER_PATTERN,
  parseKeyScriptOutput,
  type KeyScriptMode,
  type KeyScriptOutput,
  type KeyScriptReason,
} from '#ecs/key-script';
import { parsePublicKey, SshKeyError } from '#ecs/ssh-keys';
import { INSTANCE_ID_PATTERN, REGION_ID_PATTERN } from '#ecs/wire';

/**
 * The proxy's side of the fixed Cloud Assistant script (docs/activation-script.md): RunCommand requests built
 * from typed inputs only, and the per-instance results read back into a verdict. Nothing a client sends ever
 * reaches the script: the user comes from ACTIVATION_USERS, the keys from ECS (DescribeKeyPairs with
 * IncludePublicKey), and every value travels Base64-encoded (docs/product.md#fixed-commands-only).
 */

/** Next to this module, so it is found from the sources (tsx) and in tests alike. */
export const KEY_SCRIPT_FILE = fileURLToPath(new URL('./authorized-keys.sh', import.meta.url));

/**
 * Cloud Assistant's limits (docs/ecs-notes.md#cloud-assistant-preconditions, #run-command): the Base64 command,
 * parameters substituted, is at most 24 KB when it is not kept (KeepCommand is left at its default, false);
 * one call names 1 to 100 instances; a ClientToken is at most 64 ASCII characters.
 */
export const RUN_COMMAND_LIMITS = { contentBase64Bytes: 24 * 1024, instanceIds: 100, clientToken: 64 } as const;

/** Long enough for a slow disk, short enough that a stuck run is noticed; the script itself takes well under a second. */
export const KEY_SCRIPT_TIMEOUT_S = 60;

const COMMAND_NAME = 'ecs-keypair-console-authorized-keys';
const COMMAND_DESCRIPTION = "ecs-keypair-console's fixed authorized_keys script: adds, removes or lists one login user's keys";

let cached: { text: string; base64: string } | undefined;

/**
 * The script file, read once and checked: its marker (what the simulator recognises) and exactly the protocol's
 * placeholders, since Cloud Assistant takes every `{{name}}` in the text for a parameter.
 */
export function readKeyScript(): { text: string; base64: string } {
  if (cached === undefined) {
    const bytes = readFileSync(KEY_SCRIPT_FILE);
    const text = bytes.toString('utf8');
    checkKeyScript(text);
    cached = { text, base64: bytes.toString('base64') };
  }
  return cached;
}

export function checkKeyScript(text: string): void {
  if (text.split('\n')[1] !== KEY_SCRIPT_MARKER) throw new Error(`the key script's second line must be "${KEY_SCRIPT_MARKER}"`);
  const placeholders = [...text.matchAll(/\{\{(.*?)\}\}/g)].map((m) => m[1]).sort();
  const expected = Object.values(KEY_SCRIPT_PARAMS).sort();
  if (placeholders.join() !== expected.join() || text.split('{{').length !== expected.length + 1) {
    throw new Error(`the key script must hold exactly the placeholders ${expected.map((p) => `{{${p}}}`).join(', ')}, once each`);
  }
}

type ParamName = (typeof KEY_SCRIPT_PARAMS)[keyof typeof KEY_SCRIPT_PARAMS];

/** What the proxy sends as RunCommand (docs/ecs-notes.md#run-command); typed here until the ECS contract has the action. */
export interface KeyScriptRunCommand {
  RegionId: string;
  Type: 'RunShellScript';
  /** The script file, Base64: exactly its bytes, never edited per call. */
  CommandContent: string;
  ContentEncoding: 'Base64';
  EnableParameter: true;
  /** Mode words and Base64 only, so substituting them into the script's text cannot make shell syntax. */
  Parameters: Record<ParamName, string>;
  Username: 'root';
  WorkingDir: '/tmp';
  Timeout: number;
  InstanceId: string[];
  ClientToken: string;
  Name: string;
  Description: string;
}

export interface KeyCommandInput {
  regionId: string;
  mode: KeyScriptMode;
  /** The login user; one of ACTIVATION_USERS. */
  user: string;
  instanceIds: readonly string[];
  /** add/remove: the key pair's `PublicKey` as ECS returned it (DescribeKeyPairs, IncludePublicKey=true). */
  publicKey?: string;
  /** add: the previously bound key pair's `PublicKey`, whose line the script replaces. */
  replacePublicKey?: string;
  /** The caller keeps it, so that a resend of this very call reuses it (docs/ecs-notes.md#run-command). */
  clientToken: string;
}

export type KeyCommandRefusal = 'user-not-allowed' | 'bad-key' | 'bad-replace-key' | 'bad-input' | 'too-large';

export type BuiltKeyCommand = { ok: true; request: KeyScriptRunCommand } | { ok: false; refusal: KeyCommandRefusal; message: string };

const refuse = (refusal: KeyCommandRefusal, message: string): BuiltKeyCommand => ({ ok: false, refusal, message });

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/**
 * The key line the script gets: rebuilt from its parts (single spaces, as the script's own check wants), the
 * comment kept so an operator reading authorized_keys sees which key it is.
 */
function keyLine(text: string): string | undefined {
  try {
    const key = parsePublicKey(text);
    if (/[\u0000-\u001f\u007f]/.test(key.comment)) return undefined;
    return key.comment === '' ? `${key.type} ${key.base64}` : `${key.type} ${key.base64} ${key.comment}`;
  } catch (error) {
    if (error instanceof SshKeyError) return undefined;
    throw error;
  }
}

/**
 * Builds the RunCommand request for one mode, or says why not, before anything is sent. `activationUsers` is the
 * configuration's ACTIVATION_USERS.
 */
export function buildKeyCommand(input: KeyCommandInput, activationUsers: readonly string[]): BuiltKeyCommand {
  if (!activationUsers.includes(input.user) || !LOGIN_USER_PATTERN.test(input.user)) {
    return refuse('user-not-allowed', `"${input.user}" is not one of ACTIVATION_USERS (${activationUsers.join(', ')})`);
  }
  // Typed, but a caller may hand over values read back from storage: checked again here.
  if (!KEY_SCRIPT_MODES.includes(input.mode)) return refuse('bad-input', `the mode must be ${KEY_SCRIPT_MODES.join(', ')}`);
  if (!REGION_ID_PATTERN.test(input.regionId)) return refuse('bad-input', 'RegionId is not a region ID');
  const ids = input.instanceIds;
  if (ids.length < 1 || ids.length > RUN_COMMAND_LIMITS.instanceIds || !ids.every((id) => INSTANCE_ID_PATTERN.test(id))) {
    return refuse('bad-input', `InstanceId must be 1 to ${RUN_COMMAND_LIMITS.instanceIds} instance IDs`);
  }
  if (new Set(ids).size !== ids.length) return refuse('bad-input', 'InstanceId lists an instance twice');
  if (!/^[\x21-\x7e]+$/.test(input.clientToken) || input.clientToken.length > RUN_COMMAND_LIMITS.clientToken) {
    return refuse('bad-input', `ClientToken must be 1 to ${RUN_COMMAND_LIMITS.clientToken} printable ASCII characters`);
  }

  let key = '';
  let replace = '';
  if (input.mode === 'list') {
    if (input.publicKey !== undefined || input.replacePublicKey !== undefined) return refuse('bad-input', 'list takes no key');
  } else {
    if (input.publicKey === undefined) return refuse('bad-key', `${input.mode} needs the key pair's public key`);
    const line = keyLine(input.publicKey);
    if (line === undefined) return refuse('bad-key', 'the public key is not one OpenSSH line of a supported type');
    key = line;
    if (input.replacePublicKey !== undefined) {
      if (input.mode !== 'add') return refuse('bad-input', 'only add replaces a key');
      const old = keyLine(input.replacePublicKey);
      if (old === undefined) return refuse('bad-replace-key', 'the previous public key is not one OpenSSH line of a supported type');
      replace = old;
    }
  }

  const script = readKeyScript();
  const parameters: Record<ParamName, string> = {
    [KEY_SCRIPT_PARAMS.mode]: input.mode,
    [KEY_SCRIPT_PARAMS.user]: base64(input.user),
    [KEY_SCRIPT_PARAMS.key]: key === '' ? '' : base64(key),
    [KEY_SCRIPT_PARAMS.replace]: replace === '' ? '' : base64(replace),
  };
  // The limit counts the command as it runs, parameters substituted (docs/ecs-notes.md#cloud-assistant-preconditions).
  let substituted = script.text;
  for (const [name, value] of Object.entries(parameters)) substituted = substituted.replaceAll(`{{${name}}}`, () => value);
  if (base64(substituted).length > RUN_COMMAND_LIMITS.contentBase64Bytes) {
    return refuse('too-large', `the command would exceed Cloud Assistant's ${RUN_COMMAND_LIMITS.contentBase64Bytes / 1024} KB`);
  }

  return {
    ok: true,
    request: {
      RegionId: input.regionId,
      Type: 'RunShellScript',
      CommandContent: script.base64,
      ContentEncoding: 'Base64',
      EnableParameter: true,
      Parameters: parameters,
      Username: 'root',
      WorkingDir: '/tmp',
      Timeout: KEY_SCRIPT_TIMEOUT_S,
      InstanceId: [...ids],
      ClientToken: input.clientToken,
      Name: COMMAND_NAME,
      Description: COMMAND_DESCRIPTION,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Reading a result back.

/** One instance's row of DescribeInvocationResults (or DescribeInvocations' InvokeInstance), the fields a verdict reads. */
export interface InvocationResultRow {
  InvocationStatus?: string;
  ExitCode?: number | string;
  ErrorCode?: string;
  ErrorInfo?: string;
  /** Base64 unless the request asked for PlainText (docs/ecs-notes.md#invocation-results). */
  Output?: string;
  /** Bytes cut from Output past 24 KB. */
  Dropped?: number | string;
}

export type KeyCommandVerdict =
  /** The script finished: RESULT=added, present, removed, absent or listed. */
  | { status: 'succeeded'; output: KeyScriptOutput }
  /** Nothing changed on the instance: the script refused, or it never ran. `code` is `KeyScript.<reason>` or Cloud Assistant's. */
  | { status: 'failed'; code: string; reason: string; output?: KeyScriptOutput }
  /** The file may or may not have changed (docs/product.md#unknown-means-unknown): read it back with `list`. */
  | { status: 'unknown'; reason: string; output?: KeyScriptOutput }
  /** Not finished yet and not past the deadline: ask again. */
  | { status: 'running' };

/** Per-instance states that are not final (docs/ecs-notes.md#invocation-results). */
const NOT_FINAL = ['Pending', 'Running', 'Stopping', 'Scheduled'];
/** Final states in which the script never started. */
const NEVER_RAN = ['Invalid', 'Aborted', 'Cancelled'];
/** Per-instance error codes documented as arising before the script starts. */
const NOT_STARTED_CODES = [
  'InstanceNotExists',
  'InstanceReleased',
  'InstanceNotRunning',
  'CommandNotApplicable',
  'AccountNotExists',
  'DirectoryNotExists',
  'ClientNotRunning',
  'ClientIsUpgrading',
  'ClientNeedUpgrade',
  'DeliveryTimeout',
];

/** The script's refusals in plain words (docs/activation-script.md#refusals). */
export const KEY_SCRIPT_REASON_TEXT: Record<KeyScriptReason, string> = {
  'bad-parameter': 'The command reached the instance with malformed parameters; nothing was changed.',
  'bad-mode': 'The command reached the instance with an unknown mode; nothing was changed.',
  'bad-user': 'The login user name was refused by the script; nothing was changed.',
  'bad-key': 'The public key was refused by the script (not one line of a supported type); nothing was changed.',
  'bad-replace': 'The previous public key was refused by the script; nothing was changed.',
  'no-such-user': 'The login user does not exist on this instance.',
  'no-home': 'The login user has no home directory on this instance.',
  'unsafe-home':
    "The user's home, ~/.ssh or authorized_keys belongs to someone else or is not a plain directory or file, so the script left it alone.",
  symlink: '~/.ssh or authorized_keys is a symbolic link; the script does not follow links, so it left them alone.',
  'write-failed': 'authorized_keys could not be written (a full or read-only disk?); the old file is unchanged.',
  'internal-error': 'The script stopped on an unexpected error before changing anything.',
};

function reasonText(reason: string | undefined): string {
  return reason !== undefined && Object.hasOwn(KEY_SCRIPT_REASON_TEXT, reason)
    ? KEY_SCRIPT_REASON_TEXT[reason as KeyScriptReason]
    : `The script refused (${reason ?? 'no reason given'}); nothing was changed.`;
}

function decodeOutput(output: string | undefined, encoding: 'Base64' | 'PlainText'): string | undefined {
  if (output === undefined) return undefined;
  if (encoding === 'PlainText') return output;
  const compact = output.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

export interface ReadResultOptions {
  /** How Output was asked for; DescribeInvocationResults answers Base64 by default. */
  outputEncoding?: 'Base64' | 'PlainText';
  /** With `now`: a row still not final after this time is unknown rather than running. */
  deadline?: number;
  now?: number;
}

/**
 * One instance's verdict from its invocation row and the script's own output (ecs/key-script.ts). The script's
 * RESULT line is believed when the exit code agrees with it; without it, only states in which the script never
 * started are failures, and everything else is unknown.
 */
export function readKeyCommandResult(row: InvocationResultRow, options: ReadResultOptions = {}): KeyCommandVerdict {
  const status = row.InvocationStatus ?? '';
  if (NOT_FINAL.includes(status)) {
    const past = options.deadline !== undefined && (options.now ?? Date.now()) > options.deadline;
    return past
      ? { status: 'unknown', reason: `Still ${status} past the deadline; the key may or may not be in place.` }
      : { status: 'running' };
  }
  const text = decodeOutput(row.Output, options.outputEncoding ?? 'Base64');
  const output = text === undefined ? undefined : parseKeyScriptOutput(text);
  const exitCode = row.ExitCode === undefined || row.ExitCode === '' ? undefined : Number(row.ExitCode);

  if (output !== undefined) {
    if (output.result === 'refused') {
      return { status: 'failed', code: `KeyScript.${output.reason ?? 'refused'}`, reason: reasonText(output.reason), output };
    }
    if (exitCode === 0) return { status: 'succeeded', output };
    return {
      status: 'unknown',
      reason: `The script said ${output.result} but exited with ${exitCode ?? 'no code'} (${status || 'no status'}).`,
      output,
    };
  }
  const errorCode = row.ErrorCode ?? '';
  if (NEVER_RAN.includes(status) || NOT_STARTED_CODES.includes(errorCode)) {
    return {
      status: 'failed',
      code: errorCode || status || 'Unknown',
      reason: row.ErrorInfo || `Cloud Assistant did not run the script (${status}); nothing was changed.`,
    };
  }
  if (status === 'Timeout' || errorCode === 'ExecutionTimeout') {
    return { status: 'unknown', reason: 'The script ran past its timeout; authorized_keys is either as before or fully written.' };
  }
  if (Number(row.Dropped ?? 0) > 0) return { status: 'unknown', reason: 'The output was cut before its RESULT line.' };
  return {
    status: 'unknown',
    reason: `The script ended without a RESULT line (${status || 'no status'}${errorCode ? `, ${errorCode}` : ''}).`,
  };
}
