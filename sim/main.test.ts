import { describe, expect, it } from 'vitest';
import { readSimConfig } from './main';

describe('readSimConfig', () => {
  it('fills every default from an empty environment', () => {
    expect(readSimConfig({})).toEqual({
      ok: true,
      config: {
        port: 9090,
        host: '127.0.0.1',
        seed: undefined,
        instances: 300,
        accessKeyId: 'sim-access-key-id',
        accessKeySecret: 'sim-access-key-secret',
        latencyMs: 0,
        jitterMs: 0,
      },
    });
  });

  it('reads every variable and treats empty ones as unset', () => {
    const result = readSimConfig({
      SIM_PORT: '0',
      SIM_HOST: 'localhost',
      SIM_SEED: 'demo',
      SIM_INSTANCES: '10000',
      SIM_ACCESS_KEY_ID: 'LTAI-sim',
      SIM_ACCESS_KEY_SECRET: 's3cret with spaces',
      SIM_LATENCY_MS: '120',
      SIM_JITTER_MS: '',
      UNRELATED: 'ignored',
    });
    expect(result).toEqual({
      ok: true,
      config: {
        port: 0,
        host: 'localhost',
        seed: 'demo',
        instances: 10_000,
        accessKeyId: 'LTAI-sim',
        accessKeySecret: 's3cret with spaces',
        latencyMs: 120,
        jitterMs: 0,
      },
    });
  });

  it('lists every problem at once and never echoes the secret', () => {
    const result = readSimConfig({
      SIM_PORT: '70000',
      SIM_HOST: 'bad host/',
      SIM_INSTANCES: 'many',
      SIM_ACCESS_KEY_ID: 'a,b',
      SIM_ACCESS_KEY_SECRET: 'x'.repeat(300),
      SIM_LATENCY_MS: '-5',
      SIM_JITTER_MS: '1.5',
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'SIM_PORT',
      'SIM_HOST',
      'SIM_INSTANCES',
      'SIM_ACCESS_KEY_ID',
      'SIM_ACCESS_KEY_SECRET',
      'SIM_LATENCY_MS',
      'SIM_JITTER_MS',
    ]);
    expect(problems.join('\n')).not.toContain('xxxx');
  });
});
