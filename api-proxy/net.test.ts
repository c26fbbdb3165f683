import { addressSet, clientAddress, isLoopbackHost, normalizeAddress, parseCidr } from './net';

describe('clientAddress', () => {
  const trusted = addressSet(['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8']);

  it('believes X-Forwarded-For only from a trusted peer', () => {
    expect(clientAddress('203.0.113.9', '198.51.100.1', trusted)).toBe('203.0.113.9');
    expect(clientAddress('10.1.2.3', '198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.1.2.3', '198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientAddress('10.1.2.3', undefined, trusted)).toBe('10.1.2.3');
  });

  it('takes the right-most address that is not a trusted proxy, skipping the proxies', () => {
    // The client forged the first two entries; the trusted hops appended the rest.
    expect(clientAddress('10.0.0.1', '1.1.1.1, 2.2.2.2, 198.51.100.7, 10.0.0.9', trusted)).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.1', ['1.1.1.1', '198.51.100.7 , 127.0.0.1'], trusted)).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.1', '2001:db8::7, fd00::1', trusted)).toBe('2001:db8::7');
    expect(clientAddress('10.0.0.1', '::ffff:198.51.100.8', trusted)).toBe('198.51.100.8');
  });

  it.each([
    ['a name', 'not-an-ip'],
    ['unknown', 'unknown'],
    ['an address with a port', '198.51.100.7:4711'],
    ['a bracketed IPv6 address', '[2001:db8::7]'],
    ['1,100 bytes of garbage', `198.51.100.7, ${'a'.repeat(1100)}`],
    ['control characters', '198.51.100.7\u0000'],
  ])('reports the TCP peer when the right-most untrusted entry is %s', (_what, header) => {
    expect(clientAddress('10.0.0.1', header, trusted)).toBe('10.0.0.1');
  });

  it('gives the first hop when every entry is a trusted proxy, and ignores empty entries', () => {
    expect(clientAddress('10.0.0.1', '10.9.9.9, 10.0.0.2', trusted)).toBe('10.9.9.9');
    expect(clientAddress('10.0.0.1', ' , 198.51.100.7,, ', trusted)).toBe('198.51.100.7');
    expect(clientAddress('10.0.0.1', '', trusted)).toBe('10.0.0.1');
  });

  it('always answers something an audit record can hold', () => {
    expect(clientAddress(undefined, '198.51.100.7', trusted)).toBe('unknown');
    expect(clientAddress('10.0.0.1', '198.51.100.7', addressSet([]))).toBe('10.0.0.1');
  });
});

describe('addressSet', () => {
  it('matches IPv4, IPv6 and IPv4-mapped peers, and nothing that is not an address', () => {
    const set = addressSet(['10.0.0.0/8', '::1/128', 'not a cidr']);
    expect(set.has('10.255.0.1')).toBe(true);
    expect(set.has('::ffff:10.0.0.1')).toBe(true);
    expect(set.has('::1')).toBe(true);
    expect(set.has('11.0.0.1')).toBe(false);
    expect(set.has('localhost')).toBe(false);
    expect(set.has('')).toBe(false);
    expect(set.isEmpty).toBe(false);
    expect(addressSet([]).isEmpty).toBe(true);
  });
});

describe('addresses', () => {
  it('normalizes IPv4-mapped IPv6 (dotted and hex) to IPv4 and drops zones', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toEqual({ address: '127.0.0.1', family: 'ipv4', wasMapped: true });
    expect(normalizeAddress('::FFFF:7f00:1')).toEqual({ address: '127.0.0.1', family: 'ipv4', wasMapped: true });
    expect(normalizeAddress('0:0:0:0:0:ffff:10.1.2.3')).toEqual({ address: '10.1.2.3', family: 'ipv4', wasMapped: true });
    expect(normalizeAddress('fe80::1%eth0')).toEqual({ address: 'fe80::1', family: 'ipv6', wasMapped: false });
    expect(normalizeAddress('')).toBeUndefined();
    expect(normalizeAddress('example.com')).toBeUndefined();
  });

  it('parses CIDRs and refuses bad prefixes', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' });
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    for (const bad of [
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      '10.0.0.0/-1',
      '::ffff:10.0.0.0/95',
      'fe80::1%eth0/64',
      '300.0.0.0/8',
    ]) {
      expect(parseCidr(bad)).toBeUndefined();
    }
  });

  it('recognizes loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.255.0.1', '::1', '[::1]', '0:0:0:0:0:0:0:1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '128.0.0.1', 'localhost.example.com', '10.0.0.1', '::2']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });
});
