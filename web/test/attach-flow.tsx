import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { SETTLED_STATUSES } from '../../ecs/wire';
import { createI18n, type Language } from '../app/i18n';
import { Providers } from '../app/Providers';
import { AttachFlow } from '../features/attach/components/AttachFlow';
import type { AttachTarget } from '../features/attach/model';
import { AttachTimingContext, defaultAttachTiming, type AttachTiming } from '../features/attach/timing';
import { createQueryClient } from '../lib/query-client';
import { mockModel } from '../mocks/node';

/**
 * Test helpers for the attach flow: AttachFlow inside the app's real providers (i18n, theme, query client) with
 * msw answering /api over the console model, and targets taken from the simulated fleet.
 */

/** Selectable instances of a region, as the instance list would hand them over (Linux, no OperationLocks). */
export function selectableTargets(regionId = 'cn-hangzhou'): AttachTarget[] {
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

/**
 * Stops the simulator's clock 10 s ahead (so the few instances a fresh fleet has mid-transition have settled) and
 * returns a way to move it on. With the clock held, reboots and starts wait for the test instead of finishing
 * on a slow machine before the test has looked. vi.restoreAllMocks() lets it run again.
 */
export function holdSimulatorClock(): { advance: (ms: number) => void } {
  const options = mockModel.simulator.options;
  let at = options.now() + 10_000;
  vi.spyOn(options, 'now').mockImplementation(() => at);
  return {
    advance: (ms) => {
      at += ms;
    },
  };
}

/** An operator who may look but not change anything. */
export const READ_ONLY = ['DescribeRegions', 'DescribeInstances', 'DescribeKeyPairs', 'DescribeInstanceStatus'];

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

/** The ECS calls the app made through the proxy API, in order, with their parameters. */
export function ecsCallsOf(spy: { mock: { calls: unknown[][] } }, action: string): Record<string, unknown>[] {
  return spy.mock.calls.filter(([name]) => name === action).map(([, body]) => body as Record<string, unknown>);
}

interface Options {
  language?: Language;
  keyPairName?: string | undefined;
  regionId?: string;
  timing?: Partial<AttachTiming>;
}

/** Holds the selection like the region page does, so onSelectionDone really clears it. */
function Harness({
  targets,
  keyPairName,
  regionId,
  onSelectionDone,
}: {
  targets: AttachTarget[];
  keyPairName: string | undefined;
  regionId: string;
  onSelectionDone: () => void;
}) {
  const [selected, setSelected] = useState(targets);
  return (
    <AttachFlow
      regionId={regionId}
      keyPairName={keyPairName}
      targets={selected}
      onSelectionDone={() => {
        setSelected([]);
        onSelectionDone();
      }}
    />
  );
}

export async function renderAttachFlow(targets: AttachTarget[], options: Options = {}) {
  const i18n = await createI18n(options.language ?? 'en');
  const queryClient = createQueryClient(() => undefined);
  const onSelectionDone = vi.fn();
  const user = userEvent.setup();
  // Short polls keep the suite fast; everything else runs on the app's real clock.
  const timing: AttachTiming = { ...defaultAttachTiming, pollIntervalMs: 50, ...options.timing };
  const result = render(
    <Providers queryClient={queryClient} i18n={i18n} initialTheme="light">
      <AttachTimingContext.Provider value={timing}>
        <Harness
          targets={targets}
          keyPairName={'keyPairName' in options ? options.keyPairName : 'ops-team'}
          regionId={options.regionId ?? 'cn-hangzhou'}
          onSelectionDone={onSelectionDone}
        />
      </AttachTimingContext.Provider>
    </Providers>,
  );
  return { ...result, user, onSelectionDone, queryClient };
}

type User = ReturnType<typeof userEvent.setup>;

/** Testing Library's 1 s default is too short for a real clock on a shared, loaded machine. */
const WAIT = { timeout: 10_000 };

export async function openReview(user: User): Promise<HTMLElement> {
  const button = await screen.findByRole('button', { name: 'Review and attach…' }, WAIT);
  // Disabled until the session says what the operator may do.
  await waitFor(() => expect(button).toBeEnabled(), WAIT);
  await user.click(button);
  return screen.findByRole('dialog', { name: /^Review: attach/ }, WAIT);
}

/** Opens the review and confirms it (typing the key pair name when the batch is large). Returns the run dialog. */
export async function confirmAttach(user: User, count: number, keyPairName = 'ops-team'): Promise<HTMLElement> {
  const review = await openReview(user);
  if (count > 20) {
    await user.click(within(review).getByRole('textbox', { name: 'Type the key pair name to confirm' }));
    await user.paste(keyPairName);
  }
  await user.click(within(review).getByRole('button', { name: count === 1 ? 'Attach to 1 instance' : `Attach to ${count} instances` }));
  return screen.findByRole('dialog', { name: /^Attach/ }, WAIT);
}

export function waitForResults(): Promise<HTMLElement> {
  return screen.findByRole('dialog', { name: /^Attach results/ }, WAIT);
}
