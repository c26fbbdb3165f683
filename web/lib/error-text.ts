import type { TFunction } from 'i18next';
import type { ApiError } from './api-error';

// ECS error codes in words an operator understands (docs/product.md#step-6-results). The sentences live in the
// catalogues under `errors.<code>`; an unknown code falls back to ECS's own message, never to nothing.

/**
 * `action` names the ECS action for permission errors, so the sentence can say which RAM permission is
 * missing (docs/product.md#console-qualities).
 */
export function explainCode(t: TFunction, code: string, fallback?: string, action?: string): string {
  const key = `app:errors.${code.replace(/\./g, '_')}`;
  return t(key, { defaultValue: fallback ?? code, action: action ?? '' });
}

export function explainError(t: TFunction, error: ApiError, action?: string): string {
  return explainCode(t, error.code, error.message, action);
}
