/**
 * The protocol of the console's one fixed Cloud Assistant script (api-proxy/cloud-assistant/authorized-keys.sh,
 * docs/activation-script.md, docs/product.md#fixed-commands-only): its marker line, its parameters and what it prints. The proxy
 * builds every RunCommand from the fixed script and these parameter names only, never from client text; the
 * simulator recognises the script by its marker and answers in the same format; the proxy parses that answer
 * with `parseKeyScriptOutput`. Pure and Web-API-only.
 */

/** The script's second line. The simulator applies only scripts that carry it (any other script: "not simulated"). */
export const KEY_SCRIPT_MARKER = '# ecs-keypair-console:authorized-keys v1';

export const KEY_SCRIPT_MODES = ['add', 'remove', 'list'] as const;
export type KeyScriptMode = (typeof KEY_SCRIPT_MODES)[number];

/**
 * Cloud Assistant substitutes `{{name}}` textually (EnableParameter=true), so every value is Base64 (or a mode
 * word from the fixed list): nothing a parameter holds can become shell syntax.
 */
export const KEY_SCRIPT_PARAMS = {
  mode: 'mode',
  /** Base64 of the login user name. */
  user: 'user_b64',
  /** Base64 of the OpenSSH public key line to add or remove (add/remove; empty for list). */
  key: 'key_b64',
  /** Base64 of the previously bound key's line, replaced by `add` (empty when none is known). */
  replace: 'replace_b64',
} as const;

/**
 * The login user names the script accepts (the common `useradd` rule, docs/ecs-notes.md#own-key-script); the
 * proxy's ACTIVATION_USERS must match it too.
 */
export const LOGIN_USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

/** What `RESULT=` says. */
export const KEY_SCRIPT_RESULTS = ['added', 'present', 'removed', 'absent', 'listed', 'refused'] as const;
export type KeyScriptResult = (typeof KEY_SCRIPT_RESULTS)[number];

/**
 * What `REASON=` says when `RESULT=refused` (docs/activation-script.md#refusals). A refusal changed nothing on
 * the instance; `internal-error` is an unexpected failure of a command, also before anything was written.
 */
export const KEY_SCRIPT_REASONS = [
  'bad-parameter',
  'bad-mode',
  'bad-user',
  'bad-key',
  'bad-replace',
  'no-such-user',
  'no-home',
  'unsafe-home',
  'symlink',
  'write-failed',
  'internal-error',
] as const;
export type KeyScriptReason = (typeof KEY_SCRIPT_REASONS)[number];

export interface KeyLine {
  type: string;
  /** `SHA256:…` as ssh-keygen prints it. */
  sha256: string;
  /** 32 lowercase hex, ECS's form. */
  md5: string;
}

/** sshd's effective setting, as `sshd -T` reports it; unknown when sshd could not be asked. */
export type SshdSetting = 'yes' | 'no' | 'unknown';

export interface KeyScriptOutput {
  result: KeyScriptResult;
  /** Why a refusal (e.g. `symlink`, `bad-key`, `no-such-user`). */
  reason?: string;
  user?: string;
  /** The authorized_keys file read or written. */
  file?: string;
  /** add (always printed there): the replaced key's line was found and removed. */
  replaced?: boolean;
  /** list: every key line of the file. */
  keys: KeyLine[];
  passwordAuthentication?: SshdSetting;
  pubkeyAuthentication?: SshdSetting;
}

/**
 * The output format, one `NAME=value` per line (the script's `report` function prints the same):
 *   USER=ecs-user
 *   FILE=/home/ecs-user/.ssh/authorized_keys
 *   KEY=ssh-ed25519 SHA256:… 0123…(md5)        (list; one line per key)
 *   REPLACED=1                                  (add: 1 when replace_b64's line was found and removed, else 0)
 *   PASSWORD_AUTHENTICATION=no                  (list)
 *   PUBKEY_AUTHENTICATION=yes                   (list)
 *   RESULT=listed                               (always last; REASON= before it when refused)
 */
export function formatKeyScriptOutput(out: KeyScriptOutput): string {
  const lines: string[] = [];
  if (out.user !== undefined) lines.push(`USER=${out.user}`);
  if (out.file !== undefined) lines.push(`FILE=${out.file}`);
  for (const key of out.keys) lines.push(`KEY=${key.type} ${key.sha256} ${key.md5}`);
  if (out.replaced !== undefined) lines.push(`REPLACED=${out.replaced ? 1 : 0}`);
  if (out.passwordAuthentication !== undefined) lines.push(`PASSWORD_AUTHENTICATION=${out.passwordAuthentication}`);
  if (out.pubkeyAuthentication !== undefined) lines.push(`PUBKEY_AUTHENTICATION=${out.pubkeyAuthentication}`);
  if (out.reason !== undefined) lines.push(`REASON=${out.reason}`);
  lines.push(`RESULT=${out.result}`);
  return `${lines.join('\n')}\n`;
}

const setting = (value: string | undefined): SshdSetting | undefined =>
  value === undefined ? undefined : value === 'yes' || value === 'no' ? value : 'unknown';

/**
 * Reads the script's output (Cloud Assistant's `Output`, decoded). Returns undefined when there is no
 * `RESULT=` line: the script did not finish (truncated, killed, not our script), which is "unknown", never a
 * success. Lines it does not know are ignored (a shell's own warnings on stderr end up in Output too).
 */
export function parseKeyScriptOutput(text: string): KeyScriptOutput | undefined {
  const out: KeyScriptOutput = { result: 'refused', keys: [] };
  let result: KeyScriptResult | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const name = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (name === 'RESULT') result = (KEY_SCRIPT_RESULTS as readonly string[]).includes(value) ? (value as KeyScriptResult) : undefined;
    else if (name === 'USER') out.user = value;
    else if (name === 'FILE') out.file = value;
    else if (name === 'REASON') out.reason = value;
    else if (name === 'REPLACED') out.replaced = value === '1';
    else if (name === 'PASSWORD_AUTHENTICATION') out.passwordAuthentication = setting(value) ?? 'unknown';
    else if (name === 'PUBKEY_AUTHENTICATION') out.pubkeyAuthentication = setting(value) ?? 'unknown';
    else if (name === 'KEY') {
      const [type, sha256, md5] = value.split(' ');
      if (type && sha256?.startsWith('SHA256:') && md5 && /^[0-9a-f]{32}$/.test(md5)) out.keys.push({ type, sha256, md5 });
    }
  }
  if (result === undefined) return undefined;
  return { ...out, result };
}
