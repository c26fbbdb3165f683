import { describe, expect, it } from 'vitest';
import { canonicalQueryString, hashPayload } from './canonical';
import { EMPTY_BODY_SHA256, canonicalRequestV3, signV3, stringToSignV3 } from './v3';

// The official worked example, byte for byte.

describe('V3 official example (docs/ecs-notes.md#v3-test-vector)', () => {
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
