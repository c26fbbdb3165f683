import type { TFunction } from 'i18next';
import type { ApiError } from './api-error';

/**
 * ECS error codes in words an operator understands (docs/product.md#step-6-results). The sentences live in the
 * catalogues under `errors.<code>`; an unknown code falls back to ECS's own message, never to nothing.
 */
export const KNOWN_CODES = [
  'DependencyViolation.WindowsInstance',
  'DependencyViolation.IoOptimize',
  'IncorrectInstanceStatus',
  'InstanceLockedForSecurity',
  'InstanceExpiredOrInArrears',
  'InvalidInstanceId.NotFound',
  'InvalidKeyPairName.NotFound',
  'InvalidInstanceIds.ValueNotSupported',
  'Throttling',
  'Throttling.User',
  'Throttling.Api',
  'ServiceUnavailable',
  'InternalError',
  'OperationConflict',
  'InstanceNotReady',
  'Forbidden.RAM',
  'NoPermission',
  'Proxy.Forbidden',
  'Proxy.Unauthenticated',
  'Proxy.OutcomeUnknown',
  'Proxy.UpstreamUnreachable',
  'Proxy.AuditUnavailable',
  'Proxy.CrossOrigin',
  'Network',
] as const;

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
