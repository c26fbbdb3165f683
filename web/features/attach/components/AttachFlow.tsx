import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import VpnKeyIcon from '@mui/icons-material/VpnKey';
import { useQuery } from '@tanstack/react-query';
import { useState, type JSX } from 'react';
import { useTranslation } from 'react-i18next';
import { DisabledReason } from '@web/components/DisabledReason';
import { useRunCreation } from '@web/lib/run-creation';
import { sessionQueries, useCan } from '@web/lib/session';
import type { AttachTarget } from '../model';
import { ReviewDialog } from './ReviewDialog';

export interface AttachFlowProps {
  regionId: string;
  keyPairName: string | undefined;
  /** The selected, selectable (Linux, unlocked) instances. */
  targets: AttachTarget[];
  /** Called once the run is created: the selection has been handed over and can be cleared. */
  onSelectionDone: () => void;
}

/**
 * "Review and attach…" (docs/product.md#step-4-review): the review dialog, whose confirm creates a run that the
 * proxy carries out (docs/product.md#step-7-activation), then the run's page. The create is one POST: the proxy
 * owns every retry of the ECS calls that follow (docs/decisions/retries.md).
 */
export function AttachFlow({ regionId, keyPairName, targets, onSelectionDone }: AttachFlowProps): JSX.Element {
  const { t } = useTranslation('attach');
  const session = useQuery(sessionQueries.current());
  const canAttach = useCan('AttachKeyPair');
  // A new review each time it opens: the choices of a cancelled one are not carried into the next.
  const [review, setReview] = useState({ isOpen: false, key: 0 });
  const run = useRunCreation(() => {
    setReview((r) => ({ ...r, isOpen: false }));
    onSelectionDone();
  });

  // Permission first: telling someone who may not attach to "choose a key pair" would send them the wrong way.
  const reason = session.isPending
    ? t('primary.reasonCheckingSession')
    : !canAttach
      ? t('app:permission.notAllowed', { action: 'AttachKeyPair' })
      : !keyPairName
        ? t('primary.reasonNoKeyPair')
        : targets.length === 0
          ? t('primary.reasonNoSelection')
          : undefined;

  return (
    <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start', flexWrap: 'wrap' }}>
      <DisabledReason reason={reason} isReasonVisible>
        {(describedBy) => (
          <Button
            variant="contained"
            startIcon={<VpnKeyIcon />}
            disabled={reason !== undefined}
            aria-describedby={describedBy}
            aria-haspopup="dialog"
            onClick={() => {
              run.reset();
              setReview((r) => ({ isOpen: true, key: r.key + 1 }));
            }}
          >
            {t('primary.review')}
          </Button>
        )}
      </DisabledReason>
      {keyPairName && (
        <ReviewDialog
          key={review.key}
          open={review.isOpen}
          regionId={regionId}
          keyPairName={keyPairName}
          targets={targets}
          isCreating={run.isCreating}
          error={run.error}
          onCancel={() => setReview((r) => ({ ...r, isOpen: false }))}
          onConfirm={(policy) =>
            run.create({
              RegionId: regionId,
              kind: 'attach',
              KeyPairName: keyPairName,
              InstanceIds: targets.map((target) => target.InstanceId),
              policy,
            })
          }
        />
      )}
    </Box>
  );
}
