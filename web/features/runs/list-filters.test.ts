import { parseRunsFilter, runsFilterToSearch } from './list-filters';

describe('the runs list filters in the URL', () => {
  it('read the proxy’s parameters and name what they cannot use', () => {
    const { filter, ignored } = parseRunsFilter(
      new URLSearchParams('state=paused&creator=alice&regionId=cn-hangzhou&keyPairName=ops-team&other=1'),
    );
    expect(filter).toEqual({ state: 'paused', creator: 'alice', regionId: 'cn-hangzhou', keyPairName: 'ops-team' });
    expect(ignored).toEqual([]);
    const bad = parseRunsFilter(new URLSearchParams(`state=done&regionId=cn.hangzhou&creator=${'x'.repeat(300)}`));
    expect(bad.filter).toEqual({});
    expect(bad.ignored).toEqual(['state', 'creator', 'regionId']);
  });

  it('write them back in a fixed order, leaving out the empty ones', () => {
    expect(runsFilterToSearch({ keyPairName: 'k', state: 'running', creator: ' ' }).toString()).toBe('state=running&keyPairName=k');
  });
});
