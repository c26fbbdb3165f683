import { describe, expect, it } from 'vitest';
import { canonicalQueryString, percentEncode } from './canonical';
import { signV1, stringToSignV1 } from './v1';

function withoutSignature(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => name !== 'Signature'));
}

// The official worked examples, byte for byte.

describe('V1 official examples (docs/ecs-notes.md#v1-test-vectors)', () => {
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
  it('V1 string-to-sign excludes Signature and uses the HTTP method it is given', () => {
    expect(stringToSignV1('post', { A: '1', Signature: 'x' })).toBe('POST&%2F&A%3D1');
  });
});
