import { Argument, Command, InvalidArgumentError } from 'commander';
import { ApigamesFake } from './apigames.js';
import { FakeCatalog } from './catalog.js';
import { DigiflazzFake } from './digiflazz.js';
import type { FakeSupplier } from './fake-supplier.js';
import { KiosgameFake } from './kiosgame.js';
import { VcgamersFake } from './vcgamers.js';

/**
 * `npm run fake-supplier -- <digiflazz|kiosgame|apigames|vcgamers> [--port 4001]`: a fake supplier on loopback, to
 * try a supplier set-up before having an account (README, "Suppliers"). It prints the
 * configuration to give `kios supplier add`, and logs each request and callback.
 */
const int = (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('a whole number');
  return Number(v);
};
const share = (v: string) => {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('a share between 0 and 1');
  return n;
};

const program = new Command()
  .name('fake-supplier')
  .description('run a fake supplier (Digiflazz or Kiosgame-style) on 127.0.0.1')
  .addArgument(new Argument('<kind>').choices(['digiflazz', 'kiosgame', 'apigames', 'vcgamers']))
  .option('--port <n>', 'port to listen on (0: any free one)', int, 0)
  .option('--callback-url <url>', 'where to send callbacks when a purchase names none (e.g. http://127.0.0.1:3000/suppliers/digi/callback)')
  .option('--pending-ms <n>', 'how long ...555 / ...554 destinations stay pending', int, 5000)
  .option('--timeouts <share>', 'share of requests left unanswered', share, 0)
  .option('--errors <share>', 'share of requests answered 5xx', share, 0)
  .option('--refusals <share>', 'share of new purchases refused', share, 0)
  .option('--duplicate-callbacks <share>', 'share of callbacks sent twice or followed by a stale one', share, 0)
  .option('--seed <n>', 'random seed of the faults', int, 1)
  .option('--price <n>', 'price of every product, in rupiah (Digiflazz refuses above the max_price kios sends); default 1000, or the catalog\'s prices with --catalog', int)
  .option('--catalog <n>', 'sell a generated catalog of n products over 8 game brands (for kios catalog sync; digiflazz, kiosgame, vcgamers)', int)
  .option('--quiet', 'do not log each request')
  .action(async (kind: 'digiflazz' | 'kiosgame' | 'apigames' | 'vcgamers', o: { port: number; callbackUrl?: string; pendingMs: number; timeouts: number; errors: number; refusals: number; duplicateCallbacks: number; seed: number; price?: number; catalog?: number; quiet?: boolean }) => {
    const opts = {
      port: o.port,
      price: o.price ?? (o.catalog === undefined ? 1_000 : undefined),
      ...(o.catalog !== undefined ? { catalog: new FakeCatalog(o.catalog) } : {}),
      callbackUrl: o.callbackUrl ?? null,
      pendingMs: o.pendingMs,
      seed: o.seed,
      faults: { timeout: o.timeouts, error5xx: o.errors, refuse: o.refusals, duplicateCallback: o.duplicateCallbacks, hangMs: 60_000 },
    };
    const fake: FakeSupplier & { config(): Record<string, unknown> } = kind === 'digiflazz' ? await DigiflazzFake.start(opts) : kind === 'apigames' ? await ApigamesFake.start(opts) : kind === 'vcgamers' ? await VcgamersFake.start(opts) : await KiosgameFake.start(opts);
    const name = kind === 'digiflazz' ? 'digi' : kind === 'apigames' ? 'apigames' : kind === 'vcgamers' ? 'vcgamers' : 'tossgames';
    process.stdout.write(
      [
        `fake ${kind} listening on ${fake.url}`,
        'add it to kios with:',
        `  npx kios supplier add ${kind} --name ${name} --config '${JSON.stringify(fake.config())}'`,
        'destinations ending 999: refused; 404: invalid destination; 555: pending then success; 554: pending then failed; others: success',
        ...(kind === 'apigames' ? ['apigames: 404 is created then "Gagal"; 777: "Sukses Sebagian"; 666: "Validasi Provider" (stays); webhooks go to --callback-url'] : []),
        ...(kind === 'vcgamers' ? ['vcgamers: route skus are <brand_key>/<variation_key> (e.g. MLBB/MLBB10); unsigned webhooks go to --callback-url'] : []),
        '',
      ].join('\n'),
    );
    // Requests are logged and forgotten, so a fake left running does not grow.
    const report = setInterval(() => {
      if (!o.quiet) for (const r of fake.requests) process.stdout.write(`${new Date(r.at).toISOString()} ${r.method} ${r.path}\n`);
      fake.requests.length = 0;
    }, 200);
    const stop = () => {
      clearInterval(report);
      void fake.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

await program.parseAsync(process.argv);
