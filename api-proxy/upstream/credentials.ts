import CredentialModule from '@alicloud/credentials';
import type { Credentials } from '../../acs-signature';

/**
 * Where the proxy's cloud credentials come from (docs/product.md#no-credentials-in-the-browser: the browser never sees one; only
 * the proxy signs). A `CredentialSource` is asked once per signed attempt, so a rotated STS token is picked up
 * by the next retry; it never exposes a secret through its own properties, so logging or serialising the
 * source itself is safe.
 */

export type { Credentials } from '../../acs-signature';

export interface CredentialSource {
  /** Current credentials. Rejects when none can be had; the error message never contains a secret. */
  get(): Promise<Credentials>;
  /** For logs and health output: e.g. `static (simulator)` or the provider that answered. Never a secret. */
  readonly description: string;
}

/** Thrown by a `CredentialSource` when it cannot produce credentials. */
export class CredentialsUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialsUnavailableError';
  }
}

function checked(c: Credentials, from: string): Credentials {
  if (typeof c.accessKeyId !== 'string' || c.accessKeyId === '' || typeof c.accessKeySecret !== 'string' || c.accessKeySecret === '') {
    throw new CredentialsUnavailableError(`${from} gave no AccessKey ID and secret`);
  }
  const pair = { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret };
  // An empty token means "not STS"; signing an empty x-acs-security-token would be refused (docs/ecs-notes.md#signer-notes).
  return c.securityToken === undefined || c.securityToken === '' ? pair : { ...pair, securityToken: c.securityToken };
}

/**
 * Fixed credentials: the simulator's AccessKey pair in demo mode, or a pair the operator configured. Checked
 * once at creation (fail fast, docs/conventions.md#fail-fast-on-configuration); every `get()` returns a fresh copy so no caller can change
 * what the next one signs with.
 */
export function staticCredentials(c: Credentials, description: string): CredentialSource {
  const value = checked(c, `static credentials (${description})`);
  return {
    description,
    get: () => Promise.resolve({ ...value }),
  };
}

/** The slice of `@alicloud/credentials`' `Credential` class that we use (docs/ecs-notes.md#credentials-api). */
interface CredentialClient {
  getCredential(): Promise<{ accessKeyId?: string; accessKeySecret?: string; securityToken?: string; providerName?: string }>;
}
type CredentialConstructor = new () => CredentialClient;

/**
 * The package is CommonJS with `exports.default = Credential`. Bundlers and vitest's interop hand us the
 * class as the default import; Node's own ESM loader (tsx, `node` on built output) hands us `module.exports`,
 * whose `.default` is the class. Accept both rather than depend on which loader runs the proxy.
 */
function credentialConstructor(): CredentialConstructor {
  const imported: unknown = CredentialModule;
  if (typeof imported === 'function') return imported as CredentialConstructor;
  const inner = typeof imported === 'object' && imported !== null ? (imported as { default?: unknown }).default : undefined;
  if (typeof inner === 'function') return inner as CredentialConstructor;
  throw new CredentialsUnavailableError('@alicloud/credentials does not export the Credential class');
}

const CHAIN = 'default credential chain';

/**
 * The official default chain (docs/ecs-notes.md#credentials-chain): environment, OIDC/RRSA, Aliyun CLI profile, the INI file,
 * the ECS instance RAM role, a credentials URI; STS tokens included. The library caches session credentials
 * and refreshes them before they expire, so calling `get()` per attempt is cheap.
 *
 * Built lazily on the first `get()`, so creating the source has no side effects (the chain reads environment
 * variables and files when it is constructed). After a failed `get()` the chain is built afresh next time:
 * the 2.4.7 chain remembers the *last provider it tried* even when every provider failed, so one early failure
 * (say, credentials not yet mounted) would otherwise pin it to the wrong provider for the life of the process.
 */
export function defaultChainCredentials(): CredentialSource {
  let client: CredentialClient | undefined;
  let answeredBy: string | undefined;
  return {
    get description() {
      return answeredBy === undefined ? CHAIN : `${CHAIN} (${answeredBy})`;
    },
    async get() {
      try {
        client ??= new (credentialConstructor())();
        const model = await client.getCredential();
        const credentials = checked(
          { accessKeyId: model.accessKeyId ?? '', accessKeySecret: model.accessKeySecret ?? '', securityToken: model.securityToken },
          CHAIN,
        );
        answeredBy = model.providerName;
        return credentials;
      } catch (caught) {
        client = undefined;
        // For the proxy's log only: the library's messages name providers, files and environment variables,
        // so the ECS client never copies them into an answer for the browser.
        const detail = caught instanceof Error ? caught.message : String(caught);
        throw new CredentialsUnavailableError(`${CHAIN}: ${detail}`, { cause: caught });
      }
    },
  };
}
