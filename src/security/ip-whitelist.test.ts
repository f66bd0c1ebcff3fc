import { describe, expect, it } from 'vitest';
import { ipAllowed, isPublicAddress, normaliseWhitelistEntry, parseIp } from './ip-whitelist.js';

describe('isPublicAddress', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.15.255.255', // just below 172.16/12
    '172.32.0.1', // just above 172.16/12
    '100.63.255.255', // just below 100.64/10
    '100.128.0.1', // just above 100.64/10
    '169.253.255.255',
    '192.167.255.255',
    '::ffff:8.8.8.8', // IPv4-mapped public
    '2606:4700:4700::1111',
    '2a00:1450:4001:81b::200e',
  ])('%s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each([
    // IPv4
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback /8'],
    ['10.0.0.1', 'private 10/8'],
    ['10.255.255.255', 'private 10/8'],
    ['172.16.0.1', 'private 172.16/12'],
    ['172.31.255.255', 'private 172.16/12'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.64.0.1', 'CGNAT 100.64/10'],
    ['100.127.255.255', 'CGNAT 100.64/10'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this network 0/8'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved 240/4'],
    ['192.0.2.1', 'TEST-NET-1'],
    ['198.51.100.1', 'TEST-NET-2'],
    ['203.0.113.1', 'TEST-NET-3'],
    ['198.18.0.1', 'benchmarking'],
    ['192.0.0.1', 'IETF protocol assignments'],
    // IPv6
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique local fc00::/7'],
    ['fdff:ffff::1', 'unique local fc00::/7'],
    ['fe80::1', 'link-local fe80::/10'],
    ['febf:ffff::1', 'link-local fe80::/10'],
    ['fec0::1', 'deprecated site-local'],
    ['ff02::1', 'multicast'],
    ['2002:7f00:1::', '6to4 2002::/16 (wraps 127.0.0.1)'],
    ['2002:c0a8:101::1', '6to4 2002::/16 (wraps 192.168.1.1)'],
    ['2001::1', 'Teredo 2001::/32'],
    ['2001:db8::1', 'documentation'],
    ['64:ff9b::7f00:1', 'NAT64 (wraps 127.0.0.1)'],
    ['100::1', 'discard-only'],
    // IPv4-mapped IPv6 is judged by its IPv4 form
    ['::ffff:127.0.0.1', 'mapped loopback'],
    ['::ffff:7f00:1', 'mapped loopback, hex form'],
    ['::ffff:10.0.0.1', 'mapped private'],
    ['::ffff:169.254.169.254', 'mapped link-local'],
    ['[::1]', 'bracketed loopback'],
    // not an address at all
    ['', 'empty'],
    ['localhost', 'a name'],
    ['example.com', 'a name'],
    ['1.2.3.4.5', 'garbage'],
    ['::g', 'garbage'],
  ])('%s is not public (%s)', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });
});

describe('parseIp', () => {
  it('turns IPv4-mapped IPv6 into IPv4 and strips brackets', () => {
    expect(parseIp('::ffff:1.2.3.4')?.toString()).toBe('1.2.3.4');
    expect(parseIp('::ffff:1.2.3.4')?.kind()).toBe('ipv4');
    expect(parseIp('[2001:db8::1]')?.toString()).toBe('2001:db8::1');
    expect(parseIp('2001:DB8:0:0:0:0:0:1')?.toString()).toBe('2001:db8::1');
    expect(parseIp('nope')).toBeNull();
    expect(parseIp('10.0.0.0/8')).toBeNull();
  });
});

describe('normaliseWhitelistEntry', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['10.0.0.7/8', '10.0.0.0/8'],
    ['192.168.1.77/24', '192.168.1.0/24'],
    ['1.2.3.4/32', '1.2.3.4/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1::/64', '2001:db8::/64'],
    ['2001:db8::1/128', '2001:db8::1/128'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:10.1.2.3/104', '10.0.0.0/8'],
    ['::ffff:192.168.1.9/120', '192.168.1.0/24'],
  ])('%s -> %s', (entry, expected) => {
    expect(normaliseWhitelistEntry(entry)).toBe(expected);
  });

  it.each([
    '',
    'example.com',
    '1.2.3.4/33',
    '2001:db8::/129',
    '1.2.3.4/-1',
    '1.2.3.4/x',
    '1.2.3',
    '::ffff:0:0/90', // a mapped prefix shorter than the IPv4 part
    // Non-standard IPv4 spellings are refused: read as octal/hex they would whitelist another
    // address than the one the operator meant (`010.0.0.1` is 8.0.0.1 to an octal reader).
    '010.0.0.1',
    '192.168.001.010',
    '0x0a.0.0.1',
    '10.1',
    '167772161',
    '010.0.0.0/8',
  ])('refuses %j', (entry) => {
    expect(normaliseWhitelistEntry(entry)).toBeNull();
  });
});

describe('ipAllowed', () => {
  it('allows everyone when the whitelist is empty', () => {
    expect(ipAllowed('8.8.8.8', [])).toBe(true);
    expect(ipAllowed('::1', [])).toBe(true);
  });

  it('matches single addresses exactly, IPv4 and IPv6', () => {
    const list = ['1.2.3.4', '2001:db8::7'];
    expect(ipAllowed('1.2.3.4', list)).toBe(true);
    expect(ipAllowed('1.2.3.5', list)).toBe(false);
    expect(ipAllowed('2001:db8::7', list)).toBe(true);
    expect(ipAllowed('2001:0db8:0000::0007', list)).toBe(true);
    expect(ipAllowed('2001:db8::8', list)).toBe(false);
  });

  it('matches CIDR ranges at their edges', () => {
    const list = ['10.0.0.0/8', '192.168.1.0/24', '2001:db8:abcd::/48'];
    expect(ipAllowed('10.0.0.0', list)).toBe(true);
    expect(ipAllowed('10.255.255.255', list)).toBe(true);
    expect(ipAllowed('11.0.0.0', list)).toBe(false);
    expect(ipAllowed('9.255.255.255', list)).toBe(false);
    expect(ipAllowed('192.168.1.255', list)).toBe(true);
    expect(ipAllowed('192.168.2.0', list)).toBe(false);
    expect(ipAllowed('2001:db8:abcd:ffff::1', list)).toBe(true);
    expect(ipAllowed('2001:db8:abce::1', list)).toBe(false);
  });

  it('treats an IPv4-mapped IPv6 client or entry as its IPv4 form', () => {
    expect(ipAllowed('::ffff:1.2.3.4', ['1.2.3.4'])).toBe(true);
    expect(ipAllowed('::ffff:10.9.8.7', ['10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('1.2.3.4', ['::ffff:1.2.3.4'])).toBe(true);
    expect(ipAllowed('10.9.8.7', ['::ffff:10.0.0.0/104'])).toBe(true);
    expect(ipAllowed('11.0.0.1', ['::ffff:10.0.0.0/104'])).toBe(false);
    expect(ipAllowed('::ffff:1.2.3.5', ['1.2.3.4'])).toBe(false);
  });

  it('never matches across families, nor garbage', () => {
    expect(ipAllowed('::1', ['127.0.0.1'])).toBe(false);
    expect(ipAllowed('127.0.0.1', ['::1'])).toBe(false);
    expect(ipAllowed('1.2.3.4', ['::/0'])).toBe(false);
    expect(ipAllowed('2001:db8::1', ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('not-an-ip', ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('', ['0.0.0.0/0'])).toBe(false);
    expect(ipAllowed('1.2.3.4', ['garbage', '1.2.3.0/zz'])).toBe(false);
    expect(ipAllowed('1.2.3.4', ['garbage', '1.2.3.4'])).toBe(true);
  });

  it('every normalised entry still admits the address it was made from', () => {
    for (const [entry, ip] of [
      ['10.0.0.7/8', '10.0.0.7'],
      ['::ffff:10.1.2.3/104', '10.1.2.3'],
      ['2001:db8:0:0:1::/64', '2001:db8::ffff'],
      [' 1.2.3.4 ', '::ffff:1.2.3.4'],
    ] as const) {
      expect(ipAllowed(ip, [normaliseWhitelistEntry(entry)!])).toBe(true);
    }
  });
});
