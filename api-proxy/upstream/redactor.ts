/**
 * The second line of defence against a credential reaching the browser or the log: any occurrence of the
 * secret, the STS token, the Authorization header or the signature of a call in what came back for it (an
 * upstream that echoes requests) is replaced by `[redacted]`. Nothing copies credentials into an outcome in the
 * first place. One redactor per call: it learns the values of each attempt as they are signed.
 */

/** Secrets shorter than this are not searched for: no real AccessKey secret or token is, and a one-letter
 * "secret" would otherwise garble every answer. */
const MIN_REDACTED_LENGTH = 8;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class Redactor {
  private readonly secrets = new Set<string>();

  add(value: string | undefined): void {
    if (value !== undefined && value.length >= MIN_REDACTED_LENGTH) this.secrets.add(value);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  }

  /** Only walks the value when the raw text showed a secret somewhere, so the common case costs one scan. */
  needed(raw: string): boolean {
    for (const secret of this.secrets) if (raw.includes(secret)) return true;
    return false;
  }

  deep(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.deep(item));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.deep(v)]));
    return value;
  }

  headers(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, this.text(v)]));
  }
}
