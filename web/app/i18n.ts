import i18next, { type i18n as I18n, type Resource } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { activityLocales } from '../features/activity/locales';
import { attachLocales } from '../features/attach/locales';
import { instancesLocales } from '../features/instances/locales';
import { keypairsLocales } from '../features/keypairs/locales';
import { regionsLocales } from '../features/regions/locales';
import { runsLocales } from '../features/runs/locales';
import { appLocales } from './locales';

/**
 * English and 简体中文 (docs/product.md#console-qualities) with i18next. Each feature keeps its strings in its own `locales.ts`
 * (one namespace per feature), so no string lives outside a catalogue and features never edit each other's.
 */
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'ecs-console.language';

const catalogues = {
  app: appLocales,
  regions: regionsLocales,
  instances: instancesLocales,
  keypairs: keypairsLocales,
  attach: attachLocales,
  activity: activityLocales,
  runs: runsLocales,
};

function resources(): Resource {
  const out: Resource = {};
  for (const lang of LANGUAGES) {
    out[lang] = Object.fromEntries(Object.entries(catalogues).map(([ns, c]) => [ns, c[lang]]));
  }
  return out;
}

export function initialLanguage(): Language {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === 'en' || stored === 'zh-CN') return stored;
  } catch {
    // Storage may be unavailable (private mode); fall through to the browser language.
  }
  return typeof navigator !== 'undefined' && navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function rememberLanguage(lang: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembering is harmless.
  }
}

export async function createI18n(lang: Language = initialLanguage()): Promise<I18n> {
  const instance = i18next.createInstance();
  await instance.use(initReactI18next).init({
    resources: resources(),
    lng: lang,
    fallbackLng: 'en',
    ns: Object.keys(catalogues),
    defaultNS: 'app',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  instance.on('languageChanged', (lng) => {
    if (typeof document !== 'undefined') document.documentElement.lang = lng;
  });
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
  return instance;
}
