import { OpenApiUtil } from '@alicloud/openapi-core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EMPTY_BODY_SHA256,
  canonicalQueryString,
  canonicalRequestV3,
  formatAcsDate,
  hashPayload,
  percentEncode,
  signV1,
  signV3,
  stringToSignV1,
  stringToSignV3,
} from './v3';

function withoutSignature(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => name !== 'Signature'));
}

// ---------------------------------------------------------------------------------------------------------
// Official worked examples (ecs-api.md §9.3, §10.4): byte for byte.

describe('V1 official examples (ecs-api.md §9.3)', () => {
  it('A: ECS docs, DescribeRegions', () => {
    const signed = signV1({
      method: 'GET',
      params: { Action: 'DescribeRegions', Version: '2014-05-26' },
      format: 'XML',
      credentials: { accessKeyId: 'testid', accessKeySecret: 'testsecret' },
      date: new Date('2016-02-23T12:46:24Z'),
      nonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    });
    expect(signed.stringToSign).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
        '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
        '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(signed.signature).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
    expect(percentEncode(signed.signature)).toBe('OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D');
    expect(signed.queryString).toContain('&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D&');
  });

  it('B: SDK docs, DescribeDedicatedHosts', () => {
    const signed = signV1({
      method: 'GET',
      action: 'DescribeDedicatedHosts',
      version: '2014-05-26',
      params: { RegionId: 'cn-beijing' },
      credentials: { accessKeyId: 'testid', accessKeySecret: 'testsecret' },
      date: new Date('2023-03-13T08:34:30Z'),
      nonce: 'edb2b34af0af9a6d14deaf7c1a5315eb',
    });
    expect(canonicalQueryString(withoutSignature(signed.params))).toBe(
      'AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing&SignatureMethod=HMAC-SHA1' +
        '&SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0&Timestamp=2023-03-13T08%3A34%3A30Z' +
        '&Version=2014-05-26',
    );
    expect(signed.signature).toBe('9NaGiOspFP5UPcwX8Iwt2YJXXuk=');
  });

  it('adds SecurityToken only for STS credentials, and ignores a caller-supplied one', () => {
    const base = {
      method: 'POST',
      params: { Action: 'DescribeRegions', Version: '2014-05-26', SecurityToken: 'forged', Signature: 'forged' },
      date: new Date('2024-01-01T00:00:00Z'),
      nonce: 'n',
    };
    const plain = signV1({ ...base, credentials: { accessKeyId: 'a', accessKeySecret: 's' } });
    expect(plain.params).not.toHaveProperty('SecurityToken');
    expect(plain.signature).not.toBe('forged');
    const sts = signV1({ ...base, credentials: { accessKeyId: 'a', accessKeySecret: 's', securityToken: 'tok' } });
    expect(sts.params['SecurityToken']).toBe('tok');
    expect(sts.stringToSign).toContain('SecurityToken%3Dtok');
  });
});

describe('V3 official example (ecs-api.md §10.4)', () => {
  const input = {
    method: 'POST',
    host: 'ecs.cn-shanghai.aliyuncs.com',
    action: 'RunInstances',
    version: '2014-05-26',
    query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
    credentials: { accessKeyId: 'YourAccessKeyId', accessKeySecret: 'YourAccessKeySecret' },
    date: new Date('2023-10-26T10:22:32Z'),
    nonce: '3156853299f313e23d1673dc12e1703d',
  };
  const canonical = [
    'POST',
    '/',
    'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
    'host:ecs.cn-shanghai.aliyuncs.com',
    'x-acs-action:RunInstances',
    'x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-acs-date:2023-10-26T10:22:32Z',
    'x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d',
    'x-acs-version:2014-05-26',
    '',
    'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  ].join('\n');

  it('reproduces the canonical request, its hash and the signature', () => {
    const signed = signV3(input);
    expect(signed.canonicalRequest).toBe(canonical);
    expect(signed.stringToSign).toBe('ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
    expect(signed.signature).toBe('06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
    expect(signed.headers['authorization']).toBe(
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,' +
        'SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,' +
        'Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    );
    expect(signed.queryString).toBe('ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai');
  });

  it('exposes the lower-level pieces a verifier reuses', () => {
    const { canonicalRequest, signedHeaders } = canonicalRequestV3({
      method: 'post',
      canonicalQuery: canonicalQueryString(input.query),
      headers: {
        Host: 'ecs.cn-shanghai.aliyuncs.com',
        'X-Acs-Action': 'RunInstances',
        'x-acs-version': '2014-05-26',
        'x-acs-date': ' 2023-10-26T10:22:32Z ',
        'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
        'x-acs-content-sha256': EMPTY_BODY_SHA256,
        'user-agent': 'not signed',
      },
      hashedPayload: hashPayload(''),
    });
    expect(canonicalRequest).toBe(canonical);
    expect(signedHeaders).toBe('host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version');
    expect(stringToSignV3(canonicalRequest)).toBe('ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
  });

  it('signs x-acs-security-token with STS credentials and never forwards a caller authorization header', () => {
    const signed = signV3({
      ...input,
      headers: { Authorization: 'forged', accept: 'application/json' },
      credentials: { ...input.credentials, securityToken: 'sts-token' },
    });
    expect(signed.headers['x-acs-security-token']).toBe('sts-token');
    expect(signed.headers['authorization']).toContain('x-acs-date;x-acs-security-token;x-acs-signature-nonce');
    expect(signed.headers['authorization']).not.toBe('forged');
    expect(signed.headers['accept']).toBe('application/json');
    expect(signed.canonicalRequest).not.toContain('accept');
  });
});

describe('encoding and ordering (ecs-api.md §9.2, §11)', () => {
  it('percent-encodes per RFC 3986', () => {
    expect(percentEncode(" a!*'()~+/:")).toBe('%20a%21%2A%27%28%29~%2B%2F%3A');
    expect(percentEncode('["i-a","i-b"]')).toBe('%5B%22i-a%22%2C%22i-b%22%5D');
    expect(percentEncode('中')).toBe('%E4%B8%AD');
  });

  it('sorts names by UTF-16 code unit, so Tag.10.Key comes before Tag.2.Key', () => {
    expect(canonicalQueryString({ 'Tag.2.Key': 'b', 'Tag.10.Key': 'a', RegionId: 'cn-hangzhou' })).toBe(
      'RegionId=cn-hangzhou&Tag.10.Key=a&Tag.2.Key=b',
    );
  });

  it('writes empty values as k= and no parameters as the empty string', () => {
    expect(canonicalQueryString({ B: '', A: 'x' })).toBe('A=x&B=');
    expect(canonicalQueryString({})).toBe('');
  });

  it('formats dates without milliseconds', () => {
    expect(formatAcsDate(new Date('2023-10-26T10:22:32.999Z'))).toBe('2023-10-26T10:22:32Z');
  });

  it('V1 string-to-sign excludes Signature and uses the HTTP method it is given', () => {
    expect(stringToSignV1('post', { A: '1', Signature: 'x' })).toBe('POST&%2F&A%3D1');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Agreement with the official SDK's own signing code (@alicloud/openapi-core 1.0.8 `utils.ts`:
// getAuthorization for V3, getRPCSignature for V1, getTimestamp for the date format).

const tricky = fc.constantFrom(
  ' ',
  '*',
  '~',
  "!'()",
  '+/=&?#',
  '%20',
  '["i-a","i-b"]',
  '[]',
  '中文名称',
  '😀 emoji',
  'a\u00a0b',
  '',
);
const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), tricky, fc.json({ maxDepth: 2 }));
// The SDK's V3 canonical query does not encode names (ecs-api.md §10.2), so V3 names stay in the unreserved
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
