import { keyOfLine, lineHoldsKey } from './keys';
import { createSimulator } from './simulator';
import type { Simulator } from './simulator';
import { callOk, fakeClock, findInstance, isPlainLinux } from './test-support';
import type { FakeClock } from './test-support';

// The inside of the simulated instances (docs/ecs-notes.md#simulator-model-of-ssh-state): login users,
// authorized_keys, sshd's settings, and the boot-time rewrite after an attach.

const HZ = 'cn-hangzhou';

function setup(): { sim: Simulator; clock: FakeClock } {
  const clock = fakeClock();
  const sim = createSimulator({ instances: 300, now: clock.now, transitionMs: { stopping: 100, starting: 200 } });
  clock.advance(60_000);
  return { sim, clock };
}

function keyLine(sim: Simulator, name: string): string {
  const pair = callOk(sim, 'DescribeKeyPairs', { RegionId: HZ, KeyPairName: name, IncludePublicKey: true }).KeyPairs?.KeyPair?.[0];
  if (pair?.PublicKey === undefined) throw new Error(`no key pair ${name}`);
  return pair.PublicKey;
}

function loginFile(sim: Simulator, id: string): string[] {
  const ssh = sim.sshState(id);
  if (ssh === undefined) throw new Error(`${id} has no SSH state`);
  return ssh.files.get(ssh.loginUser) ?? [];
}

describe('the inside of an instance, as the fleet starts', () => {
  it('reports ImageOptions.LoginAsNonRoot: true only on images that offer ecs-user, and the login user follows it', () => {
    const { sim } = setup();
    const all = sim.instancesIn(HZ);
    const nonRoot = all.filter((i) => i.ImageOptions?.LoginAsNonRoot === true);
    expect(nonRoot.length).toBeGreaterThan(10);
    expect(nonRoot.length).toBeLessThan(all.length / 3);
    for (const i of nonRoot) {
      expect(i.ImageId).toMatch(/^(aliyun_3_|ubuntu_22_04_)/);
      expect(sim.sshState(i.InstanceId)?.loginUser).toBe('ecs-user');
      expect([...(sim.sshState(i.InstanceId)?.files.keys() ?? [])].sort()).toEqual(['ecs-user', 'root']);
    }
    for (const i of all.filter((x) => x.OSType === 'windows')) {
      expect(i.ImageOptions).toEqual({ LoginAsNonRoot: false });
      expect(sim.sshState(i.InstanceId)).toBeUndefined();
    }
    const root = all.find((i) => i.OSType === 'linux' && i.ImageOptions?.LoginAsNonRoot === false);
    expect([...(sim.sshState(root?.InstanceId ?? '')?.files.keys() ?? [])]).toEqual(['root']);
    const listed = callOk(sim, 'DescribeInstances', { RegionId: HZ, InstanceIds: [nonRoot[0]?.InstanceId ?? ''] }).Instances?.Instance?.[0];
    expect(listed?.ImageOptions).toEqual({ LoginAsNonRoot: true });
  });

  it("holds the bound key's line in the login user's file, sometimes beside a colleague's; password login off only while bound", () => {
    const { sim } = setup();
    const linux = sim.instancesIn(HZ).filter((i) => i.OSType === 'linux');
    let withColleague = 0;
    for (const i of linux) {
      const ssh = sim.sshState(i.InstanceId);
      const lines = loginFile(sim, i.InstanceId);
      const keyPairLines = lines.filter((line) => / [a-z0-9-]+$/.test(line) && !line.includes('@'));
      if (i.KeyPairName === undefined) {
        expect(keyPairLines).toEqual([]);
        expect(ssh?.passwordAuthentication).toBe('yes');
      } else {
        expect(keyPairLines).toEqual([keyLine(sim, i.KeyPairName)]);
        expect(ssh?.passwordAuthentication).toBe('no');
      }
      expect(ssh?.pubkeyAuthentication).toBe('yes');
      if (lines.some((line) => line.includes('@'))) withColleague++;
      // The other user's file (root on an ecs-user instance) starts empty.
      for (const [user, other] of ssh?.files ?? []) if (user !== ssh?.loginUser) expect(other).toEqual([]);
    }
    expect(withColleague).toBeGreaterThan(linux.length * 0.1);
    expect(withColleague).toBeLessThan(linux.length * 0.35);
  });
});

describe('the boot-time rewrite after an attach (the simulator’s model)', () => {
  const withColleague = (sim: Simulator) => (i: { InstanceId: string; KeyPairName?: string | undefined }) =>
    i.KeyPairName !== undefined && i.KeyPairName !== 'ci-deploy' && loginFile(sim, i.InstanceId).some((line) => line.includes('@'));

  it('a reboot writes the new key, removes the old one and leaves a colleague’s line alone; nothing changes before it', () => {
    const { sim, clock } = setup();
    const target = findInstance(sim, HZ, (i) => isPlainLinux('Running')(i) && withColleague(sim)(i));
    const before = loginFile(sim, target.InstanceId);
    const oldLine = keyLine(sim, target.KeyPairName ?? '');
    const newLine = keyLine(sim, 'ci-deploy');
    const colleague = before.find((line) => line.includes('@')) ?? '';

    callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ci-deploy', InstanceIds: [target.InstanceId] });
    clock.advance(10_000);
    expect(loginFile(sim, target.InstanceId)).toEqual(before);

    callOk(sim, 'RebootInstance', { InstanceId: target.InstanceId });
    clock.advance(150);
    expect(sim.instance(target.InstanceId)?.Status).toBe('Starting');
    expect(loginFile(sim, target.InstanceId)).toEqual(before);
    clock.advance(200);
    expect(sim.instance(target.InstanceId)?.Status).toBe('Running');
    const after = loginFile(sim, target.InstanceId);
    expect(after).toEqual([colleague, newLine]);
    expect(after).not.toContain(oldLine);
    expect(sim.sshState(target.InstanceId)?.passwordAuthentication).toBe('no');
  });

  it('a start of a stopped instance does the same, in the ecs-user file on an ecs-user instance', () => {
    const { sim, clock } = setup();
    const target = findInstance(sim, HZ, (i) => isPlainLinux('Stopped')(i) && i.ImageOptions?.LoginAsNonRoot === true);
    callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ci-deploy', InstanceIds: [target.InstanceId] });
    callOk(sim, 'StartInstance', { InstanceId: target.InstanceId });
    clock.advance(250);
    const ssh = sim.sshState(target.InstanceId);
    expect(ssh?.files.get('ecs-user')).toContain(keyLine(sim, 'ci-deploy'));
    expect(ssh?.files.get('root')).toEqual([]);
    expect(ssh?.passwordAuthentication).toBe('no');
    if (target.KeyPairName !== undefined && target.KeyPairName !== 'ci-deploy') {
      expect(ssh?.files.get('ecs-user')).not.toContain(keyLine(sim, target.KeyPairName));
    }
  });

  it('turns password login off on an instance that was unbound, and a boot with an unchanged binding touches nothing', () => {
    const { sim, clock } = setup();
    const target = findInstance(sim, HZ, (i) => isPlainLinux('Running')(i) && i.KeyPairName === undefined);
    expect(sim.sshState(target.InstanceId)?.passwordAuthentication).toBe('yes');
    callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: 'ops-team', InstanceIds: [target.InstanceId] });
    callOk(sim, 'RebootInstance', { InstanceId: target.InstanceId });
    clock.advance(400);
    const line = keyLine(sim, 'ops-team');
    expect(loginFile(sim, target.InstanceId).filter((l) => lineHoldsKey(l, keyOfLine(line) ?? { type: 'ssh-rsa', base64: '' }))).toEqual([
      line,
    ]);
    expect(sim.sshState(target.InstanceId)?.passwordAuthentication).toBe('no');

    // A second reboot with the same binding: nothing to apply (a line removed online stays removed, see
    // cloud-assistant.test.ts).
    const ssh = sim.sshState(target.InstanceId);
    callOk(sim, 'RebootInstance', { InstanceId: target.InstanceId });
    clock.advance(400);
    expect(sim.sshState(target.InstanceId)).toEqual(ssh);
  });

  it('re-attaching the same pair and rebooting leaves the file as it was', () => {
    const { sim, clock } = setup();
    const target = findInstance(sim, HZ, (i) => isPlainLinux('Running')(i) && i.KeyPairName !== undefined);
    const before = sim.sshState(target.InstanceId);
    callOk(sim, 'AttachKeyPair', { RegionId: HZ, KeyPairName: target.KeyPairName ?? '', InstanceIds: [target.InstanceId] });
    callOk(sim, 'RebootInstance', { InstanceId: target.InstanceId });
    clock.advance(400);
    expect(sim.sshState(target.InstanceId)).toEqual(before);
  });
});
