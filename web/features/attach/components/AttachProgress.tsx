import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Typography from '@mui/material/Typography';
import HourglassTopIcon from '@mui/icons-material/HourglassTop';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AttachRun } from '../model';
import { useAttachTiming } from '../timing';

export interface AttachProgressProps {
  run: AttachRun;
  onCancel: () => void;
}

/** The progress bar over instances, the throttling wait and Cancel (docs/product.md#step-5-attach). */
export function AttachProgress({ run, onCancel }: AttachProgressProps) {
  const { t } = useTranslation('attach');
  const hintId = useId();
  const { done, total } = run.progress;
  const text = t('run.progressText', { done, total });
  return (
    <Box sx={{ mb: 2 }}>
      <Typography variant="subtitle2" component="p">
        {t('run.progressLabel')}: {text}
      </Typography>
      <LinearProgress
        variant="determinate"
        value={done}
        min={0}
        max={Math.max(total, 1)}
        aria-label={t('run.progressLabel')}
        aria-valuetext={text}
        sx={{ height: 10, borderRadius: 1, my: 1 }}
      />
      {run.throttledUntil !== undefined && <ThrottleNotice until={run.throttledUntil} />}
      {run.isRunning && (
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
          <Button variant="outlined" color="inherit" onClick={onCancel} disabled={run.isCancelling} aria-describedby={hintId}>
            {t('run.cancel')}
          </Button>
          <Typography id={hintId} variant="body2" color="text.secondary" role={run.isCancelling ? 'status' : undefined}>
            {run.isCancelling ? t('run.cancelling') : t('run.cancelHint')}
          </Typography>
        </Box>
      )}
    </Box>
  );
}

/** "ECS is rate-limiting; retrying in 12 s", counting down once a second. */
function ThrottleNotice({ until }: { until: number }) {
  const { t } = useTranslation('attach');
  const timing = useAttachTiming();
  const [now, setNow] = useState(() => timing.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(timing.now()), 1000);
    return () => clearInterval(timer);
  }, [timing]);
  const seconds = Math.max(1, Math.ceil((until - now) / 1000));
  return (
    <Alert severity="info" icon={<HourglassTopIcon fontSize="inherit" />} role="status" sx={{ mb: 1 }}>
      {t('run.throttled', { seconds })}
      <Typography variant="body2" color="text.secondary">
        {t('run.throttledHint')}
      </Typography>
    </Alert>
  );
}
