import { createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
import type { CredentialSource } from './credentials';
import { createEcsClient, type EcsClient, type EcsClientOptions } from './ecs-client';
import { createRegionDirectory, type RegionDirectory, type RegionEndpointMode } from './regions';

/**
 * Wires the ECS client to the region directory. They need each other: the directory learns the region list
 * through the client (DescribeRegions, sent to the configured bootstrap region), and the client takes every
 * other host from the directory. Used by the one composition root (compose.ts), so production and the tests run the same wiring.
 */
export interface UpstreamWiring {
  mode: RegionEndpointMode;
  bootstrapRegion: string;
  credentials: CredentialSource;
  client: Omit<EcsClientOptions, 'endpointFor' | 'credentials' | 'breaker'>;
  /** The per-endpoint circuit breaker's settings (defaults: open after 5 connection failures, for 5 s). */
  breaker?: CircuitBreakerOptions;
  onRefreshError?: (error: unknown) => void;
  /** Tests wrap the client (to record or fake calls); the directory then learns regions through the wrapper. */
  wrap?: (client: EcsClient) => EcsClient;
}

export interface Upstream {
  ecs: EcsClient;
  regions: RegionDirectory;
  /** Whether ECS endpoints are failing fast right now (`isOpen()`, `snapshot()`), e.g. for a readiness probe. */
  breaker: CircuitBreaker;
}

export function createUpstream(wiring: UpstreamWiring): Upstream {
  const { mode, bootstrapRegion } = wiring;
  // The bootstrap region comes from validated configuration, never from a request (config/).
  const bootstrapBase =
    mode.kind === 'fixed' ? mode.base : new URL(`https://${mode.network === 'vpc' ? 'ecs-vpc' : 'ecs'}.${bootstrapRegion}.aliyuncs.com`);
  const holder: { regions?: RegionDirectory } = {};
  const breaker = createCircuitBreaker(wiring.breaker);
  const signed = createEcsClient({
    ...wiring.client,
    breaker,
    credentials: wiring.credentials,
    endpointFor: (regionId) => {
      if (regionId === bootstrapRegion) return bootstrapBase;
      if (!holder.regions) throw new Error('region directory not ready');
      return holder.regions.endpointFor(regionId);
    },
  });
  const ecs = wiring.wrap ? wiring.wrap(signed) : signed;
  const regions = createRegionDirectory({
    mode,
    fetchRegions: async () => {
      const outcome = await ecs.call('DescribeRegions', {}, { regionId: bootstrapRegion, mutating: false });
      if (outcome.kind !== 'response' || outcome.status !== 200) {
        throw new Error(outcome.kind === 'response' ? `DescribeRegions answered HTTP ${outcome.status}` : outcome.reason);
      }
      const list = (outcome.body['Regions'] as { Region?: { RegionId?: unknown }[] } | undefined)?.Region ?? [];
      return list.map((r) => r.RegionId).filter((id): id is string => typeof id === 'string');
    },
    ...(wiring.onRefreshError ? { onRefreshError: wiring.onRefreshError } : {}),
  });
  holder.regions = regions;
  return { ecs, regions, breaker };
}
