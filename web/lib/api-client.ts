import type { ActivityPage, PendingList, Session } from '../../ecs/console-api';
import type { ActionName, RequestOf, ResponseOf } from '../../ecs/contract';
import type { CreateRun, Run, RunInstancesPage, RunPage } from '../../ecs/runs-api';
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

// Runs (ecs/runs-api.ts): executed by the proxy, so the browser only creates, reads and controls them.
const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const query = (params: Record<string, string | number | undefined>): string => {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') out.set(key, String(value));
  const text = out.toString();
  return text ? `?${text}` : '';
};

export async function createRun(input: CreateRun, signal?: AbortSignal): Promise<Run> {
  return (await send('/api/runs', json(input), signal)) as Run;
}

export async function listRuns(params: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<RunPage> {
  return (await send(`/api/runs${query(params)}`, { method: 'GET', headers: { accept: 'application/json' } }, signal)) as RunPage;
}

export async function getRun(id: string, signal?: AbortSignal): Promise<Run> {
  return (await send(`/api/runs/${encodeURIComponent(id)}`, { method: 'GET', headers: { accept: 'application/json' } }, signal)) as Run;
}

export async function getRunInstances(
  id: string,
  params: Record<string, string | number | undefined>,
  signal?: AbortSignal,
): Promise<RunInstancesPage> {
  return (await send(
    `/api/runs/${encodeURIComponent(id)}/instances${query(params)}`,
    { method: 'GET', headers: { accept: 'application/json' } },
    signal,
  )) as RunInstancesPage;
}

/** pause / resume / cancel answer the run; retry answers the new run linked to it. */
export async function controlRun(id: string, action: 'pause' | 'resume' | 'cancel' | 'retry', signal?: AbortSignal): Promise<Run> {
  return (await send(`/api/runs/${encodeURIComponent(id)}/${action}`, json({}), signal)) as Run;
}
