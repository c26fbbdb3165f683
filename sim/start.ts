import { createSimServer, type SimServer } from './http/server';
import { createSimulator, type Simulator } from './model/simulator';

/**
 * A seeded simulator behind its HTTP door, listening: what `npm run sim` (main.ts) and the proxy's sim mode
 * (api-proxy/sim-mode.ts) both start, so the two cannot drift apart.
 */

export interface StartSimOptions {
  seed: string | undefined;
  /** Size of the one large region (cn-hangzhou). */
  instances: number;
  latencyMs: number;
  jitterMs: number;
  /** The one access key the simulated ECS accepts. */
  accessKeyId: string;
  accessKeySecret: string;
  /** 0 = any free port. */
  port: number;
  host: string;
  /** Serve the unsigned /__sim/ control door. */
  controlEndpoint: boolean;
  log: (line: string) => void;
}

export interface RunningSim {
  simulator: Simulator;
  server: SimServer;
  /** `http://host:port` of the door. */
  url: string;
  close(): Promise<void>;
}

export async function startSim(options: StartSimOptions): Promise<RunningSim> {
  const simulator = createSimulator({ ...(options.seed === undefined ? {} : { seed: options.seed }), instances: options.instances });
  simulator.setControl({ latencyMs: options.latencyMs, jitterMs: options.jitterMs });
  const server = createSimServer({
    simulator,
    accessKeys: { [options.accessKeyId]: options.accessKeySecret },
    controlEndpoint: options.controlEndpoint,
    log: options.log,
  });
  const { url } = await server.listen(options.port, options.host);
  return { simulator, server, url, close: () => server.close() };
}
