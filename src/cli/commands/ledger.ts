import { Command } from 'commander';
import { recordLedgerVerification, verifyLedger } from '../../ledger/verify.js';
import { out, withKios } from '../context.js';

/** `kios ledger ...`: the ledger's own invariants, checked over the whole database. */
export function ledgerCommands(): Command {
  const ledger = new Command('ledger').description('inspect the ledger');
  ledger
    .command('verify')
    .description('check every ledger invariant (balances equal their entries, one debit and at most one refund per order); the outcome is kept for /metrics')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withKios(async (k) => {
        const v = await verifyLedger(k.db.kysely);
        await recordLedgerVerification(k.db.kysely, { ok: v.length === 0, violations: v.length, at: k.clock() });
        out(o.json, { ok: v.length === 0, violations: v }, () => (v.length === 0 ? 'ledger OK' : v.map((x) => `${x.kind} ${x.subject}: ${x.detail}`).join('\n')));
        if (v.length > 0) process.exitCode = 2;
      }),
    );
  return ledger;
}
