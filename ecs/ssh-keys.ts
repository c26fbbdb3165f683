import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * OpenSSH public key lines and their fingerprints, as ECS and `ssh-keygen -l` show them
 * (docs/ecs-notes.md#fingerprints). Pure and Web-API-only: the simulator, the proxy and the browser all
 * use it. @noble/hashes because the browser's WebCrypto has no MD5, and ECS's fingerprint is an MD5.
 */

/** Key types ECS documents for ImportKeyPair and the activation script accepts. */
export const SSH_KEY_TYPES = ['ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const;
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

export interface SshPublicKey {
  type: SshKeyType;
  /** The base64 blob (the 2nd field of the line). */
  base64: string;
  blob: Uint8Array;
  comment: string;
}

export class SshKeyError extends Error {
  override readonly name = 'SshKeyError';
}

function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new SshKeyError('the key body is not base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Parses one OpenSSH public key line: `type base64 [comment]`, no options, one line. The blob must start with
 * the same type string (RFC 4253 §6.6 wire format), the check `ssh-keygen -l` does.
 */
export function parsePublicKey(line: string): SshPublicKey {
  const trimmed = line.trim();
  if (/[\r\n]/.test(trimmed)) throw new SshKeyError('a public key is one line');
  const [type, base64, ...rest] = trimmed.split(/[ \t]+/);
  if (type === undefined || !(SSH_KEY_TYPES as readonly string[]).includes(type)) throw new SshKeyError('unsupported key type');
  if (base64 === undefined) throw new SshKeyError('the key has no body');
  const blob = decodeBase64(base64);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.length < 4 + type.length || view.getUint32(0) !== type.length) throw new SshKeyError('the key body does not match its type');
  const named = new TextDecoder().decode(blob.subarray(4, 4 + type.length));
  if (named !== type) throw new SshKeyError('the key body does not match its type');
  return { type: type as SshKeyType, base64, blob, comment: rest.join(' ') };
}

/** ECS's `KeyPairFingerPrint`: MD5 of the blob, 32 lowercase hex characters, no colons (docs/ecs-notes.md#fingerprints). */
export function ecsFingerprint(key: Pick<SshPublicKey, 'blob'>): string {
  return Array.from(md5(key.blob), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `ssh-keygen -lf` default: `SHA256:` + unpadded base64 of the SHA-256 of the blob. */
export function sha256Fingerprint(key: Pick<SshPublicKey, 'blob'>): string {
  return `SHA256:${encodeBase64(sha256(key.blob)).replace(/=+$/, '')}`;
}

/** Normalises a fingerprint for comparison: ECS's MD5 may come with colons or in upper case (docs/ecs-notes.md#fingerprints). */
export function normaliseMd5(fingerprint: string): string {
  return fingerprint.toLowerCase().replace(/:/g, '');
}
