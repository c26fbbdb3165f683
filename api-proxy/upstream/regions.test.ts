import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MISS_REFRESH_INTERVAL_MS, createRegionDirectory } from './regions';
import type { RegionEndpointMode } from './regions';

/** A DescribeRegions stand-in that counts its calls and can be told what to answer next. */
function regionSource(initial: string[]) {
  const state = { regions: initial, calls: 0, failure: undefined as Error | undefined };
  return {
    state,
    fetchRegions: () => {
      state.calls += 1;
      return state.failure === undefined ? Promise.resolve([...state.regions]) : Promise.reject(state.failure);
    },
  };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const PUBLIC: RegionEndpointMode = { kind: 'aliyun', network: 'public' };

/**
 * Strings that would steer a host if they were pasted into `ecs.<RegionId>.aliyuncs.com`: another domain, a
 * path, user info, a port, an IDN homograph, control characters, oversize labels.
 */
const HOSTILE = [
  'evil.com',
  'cn-hangzhou.evil.com',
  'evil.com#',
  'a/b',
  'cn-hangzhou/..',
  'x@y',
  'cn-hangzhou@evil.com',
  ':8080',
  'cn-hangzhou:8080',
  'cn-hängzhou',
  'ｃｎ-hangzhou',
  'cn-hangzhou\u200b',
  'cn-hangzhou\n',
  ' cn-hangzhou',
  'CN-HANGZHOU',
  'cn-hangzhou?x=1',
  'cn%2ehangzhou',
  '..',
  '',
  `cn-${'a'.repeat(200)}`,
  'cn-a-b-c-d-e-f',
];

describe('aliyun mode', () => {
  it('builds the public and VPC hosts for listed regions', async () => {
    const source = regionSource(['cn-hangzhou', 'ap-southeast-1']);
    const pub = createRegionDirectory({ fetchRegions: source.fetchRegions, mode: PUBLIC });
    expect(await pub.has('cn-hangzhou')).toBe(true);
    expect(pub.endpointFor('cn-hangzhou').href).toBe('https://ecs.cn-hangzhou.aliyuncs.com/');
    expect(pub.endpointFor('ap-southeast-1').href).toBe('https://ecs.ap-southeast-1.aliyuncs.com/');

    const vpc = createRegionDirectory({ fetchRegions: source.fetchRegions, mode: { kind: 'aliyun', network: 'vpc' } });
    expect(await vpc.list()).toEqual(['cn-hangzhou', 'ap-southeast-1']);
    expect(vpc.endpointFor('ap-southeast-1').href).toBe('https://ecs-vpc.ap-southeast-1.aliyuncs.com/');
  });

  it('gives no endpoint for a region-shaped ID that is not in the list, nor before the list is loaded', async () => {
    const source = regionSource(['cn-hangzhou']);
    const dir = createRegionDirectory({ fetchRegions: source.fetchRegions, mode: PUBLIC });
    expect(() => dir.endpointFor('cn-hangzhou')).toThrow(/not in the DescribeRegions list/);
    expect(await dir.has('us-west-1')).toBe(false);
    expect(() => dir.endpointFor('us-west-1')).toThrow(/not in the DescribeRegions list/);
  });

  it('never turns a host-steering ID into a URL, even when the upstream list itself contains it', async () => {
    const source = regionSource(['cn-hangzhou', ...HOSTILE]);
    const dir = createRegionDirectory({ fetchRegions: source.fetchRegions, mode: PUBLIC });
    expect(await dir.list()).toEqual(['cn-hangzhou']);
    for (const id of HOSTILE) {
      expect(await dir.has(id), JSON.stringify(id)).toBe(false);
      expect(() => dir.endpointFor(id), JSON.stringify(id)).toThrow();
    }
    // Junk never costs a DescribeRegions call: only the first load happened.
    expect(source.state.calls).toBe(1);
  });

  it('for any string at all, either refuses it or yields exactly ecs.<id>.aliyuncs.com', async () => {
    let accepted = 0;
    // Arbitrary strings, plus near-misses: region-like IDs with a host-steering character or suffix glued on.
    const candidate = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.stringMatching(/^[a-z]{2,3}(-[a-z0-9]{1,4}){1,5}$/),
      fc.stringMatching(/^[a-z]{2,3}(-[a-z0-9]{1,4}){1,3}[./@:#?%\\ \u0130\u212a]{1,2}[a-z0-9.]{0,6}$/),
    );
    await fc.assert(
      fc.asyncProperty(candidate, async (id) => {
        const dir = createRegionDirectory({ fetchRegions: () => Promise.resolve([id]), mode: PUBLIC });
        await dir.list();
        let url: URL;
        try {
          url = dir.endpointFor(id);
        } catch {
          return;
        }
        accepted += 1;
        expect(url.protocol).toBe('https:');
        expect(url.hostname).toBe(`ecs.${id}.aliyuncs.com`);
        expect(url.hostname).toMatch(/^ecs\.[a-z]{2,}(-[a-z0-9]+){1,4}\.aliyuncs\.com$/);
        expect(url.port + url.username + url.password + url.search + url.hash).toBe('');
        expect(url.pathname).toBe('/');
      }),
      { numRuns: 500 },
    );
    // The property must also have exercised the accepting path.
    expect(accepted).toBeGreaterThan(50);
  });
});

describe('fixed mode', () => {
  it('answers the one base URL for every listed region, and only for those', async () => {
    const source = regionSource(['cn-hangzhou', 'cn-beijing']);
    const dir = createRegionDirectory({
      fetchRegions: source.fetchRegions,
      mode: { kind: 'fixed', base: new URL('http://127.0.0.1:9090') },
    });
    expect(await dir.has('cn-beijing')).toBe(true);
    expect(dir.endpointFor('cn-hangzhou').href).toBe('http://127.0.0.1:9090/');
    expect(dir.endpointFor('cn-beijing').href).toBe('http://127.0.0.1:9090/');
    expect(() => dir.endpointFor('evil.com')).toThrow();
    // Each caller gets its own URL object: changing one cannot redirect the next call.
    dir.endpointFor('cn-hangzhou').host = 'evil.com';
    expect(dir.endpointFor('cn-hangzhou').host).toBe('127.0.0.1:9090');
  });

  it('refuses a base URL with a path, credentials, query or odd scheme at creation', () => {
    const fetchRegions = () => Promise.resolve(['cn-hangzhou']);
    for (const base of [
      'http://127.0.0.1:9090/api',
      'http://user:pw@127.0.0.1',
      'http://127.0.0.1/?x=1',
      'ftp://127.0.0.1',
      'file:///etc/passwd',
    ]) {
      expect(() => createRegionDirectory({ fetchRegions, mode: { kind: 'fixed', base: new URL(base) } }), base).toThrow(TypeError);
    }
  });
});

describe('refreshing', () => {
  it('refreshes on a miss at most once per 60 s, and finds a region that appeared meanwhile', async () => {
    const time = clock();
    const source = regionSource(['cn-hangzhou']);
    const dir = createRegionDirectory({ fetchRegions: source.fetchRegions, mode: PUBLIC, now: time.now });
    expect(await dir.has('cn-hangzhou')).toBe(true);
    expect(source.state.calls).toBe(1);

    // Right after the load, misses are answered from the list.
    source.state.regions = ['cn-hangzhou', 'me-east-1'];
    for (let i = 0; i < 20; i += 1) expect(await dir.has(`xx-made-up-${i}`)).toBe(false);
    expect(await dir.has('me-east-1')).toBe(false);
    expect(source.state.calls).toBe(1);

    // A minute later one miss may look again, and that look finds the new region.
    time.advance(MISS_REFRESH_INTERVAL_MS);
    expect(await dir.has('me-east-1')).toBe(true);
    expect(source.state.calls).toBe(2);
    expect(dir.endpointFor('me-east-1').hostname).toBe('ecs.me-east-1.aliyuncs.com');
    // …and the next misses within the minute do not.
    for (let i = 0; i < 20; i += 1) expect(await dir.has(`xx-made-up-${i}`)).toBe(false);
    expect(source.state.calls).toBe(2);
  });

  it('reloads a list older than the TTL', async () => {
    const time = clock();
    const source = regionSource(['cn-hangzhou']);
    const dir = createRegionDirectory({ fetchRegions: source.fetchRegions, mode: PUBLIC, now: time.now, ttlMs: 10 * 60_000 });
    expect(await dir.list()).toEqual(['cn-hangzhou']);
    source.state.regions = ['cn-shanghai'];
    time.advance(9 * 60_000);
    expect(await dir.list()).toEqual(['cn-hangzhou']);
    time.advance(60_000);
    expect(await dir.list()).toEqual(['cn-shanghai']);
    expect(await dir.has('cn-hangzhou')).toBe(false);
    expect(() => dir.endpointFor('cn-hangzhou')).toThrow();
    expect(source.state.calls).toBe(2);
  });

  it('coalesces concurrent loads into one DescribeRegions call', async () => {
    let calls = 0;
    let answer: (regions: string[]) => void = () => undefined;
    const dir = createRegionDirectory({
      fetchRegions: () => {
        calls += 1;
        return new Promise<string[]>((resolve) => {
          answer = resolve;
        });
      },
      mode: PUBLIC,
    });
    const pending = [dir.has('cn-hangzhou'), dir.has('cn-beijing'), dir.list(), dir.has('us-east-1'), dir.list()];
    answer(['cn-hangzhou', 'us-east-1']);
    expect(await Promise.all(pending)).toEqual([true, false, ['cn-hangzhou', 'us-east-1'], true, ['cn-hangzhou', 'us-east-1']]);
    expect(calls).toBe(1);
  });

  it('rejects while no list could ever be loaded, then recovers', async () => {
    const source = regionSource(['cn-hangzhou']);
    source.state.failure = new Error('DescribeRegions: Throttling.User');
    const dir = createRegionDirectory({ fetchRegions: source.fetchRegions, mode: PUBLIC });
    await expect(dir.has('cn-hangzhou')).rejects.toThrow(/Throttling/);
    await expect(dir.list()).rejects.toThrow(/Throttling/);
    source.state.failure = undefined;
    expect(await dir.has('cn-hangzhou')).toBe(true);
  });

  it('keeps serving a stale list when a refresh fails, reports it, and does not hammer ECS', async () => {
    const time = clock();
    const source = regionSource(['cn-hangzhou']);
    const reported: unknown[] = [];
    const dir = createRegionDirectory({
      fetchRegions: source.fetchRegions,
      mode: PUBLIC,
      now: time.now,
      ttlMs: 60_000,
      onRefreshError: (error) => reported.push(error),
    });
    expect(await dir.has('cn-hangzhou')).toBe(true);
    source.state.failure = new Error('ServiceUnavailable');
    time.advance(60_000);
    expect(await dir.has('cn-hangzhou')).toBe(true);
    expect(dir.endpointFor('cn-hangzhou').hostname).toBe('ecs.cn-hangzhou.aliyuncs.com');
    expect(await dir.list()).toEqual(['cn-hangzhou']);
    expect(source.state.calls).toBe(2);
    expect(reported).toHaveLength(1);
  });
});
