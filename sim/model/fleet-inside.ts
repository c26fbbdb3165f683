import type { AgentState } from './control';
import { COLLEAGUES } from './keys';
import type { SimInstance } from './model';
import type { Rng } from './random';
import type { AgentInfo, SshPlan } from './ssh';

/**
 * The inside of each simulated instance as the fleet starts (ssh.ts, docs/ecs-notes.md#simulator-model-of-ssh-state):
 * the login user, the seeded SSH plan and the Cloud Assistant agent. Drawn from a stream of its own (fleet.ts
 * passes `${seed}/ssh`), so the fleet's stream, and with it every ID and address, is the same as before this
 * existed.
 */

const DAY = 86_400_000;

/** Images that offer `ecs-user` as the login user (docs/ecs-notes.md#boot-time-key-handling). */
const NON_ROOT_IMAGES = ['aliyun_3_', 'ubuntu_22_04_'];
/** Shared and frozen, like the fleet's other common values (fleet.ts). */
const NON_ROOT = Object.freeze({ LoginAsNonRoot: true });
const ROOT = Object.freeze({ LoginAsNonRoot: false });
/** Most agents are healthy; some are installed but silent, a few are missing (docs/ecs-notes.md#cloud-assistant-status). */
const AGENT_MIX: readonly (readonly [AgentState, number])[] = [
  ['online', 85],
  ['offline', 10],
  ['none', 5],
];
const LINUX_AGENT_VERSIONS = ['2.2.3.857', '2.2.3.612', '2.2.0.106'];
const WINDOWS_AGENT_VERSIONS = ['2.1.3.857', '2.1.3.612'];

interface Inside {
  plan: SshPlan | undefined;
  agent: AgentInfo;
  imageOptions: { LoginAsNonRoot: boolean };
}

/** Always the same six draws per instance, so changing one rule does not shift the others. */
export function drawInside(rng: Rng, data: SimInstance, keyPair: string | undefined, startedAt: number, now: number): Inside {
  const nonRootRoll = rng.next();
  const agentRoll = rng.next();
  const versionRoll = rng.next();
  const colleagueRoll = rng.next();
  const colleagueIndex = rng.next();
  const ageRoll = rng.next();
  const isLinux = data.OSType === 'linux';
  const nonRoot = isLinux && NON_ROOT_IMAGES.some((prefix) => data.ImageId.startsWith(prefix)) && nonRootRoll < 0.3;
  let state: AgentState = 'none';
  let r = agentRoll * 100;
  for (const [candidate, weight] of AGENT_MIX) {
    state = candidate;
    if ((r -= weight) < 0) break;
  }
  const versions = isLinux ? LINUX_AGENT_VERSIONS : WINDOWS_AGENT_VERSIONS;
  const isBeating = state === 'online' && data.Status === 'Running';
  const agent: AgentInfo = {
    state,
    version: state === 'none' ? '' : (versions[Math.floor(versionRoll * versions.length)] ?? ''),
    runningSince: Math.min(now, startedAt),
    // A silent agent was last heard between five minutes and a month ago.
    lastHeartbeatAt: state === 'none' || isBeating ? undefined : now - 300_000 - Math.floor(ageRoll * 30 * DAY),
    invocationCount: 0,
    lastInvokedAt: undefined,
  };
  const plan: SshPlan | undefined = isLinux
    ? {
        loginUser: nonRoot ? 'ecs-user' : 'root',
        initialKeyPair: keyPair,
        colleague: colleagueRoll < 0.2 ? Math.floor(colleagueIndex * COLLEAGUES.length) : undefined,
      }
    : undefined;
  return { plan, agent, imageOptions: nonRoot ? NON_ROOT : ROOT };
}
