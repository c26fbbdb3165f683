import type { RequestOf } from '../../ecs/contract';
import { ecsFingerprint, parsePublicKey } from '../../ecs/ssh-keys';
import { createSimulator } from './simulator';
import { callErr, callOk, expectOk, fakeClock } from './test-support';

const HZ = 'cn-hangzhou';

function ids(rows: readonly { InstanceId: string }[] | undefined): string[] {
  return (rows ?? []).map((r) => r.InstanceId);
}

describe('DescribeRegions', () => {
  const sim = createSimulator({ instances: 20 });

  it('answers in zh-CN by default and in English for en-US', () => {
    const zh = callOk(sim, 'DescribeRegions', {}).Regions?.Region ?? [];
    expect(zh).toHaveLength(7);
    expect(zh[0]).toEqual({
      RegionId: HZ,
      LocalName: '华东1（杭州）',
      RegionEndpoint: 'ecs.cn-hangzhou.aliyuncs.com',
      Status: 'available',
    });
    const en = callOk(sim, 'DescribeRegions', { AcceptLanguage: 'en-US' }).Regions?.Region ?? [];
    expect(en.map((r) => r.LocalName)).toContain('China (Hangzhou)');
    expect(en.find((r) => r.RegionId === 'eu-central-1')?.LocalName).toBe('Germany (Frankfurt)');
  });

  it('rejects an unknown AcceptLanguage with InvalidAcceptLanguage.NotFound (404)', () => {
    const err = callErr(sim, 'DescribeRegions', { AcceptLanguage: 'xx-XX' });
    expect([err.status, err.Code]).toEqual([404, 'InvalidAcceptLanguage.NotFound']);
  });
});

describe('DescribeInstances paging', () => {
  const sim = createSimulator({ instances: 1234 });
  const all = ids(sim.instancesIn(HZ));

  it('defaults to page 1 of 10 and always reports TotalCount, PageNumber and PageSize as numbers', () => {
    const res = sim.call('DescribeInstances', { RegionId: HZ });
    const body = expectOk(res, 'DescribeInstances');
    expect(res.body).toMatchObject({ TotalCount: 1234, PageNumber: 1, PageSize: 10 });
    expect(body.NextToken).toBeUndefined();
    expect(ids(body.Instances?.Instance)).toEqual(all.slice(0, 10));
  });

  it('pages by number up to 100 rows, and past the end is an empty page', () => {
    const page3 = callOk(sim, 'DescribeInstances', { RegionId: HZ, PageNumber: 3, PageSize: 100 });
    expect(ids(page3.Instances?.Instance)).toEqual(all.slice(200, 300));
    const last = callOk(sim, 'DescribeInstances', { RegionId: HZ, PageNumber: 13, PageSize: 100 });
    expect(ids(last.Instances?.Instance)).toEqual(all.slice(1200));
    expect(callOk(sim, 'DescribeInstances', { RegionId: HZ, PageNumber: 14, PageSize: 100 }).Instances?.Instance).toEqual([]);
  });

  it.each([
    ['PageSize', '101'],
    ['PageSize', '0'],
    ['PageSize', 'ten'],
    ['PageNumber', '0'],
    ['MaxResults', '101'],
  ])('rejects %s=%s with InvalidParameter', (param, value) => {
    const err = callErr(sim, 'DescribeInstances', { RegionId: HZ, [param]: value });
    expect([err.status, err.Code]).toEqual([400, 'InvalidParameter']);
    expect(err.Message).toContain(param);
  });

  it('walks every instance exactly once with NextToken + MaxResults, ending with an empty token', () => {
    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const page = callOk(sim, 'DescribeInstances', { RegionId: HZ, MaxResults: 100, ...(token ? { NextToken: token } : {}) });
      expect(page.TotalCount).toBe(1234);
      expect(page.NextToken).toBeDefined();
      expect(page.NextToken).toMatch(/^[A-Za-z0-9_-]*$/);
      seen.push(...ids(page.Instances?.Instance));
      token = page.NextToken;
      calls++;
    } while (token);
    expect(calls).toBe(13);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(1234);
  });

  it('returns an empty NextToken on a last page that is exactly full', () => {
    const ten = all.slice(0, 10);
    const first = callOk(sim, 'DescribeInstances', { RegionId: HZ, InstanceIds: ten, MaxResults: 5 });
    expect(first.NextToken).not.toBe('');
    const second = callOk(sim, 'DescribeInstances', { RegionId: HZ, InstanceIds: ten, MaxResults: 5, NextToken: first.NextToken });
    expect(ids(second.Instances?.Instance)).toEqual(ten.slice(5));
    expect(second.NextToken).toBe('');
  });

  it('uses the token rather than PageNumber/PageSize when both are sent (docs/ecs-notes.md#instance-paging)', () => {
    const first = callOk(sim, 'DescribeInstances', { RegionId: HZ, MaxResults: 5 });
    const second = callOk(sim, 'DescribeInstances', { RegionId: HZ, NextToken: first.NextToken, PageNumber: 9, PageSize: 50 });
    expect(ids(second.Instances?.Instance)).toEqual(all.slice(5, 15));
  });

  it.each([
    ['garbage', 'Z2FyYmFnZQ'],
    ['not base64url', '!!!'],
    ['forged offset', btoa('5.abc').replace(/=+$/, '')],
  ])('rejects a %s token with InvalidParameter.NextToken', (_what, token) => {
    const err = callErr(sim, 'DescribeInstances', { RegionId: HZ, NextToken: token });
    expect([err.status, err.Code]).toEqual([400, 'InvalidParameter.NextToken']);
  });

  it("rejects another region's token", () => {
    const token = callOk(sim, 'DescribeInstances', { RegionId: HZ, MaxResults: 5 }).NextToken;
    const err = callErr(sim, 'DescribeInstances', { RegionId: 'cn-shanghai', NextToken: token ?? '' });
    expect(err.Code).toBe('InvalidParameter.NextToken');
  });

  // Its speed is `npm run bench -- proxy`'s to measure, not a timed assertion here.
  it('pages a 10,000-instance region by 100 rows, every instance once', () => {
    const big = createSimulator({ instances: 10_000 });
    const seen = new Set<string>();
    for (let page = 1; page <= 100; page++) {
      const res = big.call('DescribeInstances', { RegionId: HZ, PageNumber: String(page), PageSize: '100' });
      expect(res.status).toBe(200);
      const list = (res.body['Instances'] as { Instance: { InstanceId: string }[] }).Instance;
      for (const i of list) seen.add(i.InstanceId);
    }
    expect(seen.size).toBe(10_000);
  });
});

describe('DescribeInstances filters', () => {
  const clock = fakeClock();
  const sim = createSimulator({ instances: 600, now: clock.now });
  clock.advance(10_000); // let the mid-transition instances settle
  const all = sim.instancesIn(HZ);

  /** Filters via the wire and checks the answer against a filter over the whole region. */
  function expectFilter(params: Partial<RequestOf<'DescribeInstances'>>, predicate: (i: (typeof all)[number]) => boolean) {
    const res = callOk(sim, 'DescribeInstances', { RegionId: HZ, PageSize: 100, ...params });
    const want = all.filter(predicate).map((i) => i.InstanceId);
    expect(want.length).toBeGreaterThan(0);
    expect(res.TotalCount).toBe(want.length);
    expect(ids(res.Instances?.Instance)).toEqual(want.slice(0, 100));
    return res;
  }

  it('filters by Status, and rejects an unknown status with InvalidStatus.NotFound', () => {
    expectFilter({ Status: 'Stopped' }, (i) => i.Status === 'Stopped');
    const err = callErr(sim, 'DescribeInstances', { RegionId: HZ, Status: 'Sleeping' });
    expect([err.status, err.Code]).toEqual([404, 'InvalidStatus.NotFound']);
  });

  it('filters by exact KeyPairName', () => {
    expectFilter({ KeyPairName: 'ops-team' }, (i) => i.KeyPairName === 'ops-team');
    expect(callOk(sim, 'DescribeInstances', { RegionId: HZ, KeyPairName: 'ops' }).TotalCount).toBe(0);
  });

  it('filters by InstanceIds: only this region, an empty array returns nothing, at most 100', () => {
    const wanted = [all[5], all[2], all[40]].map((i) => i?.InstanceId ?? '');
    const other = sim.instancesIn('cn-shanghai')[0]?.InstanceId ?? '';
    const res = callOk(sim, 'DescribeInstances', { RegionId: HZ, InstanceIds: [...wanted, other, 'i-doesnotexist'] });
    expect(ids(res.Instances?.Instance)).toEqual([all[2], all[5], all[40]].map((i) => i?.InstanceId));
    expect(callOk(sim, 'DescribeInstances', { RegionId: HZ, InstanceIds: [] }).TotalCount).toBe(0);
    const tooMany = JSON.stringify(all.slice(0, 101).map((i) => i.InstanceId));
    expect(callErr(sim, 'DescribeInstances', { RegionId: HZ, InstanceIds: tooMany }).Code).toBe('InvalidParameter');
    expect(callErr(sim, 'DescribeInstances', { RegionId: HZ, InstanceIds: '["i-a",' }).Code).toBe('InvalidParameter');
  });

  it('filters InstanceName exactly without `*` and by wildcard with it', () => {
    const name = all.find((i) => i.InstanceName.startsWith('web-prod-'))?.InstanceName ?? '';
    expectFilter({ InstanceName: name }, (i) => i.InstanceName === name);
    expectFilter({ InstanceName: 'web-prod-*' }, (i) => i.InstanceName.startsWith('web-prod-'));
    expectFilter({ InstanceName: '*-001' }, (i) => i.InstanceName.endsWith('-001'));
    expectFilter({ InstanceName: '*stg*' }, (i) => i.InstanceName.includes('stg'));
    expectFilter({ InstanceName: 'db*-0*' }, (i) => /^db.*-0.*$/.test(i.InstanceName));
    expect(callOk(sim, 'DescribeInstances', { RegionId: HZ, InstanceName: 'web-prod' }).TotalCount).toBe(0);
    expect(callOk(sim, 'DescribeInstances', { RegionId: HZ, InstanceName: 'web.prod*' }).TotalCount).toBe(0);
  });

  it('filters by tags: key and value, key only, and several tags AND together', () => {
    const hasTag = (i: (typeof all)[number], key: string, value?: string) =>
      (i.Tags.Tag ?? []).some((t) => t.TagKey === key && (value === undefined || t.TagValue === value));
    expectFilter({ Tag: [{ Key: 'env', Value: 'prod' }] }, (i) => hasTag(i, 'env', 'prod'));
    expectFilter({ Tag: [{ Key: 'team' }] }, (i) => hasTag(i, 'team'));
    expectFilter(
      {
        Tag: [
          { Key: 'env', Value: 'dev' },
          { Key: 'team', Value: 'data' },
        ],
      },
      (i) => hasTag(i, 'env', 'dev') && hasTag(i, 'team', 'data'),
    );
    expect(callOk(sim, 'DescribeInstances', { RegionId: HZ, Tag: [{ Key: 'env', Value: 'qa' }] }).TotalCount).toBe(0);
  });

  it('filters by ZoneId and VpcId, and combines filters with paging', () => {
    expectFilter({ ZoneId: 'cn-hangzhou-h' }, (i) => i.ZoneId === 'cn-hangzhou-h');
    const vpc = all[0]?.VpcAttributes.VpcId ?? '';
    expectFilter({ VpcId: vpc }, (i) => i.VpcAttributes.VpcId === vpc);
    const running = all.filter((i) => i.Status === 'Running' && i.ZoneId === 'cn-hangzhou-g').map((i) => i.InstanceId);
    const page2 = callOk(sim, 'DescribeInstances', {
      RegionId: HZ,
      Status: 'Running',
      ZoneId: 'cn-hangzhou-g',
      PageNumber: 2,
      PageSize: 7,
    });
    expect(page2.TotalCount).toBe(running.length);
    expect(ids(page2.Instances?.Instance)).toEqual(running.slice(7, 14));
  });

  it('needs a RegionId and a known one', () => {
    const missing = callErr(sim, 'DescribeInstances', {});
    expect([missing.status, missing.Code]).toEqual([400, 'MissingParameter']);
    expect(missing.Message).toContain('RegionId');
    const unknown = callErr(sim, 'DescribeInstances', { RegionId: 'cn-atlantis' });
    expect([unknown.status, unknown.Code]).toEqual([404, 'InvalidRegionId.NotFound']);
    expect(callErr(sim, 'DescribeInstances', { RegionId: 'evil.example.com' }).Code).toBe('InvalidRegionId.NotFound');
  });
});

describe('DescribeKeyPairs', () => {
  const sim = createSimulator({ instances: 20 });
  const names = (params: { KeyPairName?: string; KeyPairFingerPrint?: string }) =>
    (callOk(sim, 'DescribeKeyPairs', { RegionId: HZ, PageSize: 50, ...params }).KeyPairs?.KeyPair ?? []).map((k) => k.KeyPairName);

  it('lists twelve pairs with MD5 fingerprints, paged by 10 by default and at most 50', () => {
    const first = callOk(sim, 'DescribeKeyPairs', { RegionId: HZ });
    expect([first.TotalCount, first.PageNumber, first.PageSize]).toEqual([12, 1, 10]);
    expect(first.KeyPairs?.KeyPair).toHaveLength(10);
    for (const pair of first.KeyPairs?.KeyPair ?? []) {
      // ECS's form: 32 lowercase hex digits, no colons (docs/ecs-notes.md#fingerprints).
      expect(pair.KeyPairFingerPrint).toMatch(/^[0-9a-f]{32}$/);
      expect(pair).not.toHaveProperty('PublicKey');
      expect(pair.CreationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
      expect(pair.ResourceGroupId).toMatch(/^rg-/);
    }
    expect(callOk(sim, 'DescribeKeyPairs', { RegionId: HZ, PageNumber: 3, PageSize: 5 }).KeyPairs?.KeyPair).toHaveLength(2);
    const err = callErr(sim, 'DescribeKeyPairs', { RegionId: HZ, PageSize: '51' });
    expect([err.status, err.Code]).toEqual([400, 'InvalidParameter']);
  });

  it('matches names exactly without `*` and by `*x`, `x*`, `*x*` with it', () => {
    expect(names({ KeyPairName: 'ops-team' })).toEqual(['ops-team']);
    expect(names({ KeyPairName: 'ops' })).toEqual([]);
    expect(names({ KeyPairName: 'break*' })).toEqual(['break-glass-2026']);
    expect(names({ KeyPairName: '*-laptop' })).toEqual(['alice-laptop']);
    expect(names({ KeyPairName: '*glass*' })).toEqual(['break-glass-2026']);
    expect(names({ KeyPairName: '*' })).toHaveLength(12);
  });

  it('filters by fingerprint, also in the colon form ssh-keygen -E md5 prints', () => {
    const pair = callOk(sim, 'DescribeKeyPairs', { RegionId: HZ, KeyPairName: 'ci-deploy' }).KeyPairs?.KeyPair?.[0];
    const fingerprint = pair?.KeyPairFingerPrint ?? '';
    expect(names({ KeyPairFingerPrint: fingerprint })).toEqual(['ci-deploy']);
    expect(names({ KeyPairFingerPrint: fingerprint.replace(/(..)(?!$)/g, '$1:') })).toEqual(['ci-deploy']);
    expect(names({ KeyPairFingerPrint: '00:11' })).toEqual([]);
  });

  it('sends each pair its real public key with IncludePublicKey=true, whose MD5 is the fingerprint', () => {
    const pairs = callOk(sim, 'DescribeKeyPairs', { RegionId: HZ, PageSize: 50, IncludePublicKey: true }).KeyPairs?.KeyPair ?? [];
    expect(pairs).toHaveLength(12);
    for (const pair of pairs) {
      expect(pair.PublicKey).toMatch(new RegExp(`^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} ${pair.KeyPairName}$`));
      expect(ecsFingerprint(parsePublicKey(pair.PublicKey ?? ''))).toBe(pair.KeyPairFingerPrint);
    }
    expect(new Set(pairs.map((p) => p.PublicKey)).size).toBe(12);
    // The same seed, the same keys; the same name in another region is another key.
    const again = callOk(createSimulator({ instances: 0 }), 'DescribeKeyPairs', {
      RegionId: HZ,
      KeyPairName: 'ops-team',
      IncludePublicKey: true,
    });
    expect(again.KeyPairs?.KeyPair?.[0]?.PublicKey).toBe(pairs.find((p) => p.KeyPairName === 'ops-team')?.PublicKey);
    const elsewhere = callOk(sim, 'DescribeKeyPairs', { RegionId: 'cn-shanghai', KeyPairName: 'ops-team', IncludePublicKey: true });
    expect(elsewhere.KeyPairs?.KeyPair?.[0]?.PublicKey).not.toBe(again.KeyPairs?.KeyPair?.[0]?.PublicKey);
    expect(callOk(sim, 'DescribeKeyPairs', { RegionId: HZ, IncludePublicKey: false }).KeyPairs?.KeyPair?.[0]).not.toHaveProperty(
      'PublicKey',
    );
  });
});

describe('DescribeInstanceStatus', () => {
  // A still clock: the few instances caught mid-boot must not settle between the snapshot and the calls.
  const sim = createSimulator({ instances: 120, now: fakeClock().now });
  const all = sim.instancesIn(HZ);

  it('pages statuses 1–50 per page in listing order', () => {
    const page = callOk(sim, 'DescribeInstanceStatus', { RegionId: HZ, PageNumber: 2, PageSize: 50 });
    expect([page.TotalCount, page.PageNumber, page.PageSize]).toEqual([120, 2, 50]);
    expect(page.InstanceStatuses?.InstanceStatus).toEqual(all.slice(50, 100).map((i) => ({ InstanceId: i.InstanceId, Status: i.Status })));
    expect(callErr(sim, 'DescribeInstanceStatus', { RegionId: HZ, PageSize: '51' }).Code).toBe('InvalidParameter');
  });

  it('filters by InstanceId.N and ZoneId', () => {
    const picked = [all[9], all[3]].map((i) => i?.InstanceId ?? '');
    const res = callOk(sim, 'DescribeInstanceStatus', { RegionId: HZ, InstanceId: picked });
    expect(res.TotalCount).toBe(2);
    expect(ids(res.InstanceStatuses?.InstanceStatus)).toEqual([all[3]?.InstanceId, all[9]?.InstanceId]);
    const zone = callOk(sim, 'DescribeInstanceStatus', { RegionId: HZ, ZoneId: 'cn-hangzhou-i', PageSize: 50 });
    expect(zone.TotalCount).toBe(all.filter((i) => i.ZoneId === 'cn-hangzhou-i').length);
  });
});
