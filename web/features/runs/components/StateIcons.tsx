import AutorenewIcon from '@mui/icons-material/Autorenew';
import BlockIcon from '@mui/icons-material/Block';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import HelpIcon from '@mui/icons-material/Help';
import HourglassEmptyIcon from '@mui/icons-material/HourglassEmpty';
import HourglassTopIcon from '@mui/icons-material/HourglassTop';
import KeyIcon from '@mui/icons-material/Key';
import PauseCircleIcon from '@mui/icons-material/PauseCircle';
import RadioButtonUncheckedIcon from '@mui/icons-material/RadioButtonUnchecked';
import ReportProblemIcon from '@mui/icons-material/ReportProblem';
import ScheduleIcon from '@mui/icons-material/Schedule';
import SendIcon from '@mui/icons-material/Send';
import Box from '@mui/material/Box';
import type { ReactNode } from 'react';
import type { RunInstanceState, RunState, Wave } from '#ecs/runs-api';

/**
 * Every state has its own icon shape as well as its colour, and its word next to it
 * (docs/product.md#console-qualities: status is never shown by colour alone). The icons are decoration.
 */

type Look = { Icon: typeof CheckCircleIcon; color?: 'success' | 'error' | 'warning' | 'info' | 'action' };

const RUN_LOOKS: Record<RunState, Look> = {
  running: { Icon: AutorenewIcon, color: 'info' },
  paused: { Icon: PauseCircleIcon, color: 'warning' },
  cancelling: { Icon: HourglassTopIcon, color: 'warning' },
  cancelled: { Icon: BlockIcon, color: 'action' },
  completed: { Icon: CheckCircleIcon, color: 'success' },
  completed_with_failures: { Icon: ReportProblemIcon, color: 'error' },
};

const INSTANCE_LOOKS: Record<RunInstanceState, Look> = {
  skipped: { Icon: RadioButtonUncheckedIcon, color: 'action' },
  queued: { Icon: ScheduleIcon, color: 'action' },
  sending: { Icon: SendIcon, color: 'info' },
  attached: { Icon: KeyIcon, color: 'info' },
  failed: { Icon: ErrorIcon, color: 'error' },
  unknown: { Icon: HelpIcon, color: 'warning' },
  activating: { Icon: AutorenewIcon, color: 'info' },
  active: { Icon: CheckCircleIcon, color: 'success' },
  activation_failed: { Icon: ReportProblemIcon, color: 'error' },
  pending: { Icon: HourglassEmptyIcon, color: 'action' },
  not_sent: { Icon: BlockIcon, color: 'action' },
};

const WAVE_LOOKS: Record<Wave['state'], Look> = {
  waiting: { Icon: ScheduleIcon, color: 'action' },
  rebooting: { Icon: AutorenewIcon, color: 'info' },
  done: { Icon: CheckCircleIcon, color: 'success' },
  failed: { Icon: ReportProblemIcon, color: 'error' },
  skipped: { Icon: BlockIcon, color: 'action' },
};

function Labelled({ look, children, size }: { look: Look; children: ReactNode; size: 'small' | 'medium' }) {
  return (
    <Box component="span" sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.75 }}>
      <look.Icon fontSize={size} color={look.color ?? 'inherit'} aria-hidden />
      <span>{children}</span>
    </Box>
  );
}

export function RunStateIcon({ state, children, size = 'small' }: { state: RunState; children: ReactNode; size?: 'small' | 'medium' }) {
  return (
    <Labelled look={RUN_LOOKS[state]} size={size}>
      {children}
    </Labelled>
  );
}

export function InstanceStateIcon({ state, children }: { state: RunInstanceState; children: ReactNode }) {
  return (
    <Labelled look={INSTANCE_LOOKS[state]} size="small">
      {children}
    </Labelled>
  );
}

export function WaveStateIcon({ state, children }: { state: Wave['state']; children: ReactNode }) {
  return (
    <Labelled look={WAVE_LOOKS[state]} size="small">
      {children}
    </Labelled>
  );
}
