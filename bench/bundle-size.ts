import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The production bundle against the budget of docs/product.md#console-qualities: initial JavaScript ≤ 250 kB gzip. Builds with the project's own
 * vite.config.ts into a temporary directory (dist/web is left alone) and reads Vite's manifest: the initial load
 * is the entry chunk plus everything it imports statically; every other chunk is fetched lazily (routes, heavy
 * parts). kB are 1000 bytes, as Vite prints them.
 *
 *   npm run bench -- bundle
 */

const root = path.resolve(import.meta.dirname, '..');
const BUDGET_KB = 250;

/** One entry of `.vite/manifest.json` (Vite's ManifestChunk, the fields read here). */
interface ManifestChunk {
  file: string;
  src?: string;
  name?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

interface Sized {
  label: string;
  file: string;
  raw: number;
  gzip: number;
}

function build(outDir: string): Promise<void> {
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const child = spawn(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--manifest', '--logLevel', 'warn'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}:\n${output}`))));
  });
}

function size(outDir: string, file: string, label: string): Sized {
  const bytes = readFileSync(path.join(outDir, file));
  return { label, file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

function table(rows: Sized[]): void {
  const width = Math.max(0, ...rows.map((r) => r.label.length));
  for (const r of [...rows].sort((a, b) => b.gzip - a.gzip)) {
    console.log(`  ${r.label.padEnd(width)}  ${kB(r.raw).padStart(10)} raw  ${kB(r.gzip).padStart(9)} gzip  ${r.file}`);
  }
}

const sum = (rows: Sized[], field: 'raw' | 'gzip') => rows.reduce((total, r) => total + r[field], 0);

export async function benchBundleSize(): Promise<void> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'bench-bundle-'));
  try {
    const started = performance.now();
    await build(outDir);
    const buildMs = performance.now() - started;
    const manifest = JSON.parse(readFileSync(path.join(outDir, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
    const entries = Object.entries(manifest).filter(([, chunk]) => chunk.isEntry);
    if (entries.length === 0) throw new Error('the manifest names no entry chunk');

    // The initial load: each entry and, transitively, its static imports (not its dynamic ones).
    const initialKeys = new Set<string>();
    const visit = (key: string) => {
      if (initialKeys.has(key)) return;
      initialKeys.add(key);
      for (const imported of manifest[key]?.imports ?? []) visit(imported);
    };
    for (const [key] of entries) visit(key);

    const labelOf = (key: string, chunk: ManifestChunk) => chunk.src ?? chunk.name ?? key;
    const initial = [...initialKeys].flatMap((key) => {
      const chunk = manifest[key];
      return chunk && chunk.file.endsWith('.js') ? [size(outDir, chunk.file, labelOf(key, chunk))] : [];
    });
    const initialFiles = new Set(initial.map((r) => r.file));
    const lazy = Object.entries(manifest)
      .filter(([key, chunk]) => !initialKeys.has(key) && chunk.file.endsWith('.js') && !initialFiles.has(chunk.file))
      .map(([key, chunk]) => size(outDir, chunk.file, labelOf(key, chunk)));
    // Anything emitted that the manifest does not name (it should name every chunk) is listed rather than lost.
    const named = new Set([...initialFiles, ...lazy.map((r) => r.file)]);
    const unnamed = readdirSync(path.join(outDir, 'assets'))
      .map((name) => `assets/${name}`)
      .filter((file) => file.endsWith('.js') && !named.has(file))
      .map((file) => size(outDir, file, '(not in manifest)'));

    console.log(`vite build: ${(buildMs / 1000).toFixed(1)} s`);
    console.log(`initial JS (entry + static imports), ${initial.length} file(s):`);
    table(initial);
    console.log(`lazy chunks, ${lazy.length + unnamed.length} file(s):`);
    table([...lazy, ...unnamed]);
    console.log(`lazy JS total: ${kB(sum([...lazy, ...unnamed], 'raw'))} raw, ${kB(sum([...lazy, ...unnamed], 'gzip'))} gzip`);
    console.log(`initial JS: ${kB(sum(initial, 'gzip'))} gzip (budget ${BUDGET_KB} kB), ${kB(sum(initial, 'raw'))} raw`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
