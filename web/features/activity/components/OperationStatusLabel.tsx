import BlockIcon from '@mui/icons-material/Block';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import HelpOutlineIcon from '@mui/icons-material/HelpOutlineOutlined';
import HourglassEmptyIcon from '@mui/icons-material/HourglassEmpty';
import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import Box from '@mui/material/Box';
import { useTranslation } from 'react-i18next';
import type { OperationStatus } from '#ecs/console-api';

type StatusIcon = typeof CheckCircleIcon;

/** Each status has its own icon shape as well as its colour, and always its word (docs/product.md#console-qualities: no colour-only status). */
const LOOK: Record<OperationStatus, { Icon: StatusIcon; color: 'success' | 'warning' | 'error' | 'disabled' | 'info' }> = {
  succeeded: { Icon: CheckCircleIcon, color: 'success' },
  partial: { Icon: WarningAmberIcon, color: 'warning' },
  failed: { Icon: ErrorIcon, color: 'error' },
  unknown: { Icon: HelpOutlineIcon, color: 'warning' },
  denied: { Icon: BlockIcon, color: 'error' },
  pending: { Icon: HourglassEmptyIcon, color: 'info' },
};

export interface OperationStatusLabelProps {
  status: OperationStatus;
}

export function OperationStatusLabel({ status }: OperationStatusLabelProps) {
  const { t } = useTranslation('activity');
  const { Icon, color } = LOOK[status];
  return (
    <Box component="span" sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.5, whiteSpace: 'nowrap' }}>
      <Icon fontSize="small" color={color} aria-hidden />
      {t(`status.${status}`)}
    </Box>
  );
}
