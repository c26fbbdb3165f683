import type { Locator, Page } from '@playwright/test';

/**
 * The banner on every screen: who is signed in, the simulated-ECS badge, navigation, language and theme.
 * Names are matched in English and 简体中文 so the same object serves the Chinese journey.
 */
export type LanguageName = 'English' | '简体中文';
export type ThemeName = 'System' | 'Light' | 'Dark';

const THEME_NAMES: Record<LanguageName, Record<ThemeName, string>> = {
  English: { System: 'System', Light: 'Light', Dark: 'Dark' },
  简体中文: { System: '跟随系统', Light: '浅色', Dark: '深色' },
};

export class AppHeader {
  readonly banner: Locator;
  readonly navigation: Locator;
  readonly language: Locator;
  readonly theme: Locator;

  constructor(private readonly page: Page) {
    this.banner = page.getByRole('banner');
    this.navigation = this.banner.getByRole('navigation', { name: /^(Main navigation|主导航)$/ });
    this.language = this.banner.getByRole('combobox', { name: /^(Language|语言)$/ });
    this.theme = this.banner.getByRole('combobox', { name: /^(Theme|主题)$/ });
  }

  signedInAs(user: string): Locator {
    return this.banner.getByText(`Signed in as ${user}`, { exact: true });
  }

  groups(groups: string): Locator {
    return this.banner.getByText(`Groups: ${groups}`, { exact: true });
  }

  navLink(name: string): Locator {
    return this.navigation.getByRole('link', { name, exact: true });
  }

  async chooseLanguage(name: LanguageName): Promise<void> {
    await this.language.click();
    await this.page.getByRole('option', { name, exact: true }).click();
  }

  /** Picks a theme; `uiLanguage` is the language the menu is currently shown in. */
  async chooseTheme(name: ThemeName, uiLanguage: LanguageName = 'English'): Promise<void> {
    await this.theme.click();
    await this.page.getByRole('option', { name: THEME_NAMES[uiLanguage][name], exact: true }).click();
  }
}
