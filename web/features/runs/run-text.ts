import type { TFunction } from 'i18next';
import type { ActivationPolicy, Run, RunInstance, RunInstanceState } from '#ecs/runs-api';
import { explainCode } from '@web/lib/error-text';
import { formatDuration } from './format';

/**
 * The words of a run, shared by the run page, the list and the CSV, so a state reads the same everywhere
 * (docs/product.md#step-7-activation). "Unknown" is never worded as failed or succeeded, and "active" always
 * says what it rests on (docs/product.md#unknown-means-unknown, docs/product.md#step-8-proof).
 */

export function runKindText(t: TFunction, run: Pick<Run, 'kind' | 'keyPairName'>): string {
  return run.kind === 'attach' ? t('runs:kind.attach', { keyPairName: run.keyPairName ?? '' }) : t('runs:kind.activate');
}

export interface PolicyText {
  stopped: string;
  /** The first line is what happens; the rest are the waves' settings, one each. */
  running: string[];
}

export function policyText(t: TFunction, language: string, policy: ActivationPolicy): PolicyText {
  const stopped = t(policy.stopped === 'start' ? 'runs:policy.stoppedStart' : 'runs:policy.stoppedLeave');
  const r = policy.running;
  if (r.mode === 'leave') return { stopped, running: [t('runs:policy.runningLeave')] };
  const duration = (ms: number) => formatDuration(language, ms);
  return {
    stopped,
    running: [
      r.size.kind === 'count'
        ? t('runs:policy.wavesCount', { count: r.size.value })
        : t('runs:policy.wavesPercent', { percent: r.size.value }),
      t(r.oneZoneAtATime ? 'runs:policy.oneZone' : 'runs:policy.anyZone'),
      t('runs:policy.healthGate', { duration: duration(r.healthTimeoutMs) }),
      r.failureBudget === 0 ? t('runs:policy.budgetZero') : t('runs:policy.budget', { count: r.failureBudget }),
      r.pauseBetweenWavesMs > 0
        ? t('runs:policy.pauseBetween', { duration: duration(r.pauseBetweenWavesMs) })
        : t('runs:policy.noPauseBetween'),
      t(r.forceReboot ? 'runs:policy.force' : 'runs:policy.graceful'),
    ],
  };
}

export function stateWord(t: TFunction, state: RunInstanceState): string {
  return t(`runs:state.${state}`);
}

/** The order of the counts summary: what went well, then what needs a look, then what was left alone. */
const SUMMARY_ORDER = [
  'active',
  'attached',
  'activating',
  'sending',
  'queued',
  'failed',
  'unknown',
  'activation_failed',
  'not_sent',
  'pending',
  'skipped',
] as const satisfies readonly RunInstanceState[];

/** "24 active · 1 failed · 5 left pending": only the states that have instances. */
export function countsSummary(t: TFunction, counts: Run['counts']): string {
  return SUMMARY_ORDER.filter((state) => (counts[state] ?? 0) > 0)
    .map((state) => t(`runs:count.${state}`, { count: counts[state] ?? 0 }))
    .join(t('runs:separator'));
}

/** Which boot an activation of this row sends: a start for an instance that was Stopped, a reboot otherwise. */
const bootOf = (row: Pick<RunInstance, 'statusBefore'>): 'start' | 'reboot' => (row.statusBefore === 'Stopped' ? 'start' : 'reboot');

/** ECS codes in words, and the console's own health-gate codes from this catalogue. */
function meaningOf(t: TFunction, code: string, message: string | undefined, action: string): string {
  if (code.startsWith('Console.')) return t(`runs:codes.${code.replace(/\./g, '_')}`, { defaultValue: message ?? code });
  return explainCode(t, code, message, action);
}

export interface InstanceStateText {
  /** The state's one word (the chips say the same). */
  label: string;
  /** What it means for this instance, in a sentence. */
  detail: string;
  /** ECS's own message when it adds something to the sentence. */
  ecsMessage?: string;
}

export function instanceStateText(t: TFunction, row: RunInstance): InstanceStateText {
  const label = stateWord(t, row.state);
  const failure = (action: string): InstanceStateText => {
    const code = row.Code ?? '';
    const meaning = meaningOf(t, code, row.Message, action);
    const extra = row.Message !== undefined && row.Message !== '' && row.Message !== meaning ? { ecsMessage: row.Message } : {};
    return { label, detail: code === '' ? meaning : t('runs:detail.codeLine', { code, meaning }), ...extra };
  };
  switch (row.state) {
    case 'skipped': {
      const reason = row.skipReason;
      if (reason === 'bad-status' && row.statusBefore)
        return { label, detail: t('runs:detail.skip.bad-statusWas', { status: row.statusBefore }) };
      return { label, detail: reason ? t(`runs:detail.skip.${reason}`) : '' };
    }
    case 'queued':
      return { label, detail: t('runs:detail.queued') };
    case 'sending':
      return { label, detail: t('runs:detail.sending') };
    case 'attached':
      return { label, detail: t('runs:detail.attached') };
    case 'failed':
      return failure('AttachKeyPair');
    case 'unknown':
      return { label, detail: t('runs:detail.unknown') };
    case 'activating':
      return { label, detail: t(bootOf(row) === 'start' ? 'runs:detail.activatingStart' : 'runs:detail.activatingReboot') };
    case 'active':
      return {
        label,
        detail: t(
          row.evidence === 'inferred-start'
            ? 'runs:detail.activeStart'
            : row.evidence === 'inferred-reboot'
              ? 'runs:detail.activeReboot'
              : 'runs:detail.active',
        ),
      };
    case 'activation_failed':
      return failure(bootOf(row) === 'start' ? 'StartInstances' : 'RebootInstances');
    case 'pending':
      return {
        label,
        detail: t(
          row.statusBefore === 'Stopped'
            ? 'runs:detail.pendingStart'
            : row.statusBefore === 'Running'
              ? 'runs:detail.pendingReboot'
              : 'runs:detail.pending',
        ),
      };
    case 'not_sent':
      return { label, detail: t('runs:detail.notSent') };
  }
}
