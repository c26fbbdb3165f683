import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readSimConfig } from '../../sim/main';
import { loadConfig } from './load';
import type { LoadConfigResult } from './load';
import type { Config } from './schema';

function ok(result: LoadConfigResult): { config: Config; warnings: string[] } {
  if (!result.ok) throw new Error(`expected a valid configuration, got:\n${result.errors.join('\n')}`);
  return result;
}

function errorsOf(result: LoadConfigResult): string[] {
  if (result.ok) throw new Error('expected configuration errors, got a valid configuration');
  return result.errors;
}

/** The folder with package.json, two up from this file. */
const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

const HEADER_ENV = { AUTH_MODE: 'header', TRUSTED_PROXY_CIDRS: '10.0.0.0/8', HOST: '0.0.0.0', PUBLIC_ORIGIN: 'https://keys.example.com' };
const JWT_ENV = {
  AUTH_MODE: 'jwt',
  HOST: '0.0.0.0',
  PUBLIC_ORIGIN: 'https://keys.example.com',
  JWT_PRESET: 'cloudflare',
  JWT_JWKS_URL: 'https://team.cloudflareaccess.com/cdn-cgi/access/certs',
  JWT_ISSUER: 'https://team.cloudflareaccess.com',
  JWT_AUDIENCE: 'aud-tag',
};

describe('loadConfig: defaults', () => {
  it('runs from an empty environment: sim mode on loopback, no auth, with the no-auth warning', () => {
    const { config, warnings } = ok(loadConfig({}));
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      webDist: 'dist/web',
      publicOrigins: undefined,
      trustedProxyCidrs: [],
      rateLimitPerMinute: 1200,
      ecs: { mode: 'sim', network: 'public', endpoint: undefined, bootstrapRegion: 'cn-hangzhou' },
      upstream: { connectTimeoutMs: 3000, timeoutMs: 15_000, concurrency: 8, maxRetries: 4 },
      runs: { attachInFlight: 4, pollMs: 5000 },
      activationUsers: ['root', 'ecs-user'],
      sim: {
        seed: undefined,
        instances: 300,
        latencyMs: 0,
        jitterMs: 0,
        port: 0,
        accessKeyId: 'sim-access-key-id',
        accessKeySecret: 'sim-access-key-secret',
        control: false,
      },
      auth: { mode: 'none' },
      roles: { view: ['*'], attach: [], power: [] },
      auditDb: path.join(PROJECT_ROOT, 'data', 'audit.sqlite'),
    } satisfies Config);
    expect(warnings).toEqual([expect.stringContaining("no authentication: every request acts as 'local operator'")]);
  });

  it('treats empty and blank variables as unset', () => {
    const { config } = ok(loadConfig({ PORT: '', HOST: '  ', AUTH_MODE: '', ROLE_VIEW_GROUPS: ' ' }));
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.auth.mode).toBe('none');
    expect(config.roles.view).toEqual(['*']);
  });

  it('reads only the environment it is given, never process.env', () => {
    vi.stubEnv('PORT', '1234');
    vi.stubEnv('AUTH_MODE', 'jwt');
    try {
      const { config } = ok(loadConfig({}));
      expect(config.port).toBe(8080);
      expect(config.auth.mode).toBe('none');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('reads every general variable', () => {
    const { config } = ok(
      loadConfig({
        HOST: 'localhost',
        PORT: '0',
        LOG_LEVEL: 'DEBUG',
        WEB_DIST: '/srv/console',
        PUBLIC_ORIGIN: 'https://keys.example.com, http://localhost:5173/ ,https://keys.example.com',
        UPSTREAM_CONNECT_TIMEOUT_MS: '1000',
        UPSTREAM_TIMEOUT_MS: '1000',
        UPSTREAM_CONCURRENCY: '8',
        UPSTREAM_MAX_RETRIES: '0',
        AUDIT_DB: '/var/lib/console/audit.sqlite',
      }),
    );
    expect(config).toMatchObject({
      host: 'localhost',
      port: 0,
      logLevel: 'debug',
      webDist: '/srv/console',
      publicOrigins: ['https://keys.example.com', 'http://localhost:5173'],
      upstream: { connectTimeoutMs: 1000, timeoutMs: 1000, concurrency: 8, maxRetries: 0 },
      auditDb: '/var/lib/console/audit.sqlite',
    });
  });
});

describe('loadConfig: ACTIVATION_USERS', () => {
  it('defaults to root and ecs-user, and reads a list without repeats', () => {
    expect(ok(loadConfig({})).config.activationUsers).toEqual(['root', 'ecs-user']);
    expect(ok(loadConfig({ ACTIVATION_USERS: ' ecs-user , admin,ecs-user' })).config.activationUsers).toEqual(['ecs-user', 'admin']);
  });

  it('names every user the key script would refuse, and refuses an empty list', () => {
    const errors = errorsOf(loadConfig({ ACTIVATION_USERS: 'root, Admin, ../etc, $(id), ok_user' }));
    expect(errors).toHaveLength(3);
    expect(errors.every((line) => line.startsWith('ACTIVATION_USERS: '))).toBe(true);
    expect(errors.join('\n')).toContain('"Admin"');
    expect(errors.join('\n')).toContain('"../etc"');
    expect(errors.join('\n')).toContain('"$(id)"');
    expect(errorsOf(loadConfig({ ACTIVATION_USERS: ' , ,' }))).toEqual(['ACTIVATION_USERS: must name at least one user']);
  });
});

describe('loadConfig: the audit database path', () => {
  it('is absolute, with a relative AUDIT_DB taken from the project folder whatever the working directory', () => {
    expect(existsSync(path.join(PROJECT_ROOT, 'package.json'))).toBe(true);
    const cwd = process.cwd();
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'config-cwd-'));
    process.chdir(elsewhere);
    try {
      expect(ok(loadConfig({})).config.auditDb).toBe(path.join(PROJECT_ROOT, 'data', 'audit.sqlite'));
      expect(ok(loadConfig({ AUDIT_DB: 'trail/../trails/audit.sqlite' })).config.auditDb).toBe(
        path.join(PROJECT_ROOT, 'trails', 'audit.sqlite'),
      );
      expect(ok(loadConfig({ AUDIT_DB: '/var/lib/console/audit.sqlite' })).config.auditDb).toBe('/var/lib/console/audit.sqlite');
      expect(ok(loadConfig({ AUDIT_DB: ':memory:' })).config.auditDb).toBe(':memory:');
    } finally {
      process.chdir(cwd);
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('loadConfig: every problem at once', () => {
  it('lists one "VAR: message" line per problem, across unrelated variables', () => {
    const errors = errorsOf(
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        ECS_MODE: 'production',
        ECS_BOOTSTRAP_REGION: 'ecs.evil.com',
        UPSTREAM_CONCURRENCY: '0',
        UPSTREAM_MAX_RETRIES: '11',
        SIM_INSTANCES: '-1',
        AUTH_MODE: 'header',
        TRUSTED_PROXY_CIDRS: '10.0.0.0/33, 10.1.0.0/16, not-an-ip',
        ROLE_ADMIN_GROUPS: 'ops',
      }),
    );
    const byVar = errors.map((line) => line.split(':')[0]);
    expect(byVar).toEqual(
      expect.arrayContaining([
        'PORT',
        'LOG_LEVEL',
        'ECS_MODE',
        'ECS_BOOTSTRAP_REGION',
        'UPSTREAM_CONCURRENCY',
        'UPSTREAM_MAX_RETRIES',
        'SIM_INSTANCES',
        'TRUSTED_PROXY_CIDRS',
        'ROLE_ADMIN_GROUPS',
      ]),
    );
    // Both bad CIDRs are named, the good one is not.
    const cidrErrors = errors.filter((line) => line.startsWith('TRUSTED_PROXY_CIDRS:'));
    expect(cidrErrors).toHaveLength(2);
    expect(cidrErrors.join('\n')).toContain('"10.0.0.0/33"');
    expect(cidrErrors.join('\n')).toContain('"not-an-ip"');
    expect(errors.every((line) => /^[A-Z_]+: \S/.test(line))).toBe(true);
  });

  it('checks rules across variables even when other variables are invalid', () => {
    const errors = errorsOf(loadConfig({ PORT: 'x', AUTH_MODE: 'jwt', UPSTREAM_CONNECT_TIMEOUT_MS: '5000', UPSTREAM_TIMEOUT_MS: '4000' }));
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^JWT_HEADER: required/),
        'JWT_JWKS_URL: required with AUTH_MODE=jwt',
        'JWT_ISSUER: required with AUTH_MODE=jwt',
        'JWT_AUDIENCE: required with AUTH_MODE=jwt',
        expect.stringMatching(/^UPSTREAM_TIMEOUT_MS: must be at least UPSTREAM_CONNECT_TIMEOUT_MS/),
      ]),
    );
  });

  it('never echoes the simulator secret', () => {
    const secret = 'x'.repeat(300);
    const errors = errorsOf(loadConfig({ SIM_ACCESS_KEY_SECRET: secret }));
    expect(errors).toEqual([expect.stringMatching(/^SIM_ACCESS_KEY_SECRET: /)]);
    expect(errors.join('\n')).not.toContain('xxxxxxxx');
  });
});

describe('loadConfig: AUTH_MODE=none', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', 'localhost', '::ffff:127.0.0.1'])('is allowed on loopback HOST %s', (host) => {
    expect(loadConfig({ HOST: host }).ok).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', 'console.internal'])('is refused on non-loopback HOST %s', (host) => {
    expect(errorsOf(loadConfig({ HOST: host }))).toEqual([
      expect.stringMatching(/^AUTH_MODE: "none" is allowed only when HOST is a loopback address/),
    ]);
  });

  it('says the ROLE_ variables are ignored', () => {
    const { config, warnings } = ok(loadConfig({ ROLE_ATTACH_GROUPS: 'ops' }));
    expect(config.roles.attach).toEqual(['ops']);
    expect(warnings).toContainEqual(expect.stringMatching(/^ROLE_ATTACH_GROUPS: ignored with AUTH_MODE=none/));
  });

  it('rejects a HOST that is not a host', () => {
    expect(errorsOf(loadConfig({ HOST: '[::1]' }))).toEqual([expect.stringMatching(/^HOST: /)]);
    expect(errorsOf(loadConfig({ HOST: 'a/b' }))).toEqual([expect.stringMatching(/^HOST: /)]);
  });
});

describe('loadConfig: AUTH_MODE=header', () => {
  it('needs TRUSTED_PROXY_CIDRS', () => {
    expect(errorsOf(loadConfig({ AUTH_MODE: 'header', PUBLIC_ORIGIN: 'https://keys.example.com' }))).toEqual([
      expect.stringMatching(/^TRUSTED_PROXY_CIDRS: required with AUTH_MODE=header/),
    ]);
    expect(errorsOf(loadConfig({ AUTH_MODE: 'header', PUBLIC_ORIGIN: 'https://keys.example.com', TRUSTED_PROXY_CIDRS: ' , ' }))).toEqual([
      'TRUSTED_PROXY_CIDRS: lists no address',
    ]);
  });

  it('reads IPv4/IPv6 CIDRs and single addresses, lowercase header names, and needs no loopback HOST', () => {
    const { config, warnings } = ok(
      loadConfig({
        ...HEADER_ENV,
        TRUSTED_PROXY_CIDRS: '10.0.0.0/8, 192.168.1.7, fd00::/8, ::1, ::ffff:172.16.0.0/108',
        AUTH_HEADER_USER: 'X-Auth-Request-User',
        AUTH_HEADER_EMAIL: 'X-Auth-Request-Email',
        AUTH_HEADER_GROUPS: 'X-Auth-Request-Groups',
        ROLE_ATTACH_GROUPS: 'sre, ops ,sre',
        ROLE_POWER_GROUPS: 'sre',
      }),
    );
    expect(config.auth).toEqual({
      mode: 'header',
      trustedProxyCidrs: ['10.0.0.0/8', '192.168.1.7/32', 'fd00::/8', '::1/128', '172.16.0.0/12'],
      userHeader: 'x-auth-request-user',
      emailHeader: 'x-auth-request-email',
      groupsHeader: 'x-auth-request-groups',
    });
    expect(config.roles).toEqual({ view: ['*'], attach: ['sre', 'ops'], power: ['sre'] });
    expect(warnings).toEqual([]);
  });

  it('uses the oauth2-proxy header names by default', () => {
    const { config } = ok(loadConfig(HEADER_ENV));
    expect(config.auth).toMatchObject({
      userHeader: 'x-forwarded-user',
      emailHeader: 'x-forwarded-email',
      groupsHeader: 'x-forwarded-groups',
    });
  });

  it.each(['0.0.0.0/0', '::/0'])('warns loudly that %s trusts everyone', (cidr) => {
    const { warnings } = ok(
      loadConfig({ ...HEADER_ENV, TRUSTED_PROXY_CIDRS: `10.0.0.1, ${cidr}`, ROLE_ATTACH_GROUPS: 'a', ROLE_POWER_GROUPS: 'a' }),
    );
    expect(warnings).toEqual([expect.stringContaining('anyone who can reach the proxy can claim to be anyone')]);
  });

  it('warns that empty attach/power roles mean nobody, and that * means everybody', () => {
    expect(ok(loadConfig(HEADER_ENV)).warnings).toEqual([
      'ROLE_ATTACH_GROUPS is empty: nobody can attach key pairs',
      'ROLE_POWER_GROUPS is empty: nobody can reboot or start instances',
    ]);
    expect(ok(loadConfig({ ...HEADER_ENV, ROLE_ATTACH_GROUPS: '*', ROLE_POWER_GROUPS: 'ops' })).warnings).toEqual([
      'ROLE_ATTACH_GROUPS=*: every authenticated user can attach key pairs',
    ]);
  });

  it('refuses two identity fields read from the same header', () => {
    expect(errorsOf(loadConfig({ ...HEADER_ENV, AUTH_HEADER_EMAIL: 'x-forwarded-USER' }))).toEqual([
      'AUTH_HEADER_EMAIL: must differ from AUTH_HEADER_USER (both are x-forwarded-user)',
    ]);
  });

  it('refuses header names that are not HTTP tokens', () => {
    expect(errorsOf(loadConfig({ ...HEADER_ENV, AUTH_HEADER_USER: 'X User' }))).toEqual([expect.stringMatching(/^AUTH_HEADER_USER: /)]);
  });

  it('says JWT variables are ignored', () => {
    const { warnings } = ok(loadConfig({ ...HEADER_ENV, JWT_ISSUER: 'x', ROLE_ATTACH_GROUPS: 'a', ROLE_POWER_GROUPS: 'a' }));
    expect(warnings).toEqual(['JWT_ISSUER: ignored with AUTH_MODE=header']);
  });
});

describe('loadConfig: AUTH_MODE=jwt', () => {
  it.each([
    ['cloudflare', 'cf-access-jwt-assertion'],
    ['pomerium', 'x-pomerium-jwt-assertion'],
    ['iap', 'x-goog-iap-jwt-assertion'],
  ])('preset %s reads the %s header', (preset, header) => {
    const { config } = ok(loadConfig({ ...JWT_ENV, JWT_PRESET: preset }));
    expect(config.auth).toEqual({
      mode: 'jwt',
      header,
      jwksUrl: 'https://team.cloudflareaccess.com/cdn-cgi/access/certs',
      issuer: 'https://team.cloudflareaccess.com',
      audience: ['aud-tag'],
      userClaim: 'email',
      groupsClaim: 'groups',
      algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
    });
  });

  it('reads an explicit header, audiences, claims and algorithms', () => {
    const { config } = ok(
      loadConfig({
        ...JWT_ENV,
        JWT_PRESET: '',
        JWT_HEADER: 'Authorization',
        JWT_AUDIENCE: 'console, console-staging',
        JWT_USER_CLAIM: 'preferred_username',
        JWT_GROUPS_CLAIM: 'https://example.com/groups',
        JWT_ALGORITHMS: 'es384, rs256',
      }),
    );
    expect(config.auth).toMatchObject({
      header: 'authorization',
      audience: ['console', 'console-staging'],
      userClaim: 'preferred_username',
      groupsClaim: 'https://example.com/groups',
      algorithms: ['ES384', 'RS256'],
    });
  });

  it('refuses symmetric and unsigned algorithms', () => {
    const errors = errorsOf(loadConfig({ ...JWT_ENV, JWT_ALGORITHMS: 'RS256,HS256,none,XYZ' }));
    expect(errors).toEqual([
      expect.stringMatching(/^JWT_ALGORITHMS: "HS256" is symmetric/),
      expect.stringMatching(/^JWT_ALGORITHMS: "none" means unsigned/),
      expect.stringMatching(/^JWT_ALGORITHMS: "XYZ" is not one of/),
    ]);
  });

  it('needs https for the JWKS unless the host is loopback', () => {
    expect(errorsOf(loadConfig({ ...JWT_ENV, JWT_JWKS_URL: 'http://sso.example.com/jwks' }))).toEqual([
      expect.stringMatching(/^JWT_JWKS_URL: .*must use https/),
    ]);
    for (const url of ['http://127.0.0.1:9000/jwks', 'http://localhost/jwks', 'http://[::1]:9000/jwks']) {
      expect(ok(loadConfig({ ...JWT_ENV, JWT_JWKS_URL: url })).config.auth).toMatchObject({ jwksUrl: url });
    }
    expect(errorsOf(loadConfig({ ...JWT_ENV, JWT_JWKS_URL: 'https://user:pw@sso.example.com/jwks' }))).toEqual([
      expect.stringMatching(/^JWT_JWKS_URL: .*must not contain credentials/),
    ]);
    expect(errorsOf(loadConfig({ ...JWT_ENV, JWT_JWKS_URL: 'file:///etc/jwks.json' }))).toEqual([expect.stringMatching(/^JWT_JWKS_URL: /)]);
  });

  it('refuses a JWT_HEADER that contradicts JWT_PRESET', () => {
    expect(errorsOf(loadConfig({ ...JWT_ENV, JWT_HEADER: 'x-other' }))).toEqual([
      expect.stringMatching(/^JWT_HEADER: conflicts with JWT_PRESET=cloudflare/),
    ]);
    expect(loadConfig({ ...JWT_ENV, JWT_HEADER: 'Cf-Access-Jwt-Assertion' }).ok).toBe(true);
  });

  it('refuses an unknown preset', () => {
    expect(errorsOf(loadConfig({ ...JWT_ENV, JWT_PRESET: 'okta' }))).toEqual([
      expect.stringMatching(/^JWT_PRESET: must be one of cloudflare, pomerium, iap/),
    ]);
  });

  it('says identity-header variables are ignored, but keeps TRUSTED_PROXY_CIDRS for forwarded headers', () => {
    const { config, warnings } = ok(
      loadConfig({
        ...JWT_ENV,
        TRUSTED_PROXY_CIDRS: '10.0.0.0/8',
        AUTH_HEADER_USER: 'x-user',
        ROLE_ATTACH_GROUPS: 'a',
        ROLE_POWER_GROUPS: 'a',
      }),
    );
    expect(warnings).toEqual(['AUTH_HEADER_USER: ignored with AUTH_MODE=jwt']);
    expect(config.trustedProxyCidrs).toEqual(['10.0.0.0/8']);
  });

  it('reads JWT_MAX_AGE in seconds, and refuses what is not one', () => {
    expect(ok(loadConfig(JWT_ENV)).config.auth).not.toHaveProperty('maxAgeSeconds');
    expect(ok(loadConfig({ ...JWT_ENV, JWT_MAX_AGE: '3600' })).config.auth).toMatchObject({ maxAgeSeconds: 3600 });
    for (const bad of ['0', '-5', '1h', '1.5', String(366 * 24 * 3600)]) {
      expect(errorsOf(loadConfig({ ...JWT_ENV, JWT_MAX_AGE: bad })), bad).toEqual([expect.stringMatching(/^JWT_MAX_AGE: /)]);
    }
  });
});

describe('loadConfig: roles', () => {
  it('rejects unknown ROLE_ variables (a typo would silently leave a role empty)', () => {
    expect(errorsOf(loadConfig({ ROLE_ATACH_GROUPS: 'ops' }))).toEqual([
      expect.stringMatching(/^ROLE_ATACH_GROUPS: unknown role variable/),
    ]);
  });

  it('allows "*" only on its own and refuses control characters', () => {
    const errors = errorsOf(loadConfig({ ROLE_VIEW_GROUPS: 'ops*', ROLE_POWER_GROUPS: 'a\u0007b' }));
    expect(errors).toEqual([
      expect.stringMatching(/^ROLE_VIEW_GROUPS: "ops\*": "\*" is allowed only on its own/),
      expect.stringMatching(/^ROLE_POWER_GROUPS: /),
    ]);
  });
});

describe('loadConfig: ECS', () => {
  it('ignores ECS_ENDPOINT in sim mode, with a warning', () => {
    const { config, warnings } = ok(loadConfig({ ECS_ENDPOINT: 'https://ecs.internal' }));
    expect(config.ecs.endpoint).toBeUndefined();
    expect(warnings).toContainEqual(expect.stringMatching(/^ECS_ENDPOINT: ignored with ECS_MODE=sim/));
  });

  it('uses ECS_ENDPOINT as an origin in live mode', () => {
    const { config, warnings } = ok(loadConfig({ ECS_MODE: 'live', ECS_NETWORK: 'vpc', ECS_ENDPOINT: 'https://ECS-gw.internal:8443/' }));
    expect(config.ecs).toEqual({ mode: 'live', network: 'vpc', endpoint: 'https://ecs-gw.internal:8443', bootstrapRegion: 'cn-hangzhou' });
    expect(warnings).toContainEqual('ECS_NETWORK: ignored because ECS_ENDPOINT is set');
  });

  it('warns loudly about plain http to a non-loopback ECS endpoint, not to a loopback one', () => {
    expect(ok(loadConfig({ ECS_MODE: 'live', ECS_ENDPOINT: 'http://10.1.2.3:8080' })).warnings).toContainEqual(
      expect.stringMatching(/^ECS_ENDPOINT: http:\/\/10\.1\.2\.3:8080 is plain http to a non-loopback host/),
    );
    expect(
      ok(loadConfig({ ECS_MODE: 'live', ECS_ENDPOINT: 'http://127.0.0.1:9090' })).warnings.some((w) => w.startsWith('ECS_ENDPOINT')),
    ).toBe(false);
  });

  it.each(['https://ecs.internal/api', 'https://ecs.internal/?x=1', 'https://ak:sk@ecs.internal', 'ftp://ecs.internal', 'ecs.internal'])(
    'refuses ECS_ENDPOINT %s',
    (endpoint) => {
      expect(errorsOf(loadConfig({ ECS_MODE: 'live', ECS_ENDPOINT: endpoint }))).toEqual([expect.stringMatching(/^ECS_ENDPOINT: /)]);
    },
  );

  it('says SIM_ variables are ignored in live mode', () => {
    expect(ok(loadConfig({ ECS_MODE: 'live', SIM_SEED: 'x' })).warnings).toContainEqual('SIM_SEED: ignored with ECS_MODE=live');
  });

  it('validates the bootstrap region with the contract rule', () => {
    expect(ok(loadConfig({ ECS_BOOTSTRAP_REGION: 'ap-southeast-1' })).config.ecs.bootstrapRegion).toBe('ap-southeast-1');
    expect(errorsOf(loadConfig({ ECS_BOOTSTRAP_REGION: 'cn-hangzhou.evil.com' }))).toEqual([
      expect.stringMatching(/^ECS_BOOTSTRAP_REGION: /),
    ]);
  });
});

describe('loadConfig: PUBLIC_ORIGIN, TRUSTED_PROXY_CIDRS and RATE_LIMIT_PER_MINUTE', () => {
  it.each([
    ['header', HEADER_ENV],
    ['jwt', JWT_ENV],
  ])('requires PUBLIC_ORIGIN with AUTH_MODE=%s, listed with every other problem', (mode, env) => {
    const errors = errorsOf(loadConfig({ ...env, PUBLIC_ORIGIN: '', PORT: 'x' }));
    expect(errors).toEqual([
      expect.stringMatching(/^PORT: /),
      `PUBLIC_ORIGIN: required with AUTH_MODE=${mode} (the origin operators open the console at, e.g. https://keys.example.com)`,
    ]);
    expect(errorsOf(loadConfig({ ...env, PUBLIC_ORIGIN: ' , ' }))).toEqual(['PUBLIC_ORIGIN: lists no origin']);
  });

  it('leaves PUBLIC_ORIGIN optional without SSO, and reads TRUSTED_PROXY_CIDRS for forwarded headers there too', () => {
    const { config, warnings } = ok(loadConfig({ TRUSTED_PROXY_CIDRS: '127.0.0.1, ::ffff:127.0.0.2' }));
    expect(config.publicOrigins).toBeUndefined();
    expect(config.trustedProxyCidrs).toEqual(['127.0.0.1/32', '127.0.0.2/32']);
    expect(warnings.filter((w) => w.includes('TRUSTED_PROXY_CIDRS'))).toEqual([]);
    expect(ok(loadConfig({ TRUSTED_PROXY_CIDRS: '0.0.0.0/0' })).warnings).toContainEqual(
      expect.stringMatching(/^TRUSTED_PROXY_CIDRS: 0\.0\.0\.0\/0 believes X-Forwarded/),
    );
  });

  it('reads RATE_LIMIT_PER_MINUTE (0 = off) and refuses what is not a whole number', () => {
    expect(ok(loadConfig({})).config.rateLimitPerMinute).toBe(1200);
    expect(ok(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' })).config.rateLimitPerMinute).toBe(0);
    expect(ok(loadConfig({ RATE_LIMIT_PER_MINUTE: '60' })).config.rateLimitPerMinute).toBe(60);
    expect(errorsOf(loadConfig({ RATE_LIMIT_PER_MINUTE: 'lots' }))).toEqual([expect.stringMatching(/^RATE_LIMIT_PER_MINUTE: /)]);
  });
});

describe('loadConfig: PUBLIC_ORIGIN and AUDIT_DB', () => {
  it.each(['*', 'https://keys.example.com/app', 'keys.example.com'])('refuses origin %s', (origin) => {
    expect(errorsOf(loadConfig({ PUBLIC_ORIGIN: origin }))).toEqual([expect.stringMatching(/^PUBLIC_ORIGIN: /)]);
  });

  it('warns that an in-memory audit trail is not durable', () => {
    expect(ok(loadConfig({ AUDIT_DB: ':memory:' })).warnings).toContainEqual(expect.stringMatching(/^AUDIT_DB=:memory:/));
  });
});

describe('loadConfig: SIM_ variables agree with readSimConfig (sim-main.ts)', () => {
  const samples: Record<string, string>[] = [
    {},
    { SIM_SEED: 'demo', SIM_INSTANCES: '10000', SIM_LATENCY_MS: '120', SIM_JITTER_MS: '', SIM_PORT: '9091' },
    { SIM_ACCESS_KEY_ID: 'LTAI-sim', SIM_ACCESS_KEY_SECRET: 's3cret with spaces' },
    { SIM_ACCESS_KEY_ID: 'has,comma' },
    { SIM_INSTANCES: '100001' },
    { SIM_LATENCY_MS: '1.5' },
    { SIM_SEED: 's'.repeat(201) },
    { SIM_PORT: '65536' },
  ];
  it.each(samples)('%o', (env) => {
    const ours = loadConfig(env);
    const theirs = readSimConfig(env);
    expect(ours.ok).toBe(theirs.ok);
    if (ours.ok && theirs.ok) {
      // SIM_HOST is the standalone simulator's alone (the in-process one is always on loopback).
      // SIM_CONTROL is the in-process simulator's alone: the standalone one is a test tool and keeps its door on.
      expect({ ...ours.config.sim, port: undefined, control: undefined }).toEqual({
        ...theirs.config,
        port: undefined,
        host: undefined,
        control: undefined,
      });
      // Only the default port differs: 0 (ephemeral, in-process) here, 9090 for the standalone simulator.
      expect(ours.config.sim.port).toBe(env.SIM_PORT === undefined ? 0 : theirs.config.port);
    } else if (!ours.ok && !theirs.ok) {
      expect(ours.errors.map((line) => line.split(':')[0]).sort()).toEqual(theirs.problems.map((line) => line.split(':')[0]).sort());
    }
  });
});
