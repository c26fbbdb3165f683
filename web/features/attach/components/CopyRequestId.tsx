import Box from '@mui/material/Box';
import IconButton from '@mui/material/IconButton';
import Tooltip from '@mui/material/Tooltip';
import CheckIcon from '@mui/icons-material/Check';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * Copies text to the clipboard: the async Clipboard API where the page may use it (secure contexts), else the old
 * select-and-execCommand route, which still works on plain-http intranet deployments.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Denied or unavailable: try the fallback.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    // execCommand is deprecated but remains the only copy route outside secure contexts.
    return typeof document.execCommand === 'function' && document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

/** An ECS RequestId, one click from a support ticket (PRODUCT.md step 6). */
export function CopyRequestId({ requestId }: { requestId: string | undefined }) {
  const { t } = useTranslation('attach');
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);
  if (!requestId) {
    return (
      <Box component="span" sx={{ color: 'text.secondary' }}>
        {t('results.noRequestId')}
      </Box>
    );
  }
  const feedback = state === 'copied' ? t('results.copied', { id: requestId }) : state === 'failed' ? t('results.copyFailed') : undefined;
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5, minWidth: 0 }}>
      <Box component="span" sx={{ fontFamily: 'monospace', fontSize: '0.75rem', wordBreak: 'break-all', userSelect: 'all' }}>
        {requestId}
      </Box>
      <Tooltip title={feedback ?? t('results.copyRequestId', { id: requestId })}>
        <IconButton
          size="small"
          aria-label={t('results.copyRequestId', { id: requestId })}
          onClick={() => {
            void copyText(requestId).then((isCopied) => setState(isCopied ? 'copied' : 'failed'));
          }}
        >
          {state === 'copied' ? <CheckIcon fontSize="inherit" /> : <ContentCopyIcon fontSize="inherit" />}
        </IconButton>
      </Tooltip>
      {/* Announced to screen readers; the icon change alone would be silent. */}
      <Box component="span" role="status" sx={{ position: 'absolute', width: '1px', height: '1px', overflow: 'hidden', clip: 'rect(0 0 0 0)' }}>
        {feedback ?? ''}
      </Box>
    </Box>
  );
}
