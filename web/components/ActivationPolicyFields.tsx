import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { TFunction } from 'i18next';
import { useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import {
  waveSizeRuns,
  type ActivationField,
  type ActivationForm,
  type ActivationIssue,
  type ActivationPreview,
  type ActivationRead,
  type DurationUnit,
} from '../lib/activation-preview';
import { DisabledReason } from './DisabledReason';

export interface ActivationPolicyFieldsProps {
  /** `attach`: after an attach, everything may be left pending. `activate`: running instances are rebooted in waves. */
  variant: 'attach' | 'activate';
  form: ActivationForm;
  onChange: (next: ActivationForm) => void;
  /** readActivationForm(form): the issues to show, and the policy the preview describes. */
  read: ActivationRead;
  /** previewActivation(targets, policy) for the instances the run would activate; undefined while the form is invalid. */
  preview: ActivationPreview | undefined;
  runningCount: number;
  stoppedCount: number;
  /** Why starting / rebooting is not allowed (the operator lacks the power role); undefined when it is. */
  startReason?: string | undefined;
  rebootReason?: string | undefined;
  /** While the run is being created: the choices are what is being sent. */
  isDisabled?: boolean;
}

/** The first issue in words: the reason a confirm button is disabled. */
export function activationIssueText(t: TFunction, issues: readonly ActivationIssue[]): string | undefined {
  const first = issues[0];
  return first === undefined ? undefined : t(`app:activationPolicy.invalid.${first.key}`);
}

/** 90 000 → "1 min 30 s"; the preview speaks in the units an operator typed. */
export function durationText(t: TFunction, ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  const parts = [
    ...(minutes > 0 ? [t('app:activationPolicy.minutes', { count: minutes })] : []),
    ...(seconds > 0 || minutes === 0 ? [t('app:activationPolicy.seconds', { count: seconds })] : []),
  ];
  return parts.join(' ');
}

/**
 * What a run does to make the key take effect (docs/product.md#step-7-activation): start the stopped instances
 * or leave them pending; leave the running ones pending or reboot them in waves (size, one zone at a time, a
 * health gate, a failure budget, a pause, force only when ticked); and a live preview of the plan. Shared by
 * the review dialog (attach) and the activation dialog (instance list), so both say it the same way.
 */
export function ActivationPolicyFields({
  variant,
  form,
  onChange,
  read,
  preview,
  runningCount,
  stoppedCount,
  startReason,
  rebootReason,
  isDisabled = false,
}: ActivationPolicyFieldsProps) {
  const { t } = useTranslation('app');
  const headingId = useId();
  const set = <K extends keyof ActivationForm>(key: K, value: ActivationForm[K]) => onChange({ ...form, [key]: value });
  const issueOf = (field: ActivationField) => read.issues.find((issue) => issue.field === field);
  const isWaves = form.running === 'waves' && runningCount > 0;

  return (
    <Box role="group" aria-labelledby={headingId} sx={{ display: 'flex', flexDirection: 'column', gap: 1.5 }}>
      <Typography id={headingId} variant="subtitle1" component="h3" sx={{ fontWeight: 600 }}>
        {t('activationPolicy.groupLabel')}
      </Typography>
      <Typography variant="body2" color="text.secondary">
        {t('activationPolicy.intro')}
        {variant === 'attach' ? ` ${t('activationPolicy.laterHint')}` : ''}
      </Typography>

      {stoppedCount > 0 && (
        <FormControl component="fieldset" disabled={isDisabled}>
          <FormLabel component="legend">{t('activationPolicy.stoppedLegend', { count: stoppedCount })}</FormLabel>
          <RadioGroup value={form.stopped} onChange={(event) => set('stopped', event.target.value === 'start' ? 'start' : 'leave')}>
            {variant === 'activate' && (
              <Choice value="start" label={t('activationPolicy.stoppedStart')} reason={startReason} isDisabled={isDisabled} />
            )}
            <Choice value="leave" label={t('activationPolicy.stoppedLeave')} isDisabled={isDisabled} />
            {variant === 'attach' && (
              <Choice value="start" label={t('activationPolicy.stoppedStart')} reason={startReason} isDisabled={isDisabled} />
            )}
          </RadioGroup>
        </FormControl>
      )}

      {runningCount > 0 && (
        <FormControl component="fieldset" disabled={isDisabled}>
          <FormLabel component="legend">{t('activationPolicy.runningLegend', { count: runningCount })}</FormLabel>
          {variant === 'attach' ? (
            <RadioGroup value={form.running} onChange={(event) => set('running', event.target.value === 'waves' ? 'waves' : 'leave')}>
              <Choice value="leave" label={t('activationPolicy.runningLeave')} isDisabled={isDisabled} />
              <Choice value="waves" label={t('activationPolicy.runningWaves')} reason={rebootReason} isDisabled={isDisabled} />
            </RadioGroup>
          ) : (
            <Typography variant="body2">{t('activationPolicy.runningWavesOnly')}</Typography>
          )}
        </FormControl>
      )}

      {isWaves && <WaveFields form={form} set={set} issueOf={issueOf} isDisabled={isDisabled} />}

      <PreviewText read={read} preview={preview} isWaves={isWaves} />
    </Box>
  );
}

/** A radio that says why it cannot be chosen (docs/product.md#console-qualities). */
function Choice({ value, label, reason, isDisabled }: { value: string; label: string; reason?: string | undefined; isDisabled: boolean }) {
  return (
    <DisabledReason reason={reason} isReasonVisible>
      {(describedBy) => (
        <FormControlLabel
          value={value}
          label={label}
          disabled={isDisabled || reason !== undefined}
          control={<Radio slotProps={{ input: { 'aria-describedby': describedBy } }} />}
        />
      )}
    </DisabledReason>
  );
}

interface WaveFieldsProps {
  form: ActivationForm;
  set: <K extends keyof ActivationForm>(key: K, value: ActivationForm[K]) => void;
  issueOf: (field: ActivationField) => ActivationIssue | undefined;
  isDisabled: boolean;
}

function WaveFields({ form, set, issueOf, isDisabled }: WaveFieldsProps) {
  const { t } = useTranslation('app');
  const help = (field: ActivationField, fallback: string): { error: boolean; helperText: string } => {
    const issue = issueOf(field);
    return { error: issue !== undefined, helperText: issue ? t(`activationPolicy.invalid.${issue.key}`) : fallback };
  };
  const units = (
    <>
      <option value="s">{t('activationPolicy.unitSeconds')}</option>
      <option value="min">{t('activationPolicy.unitMinutes')}</option>
    </>
  );
  const asUnit = (value: string): DurationUnit => (value === 'min' ? 'min' : 's');
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1.5, pl: { sm: 2 }, borderLeft: { sm: 2 }, borderColor: { sm: 'divider' } }}>
      <Row>
        <NumberField
          label={t('activationPolicy.waveSize')}
          value={form.size}
          onChange={(v) => set('size', v)}
          isDisabled={isDisabled}
          {...help('size', '')}
        />
        <UnitSelect
          label={t('activationPolicy.waveSizeUnit')}
          value={form.sizeKind}
          onChange={(v) => set('sizeKind', v === 'percent' ? 'percent' : 'count')}
          isDisabled={isDisabled}
        >
          <option value="count">{t('activationPolicy.unitInstances')}</option>
          <option value="percent">{t('activationPolicy.unitPercent')}</option>
        </UnitSelect>
      </Row>
      <Box>
        <FormControlLabel
          disabled={isDisabled}
          control={<Checkbox checked={form.oneZoneAtATime} onChange={(event) => set('oneZoneAtATime', event.target.checked)} />}
          label={t('activationPolicy.oneZone')}
        />
        <FormHelperText sx={{ mt: -0.5, ml: 4 }}>{t('activationPolicy.oneZoneHint')}</FormHelperText>
      </Box>
      <Row>
        <NumberField
          label={t('activationPolicy.healthTimeout')}
          value={form.healthTimeout}
          onChange={(v) => set('healthTimeout', v)}
          isDisabled={isDisabled}
          {...help('healthTimeout', t('activationPolicy.healthTimeoutHelp'))}
        />
        <UnitSelect
          label={t('activationPolicy.healthTimeoutUnit')}
          value={form.healthTimeoutUnit}
          onChange={(v) => set('healthTimeoutUnit', asUnit(v))}
          isDisabled={isDisabled}
        >
          {units}
        </UnitSelect>
      </Row>
      <Row>
        <NumberField
          label={t('activationPolicy.failureBudget')}
          value={form.failureBudget}
          onChange={(v) => set('failureBudget', v)}
          isDisabled={isDisabled}
          {...help('failureBudget', t('activationPolicy.failureBudgetHelp'))}
        />
      </Row>
      <Row>
        <NumberField
          label={t('activationPolicy.pause')}
          value={form.pauseBetweenWaves}
          onChange={(v) => set('pauseBetweenWaves', v)}
          isDisabled={isDisabled}
          {...help('pauseBetweenWaves', t('activationPolicy.pauseHelp'))}
        />
        <UnitSelect
          label={t('activationPolicy.pauseUnit')}
          value={form.pauseUnit}
          onChange={(v) => set('pauseUnit', asUnit(v))}
          isDisabled={isDisabled}
        >
          {units}
        </UnitSelect>
      </Row>
      <Box>
        <FormControlLabel
          disabled={isDisabled}
          control={<Checkbox checked={form.forceReboot} onChange={(event) => set('forceReboot', event.target.checked)} />}
          label={t('activationPolicy.force')}
        />
        {form.forceReboot ? (
          <Alert severity="error" variant="outlined" sx={{ mt: 0.5 }}>
            <AlertTitle>{t('activationPolicy.forceWarningTitle')}</AlertTitle>
            {t('activationPolicy.forceWarning')}
          </Alert>
        ) : (
          <FormHelperText sx={{ mt: -0.5, ml: 4 }}>{t('activationPolicy.graceful')}</FormHelperText>
        )}
      </Box>
    </Box>
  );
}

function Row({ children }: { children: ReactNode }) {
  return <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start', flexWrap: 'wrap' }}>{children}</Box>;
}

interface NumberFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: boolean;
  helperText: string;
  isDisabled: boolean;
}

function NumberField({ label, value, onChange, error, helperText, isDisabled }: NumberFieldProps) {
  return (
    <TextField
      type="number"
      size="small"
      label={label}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      error={error}
      helperText={helperText || undefined}
      disabled={isDisabled}
      // The help may run under the unit next to the field rather than wrap in the field's narrow width.
      slotProps={{ htmlInput: { min: 0 }, formHelperText: { sx: { width: 'min(520px, 70vw)' } } }}
      sx={{ width: 220 }}
    />
  );
}

interface UnitSelectProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  isDisabled: boolean;
  children: ReactNode;
}

/** A native select: one tap on a phone, and its options are real <option>s for every assistive technology. */
function UnitSelect({ label, value, onChange, isDisabled, children }: UnitSelectProps) {
  return (
    <TextField
      select
      size="small"
      label={label}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      disabled={isDisabled}
      slotProps={{ select: { native: true }, inputLabel: { shrink: true } }}
      sx={{ minWidth: 200 }}
    >
      {children}
    </TextField>
  );
}

const LISTED_WAVES = 12;

/** The plan in sentences, from the same planner as the proxy's engine; announced politely as it changes. */
function PreviewText({ read, preview, isWaves }: { read: ActivationRead; preview: ActivationPreview | undefined; isWaves: boolean }) {
  const { t } = useTranslation('app');
  const lines: string[] = [];
  if (preview === undefined || read.policy === undefined) {
    lines.push(t('activationPolicy.previewInvalid'));
  } else {
    const running = read.policy.running;
    if (preview.startCount > 0) lines.push(t('activationPolicy.previewStart', { count: preview.startCount }));
    if (preview.leaveStoppedCount > 0) lines.push(t('activationPolicy.previewLeaveStopped', { count: preview.leaveStoppedCount }));
    if (preview.leaveRunningCount > 0) lines.push(t('activationPolicy.previewLeaveRunning', { count: preview.leaveRunningCount }));
    if (isWaves && running.mode === 'waves' && preview.waves.length > 0) {
      // Every size while the list is short ("10, 10, 5"), runs of equal sizes once it is not ("10 × 999, 5").
      const sizes = (
        preview.waves.length <= LISTED_WAVES
          ? preview.waves.map((w) => t('activationPolicy.size', { size: w.ids.length }))
          : waveSizeRuns(preview.waves).map((r) =>
              r.repeat === 1 ? t('activationPolicy.size', { size: r.size }) : t('activationPolicy.sizeRepeat', r),
            )
      ).join(', ');
      lines.push(
        `${t('activationPolicy.previewWaves', { count: preview.waves.length, sizes })}; ${t('activationPolicy.previewAtOnce', { count: preview.maxAtOnce })}`,
      );
      if (preview.zoneRuns.length > 0) {
        const list = preview.zoneRuns
          .map((r) => {
            const zone = r.zone || t('activationPolicy.noZone');
            return r.from === r.to
              ? t('activationPolicy.zoneRunOne', { from: r.from, zone })
              : t('activationPolicy.zoneRunRange', { ...r, zone });
          })
          .join('; ');
        lines.push(t('activationPolicy.zonesPerWave', { list }));
      }
      lines.push(t('activationPolicy.previewGate', { timeout: durationText(t, running.healthTimeoutMs) }));
      lines.push(
        running.failureBudget === 0
          ? t('activationPolicy.previewBudgetZero')
          : t('activationPolicy.previewBudget', { count: running.failureBudget }),
      );
      if (running.pauseBetweenWavesMs > 0)
        lines.push(t('activationPolicy.previewPause', { pause: durationText(t, running.pauseBetweenWavesMs) }));
      if (running.forceReboot) lines.push(t('activationPolicy.previewForce'));
    }
    if (preview.startCount === 0 && preview.waves.length === 0) lines.push(t('activationPolicy.previewNothing'));
  }
  return (
    <Box
      component="section"
      aria-label={t('activationPolicy.previewLabel')}
      aria-live="polite"
      sx={{ bgcolor: 'action.hover', borderRadius: 1, px: 1.5, py: 1 }}
    >
      <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
        {lines.map((line) => (
          <Typography component="li" variant="body2" key={line}>
            {line}
          </Typography>
        ))}
      </Box>
    </Box>
  );
}
