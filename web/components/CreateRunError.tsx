import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../lib/api-error';
import { explainError } from '../lib/error-text';
import { CopyRequestIdButton } from './CopyRequestIdButton';

/**
 * Why a run was not created, in the one envelope's words (lib/error-text.ts) with its RequestId
 * (docs/conventions.md#errors-are-data). An answer that is not the proxy's own (the network failed, a gateway's
 * page) cannot say that nothing was created, so it says the run may exist (docs/product.md#unknown-means-unknown).
 */
export function CreateRunError({ error }: { error: ApiError }) {
  const { t } = useTranslation('app');
  const message = explainError(t, error);
  const isUnknown = error.isNetwork || !error.isCodeFromBody;
  return (
    <Alert severity="error" role="alert" sx={{ mt: 2 }}>
      {t(isUnknown ? 'runCreate.unknown' : 'runCreate.failed', { message })}
      {error.requestId && (
        <Box component="span" sx={{ display: 'flex', alignItems: 'center', gap: 0.5, fontFamily: 'monospace' }}>
          {t('common.requestIdValue', { id: error.requestId })}
          <CopyRequestIdButton requestId={error.requestId} />
        </Box>
      )}
    </Alert>
  );
}
