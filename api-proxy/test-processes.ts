import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Real processes for the tests that kill one with SIGKILL (api-proxy/runs/restart.test.ts, crash-left.test.ts):
 * the simulated ECS (`sim/main.ts`) in its own process that outlives the kill, and the proxy (`server.ts`) as
 * `npm start` runs it, in live mode against the simulator on loopback.
 */

const root = path.resolve(import.meta.dirname, '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const PROCESS_AK = 'restart-ak';
const SECRET = 'restart-secret-not-a-real-one';

export interface Proc {
  child: ChildProcess;
  output: () => string;
}

export function spawnTs(file: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', TSX, path.join(root, file)], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** The first match of `pattern` in what the process printed (its URL), once it has printed it. */
export async function urlIn(proc: Proc, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const match = pattern.exec(proc.output());
    if (match?.[1]) return match[1];
    if (proc.child.exitCode !== null) throw new Error(`exited early:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`did not start:\n${proc.output()}`);
}

/** The simulated ECS on a free loopback port; resolves with it and its URL. */
export async function startSim(env: Record<string, string>): Promise<{ proc: Proc; url: string }> {
  const proc = spawnTs('sim/main.ts', { SIM_PORT: '0', SIM_ACCESS_KEY_ID: PROCESS_AK, SIM_ACCESS_KEY_SECRET: SECRET, ...env });
  return { proc, url: await started(proc, /simulated ECS on (http:\/\/[^\s]+)/) };
}

/** The proxy, signing for the simulator at `simUrl`, with its audit file in `dir`; resolves once it listens. */
export async function startProxy(simUrl: string, dir: string, env: Record<string, string> = {}): Promise<{ proc: Proc; url: string }> {
  const proc = spawnTs('api-proxy/server.ts', {
    PORT: '0',
    ECS_MODE: 'live',
    ECS_ENDPOINT: simUrl,
    ALIBABA_CLOUD_ACCESS_KEY_ID: PROCESS_AK,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET,
    AUDIT_DB: path.join(dir, 'audit.sqlite'),
    WEB_DIST: path.join(dir, 'no-web'),
    LOG_LEVEL: 'info',
    ...env,
  });
  return { proc, url: await started(proc, /"url":"(http:\/\/[^"]+)"/) };
}

/** The process's URL; a process that does not get that far is not left behind. */
async function started(proc: Proc, pattern: RegExp): Promise<string> {
  try {
    return await urlIn(proc, pattern);
  } catch (error) {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    throw error;
  }
}

/** SIGKILL: no close(), no exit handlers, nothing flushed, like an OOM kill or a power cut. */
export async function killHard(proc: Proc): Promise<void> {
  if (proc.child.exitCode !== null) return;
  const exited = new Promise((r) => proc.child.once('exit', r));
  proc.child.kill('SIGKILL');
  await exited;
}
