import fc from 'fast-check';
import { answerProblems, rawRequest } from './edge-probe';

/**
 * Generated bad requests for the proxy's HTTP edge, shared by the seeded test (`fuzz.test.ts`) and the long
 * run (`npm run bench -- fuzz`). Two kinds: well-formed HTTP with bad methods, paths, headers, bodies,
 * content types, origins and parameters, sent with fetch; and malformed HTTP sent as raw bytes, so the
 * parser's own refusals are covered too.
 *
 * None of them is a valid mutating call: every mutating call either comes from another origin or carries a
 * parameter no action has, so a single one reaching the simulator is a hole.
 */

export type FuzzCase =
  | { kind: 'fetch'; method: string; path: string; headers: Record<string, string>; body?: string }
  | { kind: 'raw'; bytes: string | Uint8Array };

export interface FuzzResult {
  /** The HTTP status, or what happened instead. */
  outcome: number | 'no answer' | 'refused by the client';
  problems: string[];
}

/** The console's own origin in test-support's proxy (PUBLIC_ORIGIN=http://localhost). */
const CONSOLE_ORIGIN = 'http://localhost';

const ACTIONS = [
  'AttachKeyPair',
  'RebootInstance',
  'RebootInstances',
  'StartInstance',
  'StartInstances',
  'DescribeInstances',
  'DescribeRegions',
  'DescribeKeyPairs',
  'DescribeInstanceStatus',
  'DeleteInstance',
  'DetachKeyPair',
  'constructor',
  '__proto__',
  'attachkeypair',
];

const text = (maxLength: number) => fc.string({ maxLength, unit: 'binary' });
const ascii = (maxLength: number) => fc.string({ maxLength });

const instanceIds = (known: readonly string[]) =>
  fc.array(fc.oneof(fc.constantFrom(...known), ascii(40), fc.constant('i-'), fc.constant(`i-${'a'.repeat(70)}`)), { maxLength: 120 });

/** ECS-looking parameters, always with one no action has, so none of them is ever a valid call. */
function params(known: readonly string[]) {
  return fc
    .record(
      {
        RegionId: fc.oneof(fc.constantFrom('cn-hangzhou', 'cn-beijing', 'mars-north-1', 'cn-hangzhou.evil.com', '', '../x'), text(80)),
        KeyPairName: fc.oneof(fc.constantFrom('team-key', 'https://x', '-bad-', 'a'), text(200)),
        InstanceIds: fc.oneof(instanceIds(known), ascii(100), fc.integer()),
        InstanceId: fc.oneof(instanceIds(known), fc.constantFrom(...known), fc.jsonValue()),
        DryRun: fc.oneof(fc.boolean(), ascii(10)),
        ForceStop: fc.oneof(fc.boolean(), fc.integer()),
        BatchOptimization: fc.oneof(fc.constantFrom('SuccessFirst', 'AllTogether'), ascii(20)),
        MaxResults: fc.oneof(fc.integer({ min: -10, max: 1000 }), ascii(5)),
      },
      { requiredKeys: [] },
    )
    .chain((base) =>
      fc
        .tuple(
          fc.constantFrom('Fuzz', 'Action', 'AccessKeyId', 'Signature', '__proto__', 'regionid', 'InstanceIds.1'),
          fc.jsonValue({ maxDepth: 2 }),
        )
        // A computed key defines an own property, so even "__proto__" is sent as a parameter.
        .map(([key, value]) => JSON.stringify({ ...base, [key]: value })),
    );
}

/** Request bodies; `surelyInvalid` when no action can accept them whatever the rest of the request. */
function bodies(known: readonly string[]): fc.Arbitrary<{ text: string; surelyInvalid: boolean }> {
  const other = fc.oneof(
    fc.constantFrom('', '{', '{"RegionId":', '[1,2]', 'null', '"x"', '{"a":1}{"b":2}', '\u0000', '\ufeff{}'),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    text(300),
    fc.integer({ min: 1, max: 50 }).map((depth) => `${'['.repeat(depth * 100)}${']'.repeat(depth * 100)}`),
    fc.constant(JSON.stringify({ RegionId: 'x'.repeat(70_000) })),
  );
  return fc.oneof(
    { weight: 5, arbitrary: params(known).map((json) => ({ text: json, surelyInvalid: true })) },
    { weight: 4, arbitrary: other.map((body) => ({ text: body, surelyInvalid: false })) },
  );
}

const paths = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ACTIONS).map((action) => `/api/ecs/${action}`) },
  { weight: 1, arbitrary: ascii(30).map((action) => `/api/ecs/${encodeURIComponent(action)}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/api/session',
      '/healthz',
      '/readyz',
      '/',
      '/api',
      '/api/',
      '/api/ecs',
      '/api/ecs/',
      '//api/ecs/AttachKeyPair',
      '/api/ecs/AttachKeyPair/',
      '/api/ecs/AttachKeyPair?x=1',
      '/%ff',
      '/%2e%2e/package.json',
      `/api/ecs/${'A'.repeat(150)}`,
      '/index.html',
    ),
  },
  { weight: 1, arbitrary: ascii(60).map((query) => `/api/activity?${query}`) },
  { weight: 1, arbitrary: ascii(40).map((region) => `/api/pending?RegionId=${encodeURIComponent(region)}`) },
  { weight: 1, arbitrary: fc.array(ascii(12), { maxLength: 4 }).map((parts) => `/${parts.map(encodeURIComponent).join('/')}`) },
);

function origins(port: number) {
  return fc.oneof(
    fc.constantFrom(
      undefined,
      'null',
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port + 1}`,
      'http://evil.example',
      'http://localhost.evil.example',
      'https://localhost',
      'http://localhost:8080',
      'http://localhost/path',
      'file://',
      '',
    ),
    ascii(40),
  );
}

// Mostly JSON, so most cases get past the media type to the origin and parameter checks.
const contentTypes = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      '',
    ),
  },
  { weight: 1, arbitrary: ascii(40) },
);

const methods = fc.oneof(
  { weight: 6, arbitrary: fc.constant('POST') },
  { weight: 3, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'FOO', 'post', 'M-SEARCH') },
);

function fetchCase(port: number, known: readonly string[]): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      method: methods,
      path: paths,
      origin: origins(port),
      // The console's own origin is only ever paired with parameters that no action accepts.
      consoleOrigin: fc.boolean(),
      contentType: contentTypes,
      body: bodies(known),
      extra: fc.dictionary(
        // No Expect: fetch (undici) refuses to send one; the raw cases carry it.
        fc.constantFrom(
          'x-forwarded-for',
          'x-forwarded-proto',
          'x-forwarded-host',
          'x-forwarded-user',
          'authorization',
          'accept',
          'cookie',
          'x-request-id',
        ),
        ascii(200),
        { maxKeys: 3 },
      ),
    })
    .map(({ method, path, origin, consoleOrigin, contentType, body, extra }): FuzzCase => {
      const headers: Record<string, string> = { ...extra };
      const chosen = consoleOrigin && body.surelyInvalid ? CONSOLE_ORIGIN : origin;
      if (chosen !== undefined) headers['origin'] = chosen;
      if (contentType !== undefined) headers['content-type'] = contentType;
      const upper = method.toUpperCase();
      return { kind: 'fetch', method, path, headers, ...(upper === 'GET' || upper === 'HEAD' ? {} : { body: body.text }) };
    });
}

const CRLF = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r');

function rawCase(known: readonly string[]): fc.Arbitrary<FuzzCase> {
  const headerLines = fc.array(
    fc.oneof(
      fc.constantFrom(
        'Host: localhost',
        'Host: localhost',
        'Host: evil.example',
        'Host:',
        'Host: localhost\r\nHost: evil.example',
        'Content-Type: application/json',
        `Origin: ${CONSOLE_ORIGIN}`,
        'Origin: https://localhost',
        'Content-Length: 2',
        'Content-Length: -1',
        'Content-Length: 99999999999999999999',
        'Content-Length: 2\r\nContent-Length: 3',
        'Transfer-Encoding: chunked',
        'Transfer-Encoding: gzip, chunked',
        'Transfer-Encoding: chunked, identity',
        'Expect: 100-continue',
        'Expect: bogus',
        'Connection: close',
        'Connection: Upgrade\r\nUpgrade: websocket',
        `X-Big: ${'a'.repeat(20_000)}`,
        'Bad Header: x',
        ': no-name',
        'X-Nul: a\u0000b',
        'X-Latin: \u00ff\u00fe',
      ),
      fc.tuple(ascii(20), text(60)).map(([name, value]) => `${name}: ${value}`),
    ),
    { maxLength: 6 },
  );
  const structured = fc
    .record({
      method: fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'FOO', 'G\u0000T', '', 'PRI', 'CONNECT', 'post'), ascii(10)),
      target: fc.oneof(
        fc.constantFrom(
          '/',
          '/healthz',
          '/api/ecs/AttachKeyPair',
          '/api/ecs/RebootInstances',
          '/api/session',
          '*',
          'http://evil.example/healthz',
          '/a b',
          '/\u00e9',
          '',
          'example.com:443',
          `/api/ecs/${'A'.repeat(200)}`,
        ),
        ascii(40),
      ),
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', 'HTTP/0.9', ''),
      eol: CRLF,
      headers: headerLines,
      body: fc.oneof(
        bodies(known).map((body) => body.text),
        fc.constantFrom('0\r\n\r\n', 'zz\r\n\r\n', '5\r\n{"a":\r\n0\r\n\r\n'),
      ),
    })
    .map(({ method, target, version, eol, headers, body }): FuzzCase => ({
      kind: 'raw',
      bytes: `${method} ${target} ${version}${eol}${headers.map((line) => `${line}${eol}`).join('')}${eol}${body}`,
    }));
  return fc.oneof(
    { weight: 4, arbitrary: structured },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((bytes): FuzzCase => ({ kind: 'raw', bytes })) },
  );
}

/** Bad requests against a proxy listening on 127.0.0.1:`port`; `known` are real instance IDs of its fleet. */
export function fuzzCases(port: number, known: readonly string[]): fc.Arbitrary<FuzzCase> {
  return fc.oneof({ weight: 3, arbitrary: fetchCase(port, known) }, { weight: 1, arbitrary: rawCase(known) });
}

/** Sends one case and checks the answer: no 5xx but 503/504, every error in the envelope with the headers. */
export async function runFuzzCase(port: number, fuzz: FuzzCase): Promise<FuzzResult> {
  if (fuzz.kind === 'raw') {
    const answer = await rawRequest(port, fuzz.bytes, { halfCloseAfterMs: 150, timeoutMs: 3000 });
    if (answer === undefined) return { outcome: 'no answer', problems: [] };
    const isHead = typeof fuzz.bytes === 'string' && fuzz.bytes.startsWith('HEAD ');
    return { outcome: answer.status, problems: answerProblems(answer, !isHead) };
  }
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}${fuzz.path}`, {
      method: fuzz.method,
      headers: fuzz.headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      ...(fuzz.body === undefined ? {} : { body: fuzz.body }),
    });
  } catch (error) {
    // fetch itself refuses some methods (CONNECT, TRACE) and header values: nothing was sent.
    if (error instanceof TypeError && !/fetch failed/.test(error.message)) return { outcome: 'refused by the client', problems: [] };
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return { outcome: 'no answer', problems: [`fetch failed: ${cause?.code ?? ''} ${cause?.message ?? (error as Error).message}`] };
  }
  const body = await response.text();
  const headers = Object.fromEntries(response.headers);
  return {
    outcome: response.status,
    problems: answerProblems({ status: response.status, headers, body }, fuzz.method.toUpperCase() !== 'HEAD'),
  };
}

/** Runs `cases` with `concurrency` in flight; `onResult` sees each one. */
export async function runFuzzCases(
  port: number,
  cases: readonly FuzzCase[],
  concurrency: number,
  onResult: (fuzz: FuzzCase, result: FuzzResult) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const fuzz = cases[next++];
      if (fuzz === undefined) break;
      onResult(fuzz, await runFuzzCase(port, fuzz));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** A case, short enough to print. */
export function describeCase(fuzz: FuzzCase): string {
  if (fuzz.kind === 'raw')
    return `raw ${JSON.stringify(typeof fuzz.bytes === 'string' ? fuzz.bytes.slice(0, 200) : Buffer.from(fuzz.bytes).toString('latin1').slice(0, 200))}`;
  return `${fuzz.method} ${fuzz.path.slice(0, 120)} ${JSON.stringify(fuzz.headers).slice(0, 200)} ${fuzz.body?.slice(0, 200) ?? ''}`;
}
