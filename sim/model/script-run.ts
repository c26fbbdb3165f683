import {
  formatKeyScriptOutput,
  KEY_SCRIPT_MARKER,
  KEY_SCRIPT_MODES,
  KEY_SCRIPT_PARAMS,
  type KeyLine,
  type KeyScriptMode,
  type KeyScriptOutput,
} from '../../ecs/key-script';
import { ecsFingerprint, sha256Fingerprint } from '../../ecs/ssh-keys';
import { isSameKey, keyOfLine, lineHoldsKey } from './keys';
import { authorizedKeysPath, isLoginUser, type SshState } from './ssh';

/**
 * What a command does on a simulated instance. The simulator runs no shell: it recognises the console's one
 * fixed script by its marker (the second line, ecs/key-script.ts) and applies it to the instance's model the way
 * the real script (api-proxy/cloud-assistant/authorized-keys.sh) changes the files, answering in the same format.
 * Its inputs come from the call's Parameters, not from the substituted text. Any other script gets a clear
 * non-zero answer, never a fake success.
 */

export interface ScriptResult {
  exitCode: number;
  /** Plain text; the Describe* answers encode it. */
  output: string;
}

/** Exit status of a refusal (any non-zero would do: the proxy reads RESULT=, ExitCode only says "not 0"). */
export const KEY_SCRIPT_REFUSED_EXIT = 2;
/** What a shell says for a command it cannot find: the closest honest status for "not run". */
export const NOT_SIMULATED_EXIT = 127;

export interface ScriptInput {
  /** The command's content, decoded, before parameter substitution. */
  content: string;
  /** The call's Parameters when EnableParameter=true, else undefined (the script sees its `{{…}}` literally). */
  parameters: Readonly<Record<string, string>> | undefined;
  /** The OS user the command runs as. */
  username: string;
}

export function isKeyScript(content: string): boolean {
  return content.split('\n')[1]?.replace(/\r$/, '') === KEY_SCRIPT_MARKER;
}

/** Runs the command against `ssh` (changed in place by the key script), or answers "not simulated". */
export function runScript(ssh: SshState | undefined, input: ScriptInput): ScriptResult {
  if (ssh !== undefined && isKeyScript(input.content)) return runKeyScript(ssh, input);
  const firstLine = input.content.split('\n')[0]?.slice(0, 80) ?? '';
  return {
    exitCode: NOT_SIMULATED_EXIT,
    output:
      `not simulated: the simulator runs only the console's key script (second line "${KEY_SCRIPT_MARKER}"); ` +
      `this command (first line "${firstLine}") was not run\n`,
  };
}

function refused(reason: string, user?: string): ScriptResult {
  const out: KeyScriptOutput = { result: 'refused', reason, keys: [], ...(user === undefined ? {} : { user }) };
  return { exitCode: KEY_SCRIPT_REFUSED_EXIT, output: formatKeyScriptOutput(out) };
}

/** Base64 → UTF-8 text, or undefined for anything that is not canonical Base64 (as `base64 -d` would refuse). */
function decodeParam(value: string | undefined): string | undefined {
  if (value === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  try {
    const binary = atob(value);
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

function keyLineReport(line: string): KeyLine | undefined {
  const key = keyOfLine(line);
  return key === undefined ? undefined : { type: key.type, sha256: sha256Fingerprint(key), md5: ecsFingerprint(key) };
}

/** One public key line: parses, and nothing after it (a second line or options would be refused by the script). */
function publicKeyParam(value: string | undefined): { line: string; key: NonNullable<ReturnType<typeof keyOfLine>> } | undefined {
  const text = decodeParam(value)?.replace(/\n$/, '');
  if (text === undefined || text.includes('\n')) return undefined;
  const key = keyOfLine(text);
  return key === undefined ? undefined : { line: text.trim(), key };
}

function runKeyScript(ssh: SshState, input: ScriptInput): ScriptResult {
  // It writes other users' files, so it must run as root (docs/ecs-notes.md#own-key-script).
  if (input.username !== 'root') return refused('not-root');
  const params = input.parameters ?? {};
  const mode = params[KEY_SCRIPT_PARAMS.mode];
  if (!(KEY_SCRIPT_MODES as readonly (string | undefined)[]).includes(mode)) return refused('bad-mode');
  const user = decodeParam(params[KEY_SCRIPT_PARAMS.user]);
  if (user === undefined || !/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) return refused('bad-user');
  if (!isLoginUser(ssh, user)) return refused('no-such-user', user);
  const file = authorizedKeysPath(user);
  const lines = ssh.files.get(user) ?? [];
  const base = { user, file, keys: [] as KeyLine[] };

  if ((mode as KeyScriptMode) === 'list') {
    const keys = lines.map(keyLineReport).filter((k): k is KeyLine => k !== undefined);
    return {
      exitCode: 0,
      output: formatKeyScriptOutput({
        ...base,
        result: 'listed',
        keys,
        passwordAuthentication: ssh.passwordAuthentication,
        pubkeyAuthentication: ssh.pubkeyAuthentication,
      }),
    };
  }

  const wanted = publicKeyParam(params[KEY_SCRIPT_PARAMS.key]);
  if (wanted === undefined) return refused('bad-key', user);

  if (mode === 'remove') {
    const kept = lines.filter((line) => !lineHoldsKey(line, wanted.key));
    ssh.files.set(user, kept);
    return { exitCode: 0, output: formatKeyScriptOutput({ ...base, result: kept.length < lines.length ? 'removed' : 'absent' }) };
  }

  // add: remove exactly the replaced key's line (never the key being added), then add the key if absent.
  const replaceText = params[KEY_SCRIPT_PARAMS.replace] ?? '';
  let next = lines;
  let replaced: boolean | undefined;
  if (replaceText !== '') {
    const old = publicKeyParam(replaceText);
    if (old === undefined) return refused('bad-key', user);
    replaced = lines.some((line) => lineHoldsKey(line, old.key));
    if (!isSameKey(old.key, wanted.key)) next = next.filter((line) => !lineHoldsKey(line, old.key));
  }
  const isPresent = next.some((line) => lineHoldsKey(line, wanted.key));
  if (!isPresent) next = [...next, wanted.line];
  ssh.files.set(user, next);
  return {
    exitCode: 0,
    output: formatKeyScriptOutput({ ...base, result: isPresent ? 'present' : 'added', ...(replaced === undefined ? {} : { replaced }) }),
  };
}
