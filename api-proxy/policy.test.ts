import { ACTION_NAMES, actions } from '../ecs/contract';
import type { ActionName } from '../ecs/contract';
import type { Config } from './config';
import type { Identity } from './identity';
import { allowedActions, isAllowed, roleFor, rolesOf } from './policy';

// In contract order, which is the order allowedActions answers in.
const VIEW = ACTION_NAMES.filter((a) => a.startsWith('Describe'));
const POWER = ACTION_NAMES.filter((a) => a.startsWith('Reboot') || a.startsWith('Start'));

const roles: Config['roles'] = { view: ['staff', 'sre'], attach: ['key-admins'], power: ['sre'] };

function who(groups: string[], via: Identity['via'] = 'jwt'): Identity {
  return { user: 'alice@example.com', groups, via };
}

describe('roleFor', () => {
  it('maps Describe actions to view, AttachKeyPair to attach, Reboot/Start to power', () => {
    for (const action of VIEW) expect(roleFor(action)).toBe('view');
    expect(roleFor('AttachKeyPair')).toBe('attach');
    for (const action of POWER) expect(roleFor(action)).toBe('power');
  });

  it('never lets a mutating contract action be a mere view', () => {
    for (const action of ACTION_NAMES) {
      expect(roleFor(action) === 'view', action).toBe(!actions[action].mutating);
    }
  });

  it('throws for a name outside the contract instead of guessing', () => {
    expect(() => roleFor('DetachKeyPair' as ActionName)).toThrow(/no role/);
    expect(() => roleFor('__proto__' as ActionName)).toThrow(/no role/);
  });
});

describe('isAllowed / allowedActions (header and jwt modes)', () => {
  it('view-only: looks, never changes anything', () => {
    const viewer = who(['staff']);
    expect(allowedActions(viewer, roles, 'jwt')).toEqual(VIEW);
    expect(isAllowed(viewer, 'AttachKeyPair', roles, 'jwt')).toBe(false);
    expect(isAllowed(viewer, 'RebootInstances', roles, 'jwt')).toBe(false);
  });

  it('attach-only: may attach, may not reboot or start (nor look, unless a view group says so)', () => {
    const attacher = who(['key-admins'], 'header');
    expect(allowedActions(attacher, roles, 'header')).toEqual(['AttachKeyPair']);
    expect(rolesOf(attacher, roles, 'header')).toEqual(new Set(['attach']));
  });

  it('power-only groups reboot and start; groups of several roles add up', () => {
    const powerOnly = who(['operators']);
    const powerRoles: Config['roles'] = { view: [], attach: [], power: ['operators'] };
    expect(allowedActions(powerOnly, powerRoles, 'jwt')).toEqual(POWER);
    expect(allowedActions(who(['sre']), roles, 'jwt')).toEqual(ACTION_NAMES.filter((a) => a !== 'AttachKeyPair'));
    expect(rolesOf(who(['sre', 'key-admins']), roles, 'jwt')).toEqual(new Set(['view', 'attach', 'power']));
  });

  it('"*" means every authenticated user, even one without groups', () => {
    const everyoneViews: Config['roles'] = { view: ['*'], attach: [], power: [] };
    expect(allowedActions(who([]), everyoneViews, 'jwt')).toEqual(VIEW);
    expect(allowedActions(who([], 'header'), { view: ['*'], attach: ['*'], power: ['*'] }, 'header')).toEqual(ACTION_NAMES);
  });

  it('denies by default: no matching group, empty roles, or case-different group names give nothing', () => {
    expect(allowedActions(who(['contractors']), roles, 'jwt')).toEqual([]);
    expect(allowedActions(who(['SRE', 'Key-Admins']), roles, 'jwt')).toEqual([]);
    expect(allowedActions(who(['sre']), { view: [], attach: [], power: [] }, 'jwt')).toEqual([]);
    expect(isAllowed(who(['sre']), 'DetachKeyPair' as ActionName, { view: ['*'], attach: ['*'], power: ['*'] }, 'jwt')).toBe(false);
  });
});

describe('AUTH_MODE=none', () => {
  it('the local operator may do everything, whatever the role groups say', () => {
    const local = who([], 'none');
    expect(allowedActions(local, { view: [], attach: [], power: [] }, 'none')).toEqual(ACTION_NAMES);
    expect(isAllowed(local, 'AttachKeyPair', roles, 'none')).toBe(true);
  });

  it('identities from another mode never get the blanket grant, and a none identity gets nothing elsewhere', () => {
    expect(allowedActions(who(['sre'], 'jwt'), { view: [], attach: [], power: [] }, 'none')).toEqual([]);
    expect(allowedActions(who(['sre'], 'none'), roles, 'jwt')).toEqual([]);
    expect(allowedActions(who(['sre'], 'header'), roles, 'jwt')).toEqual([]);
  });
});
