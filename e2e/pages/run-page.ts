import { expect, type Locator, type Page } from '@playwright/test';

/** The run page `/runs/:id`: what a run is, its progress and waves, its instances and its controls. */
export class RunPage {
  readonly section: Locator;
  readonly state: Locator;
  readonly facts: Locator;
  readonly progress: Locator;
  readonly waves: Locator;
  readonly controls: Locator;
  readonly pauseButton: Locator;
  readonly resumeButton: Locator;
  readonly cancelButton: Locator;
  readonly retryButton: Locator;
  readonly readOnlyNote: Locator;
  readonly instances: Locator;
  readonly exportCsvButton: Locator;
  readonly filters: Locator;

  constructor(readonly page: Page) {
    this.section = page.getByRole('region', { name: 'Run' });
    this.state = page.getByRole('status', { name: 'Run state' });
    this.facts = page.getByRole('region', { name: 'About this run' });
    this.progress = page.getByRole('region', { name: 'Progress' });
    this.waves = page.getByRole('list', { name: 'Waves' });
    this.controls = page.getByRole('group', { name: 'Run controls' });
    this.pauseButton = this.controls.getByRole('button', { name: 'Pause', exact: true });
    this.resumeButton = this.controls.getByRole('button', { name: 'Resume', exact: true });
    this.cancelButton = this.controls.getByRole('button', { name: 'Cancel run…' });
    this.retryButton = this.controls.getByRole('button', { name: 'Retry failed…' });
    this.readOnlyNote = page.getByText(/^You can follow this run; controlling it needs permission for /);
    this.instances = page.getByRole('table', { name: 'Instances in this run' });
    this.filters = page.getByRole('group', { name: 'Show instances' });
    this.exportCsvButton = page.getByRole('button', { name: 'Export CSV' });
  }

  async goto(id: string): Promise<void> {
    await this.page.goto(`/runs/${id}`);
    await expect(this.state).toBeVisible();
  }

  /** The run's id, from the URL. */
  id(): string {
    const match = /\/runs\/([^/?#]+)/.exec(this.page.url());
    if (!match?.[1]) throw new Error(`not on a run page: ${this.page.url()}`);
    return decodeURIComponent(match[1]);
  }

  async waitForState(text: string | RegExp, timeout = 60_000): Promise<void> {
    await expect(this.state).toContainText(text, { timeout });
  }

  /** The table row of one instance (by InstanceId or name). */
  row(nameOrId: string): Locator {
    return this.instances.getByRole('row').filter({ hasText: nameOrId });
  }

  /** A wave of the timeline: "Wave N  k instances  Rebooting …". */
  wave(index: number): Locator {
    return this.waves.getByRole('listitem').nth(index - 1);
  }

  /** The state word of an instance's row ("Active", "Left pending", …) and its detail line. */
  rowState(nameOrId: string): Locator {
    return this.row(nameOrId).getByRole('cell').nth(4);
  }

  async cancel(): Promise<void> {
    await this.cancelButton.click();
    const dialog = this.page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.getByRole('button', { name: 'Cancel run', exact: true }).click();
    await expect(dialog).toBeHidden();
  }
}
