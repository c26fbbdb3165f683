import { delay, http, HttpResponse } from 'msw';
import type { ConsoleAnswer } from './answer';
import type { ConsoleModel } from './console-model';

/** msw handlers: a thin adapter from HTTP to the console model (docs/conventions.md#msw-examples). */
export function createHandlers(model: ConsoleModel, options: { latency?: boolean } = {}) {
  const wait = async () => {
    if (options.latency) await delay(model.simulator.transportPlan().delayMs);
  };
  return [
    http.get('/api/session', () => HttpResponse.json(model.session)),
    http.post('/api/ecs/:action', async ({ request, params }) => {
      await wait();
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return HttpResponse.json(
          { RequestId: 'mock', Code: 'Proxy.MalformedBody', Message: 'The request body is not valid JSON.' },
          { status: 400 },
        );
      }
      const answer = model.ecs(String(params['action']), body);
      return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status, headers: answer.headers ?? {} });
    }),
    http.get('/api/activity', ({ request }) => {
      const answer = model.activity(new URL(request.url).searchParams);
      return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status });
    }),
    http.get('/api/pending', ({ request }) => {
      const answer = model.pending(new URL(request.url).searchParams.get('RegionId'));
      return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status });
    }),
    http.post('/api/runs', async ({ request }) => {
      await wait();
      return reply(model.runs.create(await request.json().catch(() => undefined)));
    }),
    http.get('/api/runs', ({ request }) => reply(model.runs.list(new URL(request.url).searchParams))),
    // 204 tells EventSource not to reconnect: the mock has no live feed, and the app's polling stands in for it.
    http.get('/api/runs/:id/events', () => new HttpResponse(null, { status: 204 })),
    http.get('/api/runs/:id/instances', ({ request, params }) =>
      reply(model.runs.instances(String(params['id']), new URL(request.url).searchParams)),
    ),
    http.get('/api/runs/:id', ({ params }) => reply(model.runs.get(String(params['id'])))),
    http.post('/api/runs/:id/:action', async ({ params }) => {
      await wait();
      return reply(model.runs.control(String(params['id']), String(params['action'])));
    }),
  ];
}

function reply(answer: ConsoleAnswer) {
  return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status });
}
