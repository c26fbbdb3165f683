import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { rawRequest, recordSimulatorCalls } from '../api-proxy/edge-probe';
import { describeCase, fuzzCases, runFuzzCases, type FuzzResult } from '../api-proxy/fuzz-cases';
import { createTestProxy } from '../api-proxy/test-support';

/**
 * The HTTP edge under a long run of generated bad requests (the generators of api-proxy/fuzz.test.ts): a
 * real listening proxy on the simulated ECS, fetch and raw sockets, 16 in flight. Prints the answers by
 * status, every answer that is not the envelope (or is a 5xx other than 503/504), and how many mutating
 * calls reached the simulator (there must be none).
 *
 *   npm run bench -- fuzz   (BENCH_FUZZ_CASES=10000, BENCH_FUZZ_SEED=1)
 *
 * The per-user rate limit is off here: with it, one identity's 10,000 calls would mostly be answered 429
 * and never reach the checks behind it (the limit has tests of its own).
 */

const CASES = Number(process.env['BENCH_FUZZ_CASES'] ?? 10_000);
const SEED = Number(process.env['BENCH_FUZZ_SEED'] ?? 1);
const CONCURRENCY = 16;

export async function benchFuzz(): Promise<void> {
  const proxy = await createTestProxy({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
  try {
    await proxy.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (proxy.app.server.address() as AddressInfo).port;
    const calls = recordSimulatorCalls(proxy.simulator);
    const known = proxy.simulator
      .instancesIn('cn-hangzhou')
      .slice(0, 20)
      .map((i) => i.InstanceId);
    const cases = fc.sample(fuzzCases(port, known), { seed: SEED, numRuns: CASES });
    const byOutcome = new Map<FuzzResult['outcome'], number>();
    const problems: string[] = [];
    const started = performance.now();
    await runFuzzCases(port, cases, CONCURRENCY, (fuzz, result) => {
      byOutcome.set(result.outcome, (byOutcome.get(result.outcome) ?? 0) + 1);
      if (result.problems.length > 0) problems.push(`${result.problems.join('; ')} <- ${describeCase(fuzz)}`);
    });
    const seconds = (performance.now() - started) / 1000;
    const alive = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');

    console.log(`${cases.length} generated bad requests (seed ${SEED}) in ${seconds.toFixed(1)} s, ${CONCURRENCY} in flight`);
    const rows = [...byOutcome].sort(([a], [b]) => String(a).localeCompare(String(b)));
    for (const [outcome, count] of rows) console.log(`  ${String(outcome).padEnd(22)} ${count}`);
    console.log(`answers that are not the envelope, or a 5xx other than 503/504: ${problems.length}`);
    for (const line of problems.slice(0, 20)) console.log(`  ${line}`);
    console.log(
      `mutating calls that reached the simulator: ${calls.filter((c) => c.mutating).length} (calls of any kind: ${calls.length})`,
    );
    console.log(`still answering afterwards: ${alive?.status === 200 ? 'yes' : `no (${alive?.status ?? 'no answer'})`}`);
    if (problems.length > 0 || calls.some((c) => c.mutating) || alive?.status !== 200) process.exitCode = 1;
  } finally {
    await proxy.close();
  }
}
