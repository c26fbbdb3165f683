import { screen, waitFor, within } from '@testing-library/react';
import type { Run } from '../../ecs/runs-api';
import { SETTLED_STATUSES } from '../../ecs/wire';
import type { Language } from '../app/i18n';
import type { AttachTarget } from '../features/attach/model';
import { mockModel } from '../mocks/node';
import { renderApp } from './render';

/**
 * Test helpers for the attach flow as an operator meets it: the whole app at the region page (renderApp), the
 * instances chosen through a link's `ids` filter and "Select all", the key pair from the picker, and targets
 * taken from the simulated fleet.
 */

export const REGION = 'cn-hangzhou';

/** Selectable instances of a region, as the instance list would hand them over (Linux, no OperationLocks). */
export function selectableTargets(regionId = REGION): AttachTarget[] {
  return mockModel.simulator
    .instancesIn(regionId)
    .filter((i) => i.OSType === 'linux' && (i.OperationLocks.LockReason ?? []).length === 0)
    .map(toTarget);
}

/** Selectable and settled (Running or Stopped), so ECS accepts the attach. */
export function settled(status?: (typeof SETTLED_STATUSES)[number]): AttachTarget[] {
  const wanted: readonly string[] = status ? [status] : SETTLED_STATUSES;
  return selectableTargets().filter((t) => wanted.includes(t.Status));
}

/** An operator who may look but not change anything. */
export const READ_ONLY = ['DescribeRegions', 'DescribeInstances', 'DescribeKeyPairs', 'DescribeInstanceStatus'];
/** An operator who may attach but not reboot or start. */
export const ATTACH_ONLY = [...READ_ONLY, 'AttachKeyPair'];

export function toTarget(i: {
  InstanceId: string;
  InstanceName?: string | undefined;
  Status: string;
  KeyPairName?: string | undefined;
  ZoneId?: string | undefined;
}): AttachTarget {
  return {
    InstanceId: i.InstanceId,
    InstanceName: i.InstanceName ?? '',
    Status: i.Status,
    KeyPairName: i.KeyPairName || undefined,
    ZoneId: i.ZoneId,
  };
}

/** Testing Library's 1 s default is too short for the whole app on a shared, loaded machine. */
export const WAIT = { timeout: 10_000 };

/**
 * Opens the region page with only these instances listed (the `ids` filter a link carries), selects them all,
 * and picks the key pair (unless `keyPairName` is undefined). English only: the labels are the English ones.
 */
export async function renderRegionWith(
  targets: readonly { InstanceId: string }[],
  options: { keyPairName?: string | undefined; language?: Language } = {},
) {
  const ids = targets.map((t) => t.InstanceId).join(',');
  const app = await renderApp(`/regions/${REGION}${ids ? `?ids=${ids}` : ''}`, options);
  const { user } = app;
  const bar = within(await screen.findByRole('region', { name: 'Selection' }, WAIT));
  if (targets.length > 0) {
    const all = await bar.findByRole('button', { name: `Select all ${targets.length} matching` }, WAIT);
    await user.click(all);
    await bar.findByText(targets.length === 1 ? '1 instance selected' : `${targets.length} instances selected`);
  }
  const keyPairName = 'keyPairName' in options ? options.keyPairName : 'ops-team';
  if (keyPairName !== undefined) {
    await user.click(screen.getByRole('combobox', { name: 'Key pair' }));
    await user.click(await screen.findByRole('option', { name: new RegExp(`^${keyPairName}`) }, WAIT));
  }
  return app;
}

type User = Awaited<ReturnType<typeof renderApp>>['user'];

export async function openReview(user: User): Promise<HTMLElement> {
  const button = await screen.findByRole('button', { name: 'Review and attach…' }, WAIT);
  // Disabled until the session says what the operator may do.
  await waitFor(() => expect(button).toBeEnabled(), WAIT);
  await user.click(button);
  return screen.findByRole('dialog', { name: /^Review: attach/ }, WAIT);
}

/** Types the key pair name when the batch is large, then presses "Attach to N instances". */
export async function confirmReview(user: User, review: HTMLElement, count: number, keyPairName = 'ops-team'): Promise<void> {
  if (count > 20) {
    await user.click(within(review).getByRole('textbox', { name: 'Type the key pair name to confirm' }));
    await user.paste(keyPairName);
  }
  await user.click(within(review).getByRole('button', { name: count === 1 ? 'Attach to 1 instance' : `Attach to ${count} instances` }));
}

/** The runs the mock console holds, newest first. */
export function mockRuns(): Run[] {
  return (mockModel.runs.list(new URLSearchParams()).body as { items: Run[] }).items;
}

/** Waits until the app has gone to a run's page, and returns the run's id (a redirect after it does not hide the visit). */
export async function waitForRunPage(navigations: readonly string[]): Promise<string> {
  let id = '';
  await waitFor(() => {
    const visit = navigations.find((url) => url.startsWith('/runs/'));
    expect(visit).toBeDefined();
    id = decodeURIComponent((visit ?? '').slice('/runs/'.length));
  }, WAIT);
  return id;
}
