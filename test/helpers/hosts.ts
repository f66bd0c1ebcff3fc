import { readFileSync } from 'node:fs';
import { isPublicAddress, parseIp } from '../../src/security/ip-whitelist.js';

/**
 * A name that /etc/hosts maps to a loopback or private address (other than localhost, which the
 * policy refuses without a lookup), so a test can exercise the real DNS path. Null when none.
 */
export function privateNameFromHosts(): string | null {
  let text: string;
  try {
    text = readFileSync('/etc/hosts', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [addr, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!addr || names.length === 0 || !parseIp(addr) || isPublicAddress(addr)) continue;
    const name = names.find((n) => /^[a-z0-9][a-z0-9.-]*$/i.test(n) && !parseIp(n) && !/(^|\.)localhost$/i.test(n));
    if (name) return name;
  }
  return null;
}
