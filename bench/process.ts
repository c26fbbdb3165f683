import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/** Starts a project script as its own process and resolves with the first URL its output announces. */
export function start(script: string, env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match?.[1]) resolve({ child, url: match[1] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
}

/** The bench's AccessKey pair, shared by the simulator process and the proxy that signs for it. */
export const AK = 'bench-ak';
export const SECRET = 'bench-secret';

/**
 * A standalone simulated ECS and a proxy in live mode pointed at it (ECS_ENDPOINT on loopback), each its own
 * process, as an operator would deploy the proxy. The default credential chain reads the AccessKey variables
 * first; the other providers are switched off so nothing looks for a metadata service or a profile (nothing
 * here may reach beyond loopback).
 */
export async function startSimAndProxy(
  dir: string,
  options: { simInstances: number; proxyEnv?: Record<string, string> },
): Promise<{ sim: { child: ChildProcess; url: string }; proxy: { child: ChildProcess; url: string } }> {
  const sim = await start(
    'sim/main.ts',
    { SIM_PORT: '0', SIM_ACCESS_KEY_ID: AK, SIM_ACCESS_KEY_SECRET: SECRET, SIM_INSTANCES: String(options.simInstances) },
    /on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const proxy = await start(
    'api-proxy/server.ts',
    {
      PORT: '0',
      LOG_LEVEL: 'warn',
      ECS_MODE: 'live',
      ECS_ENDPOINT: sim.url,
      AUDIT_DB: path.join(dir, 'audit.sqlite'),
      WEB_DIST: path.join(dir, 'none'),
      ALIBABA_CLOUD_ACCESS_KEY_ID: AK,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET,
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
      ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
      ...options.proxyEnv,
    },
    /open (http:\/\/127\.0\.0\.1:\d+)/,
  );
  return { sim, proxy };
}
