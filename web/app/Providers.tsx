import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider } from '@mui/material/styles';
import useMediaQuery from '@mui/material/useMediaQuery';
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { i18n as I18n } from 'i18next';
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { I18nextProvider } from 'react-i18next';
import { createAppTheme, rememberThemePreference, storedThemePreference, type ThemePreference } from './theme';

interface ThemeChoice {
  preference: ThemePreference;
  setPreference: (value: ThemePreference) => void;
}

const ThemeChoiceContext = createContext<ThemeChoice>({ preference: 'system', setPreference: () => undefined });

export function useThemeChoice(): ThemeChoice {
  return useContext(ThemeChoiceContext);
}

export interface ProvidersProps {
  queryClient: QueryClient;
  i18n: I18n;
  children: ReactNode;
  /** Tests pin the theme; the app follows the stored choice or the system. */
  initialTheme?: ThemePreference;
}

/** Light and dark follow the system unless the operator picked one (docs/product.md#console-qualities). */
export function Providers({ queryClient, i18n, children, initialTheme }: ProvidersProps) {
  const prefersDark = useMediaQuery('(prefers-color-scheme: dark)', { noSsr: true });
  const [preference, setPreferenceState] = useState<ThemePreference>(initialTheme ?? storedThemePreference());
  const mode = preference === 'system' ? (prefersDark ? 'dark' : 'light') : preference;
  const theme = useMemo(() => createAppTheme(mode), [mode]);
  const choice = useMemo<ThemeChoice>(
    () => ({
      preference,
      setPreference: (value) => {
        rememberThemePreference(value);
        setPreferenceState(value);
      },
    }),
    [preference],
  );
  return (
    <I18nextProvider i18n={i18n}>
      <QueryClientProvider client={queryClient}>
        <ThemeChoiceContext.Provider value={choice}>
          <ThemeProvider theme={theme}>
            <CssBaseline enableColorScheme />
            {children}
          </ThemeProvider>
        </ThemeChoiceContext.Provider>
      </QueryClientProvider>
    </I18nextProvider>
  );
}
