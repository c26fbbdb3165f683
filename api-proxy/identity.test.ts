import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import type { Config } from './config';
import { loadConfig } from './config';
import { createIdentityResolver } from './identity';
import type { IdentityResult } from './identity';

function authFrom(env: Record<string, string>): Config['auth'] {
  const result = loadConfig({
    HOST: '0.0.0.0',
    PUBLIC_ORIGIN: 'https://keys.example.com',
    ROLE_ATTACH_GROUPS: 'sre',
    ROLE_POWER_GROUPS: 'sre',
    ...env,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config.auth;
}

function expectDenied(result: IdentityResult, message?: RegExp): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe('Proxy.Unauthenticated');
  if (message) expect(result.message).toMatch(message);
}

describe('AUTH_MODE=none', () => {
  it('everyone is the local operator, whatever headers say', async () => {
    const resolver = createIdentityResolver({ mode: 'none' });
    await expect(resolver.resolve({ 'x-forwarded-user': 'mallory', 'x-forwarded-groups': 'sre' }, '203.0.113.9')).resolves.toEqual({
      ok: true,
      identity: { user: 'local operator', groups: [], via: 'none' },
    });
  });
});

describe('AUTH_MODE=header', () => {
  const resolver = createIdentityResolver(authFrom({ AUTH_MODE: 'header', TRUSTED_PROXY_CIDRS: '127.0.0.1, 10.8.0.0/16, fd00:1::/32' }));
  const alice = { 'x-forwarded-user': 'alice', 'x-forwarded-email': 'alice@example.com', 'x-forwarded-groups': 'sre, ops ,sre,,' };

  it('believes identity headers from a trusted proxy, with groups split, trimmed and deduplicated', async () => {
    await expect(resolver.resolve(alice, '10.8.3.4')).resolves.toEqual({
      ok: true,
      identity: { user: 'alice', email: 'alice@example.com', groups: ['sre', 'ops'], via: 'header' },
    });
  });

  it('accepts a trusted IPv4 peer seen as IPv4-mapped IPv6 (dual-stack socket) and a trusted IPv6 peer', async () => {
    expect((await resolver.resolve(alice, '::ffff:127.0.0.1')).ok).toBe(true);
    expect((await resolver.resolve(alice, '::ffff:10.8.200.1')).ok).toBe(true);
    expect((await resolver.resolve(alice, 'fd00:1:2::9')).ok).toBe(true);
  });

  it.each(['192.168.1.5', '::ffff:192.168.1.5', '10.9.0.1', '127.0.0.2', 'fd00:2::1', '::1', '', 'garbage'])(
    'never believes a spoofed X-Forwarded-User from untrusted peer %j',
    async (peer) => {
      const result = await resolver.resolve({ 'x-forwarded-user': 'admin', 'x-forwarded-groups': 'sre' }, peer);
      expectDenied(result, /did not come through the SSO proxy/);
      expect(JSON.stringify(result)).not.toContain('admin');
    },
  );

  it('refuses a trusted request without the user header (no anonymous fallback)', async () => {
    expectDenied(
      await resolver.resolve({ 'x-forwarded-email': 'a@example.com', 'x-forwarded-groups': 'sre' }, '127.0.0.1'),
      /no x-forwarded-user header/,
    );
    expectDenied(await resolver.resolve({ 'x-forwarded-user': '   ' }, '127.0.0.1'), /user name is empty/);
  });

  it('refuses repeated identity headers as ambiguous', async () => {
    expectDenied(await resolver.resolve({ 'x-forwarded-user': ['alice', 'admin'] }, '127.0.0.1'), /repeated/);
    expectDenied(await resolver.resolve({ 'x-forwarded-user': 'alice', 'x-forwarded-groups': ['ops', 'sre'] }, '127.0.0.1'), /repeated/);
    // Node joins most repeated headers with ", ": a user name never contains a comma.
    expectDenied(await resolver.resolve({ 'x-forwarded-user': 'alice, admin' }, '127.0.0.1'), /comma/);
    // A single-element array is what headersDistinct gives for an ordinary header.
    expect((await resolver.resolve({ 'x-forwarded-user': ['alice'], 'x-forwarded-groups': ['sre'] }, '127.0.0.1')).ok).toBe(true);
  });

  it('refuses control characters and oversized values', async () => {
    expectDenied(await resolver.resolve({ 'x-forwarded-user': 'alice\u0000root' }, '127.0.0.1'), /control characters/);
    expectDenied(await resolver.resolve({ 'x-forwarded-user': 'a'.repeat(257) }, '127.0.0.1'), /longer than 256/);
    expectDenied(
      await resolver.resolve({ 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'ops,\u001bsre' }, '127.0.0.1'),
      /control characters/,
    );
    expectDenied(
      await resolver.resolve({ 'x-forwarded-user': 'alice', 'x-forwarded-email': 'a\tb@example.com' }, '127.0.0.1'),
      /control characters/,
    );
    const tooMany = Array.from({ length: 1001 }, (_, i) => `g${i}`).join(',');
    expectDenied(
      await resolver.resolve({ 'x-forwarded-user': 'alice', 'x-forwarded-groups': tooMany }, '127.0.0.1'),
      /more than 1000 groups/,
    );
  });

  it('decodes UTF-8 names that Node handed over as latin1', async () => {
    const wire = Buffer.from('张三', 'utf8').toString('latin1');
    const result = await resolver.resolve(
      { 'x-forwarded-user': wire, 'x-forwarded-groups': Buffer.from('运维,sre', 'utf8').toString('latin1') },
      '127.0.0.1',
    );
    expect(result).toEqual({ ok: true, identity: { user: '张三', groups: ['运维', 'sre'], via: 'header' } });
    expectDenied(await resolver.resolve({ 'x-forwarded-user': '\u00ff\u00fe' }, '127.0.0.1'), /not valid UTF-8/);
  });

  it('reads the configured header names', async () => {
    const custom = createIdentityResolver(
      authFrom({
        AUTH_MODE: 'header',
        TRUSTED_PROXY_CIDRS: '127.0.0.1',
        AUTH_HEADER_USER: 'X-Auth-Request-User',
        AUTH_HEADER_GROUPS: 'X-Auth-Request-Groups',
      }),
    );
    expectDenied(await custom.resolve({ 'x-forwarded-user': 'alice' }, '127.0.0.1'), /no x-auth-request-user header/);
    await expect(custom.resolve({ 'x-auth-request-user': 'bob', 'x-auth-request-groups': 'ops' }, '127.0.0.1')).resolves.toEqual({
      ok: true,
      identity: { user: 'bob', groups: ['ops'], via: 'header' },
    });
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('AUTH_MODE=jwt', () => {
  const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
  const nowS = Math.floor(NOW / 1000);
  const ISSUER = 'https://sso.example.com';
  const AUDIENCE = 'keypair-console';

  let server: http.Server;
  let base = '';
  /** What each JWKS path serves, and how often it was fetched. */
  const keySets = new Map<string, { keys: JWK[] }>();
  const fetches = new Map<string, number>();
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let rogue: { privateKey: CryptoKey; publicKey: CryptoKey };
  let rsaJwk: JWK;
  let ecJwk: JWK;
  let rogueJwk: JWK;
  let pathCounter = 0;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    rogue = await generateKeyPair('RS256');
    rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
    rogueJwk = { ...(await exportJWK(rogue.publicKey)), kid: 'rogue-1', alg: 'RS256', use: 'sig' };
    server = http.createServer((req, res) => {
      const path = req.url ?? '';
      fetches.set(path, (fetches.get(path) ?? 0) + 1);
      const body = keySets.get(path);
      if (body === undefined) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** A resolver with its own JWKS path, so fetch counts and key caches never leak between tests. */
  function setup(env: Record<string, string> = {}, keys: JWK[] = [rsaJwk, ecJwk], deps: Parameters<typeof createIdentityResolver>[1] = {}) {
    const path = `/jwks/${++pathCounter}`;
    keySets.set(path, { keys });
    const resolver = createIdentityResolver(
      authFrom({
        AUTH_MODE: 'jwt',
        JWT_HEADER: 'X-Jwt-Assertion',
        JWT_JWKS_URL: `${base}${path}`,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        ...env,
      }),
      { now: () => NOW, ...deps },
    );
    return { resolver, path, fetchCount: () => fetches.get(path) ?? 0, setKeys: (next: JWK[]) => keySets.set(path, { keys: next }) };
  }

  function sign(claims: JWTPayload, options: { key?: CryptoKey; alg?: string; kid?: string } = {}): Promise<string> {
    // Defaults first, so a test can override or (with undefined) drop any claim.
    const payload = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-123',
      iat: nowS - 10,
      exp: nowS + 300,
      email: 'alice@example.com',
      groups: ['sre', 'ops'],
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1', typ: 'JWT' })
      .sign(options.key ?? rsa.privateKey);
  }

  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

  async function denied(resolver: ReturnType<typeof setup>['resolver'], token: string, message: RegExp): Promise<void> {
    const result = await resolver.resolve({ 'x-jwt-assertion': token }, '203.0.113.1');
    expectDenied(result, message);
    // The token (or any piece of it) never comes back.
    for (const part of token.split('.').filter((p) => p.length > 8)) expect(JSON.stringify(result)).not.toContain(part);
  }

  it('accepts a valid RS256 token: user from email, groups from the groups claim', async () => {
    const { resolver } = setup();
    await expect(resolver.resolve({ 'x-jwt-assertion': await sign({}) }, '203.0.113.1')).resolves.toEqual({
      ok: true,
      identity: { user: 'alice@example.com', email: 'alice@example.com', groups: ['sre', 'ops'], via: 'jwt' },
    });
  });

  it('accepts a valid ES256 token; user falls back to sub, groups may be a comma-separated string', async () => {
    const { resolver } = setup();
    const token = await sign({ email: undefined, groups: ' sre , ops,sre' }, { key: ec.privateKey, alg: 'ES256', kid: 'ec-1' });
    await expect(resolver.resolve({ 'x-jwt-assertion': token }, '203.0.113.1')).resolves.toEqual({
      ok: true,
      identity: { user: 'user-123', groups: ['sre', 'ops'], via: 'jwt' },
    });
  });

  it('reads the configured user and groups claims', async () => {
    const { resolver } = setup({ JWT_USER_CLAIM: 'preferred_username', JWT_GROUPS_CLAIM: 'https://example.com/groups' });
    const token = await sign({ preferred_username: 'alice', 'https://example.com/groups': ['platform'] });
    await expect(resolver.resolve({ 'x-jwt-assertion': token }, '203.0.113.1')).resolves.toEqual({
      ok: true,
      identity: { user: 'alice', email: 'alice@example.com', groups: ['platform'], via: 'jwt' },
    });
  });

  it('refuses a token meant for another audience or from another issuer', async () => {
    const { resolver } = setup();
    await denied(resolver, await sign({ aud: 'another-app' }), /meant for another application/);
    await denied(resolver, await sign({ iss: 'https://evil.example.com' }), /issued by someone else/);
  });

  it('allows 60 s of clock skew on exp, not more', async () => {
    const { resolver } = setup();
    const justExpired = await sign({ exp: nowS - 30 });
    expect((await resolver.resolve({ 'x-jwt-assertion': justExpired }, '203.0.113.1')).ok).toBe(true);
    await denied(resolver, await sign({ exp: nowS - 120 }), /has expired/);
  });

  it('honours nbf (with the same skew) and requires exp', async () => {
    const { resolver } = setup();
    await denied(resolver, await sign({ nbf: nowS + 120 }), /not valid yet/);
    expect((await resolver.resolve({ 'x-jwt-assertion': await sign({ nbf: nowS + 30 }) }, '203.0.113.1')).ok).toBe(true);
    const noExp = await new SignJWT({ email: 'alice@example.com' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(rsa.privateKey);
    await denied(resolver, noExp, /"exp"|expiry/);
  });

  it('refuses a token issued in the future beyond the skew (jose alone checks iat only with a max age)', async () => {
    const { resolver } = setup();
    const tenYears = 10 * 365 * 24 * 3600;
    await denied(resolver, await sign({ iat: nowS + tenYears, exp: nowS + tenYears + 300 }), /issued in the future/);
    await denied(resolver, await sign({ iat: nowS + 120 }), /issued in the future/);
    expect((await resolver.resolve({ 'x-jwt-assertion': await sign({ iat: nowS + 30 }) }, '203.0.113.1')).ok).toBe(true);
    // A token without iat is still accepted when no maximum age is configured (exp bounds it).
    expect((await resolver.resolve({ 'x-jwt-assertion': await sign({ iat: undefined }) }, '203.0.113.1')).ok).toBe(true);
  });

  it('with JWT_MAX_AGE, refuses tokens issued longer ago (with the skew) and tokens without iat', async () => {
    const { resolver } = setup({ JWT_MAX_AGE: '3600' });
    expect((await resolver.resolve({ 'x-jwt-assertion': await sign({ iat: nowS - 3600 }) }, '203.0.113.1')).ok).toBe(true);
    await denied(resolver, await sign({ iat: nowS - 3600 - 120, exp: nowS + 300 }), /older than this console accepts/);
    await denied(resolver, await sign({ iat: undefined }), /no valid issue time/);
    await denied(resolver, await sign({ iat: nowS + 10 * 365 * 24 * 3600 }), /issued in the future/);
  });

  it('refuses an unsigned alg:none token', async () => {
    const { resolver } = setup();
    const payload = { iss: ISSUER, aud: AUDIENCE, sub: 'admin', email: 'admin@example.com', groups: ['sre'], exp: nowS + 300 };
    await denied(resolver, `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`, /algorithm/);
    await denied(resolver, `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(payload)}.${b64('x')}`, /algorithm/);
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const { resolver } = setup();
    const secret = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const forged = await new SignJWT({ email: 'admin@example.com', groups: ['sre'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(nowS + 300)
      .sign(secret);
    await denied(resolver, forged, /algorithm/);
  });

  it('refuses a token whose signature does not match the key its kid names', async () => {
    const { resolver } = setup();
    await denied(resolver, await sign({}, { key: rogue.privateKey, kid: 'rsa-1' }), /signature is not valid/);
  });

  it('refuses unknown kids and refetches the JWKS at most once per cooldown; a rotated-in key works after it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const { resolver, fetchCount, setKeys } = setup();
    expect((await resolver.resolve({ 'x-jwt-assertion': await sign({}) }, '203.0.113.1')).ok).toBe(true);
    expect(fetchCount()).toBe(1);

    const rogueToken = await sign({}, { key: rogue.privateKey, kid: 'rogue-1' });
    for (let i = 0; i < 5; i += 1) await denied(resolver, rogueToken, /key the issuer's key set does not contain/);
    expect(fetchCount()).toBe(1);

    // The issuer rotates a new key in; within the cooldown it is still unknown (no refetch storm)…
    setKeys([rsaJwk, rogueJwk]);
    vi.setSystemTime(NOW + 20_000);
    await denied(resolver, rogueToken, /key the issuer's key set does not contain/);
    expect(fetchCount()).toBe(1);

    // …and after it, one refetch picks the key up.
    vi.setSystemTime(NOW + 31_000);
    expect((await resolver.resolve({ 'x-jwt-assertion': rogueToken }, '203.0.113.1')).ok).toBe(true);
    expect((await resolver.resolve({ 'x-jwt-assertion': rogueToken }, '203.0.113.1')).ok).toBe(true);
    expect(fetchCount()).toBe(2);
  });

  it('fetches the JWKS through deps.fetch when given', async () => {
    const calls: string[] = [];
    const { resolver } = setup({}, [rsaJwk], {
      fetch: (input, init) => {
        calls.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      },
    });
    expect((await resolver.resolve({ 'x-jwt-assertion': await sign({}) }, '203.0.113.1')).ok).toBe(true);
    expect(calls).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/jwks\/\d+$/)]);
  });

  it('refuses malformed, missing and repeated assertions', async () => {
    const { resolver, fetchCount } = setup();
    expectDenied(await resolver.resolve({}, '203.0.113.1'), /carries no x-jwt-assertion header/);
    expectDenied(await resolver.resolve({ 'x-jwt-assertion': '' }, '203.0.113.1'), /carries no x-jwt-assertion header/);
    await denied(resolver, 'not-a-jwt', /malformed/);
    await denied(resolver, 'aaaa.bbbb.cccc', /malformed/);
    await denied(resolver, `${b64({ alg: 'RS256', kid: 'rsa-1' })}.not json at all.sig`, /malformed/);
    await denied(resolver, `${b64({ alg: 'RS256', kid: 'rsa-1' })}.${b64('just a string')}.${b64('sig')}`, /malformed|signature/);
    await denied(resolver, 'x'.repeat(13_000), /too long/);
    const token = await sign({});
    expectDenied(await resolver.resolve({ 'x-jwt-assertion': [token, token] }, '203.0.113.1'), /repeated/);
    expectDenied(await resolver.resolve({ 'x-jwt-assertion': `${token}, ${token}` }, '203.0.113.1'), /repeated/);
    expect(fetchCount()).toBeLessThanOrEqual(1);
  });

  it('reads Authorization: Bearer when configured with the Authorization header', async () => {
    const { resolver } = setup({ JWT_HEADER: 'Authorization' });
    const token = await sign({});
    expect((await resolver.resolve({ authorization: `Bearer ${token}` }, '203.0.113.1')).ok).toBe(true);
    expectDenied(await resolver.resolve({ authorization: token }, '203.0.113.1'), /not a Bearer token/);
    expectDenied(await resolver.resolve({ authorization: `Basic ${token}` }, '203.0.113.1'), /not a Bearer token/);
  });

  it('refuses tokens whose claims cannot name the user or list groups', async () => {
    const { resolver } = setup();
    await denied(resolver, await sign({ email: undefined, sub: undefined }), /names no user/);
    await denied(resolver, await sign({ groups: ['sre', 42] }), /not a list of group names/);
    await denied(resolver, await sign({ email: 'alice\n@example.com' }), /control characters/);
  });

  it('refuses (401, not a crash) when the issuer keys cannot be loaded', async () => {
    const { resolver, path } = setup();
    keySets.delete(path);
    await denied(resolver, await sign({}), /signing keys could not be loaded/);
  });
});
