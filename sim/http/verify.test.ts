import { describe, expect, it } from 'vitest';
import { EMPTY_BODY_SHA256 } from '../../acs-signature';
import { NonceCache } from './nonce-cache';
import { verifyEcsRequest, type EcsHttpRequest } from './verify';

const MIN = 60_000;

// ---------------------------------------------------------------------------------------------------------
// The verifier on its own, with a fixed clock: the official worked examples must pass it
// (docs/ecs-notes.md#v1-test-vectors, docs/ecs-notes.md#v3-test-vector), and any one-character change must fail it.

describe('verifyEcsRequest with the official examples', () => {
  const v3Example: EcsHttpRequest = {
    method: 'POST',
    path: '/',
    rawQuery: 'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
    headers: {
      host: 'ecs.cn-shanghai.aliyuncs.com',
      'x-acs-action': 'RunInstances',
      'x-acs-version': '2014-05-26',
      'x-acs-date': '2023-10-26T10:22:32Z',
      'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
      'x-acs-content-sha256': EMPTY_BODY_SHA256,
      authorization:
        'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,' +
        'SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,' +
        'Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    },
    body: new Uint8Array(),
  };
  const v3Context = () => ({
    accessKeys: { YourAccessKeyId: 'YourAccessKeySecret' },
    now: Date.parse('2023-10-26T10:22:32Z'),
    nonces: new NonceCache(),
  });

  it('the V3 example passes, and a replay of it does not', () => {
    const ctx = v3Context();
    const result = verifyEcsRequest(v3Example, ctx);
    expect(result).toMatchObject({
      ok: true,
      protocol: 'v3',
      action: 'RunInstances',
      accessKeyId: 'YourAccessKeyId',
      params: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
      format: 'json',
    });
    const replay = verifyEcsRequest(v3Example, ctx);
    expect(replay.ok ? '' : replay.error.code).toBe('SignatureNonceUsed');
  });

  it('the V3 example fails on a one-character change to any input', () => {
    const mutations: [string, EcsHttpRequest, Record<string, string>?][] = [];
    const withHeader = (name: string, value: string): EcsHttpRequest => ({
      ...v3Example,
      headers: { ...v3Example.headers, [name]: value },
    });
    mutations.push(['method', { ...v3Example, method: 'PUT' }]);
    mutations.push(['path', { ...v3Example, path: '/x' }]);
    mutations.push(['query value', { ...v3Example, rawQuery: v3Example.rawQuery.replace('cn-shanghai', 'cn-shanghaj') }]);
    mutations.push(['query name', { ...v3Example, rawQuery: v3Example.rawQuery.replace('ImageId', 'ImageID') }]);
    mutations.push(['body', { ...v3Example, body: new TextEncoder().encode(' ') }]);
    for (const name of ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
      const value = String(v3Example.headers[name]);
      const changed = name === 'x-acs-date' ? value.replace(':32Z', ':33Z') : value.slice(0, -1) + (value.endsWith('a') ? 'b' : 'a');
      mutations.push([name, withHeader(name, changed)]);
    }
    const auth = String(v3Example.headers['authorization']);
    mutations.push(['signature', withHeader('authorization', auth.replace(/c0$/, 'c1'))]);
    mutations.push(['credential', withHeader('authorization', auth.replace('YourAccessKeyId', 'YourAccessKeyIe'))]);
    mutations.push(['secret', v3Example, { YourAccessKeyId: 'YourAccessKeySecreT' }]);
    for (const [what, request, keys] of mutations) {
      const ctx = { ...v3Context(), ...(keys ? { accessKeys: keys } : {}) };
      const result = verifyEcsRequest(request, ctx);
      expect({ what, ok: result.ok }).toEqual({ what, ok: false });
    }
  });

  it('the V3 example is expired 16 minutes later but fine 14 minutes later', () => {
    const at = (minutes: number) => ({ ...v3Context(), now: Date.parse('2023-10-26T10:22:32Z') + minutes * MIN });
    expect(verifyEcsRequest(v3Example, at(14)).ok).toBe(true);
    const late = verifyEcsRequest(v3Example, at(16));
    expect(late.ok ? '' : late.error.code).toBe('InvalidTimeStamp.Expired');
  });

  const v1ExampleA: EcsHttpRequest = {
    method: 'GET',
    path: '/',
    rawQuery:
      'AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1' +
      '&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z' +
      '&Version=2014-05-26&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D',
    headers: { host: 'ecs.aliyuncs.com' },
    body: new Uint8Array(),
  };
  const v1ExampleB: EcsHttpRequest = {
    method: 'GET',
    path: '/',
    rawQuery:
      'AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing&SignatureMethod=HMAC-SHA1' +
      '&SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0&Timestamp=2023-03-13T08%3A34%3A30Z' +
      '&Version=2014-05-26&Signature=9NaGiOspFP5UPcwX8Iwt2YJXXuk%3D',
    headers: { host: 'ecs.cn-beijing.aliyuncs.com' },
    body: new Uint8Array(),
  };
  const v1Context = (iso: string, minutes = 0) => ({
    accessKeys: { testid: 'testsecret' },
    now: Date.parse(iso) + minutes * MIN,
    nonces: new NonceCache(),
  });

  it('V1 examples A and B pass, with XML and JSON formats and common parameters stripped', () => {
    expect(verifyEcsRequest(v1ExampleA, v1Context('2016-02-23T12:46:24Z'))).toEqual({
      ok: true,
      protocol: 'v1',
      action: 'DescribeRegions',
      accessKeyId: 'testid',
      params: {},
      format: 'xml',
    });
    expect(verifyEcsRequest(v1ExampleB, v1Context('2023-03-13T08:34:30Z'))).toMatchObject({
      ok: true,
      action: 'DescribeDedicatedHosts',
      params: { RegionId: 'cn-beijing' },
      format: 'json',
    });
  });

  it('V1 example A fails on a one-character change to any parameter, and 32 minutes later', () => {
    const pairs = v1ExampleA.rawQuery.split('&');
    pairs.forEach((pair, i) => {
      const changed = pair.slice(0, -1) + (pair.endsWith('a') ? 'b' : 'a');
      const request = { ...v1ExampleA, rawQuery: pairs.map((p, j) => (j === i ? changed : p)).join('&') };
      const result = verifyEcsRequest(request, v1Context('2016-02-23T12:46:24Z'));
      expect({ pair, ok: result.ok }).toEqual({ pair, ok: false });
    });
    expect(verifyEcsRequest({ ...v1ExampleA, method: 'POST' }, v1Context('2016-02-23T12:46:24Z')).ok).toBe(false);
    expect(verifyEcsRequest(v1ExampleA, { ...v1Context('2016-02-23T12:46:24Z'), accessKeys: { testid: 'testsecreT' } }).ok).toBe(false);
    expect(verifyEcsRequest(v1ExampleA, v1Context('2016-02-23T12:46:24Z', 30)).ok).toBe(true);
    const late = verifyEcsRequest(v1ExampleA, v1Context('2016-02-23T12:46:24Z', 32));
    expect(late.ok ? '' : late.error.code).toBe('InvalidTimeStamp.Expired');
  });
});
