import CheckIcon from '@mui/icons-material/Check';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import IconButton from '@mui/material/IconButton';
import Tooltip from '@mui/material/Tooltip';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { publishToast } from '../../../lib/notifications';

export interface CopyRequestIdButtonProps {
  requestId: string;
}

/** Request IDs are one click away for a support ticket (PRODUCT.md step 6). */
export function CopyRequestIdButton({ requestId }: CopyRequestIdButtonProps) {
  const { t } = useTranslation('activity');
  const [isCopied, setCopied] = useState(false);
  useEffect(() => {
    if (!isCopied) return undefined;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [isCopied]);
  const label = t('app:common.copyRequestId', { id: requestId });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(requestId);
      setCopied(true);
      // The toast is the announcement screen readers hear; the icon change is for sighted operators.
      publishToast({ severity: 'success', message: t('copied') });
    } catch {
      // No clipboard outside a secure context, or permission refused.
      publishToast({ severity: 'warning', message: t('copyFailed') });
    }
  };
  return (
    <Tooltip title={isCopied ? t('copied') : label}>
      <IconButton size="small" aria-label={label} onClick={() => void copy()}>
        {isCopied ? <CheckIcon fontSize="inherit" /> : <ContentCopyIcon fontSize="inherit" />}
      </IconButton>
    </Tooltip>
  );
}
