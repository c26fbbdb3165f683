import Alert from '@mui/material/Alert';
import Snackbar from '@mui/material/Snackbar';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { subscribeToasts, type Toast } from '../lib/notifications';

/** Shows one toast at a time, newest last; errors stay until dismissed so a 3 a.m. operator does not miss them. */
export function Toaster() {
  const { t } = useTranslation();
  const [queue, setQueue] = useState<Toast[]>([]);
  useEffect(() => subscribeToasts((toast) => setQueue((q) => [...q, toast])), []);
  const current = queue[0];
  const dismiss = () => setQueue((q) => q.slice(1));
  return (
    <Snackbar
      open={current !== undefined}
      onClose={(_event, reason) => {
        if (reason !== 'clickaway') dismiss();
      }}
      autoHideDuration={current?.severity === 'error' ? null : 6000}
      anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}
    >
      {current ? (
        <Alert severity={current.severity} onClose={dismiss} variant="filled" closeText={t('common.close')}>
          {current.message}
          {current.requestId ? ` (${t('common.requestId')}: ${current.requestId})` : ''}
        </Alert>
      ) : undefined}
    </Snackbar>
  );
}
