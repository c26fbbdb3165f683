import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../lib/api-error';

export interface ErrorAlertProps {
  /** The sentence to show (already translated). */
  message: ReactNode;
  error: ApiError;
  onRetry: () => void;
  severity?: 'error' | 'warning';
}

/**
 * The inline message for a failed load (docs/product.md#console-qualities): what failed in words, the RequestId a support ticket
 * needs, and a retry. Shared by every feature so they all say it the same way.
 */
export function ErrorAlert({ message, error, onRetry, severity = 'error' }: ErrorAlertProps) {
  const { t } = useTranslation('app');
  return (
    <Alert
      severity={severity}
      role="alert"
      action={
        <Button color="inherit" size="small" onClick={onRetry}>
          {t('common.retry')}
        </Button>
      }
    >
      {message}
      {error.requestId ? (
        <Box component="span" sx={{ display: 'block', fontFamily: 'monospace' }}>
          {t('common.requestIdValue', { id: error.requestId })}
        </Box>
      ) : null}
    </Alert>
  );
}
