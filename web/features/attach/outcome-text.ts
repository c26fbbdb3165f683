import type { TFunction } from 'i18next';
import { explainCode } from '../../lib/error-text';
import { CONSOLE_CODES, type InstanceResult } from './model';

/**
 * Words for a per-instance outcome code: console codes from this feature's catalogue, ECS and proxy codes through
 * the shared table (lib/error-text.ts), with ECS's own message when the code is not in it. `action` names the
 * RAM/SSO action for permission errors (docs/product.md#console-qualities). An unknown outcome is explained as such whatever its code:
 * the code's usual sentence ("InternalError: retry") would tell the operator to act blindly.
 */
export function explainResult(
  t: TFunction,
  result: Pick<InstanceResult, 'code' | 'message'> & { status?: InstanceResult['status'] },
  action: string,
): string {
  const code = result.code ?? '';
  if (code === CONSOLE_CODES.noResult) return t('attach:results.codes.NoResult');
  if (result.status === 'unknown') return t(code === 'Network' ? 'attach:results.codes.NetworkUnknown' : 'attach:results.codes.Unknown');
  if (code === CONSOLE_CODES.cancelled) return t('attach:results.codes.Cancelled');
  if (code === CONSOLE_CODES.unexpected) return t('attach:results.codes.Unexpected', { message: result.message ?? '' });
  return explainCode(t, code, result.message, action);
}

/** Instance statuses in the UI language; an unknown status is shown as ECS spells it. */
export function statusText(t: TFunction, status: string | undefined): string {
  if (status === undefined || status === '') return '—';
  return t(`app:instanceStatus.${status}`, { defaultValue: status });
}
