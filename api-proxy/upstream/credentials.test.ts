import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsUnavailableError, defaultChainCredentials, staticCredentials } from './credentials';

describe('staticCredentials', () => {
  it('hands out copies, so a caller cannot change what the next call signs with', async () => {
    const source = staticCredentials({ accessKeyId: 'sim-access-key-id', accessKeySecret: 'sim-access-key-secret' }, 'static (simulator)');
    const first = await source.get();
    first.accessKeySecret = 'changed';
    expect(await source.get()).toEqual({ accessKeyId: 'sim-access-key-id', accessKeySecret: 'sim-access-key-secret' });
    expect(source.description).toBe('static (simulator)');
  });

  it('keeps an STS token and drops an empty one', async () => {
    const sts = staticCredentials({ accessKeyId: 'STS.id', accessKeySecret: 'secret-value', securityToken: 'token-value' }, 'static (sts)');
    expect((await sts.get()).securityToken).toBe('token-value');
    const plain = staticCredentials({ accessKeyId: 'id', accessKeySecret: 'secret-value', securityToken: '' }, 'static');
    expect(await plain.get()).not.toHaveProperty('securityToken');
  });

  it('refuses an empty pair at creation (fail fast)', () => {
    expect(() => staticCredentials({ accessKeyId: '', accessKeySecret: 'x' }, 'static')).toThrow(CredentialsUnavailableError);
    expect(() => staticCredentials({ accessKeyId: 'x', accessKeySecret: '' }, 'static')).toThrow(CredentialsUnavailableError);
  });

  it('never shows the secret when the source itself is logged or serialised', () => {
    const source = staticCredentials(
      { accessKeyId: 'id', accessKeySecret: 'very-secret-value', securityToken: 'very-secret-token' },
      'static',
    );
    const shown = `${JSON.stringify(source)} ${inspect(source, { depth: 10, showHidden: true })}`;
    expect(shown).not.toContain('very-secret-value');
    expect(shown).not.toContain('very-secret-token');
  });
});

/**
 * The real @alicloud/credentials chain, steered by environment variables only. Every provider that could
 * touch the network (ECS metadata at 100.100.100.200, a credentials URI, OIDC) is switched off or left
 * unconfigured, and the environment provider comes first in the chain (docs/ecs-notes.md#credentials-chain).
 */
describe('defaultChainCredentials', () => {
  const VARS = [
    'ALIBABA_CLOUD_ACCESS_KEY_ID',
    'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    'ALIBABA_CLOUD_SECURITY_TOKEN',
    'ALIBABA_CLOUD_ECS_METADATA_DISABLED',
    'ALIBABA_CLOUD_CLI_PROFILE_DISABLED',
    'ALIBABA_CLOUD_CREDENTIALS_FILE',
    'ALIBABA_CLOUD_CREDENTIALS_URI',
    'ALIBABA_CLOUD_ROLE_ARN',
    'ALIBABA_CLOUD_OIDC_PROVIDER_ARN',
    'ALIBABA_CLOUD_OIDC_TOKEN_FILE',
    'ALIBABA_CLOUD_PROFILE',
  ];
  let saved: Record<string, string | undefined>;
  let dir: string;

  beforeEach(() => {
    saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));
    for (const name of VARS) delete process.env[name];
    dir = mkdtempSync(join(tmpdir(), 'creds-'));
    process.env['ALIBABA_CLOUD_ECS_METADATA_DISABLED'] = 'true';
    process.env['ALIBABA_CLOUD_CLI_PROFILE_DISABLED'] = 'true';
    process.env['ALIBABA_CLOUD_CREDENTIALS_FILE'] = join(dir, 'no-such-file');
  });

  afterEach(() => {
    for (const name of VARS) {
      const value = saved[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the environment credentials with the STS token, and names the provider', async () => {
    process.env['ALIBABA_CLOUD_ACCESS_KEY_ID'] = 'STS.env-id';
    process.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] = 'env-secret';
    process.env['ALIBABA_CLOUD_SECURITY_TOKEN'] = 'env-token';
    const source = defaultChainCredentials();
    expect(source.description).toBe('default credential chain');
    expect(await source.get()).toEqual({ accessKeyId: 'STS.env-id', accessKeySecret: 'env-secret', securityToken: 'env-token' });
    expect(source.description).toContain('env');
    expect(source.description).not.toContain('env-secret');
  });

  it('reads a profile from the shared credentials file', async () => {
    const file = join(dir, 'credentials');
    writeFileSync(file, '[default]\ntype = access_key\naccess_key_id = file-id\naccess_key_secret = file-secret\n');
    process.env['ALIBABA_CLOUD_CREDENTIALS_FILE'] = file;
    const source = defaultChainCredentials();
    expect(await source.get()).toEqual({ accessKeyId: 'file-id', accessKeySecret: 'file-secret' });
    expect(source.description).toContain('profile');
  });

  it('fails with a typed error when no provider has credentials, and recovers once one does', async () => {
    const source = defaultChainCredentials();
    await expect(source.get()).rejects.toBeInstanceOf(CredentialsUnavailableError);
    await expect(source.get()).rejects.toThrow(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
    // The library alone would stay pinned to the last provider it tried; the source starts over instead.
    process.env['ALIBABA_CLOUD_ACCESS_KEY_ID'] = 'late-id';
    process.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] = 'late-secret';
    expect(await source.get()).toEqual({ accessKeyId: 'late-id', accessKeySecret: 'late-secret' });
  });
});
