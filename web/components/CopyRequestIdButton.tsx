import Box from '@mui/material/Box';
import IconButton from '@mui/material/IconButton';
import Tooltip from '@mui/material/Tooltip';
import CheckIcon from '@mui/icons-material/Check';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import visuallyHidden from '@mui/utils/visuallyHidden';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { copyText } from '../lib/clipboard';

export interface CopyRequestIdButtonProps {
  requestId: string;
}

/**
 * Copies an ECS RequestId, one click from a support ticket (docs/product.md#step-6-results), also where the page
 * is served over plain http (lib/clipboard.ts). The outcome shows in the tooltip and is announced to screen
 * readers; the icon change alone would be silent.
 */
export function CopyRequestIdButton({ requestId }: CopyRequestIdButtonProps) {
  const { t } = useTranslation();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  const label = t('common.copyRequestId', { id: requestId });
  const feedback =
    state === 'copied' ? t('common.requestIdCopied', { id: requestId }) : state === 'failed' ? t('common.copyFailed') : undefined;
  return (
    <>
      <Tooltip title={feedback ?? label}>
        <IconButton
          size="small"
          aria-label={label}
          onClick={() => {
            void copyText(requestId).then((isCopied) => setState(isCopied ? 'copied' : 'failed'));
          }}
        >
          {state === 'copied' ? <CheckIcon fontSize="inherit" /> : <ContentCopyIcon fontSize="inherit" />}
        </IconButton>
      </Tooltip>
      <Box component="span" role="status" sx={visuallyHidden}>
        {feedback ?? ''}
      </Box>
    </>
  );
}
