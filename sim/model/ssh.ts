import type { SshdSetting } from '../../ecs/key-script';
import type { AgentState } from './control';
import { keyOfLine, lineHoldsKey } from './keys';

/**
 * What the simulator knows about the inside of a Linux instance: its users' authorized_keys, sshd's effective
 * settings, and its Cloud Assistant agent. This is the simulator's model, not Alibaba's documented mechanism
 * (docs/ecs-notes.md#simulator-model-of-ssh-state):
 *
 * - Users: root always; `ecs-user` too on instances created with LoginAsNonRoot, and that user is then the
 *   login user (docs/ecs-notes.md#boot-time-key-handling).
 * - At boot (a reboot or start reaching Running), if the bound key pair changed since the last boot, the image
 *   writes the bound key's line into the login user's authorized_keys and removes the previously bound key's
 *   line; every other line is left alone. Password login is off while a key pair is bound, on otherwise. A boot
 *   with an unchanged binding touches nothing.
 * - The agent heartbeats every minute while the instance is Running, when it is installed and healthy.
 */

export type LoginUser = 'root' | 'ecs-user';

export interface SshState {
  loginUser: LoginUser;
  /** The authorized_keys lines of each existing user, in file order. */
  files: Map<LoginUser, string[]>;
  /** The bound key pair's line the image wrote at the last boot (or found at creation); undefined when unbound. */
  applied: string | undefined;
  passwordAuthentication: SshdSetting;
  pubkeyAuthentication: SshdSetting;
}

/** How a Linux instance's SSH state starts, drawn with the fleet; the lines are built on first use. */
export interface SshPlan {
  loginUser: LoginUser;
  /** The key pair bound when the fleet was built: its line is in the login user's file from the start. */
  initialKeyPair: string | undefined;
  /** Index into the fleet's colleagues: an unrelated line in the login user's file, or undefined. */
  colleague: number | undefined;
}

export const HEARTBEAT_MS = 60_000;

export interface AgentInfo {
  /** online: heartbeats while Running; offline: installed but silent; none: not installed. */
  state: AgentState;
  /** Empty when not installed. */
  version: string;
  /** When the instance last reached Running: the heartbeats count from here. */
  runningSince: number;
  /** The last heartbeat of an agent that is not beating now (undefined: never seen). */
  lastHeartbeatAt: number | undefined;
  invocationCount: number;
  lastInvokedAt: number | undefined;
}

export function authorizedKeysPath(user: LoginUser): string {
  return user === 'root' ? '/root/.ssh/authorized_keys' : `/home/${user}/.ssh/authorized_keys`;
}

export function isLoginUser(ssh: SshState, name: string): name is LoginUser {
  return ssh.files.has(name as LoginUser);
}

/** Builds the starting state: the bound key's line (if any) and perhaps a colleague's line in the login user's file. */
export function initialSsh(plan: SshPlan, boundLine: string | undefined, colleagueLine: string | undefined): SshState {
  const files = new Map<LoginUser, string[]>([['root', []]]);
  if (plan.loginUser === 'ecs-user') files.set('ecs-user', []);
  const login: string[] = [];
  if (colleagueLine !== undefined) login.push(colleagueLine);
  if (boundLine !== undefined) login.push(boundLine);
  files.set(plan.loginUser, login);
  return {
    loginUser: plan.loginUser,
    files,
    applied: boundLine,
    passwordAuthentication: boundLine === undefined ? 'yes' : 'no',
    pubkeyAuthentication: 'yes',
  };
}

/** The boot-time rewrite of the simulator's model (see the file comment). */
export function applyBindingAtBoot(ssh: SshState, boundLine: string | undefined): void {
  if (ssh.applied === boundLine) return;
  let lines = ssh.files.get(ssh.loginUser) ?? [];
  const previous = ssh.applied === undefined ? undefined : keyOfLine(ssh.applied);
  const bound = boundLine === undefined ? undefined : keyOfLine(boundLine);
  if (previous !== undefined && (bound === undefined || !lineHoldsKey(boundLine ?? '', previous))) {
    lines = lines.filter((line) => !lineHoldsKey(line, previous));
  }
  if (boundLine !== undefined && bound !== undefined && !lines.some((line) => lineHoldsKey(line, bound))) lines = [...lines, boundLine];
  ssh.files.set(ssh.loginUser, lines);
  ssh.applied = boundLine;
  ssh.passwordAuthentication = boundLine === undefined ? 'yes' : 'no';
}

export function cloneSsh(ssh: SshState): SshState {
  return { ...ssh, files: new Map([...ssh.files].map(([user, lines]) => [user, [...lines]])) };
}

/** The last heartbeat of an agent beating since `runningSince`, at `now`. */
export function heartbeatAt(agent: AgentInfo, now: number): number {
  return agent.runningSince + Math.floor(Math.max(0, now - agent.runningSince) / HEARTBEAT_MS) * HEARTBEAT_MS;
}
