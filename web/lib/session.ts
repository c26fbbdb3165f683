import { queryOptions, useQuery } from '@tanstack/react-query';
import type { ActionName } from '../../ecs/contract';
import { getSession } from './api-client';

/** Who the proxy says the operator is, and what they may do. Shared by every feature (shared → features). */
export const sessionQueries = {
  all: () => ['session'] as const,
  current: () =>
    queryOptions({
      queryKey: [...sessionQueries.all(), 'current'] as const,
      queryFn: ({ signal }) => getSession(signal),
      staleTime: 5 * 60_000,
    }),
};

/** Whether the signed-in operator may run `action` (docs/product.md#console-qualities: what is not allowed is disabled). */
export function useCan(action: ActionName): boolean {
  const { data } = useQuery(sessionQueries.current());
  return data?.allowedActions.includes(action) ?? false;
}
