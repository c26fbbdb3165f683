import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm start`: build the web app if it is missing or older than its sources, then run the proxy (sim mode by
 * default). Kept out of server.ts so the server itself never shells out.
 */
const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, process.env.WEB_DIST ?? 'dist/web', 'index.html');

function newestMtime(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(target).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(target, entry))), stat.mtimeMs);
}

const sources = ['web', 'ecs', 'index.html', 'vite.config.ts'].map((p) => path.join(root, p)).filter((p) => existsSync(p));
const stale = !existsSync(dist) || sources.some((p) => newestMtime(p) > statSync(dist).mtimeMs);
if (stale) {
  console.log('start: building the web app (vite build)…');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('start: the web build failed; see the errors above.');
    process.exit(result.status ?? 1);
  }
}

const { main } = await import('../api-proxy/server');
await main();
