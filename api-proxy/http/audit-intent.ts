import type { FastifyRequest } from 'fastify';
import { InstanceId, KeyPairName, RegionId, type ActionName } from '../../ecs/contract';
import type { AuditIntent } from '../audit';
import type { Identity } from '../identity';
import { clientAddress } from '../net';
import type { Forwarded } from './forwarded';

export interface IntentContext {
  forwarded: Forwarded;
  /** Where a call without a RegionId goes, and so the region it is recorded under. */
  bootstrapRegion: string;
  clock: () => number;
}

/** Reads the audit intent of a call (sent or refused) from its request and the caller. */
export type AuditIntentOf = (request: FastifyRequest, who: Identity, action: ActionName, raw: unknown) => AuditIntent;

/**
 * The audit intent of a call. `raw` is validated parameters, or (for a refusal) whatever the caller sent: only
 * values that are valid by the contract are kept, so a refusal is recorded whatever its parameters.
 */
export function auditIntentOf({ forwarded, bootstrapRegion, clock }: IntentContext): AuditIntentOf {
  return (request, who, action, raw) => {
    const params: Record<string, unknown> =
      typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const ids = instanceIdsOf(params)
      .filter((id) => InstanceId.safeParse(id).success)
      .slice(0, 1000);
    const options: Record<string, string | number | boolean> = {};
    for (const key of ['ForceStop', 'ForceReboot', 'BatchOptimization', 'DryRun'] as const) {
      const value = params[key];
      if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) options[key] = value;
      else if (typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value)) options[key] = value;
    }
    const region = RegionId.safeParse(params['RegionId']);
    const keyPair = KeyPairName.safeParse(params['KeyPairName']);
    return {
      at: clock(),
      user: who.user,
      ...(who.email === undefined ? {} : { email: who.email }),
      groups: who.groups,
      clientAddress: clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], forwarded.trusted),
      action,
      regionId: region.success ? region.data : bootstrapRegion,
      ...(keyPair.success ? { keyPairName: keyPair.data } : {}),
      instanceIds: ids,
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
  };
}

/** The instance IDs a call names, whichever parameter carries them. */
function instanceIdsOf(params: Record<string, unknown>): string[] {
  const ids = params['InstanceIds'] ?? params['InstanceId'];
  if (Array.isArray(ids)) return ids.filter((id): id is string => typeof id === 'string');
  return typeof ids === 'string' ? [ids] : [];
}
