import { BlockList, isIP } from 'node:net';

/**
 * IP addresses and networks: parsing, trusted-proxy sets, and the client address behind a trusted proxy.
 * Pure functions over node:net; no I/O.
 */

/** One trusted network: a single address is a /32 (IPv4) or /128 (IPv6). IPv4-mapped IPv6 is stored as IPv4. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses an IP address the way it is compared against trusted networks: IPv4-mapped IPv6
 * (`::ffff:10.0.0.1`, which is what a dual-stack socket reports for an IPv4 peer) becomes plain IPv4, and an
 * IPv6 zone (`%eth0`) is dropped. `undefined` for anything that is not an IP address.
 */
export function normalizeAddress(raw: string): { address: string; family: 'ipv4' | 'ipv6'; wasMapped: boolean } | undefined {
  let text = raw.trim();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const kind = isIP(text);
  if (kind === 4) return { address: text, family: 'ipv4', wasMapped: false };
  if (kind !== 6) return undefined;
  const dotted = /^(?:::|(?:0{1,4}:){5})ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(text);
  if (dotted?.[1] !== undefined && isIP(dotted[1]) === 4) return { address: dotted[1], family: 'ipv4', wasMapped: true };
  const hex = /^(?:::|(?:0{1,4}:){5})ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(text);
  if (hex?.[1] !== undefined && hex[2] !== undefined) {
    const high = parseInt(hex[1], 16);
    const low = parseInt(hex[2], 16);
    return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4', wasMapped: true };
  }
  return { address: text.toLowerCase(), family: 'ipv6', wasMapped: false };
}

/** `a.b.c.d[/n]` or `x:y::z[/n]`; IPv4-mapped IPv6 ranges of /96 or longer are turned into IPv4 ranges. */
export function parseCidr(text: string): Cidr | undefined {
  const parts = text.trim().split('/');
  if (parts.length > 2 || parts[0] === undefined || parts[0].includes('%')) return undefined;
  const ip = normalizeAddress(parts[0]);
  if (ip === undefined) return undefined;
  const prefixText = parts[1];
  if (prefixText === undefined) return { address: ip.address, prefix: ip.family === 'ipv4' ? 32 : 128, family: ip.family };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  if (ip.wasMapped) {
    if (prefix < 96 || prefix > 128) return undefined;
    prefix -= 96;
  }
  if (prefix > (ip.family === 'ipv4' ? 32 : 128)) return undefined;
  return { address: ip.address, prefix, family: ip.family };
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped), or the name `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (/^localhost\.?$/i.test(bare)) return true;
  const ip = normalizeAddress(bare);
  if (ip === undefined) return false;
  const loopback = new BlockList();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  return loopback.check(ip.address, ip.family);
}

/** A set of networks (e.g. TRUSTED_PROXY_CIDRS) that answers "is this address in it?". */
export interface AddressSet {
  /** False for anything that is not an IP address. */
  has(address: string): boolean;
  readonly isEmpty: boolean;
}

/** From canonical `address/prefix` strings (the configuration's form, config/); an entry that does not parse is left out. */
export function addressSet(cidrs: readonly string[]): AddressSet {
  const list = new BlockList();
  let count = 0;
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    // The configuration validated every entry; one that does not parse here is left out, trusting less (the safe side).
    if (cidr === undefined) continue;
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    count += 1;
  }
  return {
    isEmpty: count === 0,
    has(address) {
      const ip = normalizeAddress(address);
      return ip !== undefined && list.check(ip.address, ip.family);
    },
  };
}

/**
 * The address of the client a request comes from, for the audit trail.
 *
 * From a trusted proxy, `X-Forwarded-For` is read from the right (each proxy appends the address it received
 * the request from): trusted proxies are skipped, and the first address that is not one is the client, if it
 * is an IP address. Anything else there (a name, `unknown`, a port, garbage a client sent) means the chain
 * cannot be followed further, so the TCP peer is reported instead: the one address that cannot be forged.
 * Addresses come back normalized (IPv4-mapped IPv6 as IPv4).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | readonly string[] | undefined, trusted: AddressSet): string {
  const peerIp = normalizeAddress(peer ?? '');
  // A socket that is already gone has no address; the audit trail still needs a value.
  const fallback = peerIp?.address ?? 'unknown';
  if (peerIp === undefined || !trusted.has(peerIp.address) || forwardedFor === undefined) return fallback;
  const entries = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor).join(',').split(',');
  let leftmostTrusted: string | undefined;
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    const entry = (entries[i] ?? '').trim();
    if (entry === '') continue;
    const ip = normalizeAddress(entry);
    if (ip === undefined) return fallback;
    if (!trusted.has(ip.address)) return ip.address;
    leftmostTrusted = ip.address;
  }
  // Every hop is a trusted proxy: the request started at the first of them.
  return leftmostTrusted ?? fallback;
}
