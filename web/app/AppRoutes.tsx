import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import Link from '@mui/material/Link';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { regionQueries } from '../features/regions/api/describe-regions';
import { ErrorAlert } from '../components/ErrorAlert';
import { explainError } from '../lib/error-text';
import { sessionQueries } from '../lib/session';
import { AppHeader } from './AppHeader';
import { ErrorBoundary } from './ErrorBoundary';
import { lastRegion } from './last-region';
import { Toaster } from './Toaster';

// Route-level code splitting keeps the first load small (docs/product.md#console-qualities).
const RegionPage = lazy(() => import('./routes/RegionPage'));
const ActivityPage = lazy(() => import('./routes/ActivityPage'));
const RunsPage = lazy(() => import('./routes/RunsPage'));
const RunPage = lazy(() => import('./routes/RunPage'));

/**
 * The console's routes. wouter rather than react-router: the app needs three URLs and query-string state,
 * and wouter does that in ~2 kB against react-router's ~40 kB gzip of the first load's 250 kB budget.
 */
export function AppRoutes() {
  const { t } = useTranslation();
  const [location] = useLocation();
  const session = useQuery(sessionQueries.current());
  return (
    <Box sx={{ minHeight: '100vh', display: 'flex', flexDirection: 'column' }}>
      <Link
        href="#main"
        className="skip-link"
        sx={{ position: 'absolute', left: -9999, '&:focus': { left: 8, top: 8, zIndex: 2000, p: 1, bgcolor: 'background.paper' } }}
      >
        {t('skipToContent')}
      </Link>
      <AppHeader />
      <Box component="main" id="main" tabIndex={-1} sx={{ flexGrow: 1, p: 2, outline: 'none' }}>
        {session.isError ? (
          <ErrorAlert
            message={t('session.loadFailed', { message: explainError(t, session.error) })}
            error={session.error}
            onRetry={() => void session.refetch()}
          />
        ) : (
          <ErrorBoundary resetKey={location}>
            <Suspense fallback={<CircularProgress aria-label={t('common.loading')} />}>
              <Switch>
                <Route path="/">
                  <RootRedirect />
                </Route>
                <Route path="/regions/:regionId">{(params) => <RegionPage regionId={params.regionId} />}</Route>
                <Route path="/activity">
                  <ActivityPage />
                </Route>
                <Route path="/runs">
                  <RunsPage />
                </Route>
                <Route path="/runs/:id">{(params) => <RunPage id={params.id} />}</Route>
                <Route>
                  <Redirect to="/" replace />
                </Route>
              </Switch>
            </Suspense>
          </ErrorBoundary>
        )}
      </Box>
      <Toaster />
    </Box>
  );
}

/** `/` opens the last region used, or the first one ECS lists. */
function RootRedirect() {
  const { i18n } = useTranslation();
  const remembered = lastRegion();
  const regions = useQuery({ ...regionQueries.list(i18n.language === 'zh-CN' ? 'zh-CN' : 'en'), enabled: remembered === undefined });
  const target = remembered ?? regions.data?.[0]?.RegionId ?? (regions.isError ? 'cn-hangzhou' : undefined);
  if (!target) return <CircularProgress />;
  return <Redirect to={`/regions/${target}`} replace />;
}
