import type { Config } from './config';
import type { RunningSim } from '../sim/start';

export type { RunningSim } from '../sim/start';
export type { Simulator } from '../sim/model/simulator';

/**
 * The one door from production proxy code to the simulator (docs/conventions.md#boundaries-by-the-linter).
 * The simulator is loaded with `import()` only when `ECS_MODE=sim` asks for it, so a live proxy never loads
 * it. The proxy then signs every call and sends it over HTTP to this in-process simulated ECS, exactly as live
 * mode does (docs/conventions.md#one-simulator-several-doors), so the demo path runs the real signer,
 * allowlist, identity and audit code.
 */
export async function startSimMode(sim: Config['sim'], log: (line: string) => void): Promise<RunningSim> {
  const { startSim } = await import('../sim/start');
  // Always on loopback (SIM_HOST is the standalone simulator's alone): only this process needs to reach it.
  return startSim({ ...sim, host: '127.0.0.1', controlEndpoint: sim.control, log });
}
