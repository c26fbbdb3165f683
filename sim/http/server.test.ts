import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../model/simulator';
import type { Simulator } from '../model/simulator';
import { createSimServer } from './server';
import type { SimServer } from './server';
import {
  EMPTY_BODY_SHA256,
  authorizationV3,
  canonicalQueryString,
  canonicalRequestV3,
  formatAcsDate,
  hashPayload,
  signV1,
  signV3,
  signatureV3,
  stringToSignV3,
} from '../../acs-signature';

const AK = 'test-access-key';
const SK = 'test-access-secret';
const MIN = 60_000;

let simulator: Simulator;
let sim: SimServer;
let base: string;
let host: string;

beforeAll(async () => {
  simulator = createSimulator({ seed: 'sim-server-test', instances: 40 });
  sim = createSimServer({ simulator, accessKeys: { [AK]: SK } });
  const { port, url } = await sim.listen(0);
  base = url;
  host = `127.0.0.1:${port}`;
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  await fetch(`${base}/__sim/reset`, { method: 'POST' });
});

let nonceCounter = 0;
function freshNonce(): string {
  nonceCounter += 1;
  return `nonce-${process.pid}-${Date.now()}-${nonceCounter}`;
}

/** fetch sets `host` itself, to the same `127.0.0.1:<port>` the request was signed for. */
function withoutHost(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'host'));
}

interface Prepared {
  url: string;
  init: { method: string; headers: Record<string, string>; body?: string };
}

interface V3Options {
  action: string;
  query?: Record<string, string>;
  method?: string;
  body?: string;
  ak?: string;
  sk?: string;
  date?: Date;
  nonce?: string;
  headers?: Record<string, string>;
}

/** Signs with the proxy's own signer; `host` is left for fetch to send (it sends the same value). */
function v3(options: V3Options): Prepared {
  const signed = signV3({
    method: options.method ?? 'POST',
    host,
    query: options.query ?? {},
    headers: {
      accept: 'application/json',
      ...(options.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    action: options.action,
    version: '2014-05-26',
    credentials: { accessKeyId: options.ak ?? AK, accessKeySecret: options.sk ?? SK },
    date: options.date ?? new Date(),
    nonce: options.nonce ?? freshNonce(),
  });
  const headers = withoutHost(signed.headers);
  return {
    url: `${base}/?${signed.queryString}`,
    init: { method: options.method ?? 'POST', headers, ...(options.body === undefined ? {} : { body: options.body }) },
  };
}

interface V1Options {
  action: string;
  params?: Record<string, string>;
  method?: 'GET' | 'POST';
  format?: 'JSON' | 'XML' | null;
  sk?: string;
  ak?: string;
  date?: Date;
  nonce?: string;
  /** POST the parameters as a form body instead of the query string. */
  inBody?: boolean;
}

function v1(options: V1Options): Prepared {
  const method = options.method ?? 'GET';
  const signed = signV1({
    method,
    action: options.action,
    version: '2014-05-26',
    params: options.params ?? {},
    ...(options.format === undefined ? {} : { format: options.format }),
    credentials: { accessKeyId: options.ak ?? AK, accessKeySecret: options.sk ?? SK },
    date: options.date ?? new Date(),
    nonce: options.nonce ?? freshNonce(),
  });
  if (options.inBody) {
    return {
      url: `${base}/`,
      init: { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: signed.queryString },
    };
  }
  return { url: `${base}/?${signed.queryString}`, init: { method, headers: {} } };
}

async function send(prepared: Prepared): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> }> {
  const res = await fetch(prepared.url, prepared.init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') json = parsed as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, text, json };
}

function linuxInstance(status: 'Running' | 'Stopped'): string {
  const found = simulator
    .instancesIn('cn-hangzhou')
    .find((i) => i.OSType === 'linux' && i.Status === status && i.OperationLocks.LockReason?.length === 0);
  if (!found) throw new Error(`no ${status} linux instance in the test fleet`);
  return found.InstanceId;
}

// ---------------------------------------------------------------------------------------------------------

describe('V3 over HTTP', () => {
  it('answers a signed DescribeRegions with JSON and a RequestId', async () => {
    const res = await send(v3({ action: 'DescribeRegions' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json['RequestId']).toMatch(/^[0-9A-F-]{36}$/);
    expect(res.headers.get('x-acs-request-id')).toBe(res.json['RequestId']);
    const regions = res.json['Regions'] as { Region: { RegionId: string }[] };
    expect(regions.Region.map((r) => r.RegionId)).toContain('cn-hangzhou');
  });

  it('runs business parameters from the query and from a form body', async () => {
    const id = linuxInstance('Running');
    const viaQuery = await send(v3({ action: 'DescribeInstances', query: { RegionId: 'cn-hangzhou', InstanceIds: JSON.stringify([id]) } }));
    expect(viaQuery.status).toBe(200);
    expect((viaQuery.json['Instances'] as { Instance: { InstanceId: string }[] }).Instance.map((i) => i.InstanceId)).toEqual([id]);

    const viaBody = await send(
      v3({
        action: 'DescribeInstances',
        query: { RegionId: 'cn-hangzhou' },
        body: canonicalQueryString({ InstanceIds: JSON.stringify([id]) }),
      }),
    );
    expect(viaBody.status).toBe(200);
    expect((viaBody.json['Instances'] as { Instance: { InstanceId: string }[] }).Instance.map((i) => i.InstanceId)).toEqual([id]);
  });

  it('accepts GET as well as POST', async () => {
    const res = await send(v3({ action: 'DescribeRegions', method: 'GET' }));
    expect(res.status).toBe(200);
  });

  it('answers XML when the client asks only for XML', async () => {
    const res = await send(v3({ action: 'DescribeRegions', headers: { accept: 'application/xml' } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml;charset=utf-8');
    expect(res.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><DescribeRegionsResponse><RequestId>/);
  });

  it('fails every one-character change with the right code', async () => {
    const query = { RegionId: 'cn-hangzhou' };
    const cases: [string, Prepared, string][] = [];
    cases.push(['secret', v3({ action: 'DescribeRegions', sk: `${SK}x` }), 'SignatureDoesNotMatch']);
    cases.push(['access key', v3({ action: 'DescribeRegions', ak: `${AK}x` }), 'InvalidAccessKeyId.NotFound']);

    const queryValue = v3({ action: 'DescribeKeyPairs', query });
    queryValue.url = queryValue.url.replace('cn-hangzhou', 'cn-hangzhoU');
    cases.push(['query value', queryValue, 'SignatureDoesNotMatch']);

    const headerValue = v3({ action: 'DescribeKeyPairs', query });
    headerValue.init.headers['x-acs-signature-nonce'] += 'x';
    cases.push(['signed header', headerValue, 'SignatureDoesNotMatch']);

    const actionHeader = v3({ action: 'DescribeKeyPairs', query });
    actionHeader.init.headers['x-acs-action'] = 'DescribeKeyPairz';
    cases.push(['action header', actionHeader, 'SignatureDoesNotMatch']);

    const body = v3({ action: 'DescribeKeyPairs', query, body: 'PageSize=10' });
    body.init.body = 'PageSize=11';
    cases.push(['body', body, 'SignatureDoesNotMatch']);

    const date = v3({ action: 'DescribeKeyPairs', query, date: new Date(Date.now() - 5_000) });
    date.init.headers['x-acs-date'] = formatAcsDate(new Date(Date.now() - 4_000));
    cases.push(['date', date, 'SignatureDoesNotMatch']);

    const signature = v3({ action: 'DescribeKeyPairs', query });
    const auth = signature.init.headers['authorization'] ?? '';
    signature.init.headers['authorization'] = auth.slice(0, -1) + (auth.endsWith('0') ? '1' : '0');
    cases.push(['signature', signature, 'SignatureDoesNotMatch']);

    for (const [what, prepared, code] of cases) {
      const res = await send(prepared);
      expect({ what, status: res.status, code: res.json['Code'] }).toEqual({ what, status: 400, code });
    }
  });

  it('puts the server string-to-sign in SignatureDoesNotMatch', async () => {
    const res = await send(v3({ action: 'DescribeRegions', sk: 'wrong' }));
    expect(res.json['Message']).toMatch(/server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$/);
    expect(res.json['HostId']).toBeTypeOf('string');
    expect(res.json['Recommend']).toContain('SignatureDoesNotMatch');
  });

  it('accepts dates 14 minutes off and refuses 16 minutes off, both directions', async () => {
    for (const offset of [-14 * MIN, 14 * MIN]) {
      expect((await send(v3({ action: 'DescribeRegions', date: new Date(Date.now() + offset) }))).status).toBe(200);
    }
    for (const offset of [-16 * MIN, 16 * MIN]) {
      const res = await send(v3({ action: 'DescribeRegions', date: new Date(Date.now() + offset) }));
      expect(res.json['Code']).toBe('InvalidTimeStamp.Expired');
    }
  });

  it('refuses a replayed nonce', async () => {
    const prepared = v3({ action: 'DescribeRegions' });
    expect((await send(prepared)).status).toBe(200);
    const replay = await send(prepared);
    expect(replay.status).toBe(400);
    expect(replay.json['Code']).toBe('SignatureNonceUsed');
  });

  it('requires the V3 headers and the signature to cover host and every x-acs-* header', async () => {
    const noDate = v3({ action: 'DescribeRegions' });
    delete noDate.init.headers['x-acs-date'];
    expect((await send(noDate)).json['Code']).toBe('IncompleteSignature');

    const noAction = v3({ action: 'DescribeRegions' });
    delete noAction.init.headers['x-acs-action'];
    expect((await send(noAction)).json['Code']).toBe('MissingParameter');

    const unsignedExtra = v3({ action: 'DescribeRegions' });
    unsignedExtra.init.headers['x-acs-extra'] = 'sneaky';
    expect((await send(unsignedExtra)).json['Code']).toBe('IncompleteSignature');

    const garbledAuth = v3({ action: 'DescribeRegions' });
    garbledAuth.init.headers['authorization'] = 'ACS3-HMAC-SHA256 nonsense';
    expect((await send(garbledAuth)).json['Code']).toBe('IncompleteSignature');

    const otherAlgorithm = v3({ action: 'DescribeRegions' });
    otherAlgorithm.init.headers['authorization'] = 'Bearer abc';
    expect((await send(otherAlgorithm)).json['Code']).toBe('IncompleteSignature');
  });

  it('refuses a wrong content hash even when the signature covers it', async () => {
    // A client that signs a false x-acs-content-sha256 header but the true payload hash: the signature is
    // internally consistent, yet the header lies about the body, so the server must still refuse it
    // (docs/ecs-notes.md#v3-canonical-request).
    const body = 'A=1';
    const headers: Record<string, string> = {
      host,
      'content-type': 'application/x-www-form-urlencoded',
      'x-acs-action': 'DescribeRegions',
      'x-acs-version': '2014-05-26',
      'x-acs-date': formatAcsDate(new Date()),
      'x-acs-signature-nonce': freshNonce(),
      'x-acs-content-sha256': EMPTY_BODY_SHA256,
    };
    const { canonicalRequest, signedHeaders } = canonicalRequestV3({
      method: 'POST',
      canonicalQuery: '',
      headers,
      hashedPayload: hashPayload(body),
    });
    const signature = signatureV3(SK, stringToSignV3(canonicalRequest));
    const res = await send({
      url: `${base}/`,
      init: { method: 'POST', headers: { ...withoutHost(headers), authorization: authorizationV3(AK, signedHeaders, signature) }, body },
    });
    expect(res.json['Code']).toBe('SignatureDoesNotMatch');
    expect(res.json['Message']).toContain('x-acs-content-sha256');
  });

  it('reports unknown actions and versions after authentication', async () => {
    expect((await send(v3({ action: 'RunInstances' }))).json['Code']).toBe('InvalidAction.NotFound');
    const prepared = signV3({
      method: 'POST',
      host,
      query: {},
      action: 'DescribeRegions',
      version: '2016-01-01',
      credentials: { accessKeyId: AK, accessKeySecret: SK },
      date: new Date(),
      nonce: freshNonce(),
    });
    const headers = withoutHost(prepared.headers);
    const res = await send({ url: `${base}/`, init: { method: 'POST', headers } });
    expect(res.json['Code']).toBe('InvalidVersion');
  });

  it('passes simulator errors through with their status', async () => {
    const res = await send(v3({ action: 'DescribeInstances', query: { RegionId: 'mars-north-1' } }));
    expect(res.status).toBe(404);
    expect(res.json['Code']).toBe('InvalidRegionId.NotFound');
    const missing = await send(v3({ action: 'DescribeInstances' }));
    expect(missing.json['Code']).toBe('MissingParameter');
  });
});

describe('V1 over HTTP', () => {
  it('answers JSON with Format=JSON, signed over GET query parameters', async () => {
    const res = await send(v1({ action: 'DescribeKeyPairs', params: { RegionId: 'cn-hangzhou', PageSize: '50' } }));
    expect(res.status).toBe(200);
    const keyPairs = res.json['KeyPairs'] as { KeyPair: { KeyPairName: string }[] };
    expect(keyPairs.KeyPair.map((k) => k.KeyPairName)).toContain('ops-team');
  });

  it('accepts POST with everything in a form body', async () => {
    const res = await send(v1({ action: 'DescribeRegions', method: 'POST', inBody: true }));
    expect(res.status).toBe(200);
    expect(res.json['Regions']).toBeDefined();
  });

  it('answers XML when Format is absent, with repeated elements for arrays', async () => {
    const res = await send(v1({ action: 'DescribeRegions', format: null }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml;charset=utf-8');
    expect(res.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><DescribeRegionsResponse><RequestId>[0-9A-F-]{36}<\/RequestId>/);
    expect(res.text).toMatch(/<Regions><Region><RegionId>[a-z-0-9]+<\/RegionId>.*<\/Region><Region>/);
    expect(res.text.endsWith('</Regions></DescribeRegionsResponse>')).toBe(true);
  });

  it('answers errors as <Error> XML when Format is absent', async () => {
    const res = await send(v1({ action: 'DescribeRegions', format: null, sk: 'wrong' }));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><Error><RequestId>[0-9A-F-]{36}<\/RequestId><HostId>[^<]+<\/HostId><Code>SignatureDoesNotMatch<\/Code><Message>Specified signature is not matched with our calculation. server string to sign is:GET&amp;%2F&amp;AccessKeyId/,
    );
    expect(res.text).toContain('<Recommend>');
  });

  it('fails one-character changes: secret, access key, parameter value, method', async () => {
    expect((await send(v1({ action: 'DescribeRegions', sk: `${SK}x` }))).json['Code']).toBe('SignatureDoesNotMatch');
    expect((await send(v1({ action: 'DescribeRegions', ak: `${AK}x` }))).json['Code']).toBe('InvalidAccessKeyId.NotFound');
    const tampered = v1({ action: 'DescribeKeyPairs', params: { RegionId: 'cn-hangzhou' } });
    tampered.url = tampered.url.replace('cn-hangzhou', 'cn-hangzhoU');
    expect((await send(tampered)).json['Code']).toBe('SignatureDoesNotMatch');
    // Signed for GET, sent as POST: the method is part of the string to sign (docs/ecs-notes.md#v1-algorithm step 5).
    const method = v1({ action: 'DescribeRegions', method: 'GET' });
    method.init.method = 'POST';
    expect((await send(method)).json['Code']).toBe('SignatureDoesNotMatch');
  });

  it('accepts a Timestamp 30 minutes off and refuses 32 minutes off', async () => {
    expect((await send(v1({ action: 'DescribeRegions', date: new Date(Date.now() - 30 * MIN) }))).status).toBe(200);
    expect((await send(v1({ action: 'DescribeRegions', date: new Date(Date.now() + 30 * MIN) }))).status).toBe(200);
    expect((await send(v1({ action: 'DescribeRegions', date: new Date(Date.now() - 32 * MIN) }))).json['Code']).toBe(
      'InvalidTimeStamp.Expired',
    );
  });

  it('refuses a replayed nonce and reports missing parameters', async () => {
    const prepared = v1({ action: 'DescribeRegions' });
    expect((await send(prepared)).status).toBe(200);
    expect((await send(prepared)).json['Code']).toBe('SignatureNonceUsed');

    const unsigned = await fetch(`${base}/?Action=DescribeRegions&Version=2014-05-26&Format=JSON`);
    const body = (await unsigned.json()) as Record<string, unknown>;
    expect(unsigned.status).toBe(400);
    expect(body['Code']).toBe('MissingParameter');
    expect(body['Message']).toContain('AccessKeyId');

    const noAction = await fetch(`${base}/?Format=JSON`);
    expect(((await noAction.json()) as Record<string, unknown>)['Code']).toBe('MissingParameter');
  });

  it('strips common parameters before the simulator sees them', async () => {
    const id = linuxInstance('Running');
    const res = await send(v1({ action: 'RebootInstance', params: { InstanceId: id } }));
    expect(res.status).toBe(200);
    expect(simulator.instance(id)?.Status).not.toBe('Running');
  });
});

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('transport knobs and throttling', () => {
  async function control(patch: unknown): Promise<void> {
    const res = await fetch(`${base}/__sim/control`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(patch) });
    expect(res.status).toBe(200);
  }

  it('drops the connection without an answer', async () => {
    await control({ faults: { dropRate: 1 } });
    const prepared = v3({ action: 'DescribeRegions' });
    await expect(fetch(prepared.url, prepared.init)).rejects.toThrow();
  });

  it('answers 200 with a truncated body on malformed', async () => {
    await control({ faults: { malformedRate: 1 } });
    const res = await send(v3({ action: 'DescribeRegions' }));
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text) as unknown).toThrow();
  });

  it('adds latency', async () => {
    await control({ latencyMs: 150 });
    const started = Date.now();
    expect((await send(v3({ action: 'DescribeRegions' }))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('passes the throttling error and x-acs-retry-after through', async () => {
    // Windows are aligned to the clock; an hour-long one makes a boundary between the two calls vanishingly rare.
    await control({ throttle: { limit: 1, windowMs: 3_600_000 } });
    expect((await send(v3({ action: 'DescribeRegions' }))).status).toBe(200);
    const res = await send(v3({ action: 'DescribeRegions' }));
    expect(res.status).toBe(400);
    expect(res.json['Code']).toMatch(/^Throttling/);
    expect(Number(res.headers.get('x-acs-retry-after'))).toBeGreaterThan(0);
  });

  it('leaves the control door alone', async () => {
    await control({ faults: { dropRate: 1 } });
    expect((await fetch(`${base}/__sim/state`)).status).toBe(200);
  });
});

describe('the request record', () => {
  type StateWithRequests = { requests: { action?: string; status: number | null; params: Record<string, string> }[] };

  it('records every request at the ECS door: action, parameters, region, host, status, code and time', async () => {
    const before = Date.now();
    expect((await send(v3({ action: 'DescribeInstances', query: { RegionId: 'cn-hangzhou', MaxResults: '1' } }))).status).toBe(200);
    expect((await send(v3({ action: 'DescribeRegions', sk: 'wrong-secret' }))).status).toBe(400);
    expect((await send(v1({ action: 'DescribeKeyPairs', params: { RegionId: 'cn-beijing' }, format: 'JSON' }))).status).toBe(200);
    const records = sim.requests();
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      method: 'POST',
      action: 'DescribeInstances',
      params: { RegionId: 'cn-hangzhou', MaxResults: '1' },
      regionId: 'cn-hangzhou',
      host,
      status: 200,
    });
    expect(records[0]?.code).toBeUndefined();
    // A refused request is still a request that reached ECS: it counts, with what could be read of it.
    expect(records[1]).toMatchObject({ action: 'DescribeRegions', params: {}, status: 400, code: 'SignatureDoesNotMatch' });
    // V1 common and signature parameters are not business parameters.
    expect(records[2]).toMatchObject({ method: 'GET', action: 'DescribeKeyPairs', params: { RegionId: 'cn-beijing' }, status: 200 });
    for (const entry of records) {
      expect(entry.at).toBeGreaterThanOrEqual(before);
      expect(entry.at).toBeLessThanOrEqual(Date.now());
      expect(entry.requestId).toMatch(/^[0-9A-F-]{36}$/);
    }
    // The control door is not ECS: its requests are not recorded.
    await fetch(`${base}/__sim/state`);
    expect(sim.requests()).toHaveLength(3);
  });

  it('records a dropped answer without a status and a garbled one as answered', async () => {
    simulator.setControl({ faults: { ...simulator.control.faults, dropRate: 1 } });
    const dropped = v3({ action: 'DescribeRegions' });
    await expect(fetch(dropped.url, dropped.init)).rejects.toThrow();
    simulator.setControl({ faults: { ...simulator.control.faults, dropRate: 0, malformedRate: 1 } });
    expect((await send(v3({ action: 'DescribeRegions' }))).status).toBe(200);
    expect(sim.requests().map((r) => [r.action, r.status])).toEqual([
      ['DescribeRegions', null],
      ['DescribeRegions', 200],
    ]);
  });

  it('counts every call of a storm that never clears (throttle limit 0) and shows the record in /__sim/state', async () => {
    const patched = await fetch(`${base}/__sim/control`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ throttle: { limit: 0, windowMs: 60_000 } }),
    });
    expect(patched.status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await send(v3({ action: 'DescribeRegions' }))).json['Code']).toBe('Throttling.User');
    const state = (await (await fetch(`${base}/__sim/state`)).json()) as StateWithRequests;
    expect(state.requests.map((r) => [r.action, r.status])).toEqual(Array(3).fill(['DescribeRegions', 400]));
    await fetch(`${base}/__sim/reset`, { method: 'POST' });
    expect(sim.requests()).toEqual([]);
    expect(((await (await fetch(`${base}/__sim/state`)).json()) as StateWithRequests).requests).toEqual([]);
  });

  it('keeps only the newest records past its limit', async () => {
    const small = createSimServer({ simulator, accessKeys: { [AK]: SK }, requestRecordLimit: 2 });
    const { url } = await small.listen(0);
    try {
      for (let i = 0; i < 5; i++) expect((await fetch(`${url}/nowhere?n=${i}`, { method: 'POST' })).status).toBe(404);
      const kept = small.requests();
      expect(kept).toHaveLength(2);
      expect(kept.every((r) => r.status === 404)).toBe(true);
      small.clearRequests();
      expect(small.requests()).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe('robustness', () => {
  /**
   * Raw bytes over TCP. Without `halfClose` the socket stays open for writing until the server closes it, so
   * the server's answer cannot race our FIN; with it, the client ends its side right after the request.
   */
  async function raw(request: string, halfClose = false): Promise<string> {
    const port = Number(new URL(base).port);
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (halfClose ? socket.end(request) : socket.write(request)));
      socket.setTimeout(5_000, () => socket.destroy());
      let out = '';
      socket.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
      socket.on('close', () => resolve(out));
      socket.on('error', () => resolve(out));
    });
  }

  it('survives garbage and keeps answering', async () => {
    const bad: Prepared[] = [
      { url: `${base}/?Action=%E0%A4%A&Format=JSON`, init: { method: 'GET', headers: {} } },
      { url: `${base}/?Action=%FF%FE&Format=JSON`, init: { method: 'GET', headers: {} } },
      { url: `${base}/?Action=DescribeRegions&Action=DescribeRegions&Format=JSON`, init: { method: 'GET', headers: {} } },
      { url: `${base}/`, init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%%%' } },
      { url: `${base}/`, init: { method: 'POST', headers: { authorization: 'ACS3-HMAC-SHA256 Credential=,,,' } } },
      { url: `${base}/`, init: { method: 'POST', headers: { authorization: '' } } },
      { url: `${base}/nope`, init: { method: 'GET', headers: {} } },
      { url: `${base}/`, init: { method: 'DELETE', headers: {} } },
    ];
    for (const prepared of bad) {
      const res = await send(prepared);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const code = res.json['Code'] ?? /<Code>([^<]+)<\/Code>/.exec(res.text)?.[1];
      expect(code).toBeTypeOf('string');
    }
    const nonUtf8Body = await fetch(`${base}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new Uint8Array([0x41, 0x3d, 0xff, 0xfe]),
    });
    expect(nonUtf8Body.status).toBe(400);
    expect(await raw('GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
    // A body cut short by the client: node reports it as a client error, answered 400 (or nothing).
    expect(await raw('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n12', true)).toMatch(/^(?:$|HTTP\/1\.1 400)/);
    expect((await send(v3({ action: 'DescribeRegions' }))).status).toBe(200);
  });

  it('treats __proto__ and constructor as ordinary (signed) parameters', async () => {
    const query: Record<string, string> = { RegionId: 'cn-hangzhou', ['__proto__']: 'x', constructor: 'y' };
    expect(Object.keys(query)).toContain('__proto__');
    expect((await send(v3({ action: 'DescribeKeyPairs', query }))).status).toBe(200);
    expect((await send(v1({ action: 'DescribeKeyPairs', params: query }))).status).toBe(200);
  });

  it('answers 413 to bodies over 1 MiB', async () => {
    const res = await fetch(`${base}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `A=${'x'.repeat(1024 * 1024 + 10)}`,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Record<string, unknown>)['RequestId']).toBeTypeOf('string');
    expect((await send(v3({ action: 'DescribeRegions' }))).status).toBe(200);
  });
});
