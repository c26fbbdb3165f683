import { expect, type Locator, type Page } from '@playwright/test';
import { RunPage } from './run-page';
import { readAllRows } from './virtual-rows';

/** The review dialog "Review: attach {key} to N instances": the plan for each instance before anything is sent. */
export class ReviewDialog {
  readonly dialog: Locator;
  readonly warning: Locator;
  readonly summary: Locator;
  readonly planTable: Locator;
  readonly confirmInput: Locator;
  readonly confirmButton: Locator;
  readonly cancelButton: Locator;
  readonly activation: Locator;
  readonly preview: Locator;

  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog', { name: /^Review: attach .+ to [\d,]+ instances?$/ });
    this.activation = this.dialog.getByRole('group', { name: 'Activation' });
    this.preview = this.activation.getByRole('region', { name: 'Activation preview' });
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

  /** Activation policy: reboot the running instances in waves of `size` instances. */
  async chooseWaves(size: number): Promise<void> {
    await this.activation.getByRole('radio', { name: 'Reboot the running instances in waves' }).check();
    await this.activation.getByRole('spinbutton', { name: 'Wave size' }).fill(String(size));
  }

  /** Activation policy: start the stopped instances. */
  async chooseStartStopped(): Promise<void> {
    await this.activation.getByRole('radio', { name: 'Start the stopped instances' }).check();
  }

  /** Clicks "Attach to N instances": the server creates the run, and the console opens its page. */
  async confirm(): Promise<RunPage> {
    await this.confirmButton.click();
    await this.page.waitForURL(/\/runs\/[^/?#]+$/);
    const run = new RunPage(this.page);
    await expect(run.state).toBeVisible();
    return run;
  }

  async cancel(): Promise<void> {
    await this.cancelButton.click();
    await expect(this.dialog).toBeHidden();
  }
}
