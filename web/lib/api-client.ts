import type { ActivityPage, PendingList, Session } from '../../ecs/console-api';
import type { ActionName, RequestOf, ResponseOf } from '../../ecs/contract';
import { ApiError } from './api-error';

/**
 * The only module that calls fetch (docs/conventions.md#components-never-call-fetch). It speaks the proxy's API: ECS actions as
 * `POST /api/ecs/{Action}` with structured JSON parameters, plus the proxy's own read endpoints. Types come
 * from the contract (ecs/contract.ts, ecs/console-api.ts); the schemas themselves are not run here, so zod
 * stays out of the browser's first load. The proxy validates what it sends, and components read ECS's loose
 * fields through the defensive helpers in ecs/wire.ts.
 */

/** RebootInstance/StartInstance carry no RegionId on the wire; the proxy needs one to route them. */
type RoutedByRegion = 'RebootInstance' | 'StartInstance';
export type ProxyRequestOf<A extends ActionName> = RequestOf<A> & (A extends RoutedByRegion ? { RegionId: string } : unknown);

async function send(url: string, init: RequestInit, signal?: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, ...(signal ? { signal } : {}), credentials: 'same-origin' });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw ApiError.network(error);
  }
  if (!res.ok) throw await ApiError.fromResponse(res);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null) {
    throw new ApiError({
      status: res.status,
      code: 'Proxy.BadResponse',
      message: 'The server answered with something that is not a JSON object.',
    });
  }
  return body;
}

export async function ecsCall<A extends ActionName>(action: A, params: ProxyRequestOf<A>, signal?: AbortSignal): Promise<ResponseOf<A>> {
  const body = await send(
    `/api/ecs/${action}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) },
    signal,
  );
  return body as ResponseOf<A>;
}

export async function getSession(signal?: AbortSignal): Promise<Session> {
  return (await send('/api/session', { method: 'GET', headers: { accept: 'application/json' } }, signal)) as Session;
}

export async function getActivity(query: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<ActivityPage> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  return (await send(
    `/api/activity?${params.toString()}`,
    { method: 'GET', headers: { accept: 'application/json' } },
    signal,
  )) as ActivityPage;
}

export async function getPending(regionId: string, signal?: AbortSignal): Promise<PendingList> {
  return (await send(
    `/api/pending?RegionId=${encodeURIComponent(regionId)}`,
    { method: 'GET', headers: { accept: 'application/json' } },
    signal,
  )) as PendingList;
}
