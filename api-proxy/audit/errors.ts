/**
 * The two ways an audit store refuses, which callers treat differently: bad input is the caller's mistake (a
 * 400 for a forged activity cursor, a bug elsewhere), an unavailable store means the action must be refused
 * (docs/product.md#audit-before-and-after).
 */

/** The audit trail cannot be read or written; the caller must refuse the action. */
export class AuditUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuditUnavailableError';
  }
}

/**
 * The store refused a value it was handed (an impossible time, a forged cursor, an unknown operation id). A
 * TypeError still, so code that only knows the standard classes sees a bad argument; but only this class means
 * "bad input": a TypeError from anywhere else is a bug.
 */
export class AuditInputError extends TypeError {
  constructor(problem: string) {
    super(`audit: ${problem}`);
    this.name = 'AuditInputError';
  }
}
