import { Instance } from '../../ecs/contract';
import { hashString, Rng } from './random';
import { createSimulator } from './simulator';
import { callOk, fakeClock, isLocked } from './test-support';

function snapshot(seed: string): string {
  const clock = fakeClock();
  const sim = createSimulator({ seed, now: clock.now });
  return JSON.stringify(
    sim.regions().map((regionId) => ({
      instances: sim.instancesIn(regionId),
      keyPairs: callOk(sim, 'DescribeKeyPairs', { RegionId: regionId, PageSize: 50 }).KeyPairs?.KeyPair,
    })),
  );
}

describe('random', () => {
  it('repeats a stream for the same seed and diverges for another', () => {
    const draw = (seed: string) => Array.from({ length: 5 }, () => new Rng(seed)).map((r) => [r.next(), r.alnum(20), r.requestId()]);
    expect(draw('a')).toEqual(draw('a'));
    expect(new Rng('a').next()).not.toBe(new Rng('b').next());
    expect(hashString('ecs')).not.toBe(hashString('ecs '));
  });

  it('draws alnum and request IDs in the ECS alphabets', () => {
    const rng = new Rng('alphabet');
    for (let i = 0; i < 200; i++) {
      expect(rng.alnum(17)).toMatch(/^[a-z0-9]{17}$/);
      expect(rng.requestId()).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    }
  });
});

describe('seeded fleet', () => {
  it('is identical for the same seed and different for another seed', () => {
    const a = snapshot('seed-one');
    expect(snapshot('seed-one')).toBe(a);
    expect(snapshot('seed-two')).not.toBe(a);
  });

  it('has seven regions, the large one sized by options, and every instance valid for the contract', () => {
    const sim = createSimulator({ instances: 123 });
    expect(sim.regions()).toEqual([
      'cn-hangzhou',
      'cn-shanghai',
      'cn-beijing',
      'cn-shenzhen',
      'ap-southeast-1',
      'eu-central-1',
      'us-west-1',
    ]);
    const ids = new Set<string>();
    for (const regionId of sim.regions()) {
      const instances = sim.instancesIn(regionId);
      if (regionId === 'cn-hangzhou') expect(instances).toHaveLength(123);
      else expect(instances.length).toBeGreaterThanOrEqual(20);
      expect(instances.length).toBeLessThanOrEqual(regionId === 'cn-hangzhou' ? 123 : 60);
      const zones = new Set(instances.map((i) => i.ZoneId));
      expect(zones.size).toBeLessThanOrEqual(3);
      for (const instance of instances) {
        Instance.parse(instance);
        expect(instance.InstanceId).toMatch(/^i-[a-z0-9]{20}$/);
        expect(instance.RegionId).toBe(regionId);
        expect(instance.ZoneId.startsWith(`${regionId}-`)).toBe(true);
        expect(instance.CreationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
        expect(instance.InstanceName).toMatch(/^[a-z]+-(prod|stg|dev)-\d{3,}$/);
        expect(instance.VpcAttributes.PrivateIpAddress?.IpAddress?.[0]).toMatch(/^172\.(1[6-9]|2\d|3[01])\.\d+\.\d+$/);
        ids.add(instance.InstanceId);
      }
      // Listing order is creation order (docs/ecs-notes.md#instance-paging), strictly increasing in the large region.
      const times = instances.map((i) => i.CreationTime);
      expect([...times].sort()).toEqual(times);
    }
    expect(ids.size).toBe(sim.regions().reduce((n, r) => n + sim.instancesIn(r).length, 0));
  });

  it('has roughly the documented mix of OS, status, key pairs, locks and addresses', () => {
    const clock = fakeClock();
    const sim = createSimulator({ instances: 4000, now: clock.now });
    const all = sim.instancesIn('cn-hangzhou');
    const share = (f: (i: (typeof all)[number]) => boolean) => all.filter(f).length / all.length;
    expect(share((i) => i.OSType === 'windows')).toBeGreaterThan(0.12);
    expect(share((i) => i.OSType === 'windows')).toBeLessThan(0.18);
    expect(share((i) => i.Status === 'Running')).toBeGreaterThan(0.6);
    expect(share((i) => i.Status === 'Running')).toBeLessThan(0.7);
    expect(share((i) => i.Status === 'Stopped')).toBeGreaterThan(0.24);
    expect(share((i) => i.Status === 'Stopped')).toBeLessThan(0.33);
    expect(share((i) => i.Status === 'Starting')).toBeGreaterThan(0.01);
    expect(share((i) => i.Status === 'Stopping')).toBeGreaterThan(0.01);
    expect(share((i) => i.KeyPairName !== undefined)).toBeGreaterThan(0.25);
    expect(share((i) => i.KeyPairName !== undefined)).toBeLessThan(0.35);
    expect(all.some((i) => i.OSType === 'windows' && i.KeyPairName !== undefined)).toBe(false);
    expect(share(isLocked)).toBeGreaterThan(0.01);
    expect(share(isLocked)).toBeLessThan(0.03);
    const reasons = new Set(all.flatMap((i) => (i.OperationLocks.LockReason ?? []).map((l) => l.LockReason)));
    expect(reasons).toEqual(new Set(['security', 'financial']));
    expect(share((i) => (i.PublicIpAddress.IpAddress ?? []).length > 0)).toBeCloseTo(0.4, 1);
    expect(share((i) => i.EipAddress.IpAddress !== '')).toBeCloseTo(0.1, 1);
    expect(share((i) => i.Status === 'Stopped' && i.StoppedMode === 'Not-applicable')).toBe(0);

    // Bound key pairs exist in the region.
    const names = new Set(
      callOk(sim, 'DescribeKeyPairs', { RegionId: 'cn-hangzhou', PageSize: 50 }).KeyPairs?.KeyPair?.map((k) => k.KeyPairName),
    );
    expect(names.size).toBe(12);
    for (const i of all) if (i.KeyPairName !== undefined) expect(names.has(i.KeyPairName)).toBe(true);

    // Mid-transition instances settle within seconds of construction.
    clock.advance(4000);
    const settled = sim.instancesIn('cn-hangzhou');
    expect(settled.filter((i) => i.Status === 'Starting' || i.Status === 'Stopping')).toEqual([]);
  });

  // How fast is measured by `npm run bench` (docs/conventions.md), never asserted here: a shared machine's
  // clock swings too much for a timed assertion to mean anything.
  it('builds 10,000 instances, the same for the same seed', () => {
    const a = createSimulator({ seed: 'big', instances: 10_000 }).instancesIn('cn-hangzhou');
    const b = createSimulator({ seed: 'big', instances: 10_000 }).instancesIn('cn-hangzhou');
    expect(a).toHaveLength(10_000);
    expect(b.map((i) => i.InstanceId)).toEqual(a.map((i) => i.InstanceId));
  });
});
