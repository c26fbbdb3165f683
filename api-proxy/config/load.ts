import { unsetIfEmpty } from '#ecs/env';
import { isLoopbackHost } from '../net';
import { checkAuth } from './auth';
import type { EnvChecks } from './fields';
import { CONFIG_VARIABLES, ConfigSchema, envFields, type Config, type Env, type EnvName } from './schema';

/**
 * Reading the configuration: every variable through the one schema (schema.ts), then the rules across
 * variables, every problem reported at once and loud warnings for insecure combinations
 * (docs/conventions.md#fail-fast-on-configuration). Pure: `loadConfig` is handed the environment and does no
 * I/O, so `server.ts` stays the only place that reads `process.env` (docs/conventions.md#fastify-demo).
 */

export type LoadConfigResult = { ok: true; config: Config; warnings: string[] } | { ok: false; errors: string[] };

/**
 * Validates the whole environment and lists every problem at once as `VAR: message`; on success, also the
 * warnings `server.ts` must print loudly. Never echoes secret values.
 */
export function loadConfig(env: Record<string, string | undefined>): LoadConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const values: Partial<Record<EnvName, unknown>> = {};
  for (const name of CONFIG_VARIABLES) {
    const result = envFields[name].safeParse(env[name]);
    if (result.success) values[name] = result.data;
    else for (const issue of result.error.issues) errors.push(`${name}: ${issue.message}`);
  }
  // Parsed fields only: a variable that failed above is simply absent, so the cross-field rules below skip it.
  const v = values as Partial<Env>;
  const isSet = (name: string): boolean => unsetIfEmpty(env[name]) !== undefined;
  const setAmong = (prefix: string, except: readonly string[] = []): string[] =>
    Object.keys(env)
      .filter((name) => name.startsWith(prefix) && !except.includes(name) && isSet(name))
      .sort();
  const checks: EnvChecks = { errors, warnings, isSet, setAmong };

  checkAuth(v, checks);
  checkEcs(v, checks);

  // --- Upstream.
  if (
    v.UPSTREAM_TIMEOUT_MS !== undefined &&
    v.UPSTREAM_CONNECT_TIMEOUT_MS !== undefined &&
    v.UPSTREAM_TIMEOUT_MS < v.UPSTREAM_CONNECT_TIMEOUT_MS
  ) {
    errors.push(`UPSTREAM_TIMEOUT_MS: must be at least UPSTREAM_CONNECT_TIMEOUT_MS (${v.UPSTREAM_CONNECT_TIMEOUT_MS})`);
  }

  // --- Audit (docs/product.md#audit-before-and-after: every mutating call is audited durably).
  if (v.AUDIT_DB === ':memory:') warnings.push('AUDIT_DB=:memory: the audit trail and pending activations are lost when the proxy stops');

  if (errors.length > 0) return { ok: false, errors };
  // Every variable parsed above, so the whole schema does too.
  return { ok: true, config: ConfigSchema.parse(env), warnings };
}

/** ECS (docs/product.md#upstream-host-built-by-the-proxy: the proxy builds the upstream host itself). */
function checkEcs(v: Partial<Env>, { warnings, isSet, setAmong }: EnvChecks): void {
  if (v.ECS_MODE === 'sim') {
    if (isSet('ECS_ENDPOINT')) warnings.push('ECS_ENDPOINT: ignored with ECS_MODE=sim (requests go to the in-process simulator)');
  } else if (v.ECS_MODE === 'live') {
    if (v.ECS_ENDPOINT !== undefined) {
      const endpoint = new URL(v.ECS_ENDPOINT);
      if (endpoint.protocol === 'http:' && !isLoopbackHost(endpoint.hostname)) {
        warnings.push(
          `ECS_ENDPOINT: ${v.ECS_ENDPOINT} is plain http to a non-loopback host: signatures do not reveal the secret, but every request and response (instances, IPs, key pair names) crosses the network unencrypted`,
        );
      }
      if (isSet('ECS_NETWORK')) warnings.push('ECS_NETWORK: ignored because ECS_ENDPOINT is set');
    }
    const simVars = setAmong('SIM_');
    if (simVars.length > 0) warnings.push(`${simVars.join(', ')}: ignored with ECS_MODE=live`);
  }
}
