import { expect, type Locator, type Page } from '@playwright/test';
import { ReviewDialog } from './attach-dialogs';
import { escapeRegExp, parseCount } from './text';

export { escapeRegExp, parseCount };

/** Query string of the region page: `q`, `status`, `os`, `key`, `tag`, `ids` (lib/filters.ts). */
export type InstancesQuery = Partial<Record<'q' | 'status' | 'os' | 'key' | 'tag', string>> & { ids?: readonly string[] };

/**
 * The region page `/regions/:regionId` (English UI): region and key pair pickers, the filters, the virtualized
 * instance table, the selection bar and the entry to the attach flow.
 */
export class InstancesPage {
  readonly regionPicker: Locator;
  /** `exact`: "Current key pair" (the filter) also contains "key pair". */
  readonly keyPairPicker: Locator;
  readonly filters: Locator;
  readonly searchBox: Locator;
  readonly statusFilter: Locator;
  readonly osFilter: Locator;
  readonly keyPairFilter: Locator;
  readonly tagFilter: Locator;
  readonly clearFiltersButton: Locator;
  readonly showAllInstancesButton: Locator;
  readonly selection: Locator;
  readonly selectAllButton: Locator;
  readonly clearSelectionButton: Locator;
  readonly reviewButton: Locator;
  /** "400 instances in this region" (with " · 2 of 400 match" when filtered), once every page has loaded. */
  readonly loadedStatus: Locator;

  constructor(readonly page: Page) {
    this.regionPicker = page.getByRole('combobox', { name: 'Region', exact: true });
    this.keyPairPicker = page.getByRole('combobox', { name: 'Key pair', exact: true });
    this.filters = page.getByRole('search', { name: 'Filters' });
    this.searchBox = this.filters.getByRole('searchbox', { name: 'Search' });
    this.statusFilter = this.filters.getByRole('combobox', { name: 'Status', exact: true });
    this.osFilter = this.filters.getByRole('combobox', { name: 'OS', exact: true });
    this.keyPairFilter = this.filters.getByRole('combobox', { name: 'Current key pair', exact: true });
    this.tagFilter = this.filters.getByRole('textbox', { name: 'Tag', exact: true });
    this.clearFiltersButton = this.filters.getByRole('button', { name: 'Clear filters' });
    this.showAllInstancesButton = this.filters.getByRole('button', { name: 'Show all instances' });
    this.selection = page.getByRole('region', { name: 'Selection' });
    this.selectAllButton = this.selection.getByRole('button', { name: /^Select all [\d,]+ matching$/ });
    this.clearSelectionButton = this.selection.getByRole('button', { name: 'Clear selection' });
    this.reviewButton = page.getByRole('button', { name: 'Review and attach…' });
    this.loadedStatus = page.getByRole('status').filter({ hasText: /[\d,]+ instances? in this region/ });
  }

  /** Opens a region with optional filters and waits until every instance is loaded. */
  async goto(regionId: string, query: InstancesQuery | string = {}): Promise<void> {
    await this.page.goto(InstancesPage.url(regionId, query));
    await this.waitForLoaded();
  }

  static url(regionId: string, query: InstancesQuery | string = {}): string {
    let search: string;
    if (typeof query === 'string') {
      search = query.replace(/^\?/, '');
    } else {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
        if (text !== '') params.set(name, text);
      }
      search = params.toString();
    }
    return `/regions/${encodeURIComponent(regionId)}${search ? `?${search}` : ''}`;
  }

  async waitForLoaded(): Promise<void> {
    await expect(this.loadedStatus).toBeVisible({ timeout: 30_000 });
  }

  /** The instance table of a region ("Instances in cn-hangzhou"); without a region, the one on the page. */
  table(regionId?: string): Locator {
    return this.page.getByRole('table', { name: regionId === undefined ? /^Instances in / : `Instances in ${regionId}`, exact: true });
  }

  /** Instance rows currently rendered (the table is virtualized: rows far out of view are not in the DOM). */
  rows(): Locator {
    return this.table()
      .getByRole('row')
      .filter({ has: this.page.getByRole('checkbox') });
  }

  /** The row of one instance, by its InstanceId or its exact name. */
  row(nameOrId: string): Locator {
    // `has` is resolved inside each row, so the inner locator starts from the page, not from the table.
    return this.rows().filter({ has: this.page.getByRole('checkbox', { name: InstancesPage.checkboxName(nameOrId) }) });
  }

  /** "Select {name} ({InstanceId})", by InstanceId or exact name. */
  rowCheckbox(nameOrId: string): Locator {
    return this.table().getByRole('checkbox', { name: InstancesPage.checkboxName(nameOrId) });
  }

  private static checkboxName(nameOrId: string): RegExp {
    const id = escapeRegExp(nameOrId);
    return new RegExp(`^Select (${id} \\(.+\\)|.+ \\(${id}\\))$`);
  }

  /** A row's cell by column: 0 checkbox, 1 name and ID, 2 status, 3 OS, 4 current key pair, 5 private IP, … */
  cell(
    nameOrId: string,
    column: 'select' | 'name' | 'status' | 'os' | 'keyPair' | 'privateIp' | 'publicIp' | 'zone' | 'type' | 'tags',
  ): Locator {
    const index = { select: 0, name: 1, status: 2, os: 3, keyPair: 4, privateIp: 5, publicIp: 6, zone: 7, type: 8, tags: 9 }[column];
    return this.row(nameOrId).getByRole('cell').nth(index);
  }

  /** The "Key pending activation" badge of an instance's row. */
  pendingBadge(nameOrId: string): Locator {
    return this.row(nameOrId).getByText('Key pending activation', { exact: true });
  }

  /** Ticks rows that are rendered (the table only renders rows near its viewport: search first for one far down). */
  async select(...nameOrIds: string[]): Promise<void> {
    for (const nameOrId of nameOrIds) {
      const box = this.rowCheckbox(nameOrId);
      await box.scrollIntoViewIfNeeded();
      await box.check();
    }
  }

  async search(text: string): Promise<void> {
    await this.searchBox.fill(text);
    await expect(this.searchBox).toHaveValue(text);
  }

  /** A status filter by its label ("Running", "Stopped", … or "Any"). */
  async filterStatus(label: string): Promise<void> {
    await this.choose(this.statusFilter, label);
  }

  /** "Linux", "Windows" or "Any". */
  async filterOs(label: string): Promise<void> {
    await this.choose(this.osFilter, label);
  }

  /** A key pair name, "None (no key pair)" or "Any". */
  async filterKeyPair(label: string): Promise<void> {
    await this.choose(this.keyPairFilter, label);
  }

  async filterTag(text: string): Promise<void> {
    await this.tagFilter.fill(text);
  }

  private async choose(select: Locator, label: string): Promise<void> {
    await select.click();
    await this.page.getByRole('listbox').getByRole('option', { name: label, exact: true }).click();
    await expect(this.page.getByRole('listbox')).toBeHidden();
    // MUI shows nothing for the empty value ("Any"), so only a real choice can be read back.
    if (label !== 'Any') await expect(select).toHaveText(label);
  }

  /**
   * Clicks "Select all N matching" and returns N. The count follows the filters a moment after they change
   * (the table updates at lower priority), so assert the expected button text first when a filter just changed.
   */
  async selectAllMatching(): Promise<number> {
    await expect(this.selectAllButton).toBeEnabled();
    const n = parseCount((await this.selectAllButton.textContent()) ?? '');
    await this.selectAllButton.click();
    await expect(this.selectionStatus()).toHaveText(new RegExp(`^${n.toLocaleString('en-US')} instances? selected`));
    return n;
  }

  /** "N instances selected" (plus "(M of them hidden by the filters)"). */
  selectionStatus(): Locator {
    return this.selection.getByRole('status');
  }

  async selectedCount(): Promise<number> {
    return parseCount((await this.selectionStatus().textContent()) ?? '');
  }

  /** Picks a key pair in the searchable picker and checks it took. */
  async chooseKeyPair(name: string): Promise<void> {
    await this.keyPairPicker.click();
    await this.keyPairPicker.fill(name);
    await this.page
      .getByRole('listbox')
      .getByRole('option')
      .filter({ has: this.page.getByText(name, { exact: true }) })
      .click();
    await expect(this.keyPairPicker).toHaveValue(name);
  }

  /** Clicks "Review and attach…" and returns the review dialog, open. */
  async reviewAndAttach(): Promise<ReviewDialog> {
    await this.reviewButton.click();
    const review = new ReviewDialog(this.page);
    await expect(review.dialog).toBeVisible();
    return review;
  }
}
