import { OpenApiUtil } from '@alicloud/openapi-core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canonicalQueryString, formatAcsDate, hashPayload, signV1, signV3 } from './index';

function withoutSignature(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => name !== 'Signature'));
}

// ---------------------------------------------------------------------------------------------------------
// Agreement with the official SDK's own signing code (@alicloud/openapi-core 1.0.8 `utils.ts`:
// getAuthorization for V3, getRPCSignature for V1, getTimestamp for the date format).

const tricky = fc.constantFrom(' ', '*', '~', "!'()", '+/=&?#', '%20', '["i-a","i-b"]', '[]', '中文名称', '😀 emoji', 'a\u00a0b', '');
const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), tricky, fc.json({ maxDepth: 2 }));
// The SDK's V3 canonical query does not encode names (docs/ecs-notes.md#v3-canonical-request), so V3 names stay in the unreserved
// set, as every real ECS name does. V1 encodes names on both sides, so any name goes there.
const v3Name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._~-]{0,24}$/);
// `__proto__` is left out: the SDK's flatMap copies parameters with `target[key] = value`, which turns that one
// name into a prototype assignment and silently drops it, while this signer keeps it as an ordinary parameter.
const anyName = fc.oneof(v3Name, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 })).filter((name) => name !== '__proto__');
const action = fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,30}$/);
const nonce = fc.oneof(fc.uuid(), fc.stringMatching(/^[0-9a-f]{32,64}$/));
const date = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true });
const secret = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
const akId = fc.stringMatching(/^[A-Za-z0-9]{8,30}$/);
const sts = fc.option(fc.stringMatching(/^[A-Za-z0-9+/=]{10,80}$/), { nil: undefined });

/** The request shape `getAuthorization` reads (method, pathname, query, headers). */
interface SdkRequestLike {
  method: string;
  pathname: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}
function sdkAuthorization(request: SdkRequestLike, payloadHash: string, ak: string, sk: string): string {
  // getAuthorization is typed to take a Tea `Request` instance but only reads these four fields; building the
  // real class would mean importing a transitive dependency of the SDK, so the plain object is cast.
  const teaRequest = request as unknown as Parameters<typeof OpenApiUtil.getAuthorization>[0];
  return OpenApiUtil.getAuthorization(teaRequest, 'ACS3-HMAC-SHA256', payloadHash, ak, sk);
}

describe('agreement with the official SDK signing (property-based)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('V3: same Authorization header as OpenApiUtil.getAuthorization', () => {
    fc.assert(
      fc.property(
        fc.record({
          method: fc.constantFrom('GET', 'POST'),
          action,
          query: fc.dictionary(v3Name, value, { maxKeys: 12 }),
          form: fc.option(fc.dictionary(anyName, value, { minKeys: 1, maxKeys: 5 }), { nil: undefined }),
          date,
          nonce,
          ak: akId,
          sk: secret,
          token: sts,
          port: fc.integer({ min: 1, max: 65535 }),
        }),
        ({ method, action, query, form, date, nonce, ak, sk, token, port }) => {
          const host = `127.0.0.1:${port}`;
          const body = form === undefined ? undefined : canonicalQueryString(form);
          const extra: Record<string, string> = { 'user-agent': 'AlibabaCloud (test)', accept: 'application/json' };
          if (body !== undefined) extra['content-type'] = 'application/x-www-form-urlencoded';
          if (token !== undefined) extra['x-acs-accesskey-id'] = ak;
          const ours = signV3({
            method,
            host,
            query,
            headers: extra,
            ...(body === undefined ? {} : { body }),
            action,
            version: '2014-05-26',
            credentials: { accessKeyId: ak, accessKeySecret: sk, securityToken: token },
            date,
            nonce,
          });
          // The header set the SDK's doRequest builds for an RPC call (openapi-core client.ts).
          const sdkHeaders: Record<string, string> = {
            host,
            'x-acs-version': '2014-05-26',
            'x-acs-action': action,
            'user-agent': 'AlibabaCloud (test)',
            'x-acs-date': formatAcsDate(date),
            'x-acs-signature-nonce': nonce,
            accept: 'application/json',
            'x-acs-content-sha256': hashPayload(body ?? ''),
          };
          if (body !== undefined) sdkHeaders['content-type'] = 'application/x-www-form-urlencoded';
          if (token !== undefined) {
            sdkHeaders['x-acs-accesskey-id'] = ak;
            sdkHeaders['x-acs-security-token'] = token;
          }
          const theirs = sdkAuthorization({ method, pathname: '/', query, headers: sdkHeaders }, hashPayload(body ?? ''), ak, sk);
          expect(ours.headers['authorization']).toBe(theirs);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('V1: same Signature as OpenApiUtil.getRPCSignature', () => {
    fc.assert(
      fc.property(
        fc.record({
          method: fc.constantFrom('GET', 'POST'),
          action,
          params: fc.dictionary(anyName, value, { maxKeys: 12 }),
          date,
          nonce,
          ak: akId,
          sk: secret,
          token: sts,
        }),
        ({ method, action, params, date, nonce, ak, sk, token }) => {
          const ours = signV1({
            method,
            action,
            version: '2014-05-26',
            params,
            credentials: { accessKeyId: ak, accessKeySecret: sk, securityToken: token },
            date,
            nonce,
          });
          expect(ours.signature).toBe(OpenApiUtil.getRPCSignature(withoutSignature(ours.params), method, sk));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('dates: formatAcsDate matches OpenApiUtil.getTimestamp', () => {
    vi.useFakeTimers();
    fc.assert(
      fc.property(date, (d) => {
        vi.setSystemTime(d);
        expect(formatAcsDate(d)).toBe(OpenApiUtil.getTimestamp());
      }),
      { numRuns: 200 },
    );
  });
});
