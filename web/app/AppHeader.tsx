import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Toolbar from '@mui/material/Toolbar';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import Button from '@mui/material/Button';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import { sessionQueries } from '../lib/session';
import { LANGUAGES, rememberLanguage, type Language } from './i18n';
import { useThemeChoice } from './Providers';
import type { ThemePreference } from './theme';

/** Product name, who is signed in, simulated-or-live badge, language and theme (docs/product.md#console-qualities). */
export function AppHeader() {
  const { t, i18n } = useTranslation();
  const session = useQuery(sessionQueries.current());
  const { preference, setPreference } = useThemeChoice();
  const isLive = session.data?.mode === 'live';
  const [location] = useLocation();
  const section = location.startsWith('/activity') ? 'activity' : location.startsWith('/runs') ? 'runs' : 'instances';
  return (
    <AppBar position="static" color="default" elevation={1} component="header">
      <Toolbar sx={{ gap: 2, flexWrap: 'wrap', py: 1 }}>
        <Typography variant="h6" component="span" sx={{ fontWeight: 600 }}>
          {t('product')}
        </Typography>
        {session.data && (
          <Tooltip title={isLive ? t('header.modeLiveHint') : t('header.modeSimHint')}>
            <Chip
              label={isLive ? t('header.modeLive') : t('header.modeSim')}
              color={isLive ? 'error' : 'info'}
              variant={isLive ? 'filled' : 'outlined'}
              size="small"
              aria-description={isLive ? t('header.modeLiveHint') : t('header.modeSimHint')}
            />
          </Tooltip>
        )}
        <Box component="nav" aria-label={t('nav.label')} sx={{ display: 'flex', gap: 1 }}>
          <Button component={Link} href="/" color="inherit" aria-current={section === 'instances' ? 'page' : undefined}>
            {t('nav.instances')}
          </Button>
          <Button component={Link} href="/runs" color="inherit" aria-current={section === 'runs' ? 'page' : undefined}>
            {t('nav.runs')}
          </Button>
          <Button component={Link} href="/activity" color="inherit" aria-current={section === 'activity' ? 'page' : undefined}>
            {t('nav.activity')}
          </Button>
        </Box>
        <Box sx={{ flexGrow: 1 }} />
        {session.data && (
          <Box sx={{ textAlign: 'right' }}>
            <Typography variant="body2">{t('header.signedInAs', { user: session.data.user })}</Typography>
            <Typography variant="caption" color="text.secondary">
              {session.data.groups.length > 0 ? t('header.groups', { groups: session.data.groups.join(', ') }) : t('header.noGroups')}
            </Typography>
          </Box>
        )}
        <TextField
          select
          size="small"
          label={t('header.language')}
          value={i18n.language}
          onChange={(event) => {
            const lang = event.target.value as Language;
            rememberLanguage(lang);
            void i18n.changeLanguage(lang);
          }}
          sx={{ minWidth: 120 }}
        >
          {LANGUAGES.map((lang) => (
            <MenuItem key={lang} value={lang} lang={lang}>
              {lang === 'en' ? 'English' : '简体中文'}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label={t('header.theme')}
          value={preference}
          onChange={(event) => setPreference(event.target.value as ThemePreference)}
          sx={{ minWidth: 120 }}
        >
          <MenuItem value="system">{t('header.themeSystem')}</MenuItem>
          <MenuItem value="light">{t('header.themeLight')}</MenuItem>
          <MenuItem value="dark">{t('header.themeDark')}</MenuItem>
        </TextField>
      </Toolbar>
    </AppBar>
  );
}
