import type { QueryClient } from '@tanstack/react-query';
import type { i18n as I18n } from 'i18next';
import { Router } from 'wouter';
import { Providers } from './Providers';
import { AppRoutes } from './AppRoutes';

export function App({ queryClient, i18n }: { queryClient: QueryClient; i18n: I18n }) {
  return (
    <Providers queryClient={queryClient} i18n={i18n}>
      <Router>
        <AppRoutes />
      </Router>
    </Providers>
  );
}
