import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';

/**
 * The web app's performance targets (docs/product.md#console-qualities): a region of 10,000 instances with 100 ms of simulated latency per
 * ECS call, through the real proxy (sim mode) and the production build, in headless Chromium:
 *   - first rows visible ≤ 1 s after choosing the region;
 *   - the whole list ≤ 4 s;
 *   - a filter keystroke answers in ≤ 100 ms.
 * Prints numbers (median of several runs); asserts nothing.
 *
 *   npm run bench -- web      (BENCH_WEB_RUNS=3, BENCH_WEB_INSTANCES=10000, BENCH_WEB_LATENCY_MS=100)
 */

const root = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env['BENCH_WEB_RUNS'] ?? 3);
const INSTANCES = Number(process.env['BENCH_WEB_INSTANCES'] ?? 10_000);
const LATENCY = Number(process.env['BENCH_WEB_LATENCY_MS'] ?? 100);

function startProxy(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'api-proxy', 'server.ts')], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      LOG_LEVEL: 'warn',
      AUDIT_DB: path.join(dir, 'audit.sqlite'),
      WEB_DIST: 'dist/web',
      SIM_INSTANCES: String(INSTANCES),
      SIM_LATENCY_MS: String(LATENCY),
      // The proxy's per-region cap bounds how many page requests overlap; keep its default.
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /open (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`proxy exited with ${code}:\n${output}`)));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/**
 * In the page: from the input event to the next frame after the table's rows changed. React tracks an input's
 * value through the prototype's setter, so it is set there for onChange to fire.
 */
const KEYSTROKE_PROBE = `new Promise((resolve) => {
  const input = document.querySelector('input[type="search"]') || document.activeElement;
  const table = document.querySelector('table');
  const start = performance.now();
  let finished = false;
  const done = () => { if (finished) return; finished = true; requestAnimationFrame(() => resolve(performance.now() - start)); };
  const observer = new MutationObserver(() => { observer.disconnect(); done(); });
  if (table) observer.observe(table, { childList: true, subtree: true, characterData: true });
  Reflect.set(HTMLInputElement.prototype, 'value', __VALUE__, input);
  input.dispatchEvent(new Event('input', { bubbles: true }));
  setTimeout(() => { observer.disconnect(); done(); }, 1000);
})`;

export async function benchWebPerf(): Promise<void> {
  if (!existsSync(path.join(root, 'dist', 'web', 'index.html'))) {
    spawnSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-web-'));
  const proxy = await startProxy(dir);
  const executablePath = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
  const browser = await chromium.launch({
    headless: true,
    ...(executablePath ? { executablePath } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const firstRows: number[] = [];
  const wholeList: number[] = [];
  const keystrokes: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      // Start on another region so "choosing the region" is measured as an operator does it.
      await page.goto(`${proxy.url}/regions/eu-central-1`);
      await page.getByRole('combobox', { name: 'Region' }).click();
      const option = page.getByRole('option', { name: /cn-hangzhou/ });
      await option.waitFor();
      const t0 = Date.now();
      await option.click();
      await page
        .getByRole('table', { name: /instances/i })
        .getByRole('row')
        .nth(1)
        .waitFor();
      firstRows.push(Date.now() - t0);
      await page.getByText(`${INSTANCES.toLocaleString('en-US')} instances in this region`).waitFor({ timeout: 60_000 });
      wholeList.push(Date.now() - t0);

      // A keystroke in the search box, timed inside the page: from the input event to the next frame after
      // the table's rows changed.
      const search = page.getByRole('searchbox', { name: 'Search' }).or(page.getByRole('textbox', { name: 'Search' }));
      await search.click();
      // Each step changes which rows match, so the table must update.
      for (const text of ['web', 'db', 'cache', 'prod', 'stg', '10.', 'web-prod']) {
        // Passed as a string: tsx's helpers (e.g. __name) do not exist inside the page.
        const ms = await page.evaluate<number>(KEYSTROKE_PROBE.replace('__VALUE__', JSON.stringify(text)));
        keystrokes.push(ms);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    proxy.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const line = (label: string, values: number[], target: number) =>
    console.log(
      `${label.padEnd(34)} median ${median(values).toFixed(0)} ms   max ${Math.max(...values).toFixed(0)} ms   (target ≤ ${target} ms; ${values.length} samples)`,
    );
  console.log(`${INSTANCES} instances, ${LATENCY} ms simulated latency per ECS call, ${RUNS} runs`);
  line('first rows after choosing region', firstRows, 1000);
  line('whole list loaded', wholeList, 4000);
  line('filter keystroke to table update', keystrokes, 100);
}
