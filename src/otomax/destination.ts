/**
 * Otomax v2/v3 send the whole destination in `user_id`. Explicit separators win: `user|server`,
 * `user(server)`, `user server`, `user.server`; a plain string is split by the category's rule
 * (a regex with named groups `user` and `server`, catalog data). Returns null when a category
 * that needs a server gets a destination that cannot be split.
 * The separator is a space, not any whitespace: a tab or line break is not a destination kios
 * accepts, and must not look like one when an error line echoes it.
 */
export function splitDestination(dest: string, category: { needsServer: boolean; destinationSplit: string | null }): { userId: string; serverId: string | null } | null {
  const d = dest.trim();
  if (!category.needsServer) {
    // A server part is ignored, as the JSON API ignores server_id for these categories, in every
    // separator that can never be part of an account id (`|`, `( )`, a space). `.` can be (ids
    // with dots exist), so `user.server` stays whole here.
    const m = /^([^|]+)\|/.exec(d) ?? /^([^(]+)\([^()]*\)$/.exec(d) ?? /^([^ ]+) +[^ ]+$/.exec(d);
    return { userId: m ? m[1]!.trim() : d, serverId: null };
  }
  const explicit =
    /^([^|]+)\|(.+)$/.exec(d) ?? /^([^(]+)\(([^()]+)\)$/.exec(d) ?? /^([^ ]+) +([^ ]+)$/.exec(d) ?? /^([^.]+)\.([^.]+)$/.exec(d);
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
