/**
 * Query-key roots shared across features (features never import each other, but a mutation in one must
 * refresh what another shows). Keys go from general to specific (TkDodo): ['ecs', 'instances', regionId, …].
 */
export const keyRoots = {
  instances: (regionId: string) => ['ecs', 'instances', regionId] as const,
  instanceStatus: (regionId: string) => ['ecs', 'instance-status', regionId] as const,
  keyPairs: (regionId: string) => ['ecs', 'key-pairs', regionId] as const,
  pending: (regionId: string) => ['console', 'pending', regionId] as const,
  activity: () => ['console', 'activity'] as const,
  runs: () => ['console', 'runs'] as const,
};
