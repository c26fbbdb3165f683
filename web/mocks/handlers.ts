import { delay, http, HttpResponse } from 'msw';
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
  ];
}
