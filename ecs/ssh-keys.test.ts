import { ecsFingerprint, normaliseMd5, parsePublicKey, sha256Fingerprint, SshKeyError } from './ssh-keys';

// The public key from Apache libcloud's TestPublicKeyUtils, with values checked against ssh-keygen (docs/ecs-notes.md#fingerprints).
const LIBCLOUD =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDOfbWSXOlqvYjZmRO84/lIoV4gvuX+P1lLg50MMg6jZjLZIlYY081XPRmuom0xY0+BO++J2KgLl7gxJ6xMsKK2VQ+TakdfAH20XfMcTohd/zVCeWsbqZQvEhVXBo4hPIktcfNz0u9Ez3EtInO+kb7raLcRhOVi9QmOkOrCWtQU9mS71AWJuqI9H0YAnTiI8Hs5bn2tpMIqmTXT3g2bwywC25x1Nx9Hy0/FP+KUL6AgvDXv47l+TgSDfTBEkvq+IF1ITrnaOG+nRE02oZC6cwHYTifM/IOollkujxIQmi2Z+j66OHSrjnEQugr0FqGJF2ygKfIh/i2u3fVLM60qE2NN user@example';

describe('OpenSSH public keys', () => {
  it("computes ECS's MD5 fingerprint and ssh-keygen's SHA256 one (the published test vector)", () => {
    const key = parsePublicKey(LIBCLOUD);
    expect(key.type).toBe('ssh-rsa');
    expect(key.comment).toBe('user@example');
    expect(ecsFingerprint(key)).toBe('3522135b82e25de1908c73749fef3bd8');
    expect(sha256Fingerprint(key)).toBe('SHA256:IH2G+I4pVgKZpt1jcac84+yJIKwI5zq8pwW7+PaWqfA');
    expect(normaliseMd5('35:22:13:5B:82:e2:5d:e1:90:8c:73:74:9f:ef:3b:d8')).toBe(ecsFingerprint(key));
  });

  it.each([
    ['two lines', `${LIBCLOUD}\n${LIBCLOUD}`],
    ['a type ECS does not take', 'ssh-dss AAAAB3NzaC1kc3MAAACBAP8= x'],
    ['options before the type', `from="10.0.0.1" ${LIBCLOUD}`],
    ['a body that is not base64', 'ssh-ed25519 not*base64 x'],
    ['a body of another type', `ssh-ed25519 ${LIBCLOUD.split(' ')[1] ?? ''}`],
    ['a truncated body', `ssh-rsa ${(LIBCLOUD.split(' ')[1] ?? '').slice(0, 8)}`],
    ['no body', 'ssh-rsa'],
  ])('refuses %s', (_what, line) => {
    expect(() => parsePublicKey(line)).toThrow(SshKeyError);
  });
});
