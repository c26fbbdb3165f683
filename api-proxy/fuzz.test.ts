import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { rawRequest, recordSimulatorCalls } from './edge-probe';
import { describeCase, fuzzCases, runFuzzCases, type FuzzCase, type FuzzResult } from './fuzz-cases';
import { createTestProxy, type TestProxy } from './test-support';

/**
 * A few hundred generated bad requests against a real listening proxy (fetch and raw sockets): no 5xx but
 * 503/504, every error in the envelope with the security headers and a request ID, the server keeps
 * answering, and no mutating call reaches the simulated ECS (counted at the simulator). Seeded, so a
 * failure reproduces; `npm run bench -- fuzz` runs the same generators at length.
 */

const SEED = 20260115;
const RUNS = 400;

describe('fuzzing the edge', () => {
  let proxy: TestProxy;
  let port: number;
  beforeAll(async () => {
    proxy = await createTestProxy();
    await proxy.app.listen({ port: 0, host: '127.0.0.1' });
    port = (proxy.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => proxy.close());

  it(`survives ${RUNS} seeded bad requests with every answer in the envelope and nothing mutated`, { timeout: 120_000 }, async () => {
    const calls = recordSimulatorCalls(proxy.simulator);
    const known = proxy.simulator
      .instancesIn('cn-hangzhou')
      .slice(0, 20)
      .map((i) => i.InstanceId);
    const cases: FuzzCase[] = fc.sample(fuzzCases(port, known), { seed: SEED, numRuns: RUNS });
    const failures: string[] = [];
    const outcomes = new Map<FuzzResult['outcome'], number>();
    await runFuzzCases(port, cases, 8, (fuzz, result) => {
      outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
      if (result.problems.length > 0) failures.push(`${result.problems.join('; ')} <- ${describeCase(fuzz)}`);
    });
    expect(failures.slice(0, 10)).toEqual([]);
    // The generators reach past the parser: most cases got an answer, and of many kinds.
    const answered = [...outcomes].filter(([outcome]) => typeof outcome === 'number').reduce((sum, [, count]) => sum + count, 0);
    expect(answered).toBeGreaterThan(RUNS * 0.8);
    expect([...outcomes.keys()].filter((o) => typeof o === 'number').length).toBeGreaterThanOrEqual(6);
    expect(calls.filter((c) => c.mutating)).toEqual([]);
    // Still serving.
    expect(await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')).toMatchObject({ status: 200 });
  });
});
