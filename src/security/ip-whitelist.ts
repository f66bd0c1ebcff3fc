import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Parsed = ipaddr.IPv4 | ipaddr.IPv6;

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is treated as its IPv4 form everywhere. */
function normalise(addr: Parsed): Parsed {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address();
  return addr;
}

export function parseIp(ip: string): Parsed | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(bare)) return null;
  try {
    return normalise(ipaddr.parse(bare));
  } catch {
    return null;
  }
}

/**
 * Canonical form of a whitelist entry (an IP or a CIDR, v4 or v6), or null when it is neither.
 * `10.0.0.7/8` becomes `10.0.0.0/8`; a bare IP stays a bare IP.
 */
export function normaliseWhitelistEntry(entry: string): string | null {
  const s = entry.trim();
  // Only standard notation: ipaddr.js also reads `010.0.0.1` as octal (8.0.0.1), `0x0a.0.0.1`,
  // `10.1` and `167772161`, so a zero-padded entry would silently whitelist another address.
  if (isIP(s.split('/')[0]!.replace(/^\[(.*)\]$/, '$1')) === 0) return null;
  if (s.includes('/')) {
    try {
      const [addr, bits] = ipaddr.parseCIDR(s);
      const a = normalise(addr);
      const prefix = a.kind() === addr.kind() ? bits : bits - 96;
      if (prefix < 0) return null;
      const network = a.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(`${a.toString()}/${prefix}`)
        : ipaddr.IPv6.networkAddressFromCIDR(`${a.toString()}/${prefix}`);
      return `${network.toString()}/${prefix}`;
    } catch {
      return null;
    }
  }
  const ip = parseIp(s);
  return ip ? ip.toString() : null;
}

/** An empty whitelist allows every address. */
export function ipAllowed(clientIp: string, whitelist: readonly string[]): boolean {
  if (whitelist.length === 0) return true;
  const ip = parseIp(clientIp);
  if (!ip) return false;
  for (const entry of whitelist) {
    if (entry.includes('/')) {
      try {
        const [net, bits] = ipaddr.parseCIDR(entry);
        const n = normalise(net);
        if (n.kind() === ip.kind() && ip.match(n, n.kind() === net.kind() ? bits : bits - 96)) return true;
      } catch {
        continue;
      }
    } else {
      const e = parseIp(entry);
      if (e && e.kind() === ip.kind() && e.toString() === ip.toString()) return true;
    }
  }
  return false;
}

/** Whether an address is on the public internet (not loopback, private, link-local, CGNAT, ...). */
export function isPublicAddress(ip: string): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return false;
  return parsed.range() === 'unicast';
}
