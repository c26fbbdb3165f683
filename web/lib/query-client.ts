import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import type { ApiError } from './api-error';

declare module '@tanstack/react-query' {
  // One registered error type (TkDodo, "Type-safe React Query"): every query and mutation fails with ApiError.
  interface Register {
    defaultError: ApiError;
  }
}

export type Notify = (message: { kind: 'error'; error: ApiError; context: 'refresh' | 'action' }) => void;

/**
 * Toast only when there is something on screen already (a failed background refresh) or when an action
 * failed; a failed first load is shown inline by the component instead (TkDodo, "React Query Error
 * Handling").
 */
export function createQueryClient(notify: Notify): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        // meta.silent: a poll that retries by itself on the next tick (instance status) must not toast each time.
        if (query.state.data !== undefined && query.meta?.['silent'] !== true) notify({ kind: 'error', error, context: 'refresh' });
      },
    }),
    mutationCache: new MutationCache({
      onError: (error, _variables, _context, mutation) => {
        if (mutation.meta?.['silent'] !== true) notify({ kind: 'error', error, context: 'action' });
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // Throttling is waited out by the proxy; a 4xx will not get better by asking again.
        retry: (failureCount, error) => error.isNetwork && failureCount < 2,
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false },
    },
  });
}
