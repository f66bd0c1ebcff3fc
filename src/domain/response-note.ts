/**
 * `response_note`: `{nickname} - {user_id}({server_id}) . RefId: {ref}` (RULINGS section 1), without
 * `({server_id})` when there is none and without `{nickname} - ` when no account check gave one.
 * A delivered voucher follows as `... . SN: {code}`: the note is the only text the Otomax channel
 * carries (its `sn` report parameter and status line), and operators must hand the code on.
 * On failure or refund the reason follows: `... . RefId: {ref} . {reason}`.
 */
export function responseNote(o: { nickname: string | null; userId: string; serverId: string | null; ref: string; voucher?: string | null; reason?: string | null }): string {
  const dest = o.serverId ? `${o.userId}(${o.serverId})` : o.userId;
  const who = o.nickname ? `${o.nickname} - ${dest}` : dest;
  let note = `${who} . RefId: ${o.ref}`;
  if (o.voucher) note += ` . SN: ${o.voucher}`;
  if (o.reason) note += ` . ${o.reason}`;
  return note;
}
