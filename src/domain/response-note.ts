/**
 * `response_note`: `{nickname} - {user_id}({server_id}) . RefId: {ref}` (RULINGS section 1), without
 * `({server_id})` when there is none and without `{nickname} - ` when no account check gave one.
 * On failure or refund the reason follows: `... . RefId: {ref} . {reason}`.
 */
export function responseNote(o: { nickname: string | null; userId: string; serverId: string | null; ref: string; reason?: string | null }): string {
  const dest = o.serverId ? `${o.userId}(${o.serverId})` : o.userId;
  const who = o.nickname ? `${o.nickname} - ${dest}` : dest;
  const base = `${who} . RefId: ${o.ref}`;
  return o.reason ? `${base} . ${o.reason}` : base;
}
