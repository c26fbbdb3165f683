import { ed25519 } from '@noble/curves/ed25519.js';
import { ecsFingerprint, encodeBase64, parsePublicKey, type SshPublicKey } from '../../ecs/ssh-keys';
import type { Rng } from './random';

/**
 * Real public keys for the simulated key pairs and the colleagues' keys found in authorized_keys: ed25519 keys
 * derived from 32 seeded bytes, so a seed reproduces every key and fingerprint, in Node and the browser alike
 * (@noble/curves is plain JavaScript). Deriving a public key costs about a millisecond, so it is done on first
 * use and remembered by seed: a fleet of seven regions would otherwise spend a tenth of a second on keys it may
 * never show, and every test builds fleets.
 */

export interface KeyMaterial {
  /** The OpenSSH line: `ssh-ed25519 <base64> <comment>`. */
  line: string;
  /** ECS's KeyPairFingerPrint: MD5 of the blob, 32 lowercase hex (docs/ecs-notes.md#fingerprints). */
  fingerprint: string;
}

/** 32 bytes from the stream: the ed25519 private seed. */
export function drawKeySeed(rng: Rng): Uint8Array {
  const seed = new Uint8Array(32);
  for (let i = 0; i < seed.length; i++) seed[i] = rng.int(0, 255);
  return seed;
}

const TYPE = new TextEncoder().encode('ssh-ed25519');
const MEMO_LIMIT = 4096;
const memo = new Map<string, Uint8Array>();

function publicKeyOf(seed: Uint8Array): Uint8Array {
  const id = Array.from(seed, (b) => b.toString(16).padStart(2, '0')).join('');
  let key = memo.get(id);
  if (key === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    key = ed25519.getPublicKey(seed);
    memo.set(id, key);
  }
  return key;
}

/** The RFC 4253 §6.6 blob of an ed25519 key: string "ssh-ed25519", string key (each with a uint32 length). */
function ed25519Blob(publicKey: Uint8Array): Uint8Array {
  const blob = new Uint8Array(4 + TYPE.length + 4 + publicKey.length);
  const view = new DataView(blob.buffer);
  view.setUint32(0, TYPE.length);
  blob.set(TYPE, 4);
  view.setUint32(4 + TYPE.length, publicKey.length);
  blob.set(publicKey, 8 + TYPE.length);
  return blob;
}

export function keyMaterial(seed: Uint8Array, comment: string): KeyMaterial {
  const blob = ed25519Blob(publicKeyOf(seed));
  return { line: `ssh-ed25519 ${encodeBase64(blob)} ${comment}`, fingerprint: ecsFingerprint({ blob }) };
}

/** The key of an authorized_keys line, or undefined for a line that holds none (comments, options, garbage). */
export function keyOfLine(line: string): SshPublicKey | undefined {
  try {
    return parsePublicKey(line);
  } catch {
    return undefined;
  }
}

/** The same key: type and base64 equal, whatever the comments (docs/ecs-notes.md#own-key-script). */
export function isSameKey(a: Pick<SshPublicKey, 'type' | 'base64'>, b: Pick<SshPublicKey, 'type' | 'base64'>): boolean {
  return a.type === b.type && a.base64 === b.base64;
}

/** True when `line` holds the key of `other` (a line or a parsed key). */
export function lineHoldsKey(line: string, key: Pick<SshPublicKey, 'type' | 'base64'>): boolean {
  const own = keyOfLine(line);
  return own !== undefined && isSameKey(own, key);
}

/** Colleagues whose keys sit in some instances' authorized_keys: lines the console must leave alone. */
export const COLLEAGUES = ['erin@build-host', 'frank@jumpbox', 'grace@laptop', 'heidi@ops-vm'] as const;
