import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from './config';
import { startServer } from './server';
import { pathToFileURL } from 'node:url';

/**
 * The real process, over real HTTP: `server.ts` as `npm start` runs it (sim mode, signing every call to the
 * in-process simulated ECS). One run is scanned end to end for the AccessKey secret: every response body
 * and header, and everything the process wrote to stdout and stderr at trace level.
 */

const root = path.resolve(import.meta.dirname, '..');
const SECRET = 'Zq8-unique-secret-4f1d2c-never-print-me';

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** tsx by its absolute location, so the process can start in any working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function startProcess(env: Record<string, string>, cwd = root): Proc {
  const child = spawn(process.execPath, ['--import', TSX, path.join(root, 'api-proxy', 'server.ts')], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForUrl(proc: Proc, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /open (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output());
    if (match?.[1]) return match[1];
    if (proc.child.exitCode !== null) throw new Error(`server exited early:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not start:\n${proc.output()}`);
}

describe('the proxy process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'proxy-proc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the API on the simulated ECS with real signing, and never reveals the secret', async () => {
    const proc = startProcess({
      PORT: '0',
      LOG_LEVEL: 'trace',
      AUDIT_DB: path.join(dir, 'audit.sqlite'),
      WEB_DIST: path.join(dir, 'no-web'),
      SIM_ACCESS_KEY_ID: 'proc-test-ak',
      SIM_ACCESS_KEY_SECRET: SECRET,
      SIM_INSTANCES: '120',
    });
    const seen: string[] = [];
    try {
      const base = await waitForUrl(proc);
      const origin = base;
      const call = async (url: string, init?: RequestInit) => {
        const res = await fetch(`${base}${url}`, init);
        const text = await res.text();
        seen.push(text, JSON.stringify([...res.headers]));
        return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
      };
      const post = (action: string, body: unknown) =>
        call(`/api/ecs/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body) });

      expect((await call('/healthz')).status).toBe(200);
      expect((await call('/readyz')).json).toMatchObject({ status: 'ready' });
      expect((await call('/api/session')).json).toMatchObject({ user: 'local operator', mode: 'sim' });

      const list = await post('DescribeInstances', { RegionId: 'cn-hangzhou', MaxResults: 100, Status: 'Running' });
      expect(list.status).toBe(200);
      const rows = (
        list.json['Instances'] as { Instance: { InstanceId: string; OSType: string; OperationLocks?: { LockReason?: unknown[] } }[] }
      ).Instance;
      const target = rows.find((r) => r.OSType === 'linux' && (r.OperationLocks?.LockReason?.length ?? 0) === 0);
      expect(target).toBeDefined();
      const keys = await post('DescribeKeyPairs', { RegionId: 'cn-hangzhou' });
      const key = (keys.json['KeyPairs'] as { KeyPair: { KeyPairName: string }[] }).KeyPair[0]?.KeyPairName;

      const attach = await post('AttachKeyPair', { RegionId: 'cn-hangzhou', KeyPairName: key, InstanceIds: [target?.InstanceId] });
      expect(attach.status).toBe(200);
      expect(String(attach.json['FailCount'])).toBe('0');
      expect((await call('/api/pending?RegionId=cn-hangzhou')).json).toMatchObject({
        Pending: [{ InstanceId: target?.InstanceId, keyPairName: key }],
      });
      expect((await post('RebootInstance', { RegionId: 'cn-hangzhou', InstanceId: target?.InstanceId })).status).toBe(200);
      expect((await post('DeleteInstance', { RegionId: 'cn-hangzhou' })).status).toBe(403);
      expect((await post('DescribeInstances', { RegionId: 'evil.com' })).status).toBe(400);
      expect((await call('/api/activity')).json['items']).toHaveLength(2);
    } finally {
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    }
    const everything = `${seen.join('\n')}\n${proc.output()}`;
    expect(proc.output()).toContain('"action":"AttachKeyPair"');
    expect(everything).not.toContain(SECRET);
    // Nor any fragment long enough to matter (a secret split across log fields or encoded once).
    expect(everything).not.toContain(SECRET.slice(0, 16));
    expect(everything).not.toContain(encodeURIComponent(SECRET));
    expect(everything).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 24));
  });

  it('opens a relative AUDIT_DB in the project folder even when started elsewhere, and logs the absolute path', async () => {
    const relative = path.join('data', `server-test-${randomUUID()}`, 'audit.sqlite');
    const expected = path.join(root, relative);
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'proxy-cwd-'));
    const proc = startProcess({ PORT: '0', AUDIT_DB: relative, WEB_DIST: path.join(dir, 'no-web'), SIM_INSTANCES: '10' }, elsewhere);
    try {
      await waitForUrl(proc);
      const opened = proc
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line['msg'] === 'audit trail opened');
      expect(opened).toMatchObject({ component: 'audit', path: expected });
      expect(existsSync(expected)).toBe(true);
      expect(existsSync(path.join(elsewhere, relative))).toBe(false);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
      rmSync(path.dirname(expected), { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad configuration and lists every problem at once', async () => {
    const proc = startProcess({ PORT: 'eighty', AUTH_MODE: 'header', ECS_MODE: 'cloud', AUDIT_DB: path.join(dir, 'x.sqlite') });
    expect(await proc.exited).toBe(1);
    const out = proc.output();
    expect(out).toContain('PORT');
    expect(out).toContain('ECS_MODE');
    expect(out).toContain('TRUSTED_PROXY_CIDRS');
    // Behind SSO the console must be told its own origin: the Host header may be the SSO proxy's rewrite.
    expect(out).toContain('PUBLIC_ORIGIN: required with AUTH_MODE=header');
  });
});

describe('the in-process simulator control door', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'proxy-sim-door-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function start(env: Record<string, string>) {
    const loaded = loadConfig({
      PORT: '0',
      AUDIT_DB: path.join(dir, `${Object.keys(env).join('-') || 'default'}.sqlite`),
      WEB_DIST: path.join(dir, 'no-web'),
      SIM_INSTANCES: '20',
      ...env,
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    let log = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    const running = await startServer(loaded.config, { destination });
    return { running, log: () => log };
  }

  it('is off by default: nobody on the machine can reset the fleet or inject faults', async () => {
    const { running, log } = await start({});
    try {
      expect(running.simUrl).toBeDefined();
      const state = await fetch(`${running.simUrl}/__sim/state`);
      expect(state.status).not.toBe(200);
      const reset = await fetch(`${running.simUrl}/__sim/control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"failRate":1}',
      });
      expect(reset.status).not.toBe(200);
      expect(log()).not.toContain('/__sim/');
    } finally {
      await running.close();
    }
  });

  it('SIM_CONTROL=on serves it and says where', async () => {
    const { running, log } = await start({ SIM_CONTROL: 'on' });
    try {
      const state = await fetch(`${running.simUrl}/__sim/state`);
      expect(state.status).toBe(200);
      expect(log()).toContain(`${running.simUrl}/__sim/`);
    } finally {
      await running.close();
    }
  });
});
