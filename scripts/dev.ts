import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * `npm run dev`: the proxy in sim mode on 127.0.0.1:8080 plus Vite's dev server on 127.0.0.1:5173, which
 * forwards /api to it (vite.config.ts). Both stop together.
 */
const root = path.resolve(import.meta.dirname, '..');
const children = [
  spawn(process.execPath, ['--import', 'tsx', path.join(root, 'api-proxy', 'server.ts')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, WEB_DIST: process.env.WEB_DIST ?? 'dist/none' },
  }),
  spawn(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js')], { cwd: root, stdio: 'inherit' }),
];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
for (const child of children) child.on('exit', stop);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
