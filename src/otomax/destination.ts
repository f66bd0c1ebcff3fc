/**
 * Otomax v2/v3 send the whole destination in `user_id`. Explicit separators win: `user|server`,
 * `user(server)`, `user server`, `user.server`; a plain string is split by the category's rule
 * (a regex with named groups `user` and `server`, catalog data). Returns null when a category
 * that needs a server gets a destination that cannot be split.
 */
export function splitDestination(dest: string, category: { needsServer: boolean; destinationSplit: string | null }): { userId: string; serverId: string | null } | null {
  const d = dest.trim();
  if (!category.needsServer) {
    const bar = d.indexOf('|');
    return { userId: bar >= 0 ? d.slice(0, bar).trim() : d, serverId: null };
  }
  const explicit =
    /^([^|]+)\|(.+)$/.exec(d) ?? /^([^(]+)\(([^()]+)\)$/.exec(d) ?? /^(\S+)\s+(\S+)$/.exec(d) ?? /^([^.]+)\.([^.]+)$/.exec(d);
  if (explicit) return { userId: explicit[1]!.trim(), serverId: explicit[2]!.trim() };
  if (!category.destinationSplit) return null;
  let re: RegExp;
  try {
    re = new RegExp(category.destinationSplit);
  } catch {
    return null;
  }
  const m = re.exec(d);
  const user = m?.groups?.user;
  const server = m?.groups?.server;
  return user && server ? { userId: user, serverId: server } : null;
}
