import { expect, type Locator, type Page } from '@playwright/test';

export interface ActivityFilters {
  user?: string;
  action?: string;
  regionId?: string;
  instanceId?: string;
  status?: string;
}

/** The audit trail at `/activity` (docs/product.md#step-10-activity): newest first, filters in the URL. English names. */
export class ActivityPage {
  readonly heading: Locator;
  readonly filters: Locator;
  readonly table: Locator;

  constructor(private readonly page: Page) {
    this.heading = page.getByRole('heading', { level: 1, name: 'Activity' });
    this.filters = page.getByRole('search', { name: 'Filter activity' });
    this.table = page.getByRole('table', { name: 'Operations through the console, newest first' });
  }

  /** Opens the page, optionally with filters in the link (the way a shared URL would). */
  async goto(filters: ActivityFilters = {}): Promise<void> {
    const query = new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => entry[1] !== undefined));
    await this.page.goto(`/activity${query.size > 0 ? `?${query.toString()}` : ''}`);
    await expect(this.heading).toBeVisible();
  }

  /** Types into the filter bar and applies it, as an operator would. */
  async filterBy(filters: Pick<ActivityFilters, 'user' | 'regionId' | 'instanceId'>): Promise<void> {
    if (filters.user !== undefined) await this.filters.getByRole('textbox', { name: 'User', exact: true }).fill(filters.user);
    if (filters.regionId !== undefined) await this.filters.getByRole('textbox', { name: 'Region ID', exact: true }).fill(filters.regionId);
    if (filters.instanceId !== undefined)
      await this.filters.getByRole('textbox', { name: 'Instance ID', exact: true }).fill(filters.instanceId);
    await this.filters.getByRole('button', { name: 'Apply filters' }).click();
  }

  /** Operation rows (the header row and opened per-instance details excluded). */
  operations(): Locator {
    return this.table.getByRole('row').filter({ has: this.page.getByRole('button', { name: /^\d+ instances?$/ }) });
  }

  /** The operation row that carries this text, e.g. its ECS request ID. */
  operation(text: string): Locator {
    return this.operations().filter({ hasText: text });
  }

  /** The user cell of a row: the name, with e-mail, groups and address as its accessible description. */
  who(row: Locator, user: string): Locator {
    return row.getByText(user, { exact: true });
  }

  /** Opens "N instances" of a row and returns the "Outcome per instance" table (open one row at a time). */
  async outcomes(row: Locator): Promise<Locator> {
    const toggle = row.getByRole('button', { name: /^\d+ instances?$/ });
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    return this.table.getByRole('table', { name: 'Outcome per instance' });
  }

  /** The per-instance outcome row of one instance in an opened details table. */
  outcome(details: Locator, instanceId: string): Locator {
    return details.getByRole('row').filter({ hasText: instanceId });
  }

  viewInstances(row: Locator): Locator {
    return row.getByRole('link', { name: 'View instances' });
  }
}
