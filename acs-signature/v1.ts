import { createHmac } from 'node:crypto';
import { canonicalQueryString, formatAcsDate, percentEncode } from './canonical';
import type { Credentials } from './credentials';

/**
 * V1: HMAC-SHA1, called "V2 RPC" in the current Alibaba docs (docs/ecs-notes.md#signature-v1). Still what the
 * official SDK sends with `signatureAlgorithm: 'v2'`, so the simulated ECS verifies it too.
 */

/** The common parameters of V1 (docs/ecs-notes.md#v1-common-parameters); the simulator strips them before it sees business parameters. */
export const V1_COMMON_PARAMS = [
  'Action',
  'Version',
  'Format',
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
  'SecurityToken',
  'Signature',
] as const;

/**
 * `METHOD&%2F&pe(canonical query)` over every parameter except `Signature` (docs/ecs-notes.md#v1-algorithm
 * steps 1–5). The canonical query is encoded a second time, so `:` becomes `%253A`.
 */
export function stringToSignV1(method: string, params: Readonly<Record<string, string>>): string {
  const signed = { ...params };
  delete signed['Signature'];
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQueryString(signed))}`;
}

/** Base64 HMAC-SHA1 keyed with `secret + "&"` (docs/ecs-notes.md#v1-algorithm step 6). */
export function signatureV1(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

export interface SignV1Input {
  method: string;
  /** Business parameters (flat); may include `Action` and `Version`, or pass them below. */
  params: Readonly<Record<string, string>>;
  action?: string;
  version?: string;
  credentials: Credentials;
  date: Date;
  nonce: string;
  /** Response format; default `JSON`. `null` leaves `Format` out, which makes ECS answer in XML (docs/ecs-notes.md#transport). */
  format?: 'JSON' | 'XML' | null;
}

export interface SignedV1 {
  /** Everything to send — business and common parameters and `Signature` — not yet encoded. */
  params: Record<string, string>;
  /** `params` as an encoded query string (or form body), `Signature` included. */
  queryString: string;
  stringToSign: string;
  signature: string;
}

export function signV1(input: SignV1Input): SignedV1 {
  const format = input.format === undefined ? 'JSON' : input.format;
  const params: Record<string, string> = { ...input.params };
  // The signer owns the authentication parameters: whatever the caller passed is replaced (docs/ecs-notes.md#signer-notes).
  for (const name of ['Signature', 'SecurityToken', 'Format'] as const) delete params[name];
  if (input.action !== undefined) params['Action'] = input.action;
  if (input.version !== undefined) params['Version'] = input.version;
  if (format !== null) params['Format'] = format;
  params['AccessKeyId'] = input.credentials.accessKeyId;
  params['SignatureMethod'] = 'HMAC-SHA1';
  params['SignatureVersion'] = '1.0';
  params['SignatureNonce'] = input.nonce;
  params['Timestamp'] = formatAcsDate(input.date);
  if (input.credentials.securityToken) params['SecurityToken'] = input.credentials.securityToken;

  const stringToSign = stringToSignV1(input.method, params);
  const signature = signatureV1(input.credentials.accessKeySecret, stringToSign);
  params['Signature'] = signature;
  return { params, queryString: canonicalQueryString(params), stringToSign, signature };
}
