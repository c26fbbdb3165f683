import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { z } from 'zod';
import { SimControlSchema } from '../model/control';
import type { Simulator } from '../model/simulator';
import { MAX_BODY_BYTES, readBody, sendJson } from './io';
import type { NonceCache } from './nonce-cache';
import type { RequestRecord } from './request-record';

/**
 * The test-only control door on the simulator's port, unsigned, answered only to loopback peers:
 *   GET  /__sim/state          → { control, regions: [{ RegionId, instances, byStatus }], nonces, requests }
 *                                (`requests`: the record of ECS-door requests, oldest first, see SimRequestRecord)
 *   POST /__sim/reset          → back to the seeded fleet and default control (injected refusals and boot
 *                                failures cleared), request record emptied; { ok: true, control }
 *   POST /__sim/control        → JSON body = a patch of SimControl (zod-checked; `faults`, `transitionMs`,
 *                                `commandMs` and `agents` merged field by field, `instanceFaults`, `bootFaults`
 *                                and `commandFaults` replaced); answers
 *                                { ok: true, control }; 400 on a bad body
 *   GET  /__sim/instances/:id  → the simulator's current record of one instance, or 404
 *   GET  /__sim/instances/:id/ssh → the inside of a Linux instance (sim/model/ssh.ts): { loginUser, files:
 *                                { user: [authorized_keys lines] }, applied, passwordAuthentication,
 *                                pubkeyAuthentication }, or 404 (unknown or Windows)
 */

/**
 * A patch of SimControl: every field optional, `faults` and `transitionMs` field by field. Strict (like the
 * schema it is built from) so a typo in a test is a 400 rather than silently ignored.
 */
export const SimControlPatch = SimControlSchema.extend({
  faults: SimControlSchema.shape.faults.partial(),
  transitionMs: SimControlSchema.shape.transitionMs.partial(),
  commandMs: SimControlSchema.shape.commandMs.partial(),
}).partial();

/** What a client of the door may send (the end-to-end fixtures type their patches with it). */
export type SimControlPatch = z.input<typeof SimControlPatch>;

/** True for the paths this door owns; everything else goes to the ECS door. */
export function isControlPath(path: string): boolean {
  return path === '/__sim' || path.startsWith('/__sim/');
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (/^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ControlDoor {
  simulator: Simulator;
  /** Reported in /__sim/state and emptied by a reset. */
  nonces: NonceCache;
  /** The ECS door's request record: shown in /__sim/state, emptied by a reset. */
  requests: RequestRecord;
}

export async function handleControl(door: ControlDoor, req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
  const { simulator, nonces, requests } = door;
  const requestId = randomUUID().toUpperCase();
  const fail = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): void =>
    sendJson(res, status, { RequestId: requestId, Code: code, Message: message, ...extra });
  if (!isLoopback(req.socket.remoteAddress)) return fail(403, 'Sim.Forbidden', 'The control endpoint answers loopback clients only.');
  // A web page on any site could otherwise drive this door with a "simple" cross-site POST: browsers send
  // Origin on those, test clients do not, and a changing call must say it is JSON.
  if (req.method !== 'GET' && req.headers.origin !== undefined)
    return fail(403, 'Sim.Forbidden', 'The control endpoint refuses browser cross-site requests.');
  if (path === '/__sim/control' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    return fail(415, 'Sim.UnsupportedMediaType', 'Send the control patch as Content-Type: application/json.');
  }
  const read = await readBody(req);
  if (read === null) return;
  if (read.tooLarge) return fail(413, 'Sim.BodyTooLarge', `The body exceeds ${MAX_BODY_BYTES} bytes.`);

  if (req.method === 'GET' && path === '/__sim/state') {
    const regions = simulator.regions().map((regionId) => {
      const byStatus: Record<string, number> = {};
      const instances = simulator.instancesIn(regionId);
      for (const instance of instances) byStatus[instance.Status] = (byStatus[instance.Status] ?? 0) + 1;
      return { RegionId: regionId, instances: instances.length, byStatus };
    });
    return sendJson(res, 200, { control: simulator.control, regions, nonces: nonces.size, requests: requests.list() });
  }
  if (req.method === 'POST' && path === '/__sim/reset') {
    simulator.reset();
    nonces.clear();
    requests.clear();
    return sendJson(res, 200, { ok: true, control: simulator.control });
  }
  if (req.method === 'POST' && path === '/__sim/control') {
    let json: unknown;
    try {
      json = JSON.parse(utf8.decode(read.body));
    } catch {
      return fail(400, 'Sim.InvalidControl', 'The body must be a JSON object.');
    }
    const parsed = SimControlPatch.safeParse(json);
    if (!parsed.success) {
      return fail(400, 'Sim.InvalidControl', 'The control patch is not valid.', {
        Issues: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
      });
    }
    simulator.setControl(parsed.data);
    return sendJson(res, 200, { ok: true, control: simulator.control });
  }
  const instanceMatch = /^\/__sim\/instances\/([^/]+)(\/ssh)?$/.exec(path);
  if (req.method === 'GET' && instanceMatch) {
    let id: string;
    try {
      id = decodeURIComponent(instanceMatch[1] ?? '');
    } catch {
      return fail(400, 'Sim.InvalidPath', 'The instance ID is not valid percent-encoding.');
    }
    if (instanceMatch[2] !== undefined) {
      const ssh = simulator.sshState(id);
      if (ssh === undefined) return fail(404, 'Sim.InstanceNotFound', `No simulated Linux instance ${id}.`);
      return sendJson(res, 200, { ...ssh, files: Object.fromEntries(ssh.files) });
    }
    const instance = simulator.instance(id);
    return instance === undefined ? fail(404, 'Sim.InstanceNotFound', `No simulated instance ${id}.`) : sendJson(res, 200, instance);
  }
  return fail(404, 'Sim.NotFound', `No control route ${req.method ?? ''} ${path}.`);
}
