import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import HelpOutlineIcon from '@mui/icons-material/HelpOutlineOutlined';
import KeyboardArrowDownIcon from '@mui/icons-material/KeyboardArrowDown';
import KeyboardArrowRightIcon from '@mui/icons-material/KeyboardArrowRight';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import visuallyHidden from '@mui/utils/visuallyHidden';
import { Fragment, useId, useState } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link as RouterLink } from 'wouter';
import type { InstanceReconciliation } from '#ecs/console-api';
import { instanceVerdict, type Verdict } from '#ecs/outcomes';
import { CopyRequestIdButton } from '@web/components/CopyRequestIdButton';
import { explainCode } from '@web/lib/error-text';
import type { OperationRow } from '../api/get-activity';
import { formatAbsoluteTime, formatDuration, formatLocalTime, formatRelativeTime } from '../format';
import { OperationStatusLabel } from './OperationStatusLabel';

/** Where the instances screen shows exactly these instances; the app owns its URLs (features never import app). */
export type InstancesHref = (regionId: string, instanceIds: readonly string[]) => string;
/** Where a run's page is, for the calls a run sent (docs/product.md#step-10-activity: the run it belongs to). */
export type RunHref = (runId: string) => string;

export interface ActivityTableProps {
  operations: readonly OperationRow[];
  instancesHref: InstancesHref;
  runHref: RunHref;
  /** The clock the "… ago" texts are relative to. */
  now: number;
}

const COLUMNS = ['who', 'when', 'action', 'region', 'keyPair', 'instances', 'outcome', 'requestId', 'duration'] as const;

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: '0.8125rem' } as const;

/**
 * The audit trail as a table (docs/product.md#step-10-activity). A page holds at most a few hundred rows ("Load more" adds 50 at a
 * time), so a plain table: every row is in the DOM for find-in-page and screen readers, and no virtualizer is
 * needed at this size.
 */
export function ActivityTable({ operations, instancesHref, runHref, now }: ActivityTableProps) {
  const { t } = useTranslation('activity');
  return (
    <TableContainer component={Paper} variant="outlined">
      <Table size="small">
        <Box component="caption" sx={visuallyHidden}>
          {t('columns.caption')}
        </Box>
        <TableHead>
          <TableRow>
            {COLUMNS.map((column) => (
              <TableCell key={column} scope="col" sx={{ whiteSpace: 'nowrap' }}>
                {t(`columns.${column}`)}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {operations.map((operation) => (
            <OperationTableRow key={operation.id} operation={operation} instancesHref={instancesHref} runHref={runHref} now={now} />
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function OperationTableRow({
  operation,
  instancesHref,
  runHref,
  now,
}: {
  operation: OperationRow;
  instancesHref: InstancesHref;
  runHref: RunHref;
  now: number;
}) {
  const { t, i18n } = useTranslation('activity');
  const [isOpen, setOpen] = useState(false);
  const detailsId = useId();
  const count = operation.instanceIds.length;
  return (
    <Fragment>
      <TableRow hover sx={{ '& > td': { verticalAlign: 'top', ...(isOpen ? { borderBottom: 'unset' } : {}) } }}>
        <TableCell>
          <Who operation={operation} />
        </TableCell>
        <TableCell sx={{ whiteSpace: 'nowrap' }}>
          <time dateTime={new Date(operation.at).toISOString()} title={formatAbsoluteTime(i18n.language, operation.at)}>
            {formatLocalTime(i18n.language, operation.at)}
          </time>
          <Typography variant="caption" component="div" color="text.secondary">
            {formatRelativeTime(i18n.language, operation.at, now)}
          </Typography>
        </TableCell>
        <TableCell>
          {t(`actions.${operation.action}`, { defaultValue: operation.action })}
          {operation.runId !== undefined && (
            <Link component={RouterLink} href={runHref(operation.runId)} variant="body2" sx={{ display: 'block' }}>
              {t('viewRun')}
            </Link>
          )}
        </TableCell>
        <TableCell sx={mono}>{operation.regionId}</TableCell>
        <TableCell>{operation.keyPairName ?? t('empty')}</TableCell>
        <TableCell>
          <Box sx={{ display: 'flex', flexDirection: 'column', alignItems: 'flex-start', gap: 0.25 }}>
            <Button
              size="small"
              onClick={() => setOpen((open) => !open)}
              aria-expanded={isOpen}
              {...(isOpen ? { 'aria-controls': detailsId } : {})}
              startIcon={isOpen ? <KeyboardArrowDownIcon /> : <KeyboardArrowRightIcon />}
              sx={{ whiteSpace: 'nowrap' }}
            >
              {t('instanceCount', { count })}
            </Button>
            {count > 0 && (
              <Link component={RouterLink} href={instancesHref(operation.regionId, operation.instanceIds)} variant="body2" sx={{ pl: 1 }}>
                {t('viewInstances')}
              </Link>
            )}
          </Box>
        </TableCell>
        <TableCell>
          <OperationStatusLabel status={operation.status} />
          <OutcomeHint operation={operation} />
        </TableCell>
        <TableCell sx={{ whiteSpace: 'nowrap' }}>
          {operation.requestId ? (
            <>
              <Box component="span" sx={mono}>
                {operation.requestId}
              </Box>
              <CopyRequestIdButton requestId={operation.requestId} />
            </>
          ) : (
            t('empty')
          )}
        </TableCell>
        <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatDuration(t, i18n.language, operation.durationMs)}</TableCell>
      </TableRow>
      {isOpen && (
        <TableRow>
          <TableCell colSpan={COLUMNS.length} id={detailsId} sx={{ pl: 6, bgcolor: 'action.hover' }}>
            <PerInstanceOutcomes operation={operation} />
          </TableCell>
        </TableRow>
      )}
    </Fragment>
  );
}

/** The user, with email, groups and client address on hover or keyboard focus (and as an accessible description). */
function Who({ operation }: { operation: OperationRow }) {
  const { t } = useTranslation('activity');
  const details = [
    ...(operation.email ? [t('who.email', { email: operation.email })] : []),
    operation.groups.length > 0 ? t('who.groups', { groups: operation.groups.join(', ') }) : t('who.noGroups'),
    t('who.client', { address: operation.clientAddress }),
  ];
  return (
    <Tooltip
      describeChild
      title={
        <>
          {details.map((line) => (
            <div key={line}>{line}</div>
          ))}
        </>
      }
    >
      <Box
        component="span"
        tabIndex={0}
        aria-description={details.join('. ')}
        sx={{ textDecoration: 'underline dotted', cursor: 'help', whiteSpace: 'nowrap' }}
      >
        {operation.user}
      </Box>
    </Tooltip>
  );
}

/** Why an operation did not simply succeed, in words (docs/product.md#step-6-results: ECS codes as sentences). */
function OutcomeHint({ operation }: { operation: OperationRow }) {
  const { t } = useTranslation('activity');
  const { status, errorCode } = operation;
  let hint: string | undefined;
  // A refusal is explained in the trail's own words: the proxy's "your groups do not allow" sentence would
  // speak to whoever reads the trail, not to the operator who was refused.
  if (status === 'denied') hint = t('statusHint.denied');
  // Unknown before any code: an error code's usual sentence ("InternalError: retry") would invite a blind retry.
  else if (status === 'unknown') hint = t('statusHint.unknown');
  else if ((status === 'partial' || (status === 'failed' && !errorCode)) && operation.instances.length > 0) {
    const total = operation.instances.length;
    hint =
      operation.unknownCount > 0
        ? t('statusHint.partialUnknown', { failed: operation.failedCount, unknown: operation.unknownCount, total })
        : t('statusHint.partial', { failed: operation.failedCount, total });
  } else if (errorCode) hint = explainCode(t, errorCode, operation.errorMessage, operation.action);
  else if (status === 'pending') hint = t('statusHint.pending');
  const reconciled =
    operation.reconciledCount > 0
      ? t('statusHint.reconciled', { attached: operation.reconciledAttachedCount, count: operation.reconciledCount })
      : undefined;
  if (hint === undefined && reconciled === undefined) return null;
  return (
    <Typography variant="caption" component="div" color="text.secondary" sx={{ maxWidth: 280 }}>
      {hint}
      {reconciled !== undefined && (
        <Box component="span" sx={{ display: 'block' }}>
          {reconciled}
        </Box>
      )}
    </Typography>
  );
}

/** Each verdict has its own icon shape as well as its colour (never colour alone). */
const VERDICT_ICONS: Record<Verdict, { Icon: typeof CheckCircleIcon; color: 'success' | 'error' | 'warning' }> = {
  succeeded: { Icon: CheckCircleIcon, color: 'success' },
  failed: { Icon: ErrorIcon, color: 'error' },
  unknown: { Icon: HelpOutlineIcon, color: 'warning' },
};

/** What reading the instance back found, in the trail's words. */
function reconciledText(t: TFunction<'activity'>, reconciled: InstanceReconciliation): string {
  if (reconciled.KeyPairName === '') return t('perInstance.reconciledNoKey');
  return t(reconciled.attached ? 'perInstance.reconciledAttached' : 'perInstance.reconciledNotAttached', {
    keyPairName: reconciled.KeyPairName,
  });
}

function PerInstanceOutcomes({ operation }: { operation: OperationRow }) {
  const { t } = useTranslation('activity');
  if (operation.instances.length === 0) {
    return (
      <Box>
        <Typography variant="body2">{t('perInstance.none')}</Typography>
        <Typography variant="body2" sx={mono}>
          {operation.instanceIds.join(', ')}
        </Typography>
      </Box>
    );
  }
  return (
    <Table size="small" sx={{ width: 'auto' }}>
      <caption style={{ captionSide: 'top', textAlign: 'left', padding: 0 }}>{t('perInstance.caption')}</caption>
      <TableHead>
        <TableRow>
          <TableCell scope="col">{t('perInstance.instanceId')}</TableCell>
          <TableCell scope="col">{t('perInstance.result')}</TableCell>
          <TableCell scope="col">{t('perInstance.code')}</TableCell>
          <TableCell scope="col">{t('perInstance.meaning')}</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {operation.instances.map((outcome) => {
          const verdict = instanceVerdict(outcome);
          const look = VERDICT_ICONS[verdict];
          return (
            <TableRow key={outcome.InstanceId}>
              <TableCell sx={mono}>{outcome.InstanceId}</TableCell>
              <TableCell>
                <Box component="span" sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.5 }}>
                  <look.Icon fontSize="small" color={look.color} aria-hidden />
                  {t(`perInstance.${verdict === 'succeeded' ? 'ok' : verdict}`)}
                </Box>
              </TableCell>
              <TableCell sx={mono}>{outcome.ok ? t('empty') : outcome.Code || t('empty')}</TableCell>
              <TableCell>
                {verdict === 'succeeded'
                  ? t('empty')
                  : verdict === 'unknown'
                    ? t('perInstance.unknownMeaning')
                    : explainCode(t, outcome.Code, outcome.Message, operation.action)}
                {outcome.reconciled && (
                  <Typography variant="body2" component="span" sx={{ display: 'block', fontWeight: 500 }}>
                    {reconciledText(t, outcome.reconciled)}
                  </Typography>
                )}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
