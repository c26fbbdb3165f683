import { benchBundleSize } from './bundle-size';
import { benchFuzz } from './fuzz';
import { benchProxyLatency } from './proxy-latency';
import { benchRuns } from './runs';
import { benchWebPerf } from './web-perf';

/**
 * `npm run bench [-- name…]`: benchmarks print numbers; nothing here asserts a time (targets are read by
 * people, not by tests). With no names, every benchmark runs.
 */
const benches: Record<string, () => Promise<void>> = {
  proxy: benchProxyLatency,
  bundle: benchBundleSize,
  web: benchWebPerf,
  fuzz: benchFuzz,
  runs: benchRuns,
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(benches);
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== ${name} ==`);
  await bench();
}
