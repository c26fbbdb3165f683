import { createTheme, type Theme } from '@mui/material/styles';

/** All theme overrides in one place (docs/conventions.md#mui). Colours keep WCAG AA contrast in both modes. */
export type ThemePreference = 'light' | 'dark' | 'system';

export function createAppTheme(mode: 'light' | 'dark'): Theme {
  return createTheme({
    palette: {
      mode,
      primary: { main: mode === 'light' ? '#1565c0' : '#90caf9' },
      // Dark enough for white button text with margin (≈ 6.9:1), since the confirm button is warning-coloured.
      warning: { main: mode === 'light' ? '#8a4b00' : '#ffb74d' },
      // MUI's light-mode info (#0288d1) is 3.5:1 on the header's grey: too faint for the "Simulated ECS" chip text.
      info: { main: mode === 'light' ? '#01579b' : '#29b6f6' },
    },
    shape: { borderRadius: 6 },
    typography: { fontSize: 14 },
    components: {
      MuiButton: { defaultProps: { disableElevation: true } },
      MuiTableCell: { styleOverrides: { root: { paddingTop: 6, paddingBottom: 6 } } },
      MuiTooltip: { defaultProps: { arrow: true } },
    },
  });
}

const STORAGE_KEY = 'ecs-console.theme';

export function storedThemePreference(): ThemePreference {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    if (value === 'light' || value === 'dark' || value === 'system') return value;
  } catch {
    // Storage unavailable: follow the system.
  }
  return 'system';
}

export function rememberThemePreference(value: ThemePreference): void {
  try {
    localStorage.setItem(STORAGE_KEY, value);
  } catch {
    // Not remembering is harmless.
  }
}
