import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import VpnKeyIcon from '@mui/icons-material/VpnKey';
import { useQuery } from '@tanstack/react-query';
import { useState, type JSX } from 'react';
import { useTranslation } from 'react-i18next';
import { DisabledReason } from '@web/components/DisabledReason';
import { sessionQueries, useCan } from '@web/lib/session';
import { useAttachRun } from '../hooks/use-attach-run';
import { useFollowUps } from '../hooks/use-follow-ups';
import type { AttachTarget } from '../model';
import { ReviewDialog } from './ReviewDialog';
import { RunDialog } from './RunDialog';

export interface AttachFlowProps {
  regionId: string;
  keyPairName: string | undefined;
  /** The selected, selectable (Linux, unlocked) instances. */
  targets: AttachTarget[];
  /** Called once the attach is confirmed: the selection has been handed over and can be cleared. */
  onSelectionDone: () => void;
}

/**
 * "Review and attach…" and everything after it (docs/product.md#step-4-review to docs/product.md#step-7-activation): the review dialog, the batched run with progress,
 * the per-instance results with retry and CSV, and the Reboot/Start follow-ups until the key pair is active.
 */
export function AttachFlow({ regionId, keyPairName, targets, onSelectionDone }: AttachFlowProps): JSX.Element {
  const { t } = useTranslation('attach');
  const session = useQuery(sessionQueries.current());
  const canAttach = useCan('AttachKeyPair');
  const { run, start, resend, cancel } = useAttachRun();
  const followUps = useFollowUps(run);
  const [dialog, setDialog] = useState<'none' | 'review' | 'run'>('none');

  // Permission first: telling someone who may not attach to "choose a key pair" would send them the wrong way.
  const reason = session.isPending
    ? t('primary.reasonCheckingSession')
    : !canAttach
      ? t('app:permission.notAllowed', { action: 'AttachKeyPair' })
      : run?.isRunning
        ? t('primary.reasonRunning')
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
            onClick={() => setDialog('review')}
          >
            {t('primary.review')}
          </Button>
        )}
      </DisabledReason>
      {run && dialog === 'none' && (
        <Button variant="text" onClick={() => setDialog('run')}>
          {t('primary.showResults')}
        </Button>
      )}
      {keyPairName && (
        <ReviewDialog
          open={dialog === 'review'}
          regionId={regionId}
          keyPairName={keyPairName}
          targets={targets}
          onCancel={() => setDialog('none')}
          onConfirm={() => {
            start(regionId, keyPairName, targets);
            setDialog('run');
            onSelectionDone();
          }}
        />
      )}
      {run && (
        <RunDialog
          open={dialog === 'run'}
          run={run}
          followUps={followUps}
          onCancelRun={cancel}
          onResend={resend}
          onClose={() => setDialog('none')}
        />
      )}
    </Box>
  );
}
