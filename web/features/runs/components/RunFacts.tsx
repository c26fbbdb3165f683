import Box from '@mui/material/Box';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link as RouterLink } from 'wouter';
import type { Run } from '#ecs/runs-api';
import { runQueries } from '@web/lib/runs';
import { formatAbsoluteTime, formatLocalTime, formatRelativeTime, useNow } from '../format';
import { policyText, runKindText } from '../run-text';

export interface RunFactsProps {
  run: Run;
  runHref: (id: string) => string;
}

/** What the run is: its kind, region, who started it and when, its policy in words, and the runs it is linked to. */
export function RunFacts({ run, runHref }: RunFactsProps) {
  const { t, i18n } = useTranslation('runs');
  const now = useNow();
  const policy = policyText(t, i18n.language, run.policy);
  return (
    <Paper variant="outlined" component="section" aria-label={t('facts.label')} sx={{ p: 2 }}>
      <Box component="dl" sx={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 3, rowGap: 1, m: 0, '& dd': { m: 0 } }}>
        <Fact term={t('facts.kind')}>{runKindText(t, run)}</Fact>
        <Fact term={t('facts.region')}>
          <Box component="span" sx={{ fontFamily: 'monospace' }}>
            {run.regionId}
          </Box>
        </Fact>
        <Fact term={t('facts.created')}>
          {t('facts.createdBy', { user: run.createdBy })}
          {t('separator')}
          <time dateTime={new Date(run.createdAt).toISOString()} title={formatAbsoluteTime(i18n.language, run.createdAt)}>
            {formatLocalTime(i18n.language, run.createdAt)}
          </time>{' '}
          <Typography component="span" variant="body2" color="text.secondary">
            ({formatRelativeTime(i18n.language, run.createdAt, now)})
          </Typography>
        </Fact>
        <Fact term={t('facts.instances')}>{run.total}</Fact>
        <Fact term={t('facts.stopped')}>{policy.stopped}</Fact>
        <Fact term={t('facts.running')}>
          {policy.running.length === 1 ? (
            policy.running[0]
          ) : (
            <Box component="ul" sx={{ m: 0, pl: 2.5 }}>
              {policy.running.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </Box>
          )}
        </Fact>
        {run.retryOf !== undefined && (
          <Fact term={t('facts.retryOf')}>
            <Link component={RouterLink} href={runHref(run.retryOf)} sx={{ fontFamily: 'monospace' }}>
              {run.retryOf}
            </Link>
          </Fact>
        )}
        <Retries run={run} runHref={runHref} />
      </Box>
    </Paper>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <Typography component="dt" variant="body2" color="text.secondary">
        {term}
      </Typography>
      <Typography component="dd" variant="body2">
        {children}
      </Typography>
    </>
  );
}

/**
 * Runs that retry this one. The runs API has no filter by `retryOf`, so they are looked for among the latest runs
 * of the same region and key pair (a retry keeps both); past that page the page says it did not look further.
 */
function Retries({ run, runHref }: RunFactsProps) {
  const { t } = useTranslation('runs');
  const list = useQuery(
    runQueries.list({ regionId: run.regionId, ...(run.keyPairName === undefined ? {} : { keyPairName: run.keyPairName }) }),
  );
  if (list.data === undefined) return null;
  const retries = list.data.items.filter((other) => other.retryOf === run.id);
  const isPartial = list.data.nextCursor !== null;
  return (
    <Fact term={t('facts.retries')}>
      {retries.length === 0 ? (
        t('facts.noRetries')
      ) : (
        <Box component="span" sx={{ display: 'inline-flex', gap: 1.5, flexWrap: 'wrap' }}>
          {retries.map((retry) => (
            <Link key={retry.id} component={RouterLink} href={runHref(retry.id)} sx={{ fontFamily: 'monospace' }}>
              {retry.id}
            </Link>
          ))}
        </Box>
      )}
      {isPartial && (
        <Typography component="span" variant="caption" color="text.secondary" sx={{ display: 'block' }}>
          {t('facts.retriesPartial', { count: list.data.items.length })}
        </Typography>
      )}
    </Fact>
  );
}
