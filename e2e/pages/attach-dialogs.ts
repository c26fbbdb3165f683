import { expect, type Locator, type Page } from '@playwright/test';

const INSTANCE_ID = /\bi-[a-z0-9]+\b/;

/**
 * Reads every row of a virtualized dialog table (rows out of view are not in the DOM) by scrolling it from top to
 * bottom, each step bringing the last rendered row to the top.
 */
async function readAllRows(scroller: Locator, rows: Locator): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  await scroller.evaluate((el) => el.scrollTo({ top: 0 }));
  for (let step = 0; step < 10_000; step++) {
    // Text per cell, read in one pass so a re-render cannot mix two states of a row.
    const { texts, lastTop } = await rows.evaluateAll((trs) => ({
      texts: trs.map((tr) => Array.from(tr.children, (td) => (td as HTMLElement).innerText.trim())),
      lastTop: trs.length > 0 ? (trs[trs.length - 1]?.getBoundingClientRect().top ?? 0) : 0,
    }));
    for (const cells of texts) {
      const id = INSTANCE_ID.exec(cells[0] ?? '')?.[0];
      if (id !== undefined) seen.set(id, cells);
    }
    const isAtEnd = await scroller.evaluate(async (el, top) => {
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) return true;
      // Below the sticky header (~40 px), the last row read stays in view: nothing can be skipped.
      el.scrollBy({ top: Math.max(40, top - el.getBoundingClientRect().top - 80) });
      // Let the virtualizer render the rows of the new position (two frames) before they are read.
      await new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
      return false;
    }, lastTop);
    if (isAtEnd) break;
  }
  return seen;
}

/** The review dialog "Review: attach {key} to N instances": the plan for each instance before anything is sent. */
export class ReviewDialog {
  readonly dialog: Locator;
  readonly warning: Locator;
  readonly summary: Locator;
  readonly planTable: Locator;
  readonly confirmInput: Locator;
  readonly confirmButton: Locator;
  readonly cancelButton: Locator;

  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog', { name: /^Review: attach .+ to [\d,]+ instances?$/ });
    this.warning = this.dialog.getByRole('alert').filter({ hasText: 'Password login will be disabled' });
    this.summary = this.dialog.getByRole('region', { name: 'Plan summary' });
    this.planTable = this.dialog.getByRole('table', { name: 'Plan for each instance' });
    this.confirmInput = this.dialog.getByRole('textbox', { name: 'Type the key pair name to confirm' });
    this.confirmButton = this.dialog.getByRole('button', { name: /^Attach to [\d,]+ instances?$/ });
    this.cancelButton = this.dialog.getByRole('button', { name: 'Cancel', exact: true });
  }

  /** The plan row of one instance (by InstanceId, or by name when unique). */
  planRow(nameOrId: string): Locator {
    return this.planTable.getByRole('row').filter({ hasText: nameOrId });
  }

  /** Cells of a plan row: instance, status, key pair change, when it takes effect. */
  planCell(nameOrId: string, column: 'instance' | 'status' | 'keyPair' | 'effect'): Locator {
    const index = { instance: 0, status: 1, keyPair: 2, effect: 3 }[column];
    return this.planRow(nameOrId).getByRole('cell').nth(index);
  }

  /** Every plan row, by InstanceId: [instance, status, key pair, effect] texts (scrolls the virtualized table). */
  async allPlanRows(): Promise<Map<string, string[]>> {
    return readAllRows(this.dialog.getByRole('region', { name: 'Plan for each instance' }), this.planTable.getByRole('row'));
  }

  async typeConfirmation(keyPairName: string): Promise<void> {
    await this.confirmInput.fill(keyPairName);
  }

  /** Clicks "Attach to N instances" and returns the run dialog. */
  async confirm(): Promise<ResultsDialog> {
    await this.confirmButton.click();
    await expect(this.dialog).toBeHidden();
    const results = new ResultsDialog(this.page);
    await expect(results.dialog).toBeVisible();
    return results;
  }

  async cancel(): Promise<void> {
    await this.cancelButton.click();
    await expect(this.dialog).toBeHidden();
  }
}

/**
 * The run dialog: "Attaching {key}" with the progress bar, then "Attach results: {key}" with a row per instance,
 * retry, CSV export and the Reboot/Start follow-ups.
 */
export class ResultsDialog {
  readonly dialog: Locator;
  readonly progress: Locator;
  readonly cancelButton: Locator;
  readonly throttleNotice: Locator;
  readonly outcome: Locator;
  readonly table: Locator;
  readonly retryFailedButton: Locator;
  readonly exportCsvButton: Locator;
  readonly closeButton: Locator;
  readonly followUps: Locator;
  readonly rebootAllButton: Locator;
  readonly startAllButton: Locator;
  readonly forceCheckbox: Locator;

  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog', { name: /^(Attaching .+|Attach results: .+)$/ });
    this.progress = this.dialog.getByRole('progressbar', { name: 'Attach progress' });
    this.cancelButton = this.dialog.getByRole('button', { name: 'Cancel remaining batches' });
    this.throttleNotice = this.dialog.getByRole('status').filter({ hasText: /ECS is rate-limiting; retrying in \d+ s/ });
    this.outcome = this.dialog.getByRole('region', { name: 'Outcome' });
    this.table = this.dialog.getByRole('table', { name: 'Attach results' });
    this.retryFailedButton = this.dialog.getByRole('button', { name: /^Retry failed instances \(\d+\)$/ });
    this.exportCsvButton = this.dialog.getByRole('button', { name: 'Export CSV' });
    this.closeButton = this.dialog.getByRole('button', { name: 'Close', exact: true });
    this.followUps = this.dialog.getByRole('region', { name: 'Make the key pair take effect' });
    this.rebootAllButton = this.dialog.getByRole('button', { name: /^(Force )?[Rr]eboot all \d+ running$/ });
    this.startAllButton = this.dialog.getByRole('button', { name: /^Start all \d+ stopped$/ });
    this.forceCheckbox = this.dialog.getByRole('checkbox', { name: 'Force reboot (like pulling the power; unsaved data is lost)' });
  }

  /** Waits for the title "Attach results: {key}" (every batch answered or cancelled). */
  async waitForDone(timeout = 30_000): Promise<void> {
    await expect(this.dialog).toHaveAccessibleName(/^Attach results: /, { timeout });
  }

  /** The summary chip "Attached: N", "Failed: N", … */
  outcomeChip(label: 'Attached' | 'Failed' | 'Outcome unknown' | 'Not sent' | 'Waiting', count: number): Locator {
    return this.outcome.getByText(`${label}: ${count}`, { exact: true });
  }

  /** The results row of one instance (by InstanceId, or by name when unique). */
  row(nameOrId: string): Locator {
    return this.table.getByRole('row').filter({ hasText: nameOrId });
  }

  /** Cells of a results row: instance, result, request ID, status, next step. */
  cell(nameOrId: string, column: 'instance' | 'result' | 'requestId' | 'status' | 'followUp'): Locator {
    const index = { instance: 0, result: 1, requestId: 2, status: 3, followUp: 4 }[column];
    return this.row(nameOrId).getByRole('cell').nth(index);
  }

  /** "Reboot {name} ({id})" on one row. */
  rebootButton(name: string, id: string): Locator {
    return this.dialog.getByRole('button', { name: `Reboot ${name} (${id})`, exact: true });
  }

  /** "Start {name} ({id})" on one row. */
  startButton(name: string, id: string): Locator {
    return this.dialog.getByRole('button', { name: `Start ${name} (${id})`, exact: true });
  }

  /** "Copy request ID {id}": one batch's instances share it, so pass a row to pick that row's button. */
  copyRequestIdButton(requestId: string, nameOrId?: string): Locator {
    const scope = nameOrId === undefined ? this.dialog : this.row(nameOrId);
    return scope.getByRole('button', { name: `Copy request ID ${requestId}`, exact: true });
  }

  /** The "Key pair active" line of a row. */
  keyActive(nameOrId: string): Locator {
    return this.cell(nameOrId, 'followUp').getByText('Key pair active', { exact: true });
  }

  /** Every results row, by InstanceId: [instance, result, request ID, status, next step] texts. */
  async allRows(): Promise<Map<string, string[]>> {
    return readAllRows(this.dialog.getByRole('region', { name: 'Attach results' }), this.table.getByRole('row'));
  }

  /** Progress as the bar announces it: "X of Y instances". */
  async expectProgress(done: number, total: number): Promise<void> {
    await expect(this.progress).toHaveAttribute('aria-valuetext', `${done} of ${total} instances`);
  }

  /** "Reboot all N running" and "Start all M stopped", whichever has instances waiting (graceful). */
  async sendAllFollowUps(): Promise<void> {
    for (const button of [this.rebootAllButton, this.startAllButton]) {
      if (await button.isEnabled()) await button.click();
    }
    await expect(this.rebootAllButton).toBeDisabled();
    await expect(this.startAllButton).toBeDisabled();
  }

  async retryFailed(expectedCount?: number): Promise<void> {
    if (expectedCount !== undefined) await expect(this.retryFailedButton).toHaveAccessibleName(`Retry failed instances (${expectedCount})`);
    await this.retryFailedButton.click();
  }

  async close(): Promise<void> {
    await this.closeButton.click();
    await expect(this.dialog).toBeHidden();
  }
}
