import { z } from 'zod';

/**
 * Building blocks for reading environment variables with zod, shared by the proxy's configuration
 * (api-proxy/config/) and the standalone simulator (sim/main.ts) so both read values by the same rules. Pure
 * zod over a plain record, so it lives with the other shared, dependency-free code.
 */

/** Unset and empty variables both mean "use the default". */
export const unsetIfEmpty = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** A whole number in [min, max], or `fallback` when unset. */
export function wholeNumber(min: number, max: number, fallback: number) {
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .optional()
      .transform((value) => value ?? fallback),
  );
}

/** A value read by `schema`, or `fallback` when unset. */
export function text<T>(schema: z.ZodType<T, string>, fallback: T) {
  return z.preprocess(
    unsetIfEmpty,
    schema.optional().transform((value) => value ?? fallback),
  );
}

/**
 * The simulator's AccessKeyId: read by the proxy's configuration (the key it signs with in sim mode) and by the
 * standalone simulator (the key it accepts), so both accept the same values. The ID travels inside
 * `Authorization: … Credential=<id>,…` (docs/ecs-notes.md#v3-authorization), so no commas or spaces.
 */
export function simAccessKeyId() {
  return text(
    z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits, ".", "_" and "-"'),
    'sim-access-key-id',
  );
}
