import { ACTION_NAMES } from '../ecs/contract';
import type { ActionName } from '../ecs/contract';
import type { Config } from './config';
import type { Identity } from './identity';

/**
 * Who may do what (docs/product.md#roles-per-action: who may attach, reboot or start is decided per action by
 * SSO group; others can look). Deny by default (docs/conventions.md#deny-by-default): an action without a
 * role, a role without a matching group, or an identity that does not fit the auth mode gets nothing.
 */

export type Role = 'view' | 'attach' | 'power';

/**
 * The role each contract action needs. `satisfies` makes adding an action to ecs/contract.ts a compile
 * error here until someone decides its role; at run time the lookup still refuses names it does not hold.
 */
const ROLE_BY_ACTION = {
  DescribeRegions: 'view',
  DescribeInstances: 'view',
  DescribeKeyPairs: 'view',
  DescribeInstanceStatus: 'view',
  AttachKeyPair: 'attach',
  RebootInstance: 'power',
  RebootInstances: 'power',
  StartInstance: 'power',
  StartInstances: 'power',
} as const satisfies Record<ActionName, Role>;

/** `undefined` for anything not in the table (including `__proto__` and friends). */
function lookupRole(action: string): Role | undefined {
  return Object.hasOwn(ROLE_BY_ACTION, action) ? ROLE_BY_ACTION[action as ActionName] : undefined;
}

/** Describe actions → view, AttachKeyPair → attach, Reboot and Start actions → power. Throws for a name outside the contract. */
export function roleFor(action: ActionName): Role {
  const role = lookupRole(action);
  if (role === undefined) throw new Error(`policy: no role is defined for action ${String(action)}`);
  return role;
}

/** `*` in a role's groups means every authenticated user. */
export const EVERYONE = '*';

/**
 * The roles an identity holds. AUTH_MODE=none: the local operator holds every role (config/ allows that
 * mode only on loopback and warns loudly). Otherwise a role is held when its groups contain `*` or one of
 * the identity's groups (exact, case-sensitive match: group names are identifiers, and a case-folded match
 * could hand a role to a look-alike group).
 */
export function rolesOf(identity: Identity, roles: Config['roles'], authMode: Config['auth']['mode']): Set<Role> {
  const held = new Set<Role>();
  if (authMode === 'none') {
    // An identity made by header/jwt resolution never gets the local operator's blanket grant.
    if (identity.via === 'none') for (const role of ['view', 'attach', 'power'] as const) held.add(role);
    return held;
  }
  // Conversely, a 'none' identity in an authenticated deployment is a wiring bug: it gets nothing.
  if (identity.via !== authMode) return held;
  const mine = new Set(identity.groups);
  for (const role of ['view', 'attach', 'power'] as const) {
    if (roles[role].some((group) => group === EVERYONE || mine.has(group))) held.add(role);
  }
  return held;
}

export function isAllowed(identity: Identity, action: ActionName, roles: Config['roles'], authMode: Config['auth']['mode']): boolean {
  const role = lookupRole(action);
  return role !== undefined && rolesOf(identity, roles, authMode).has(role);
}

/** Every contract action the identity may call, in contract order (for GET /api/session). */
export function allowedActions(identity: Identity, roles: Config['roles'], authMode: Config['auth']['mode']): ActionName[] {
  const held = rolesOf(identity, roles, authMode);
  return ACTION_NAMES.filter((action) => {
    const role = lookupRole(action);
    return role !== undefined && held.has(role);
  });
}
