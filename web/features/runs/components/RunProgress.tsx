import Box from '@mui/material/Box';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Run, RunInstance, Wave } from '#ecs/runs-api';
import { isRunFinal } from '@web/lib/runs';
import { formatClock } from '../format';
import { WaveStateIcon } from './StateIcons';

export interface RunProgressProps {
  run: Run;
  /** The per-instance rows, once read: the start and the waves count from them. */
  rows: readonly RunInstance[] | undefined;
}

type PhaseName = 'recheck' | 'attach' | 'start' | 'waves';
type PhaseState = 'waiting' | 'current' | 'done' | 'notInRun';
const ORDER: readonly Run['phase'][] = ['recheck', 'attach', 'start', 'waves', 'done'];

/** Where a phase stands, from the run's current phase (the engine goes through them in this order). */
function phaseState(run: Run, phase: PhaseName): PhaseState {
  const at = ORDER.indexOf(run.phase);
  const of = ORDER.indexOf(phase);
  if (at > of) return 'done';
  if (at < of) return 'waiting';
  return isRunFinal(run) ? 'done' : 'current';
}

/** States an instance is in once the attach has answered for it. */
const PAST_ATTACH = new Set<RunInstance['state']>([
  'attached',
  'failed',
  'unknown',
  'activating',
  'active',
  'activation_failed',
  'pending',
]);

/**
 * The run's phases in order (docs/product.md#step-7-activation): the re-check, the attach, the start of stopped
 * instances and the reboot waves, each with how far it got; then the wave timeline.
 */
export function RunProgress({ run, rows }: RunProgressProps) {
  const { t } = useTranslation('runs');
  const count = (state: RunInstance['state']) => run.counts[state] ?? 0;
  const skipped = count('skipped');
  const attachTotal = run.total - skipped;
  const attachDone = Object.entries(run.counts).reduce(
    (sum, [state, n]) => sum + (PAST_ATTACH.has(state as RunInstance['state']) ? (n ?? 0) : 0),
    0,
  );
  const checked = rows === undefined ? undefined : rows.filter((r) => r.state !== 'queued' || r.statusBefore !== undefined).length;
  const startedRows = (rows ?? []).filter((r) => r.statusBefore === 'Stopped');
  const started = (state: RunInstance['state']) => startedRows.filter((r) => r.state === state).length;
  const waves = run.policy.running.mode === 'waves';
  const currentWave = run.waves.find((w) => w.state === 'rebooting')?.index;

  return (
    <Paper variant="outlined" component="section" aria-labelledby="run-progress-title" sx={{ p: 2 }}>
      <Typography variant="subtitle1" component="h2" id="run-progress-title" sx={{ fontWeight: 600, mb: 1 }}>
        {t('phases.label')}
      </Typography>
      <Box component="ol" sx={{ m: 0, pl: 0, listStyle: 'none', display: 'grid', gap: 1.5 }}>
        <Phase name="recheck" state={phaseState(run, 'recheck')}>
          {checked !== undefined && t('phases.recheckDetail', { checked, total: run.total, skipped })}
        </Phase>
        {run.kind === 'attach' && (
          <Phase name="attach" state={phaseState(run, 'attach')}>
            {t('phases.attachDetail', { done: attachDone, total: attachTotal })}
            <LinearProgress
              variant="determinate"
              value={attachTotal === 0 ? 100 : (100 * attachDone) / attachTotal}
              aria-label={t('phases.attachProgress')}
              aria-valuetext={t('phases.attachDetail', { done: attachDone, total: attachTotal })}
              sx={{ mt: 0.5, maxWidth: 360 }}
            />
          </Phase>
        )}
        {run.policy.stopped === 'start' ? (
          <Phase name="start" state={phaseState(run, 'start')}>
            {rows !== undefined &&
              t('phases.startDetail', {
                active: started('active'),
                failed: started('activation_failed'),
                activating: started('activating'),
              })}
          </Phase>
        ) : (
          <Phase name="start" state="notInRun">
            {t('phases.startLeave')}
          </Phase>
        )}
        {waves ? (
          <Phase name="waves" state={phaseState(run, 'waves')}>
            {run.waves.length === 0
              ? t(ORDER.indexOf(run.phase) >= ORDER.indexOf('start') ? 'phases.wavesNone' : 'phases.wavesNotPlanned')
              : currentWave !== undefined
                ? t('phases.wavesDetail', { current: currentWave, count: run.waves.length })
                : t('phases.wavesDone', {
                    done: run.waves.filter((w) => w.state === 'done' || w.state === 'failed').length,
                    count: run.waves.length,
                  })}
            {run.waves.length > 0 && <WaveTimeline waves={run.waves} rows={rows} />}
          </Phase>
        ) : (
          <Phase name="waves" state="notInRun">
            {t('phases.wavesLeave')}
          </Phase>
        )}
      </Box>
    </Paper>
  );
}

function Phase({ name, state, children }: { name: PhaseName; state: PhaseState; children: ReactNode }) {
  const { t } = useTranslation('runs');
  return (
    <Box component="li" aria-current={state === 'current' ? 'step' : undefined}>
      <Typography variant="body2" sx={{ fontWeight: 600 }}>
        {t(`phases.${name}`)}
        {t('separator')}
        <Box component="span" sx={{ fontWeight: 400, color: state === 'current' ? 'info.main' : 'text.secondary' }}>
          {t(`phases.state.${state}`)}
        </Box>
      </Typography>
      <Typography variant="body2" component="div" color="text.secondary">
        {children}
      </Typography>
    </Box>
  );
}

/** One line per wave: its number, size, state, times and failures. */
function WaveTimeline({ waves, rows }: { waves: readonly Wave[]; rows: readonly RunInstance[] | undefined }) {
  const { t, i18n } = useTranslation('runs');
  return (
    <Box component="ol" aria-label={t('waves.label')} sx={{ m: 0, mt: 1, pl: 0, listStyle: 'none', display: 'grid', gap: 0.5 }}>
      {waves.map((wave) => (
        <Box
          component="li"
          key={wave.index}
          aria-current={wave.state === 'rebooting' ? 'step' : undefined}
          sx={{ display: 'flex', flexWrap: 'wrap', columnGap: 2, rowGap: 0.25, alignItems: 'center', color: 'text.primary' }}
        >
          <Box component="span" sx={{ fontWeight: 600, minWidth: 64 }}>
            {t('waves.wave', { index: wave.index })}
          </Box>
          <span>{t('waves.size', { count: wave.size })}</span>
          <WaveStateIcon state={wave.state}>{t(`waves.state.${wave.state}`)}</WaveStateIcon>
          {wave.state === 'rebooting' && rows !== undefined && (
            <span>{t('waves.settled', { settled: settledIn(rows, wave), size: wave.size })}</span>
          )}
          {wave.startedAt !== undefined && <span>{waveTime(t, i18n.language, wave)}</span>}
          {(wave.state === 'done' || wave.state === 'failed' || wave.failures > 0) && (
            <Box component="span" sx={{ color: wave.failures > 0 ? 'error.main' : 'text.secondary' }}>
              {wave.failures > 0 ? t('waves.failures', { count: wave.failures }) : t('waves.noFailures')}
            </Box>
          )}
        </Box>
      ))}
    </Box>
  );
}

function settledIn(rows: readonly RunInstance[], wave: Wave): number {
  return rows.filter((r) => r.wave === wave.index && (r.state === 'active' || r.state === 'activation_failed')).length;
}

function waveTime(t: TFunction, language: string, wave: Wave): string {
  if (wave.startedAt === undefined) return '';
  const from = formatClock(language, wave.startedAt);
  return wave.endedAt === undefined
    ? t('runs:waves.since', { from })
    : t('runs:waves.time', { from, to: formatClock(language, wave.endedAt) });
}
