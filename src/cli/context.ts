import { InvalidArgumentError } from 'commander';
import pino from 'pino';
import { createKios, type Kios } from '../app.js';
import { loadConfig } from '../config.js';

/** Opens kios for one CLI command, logging only warnings (to stderr), and always closes it. */
export async function withKios(fn: (k: Kios) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2));
  const k = await createKios(config, { log });
  try {
    await fn(k);
  } finally {
    await k.close();
  }
}

/** Prints `data` as JSON with `--json` (or when there is no human form), else the human form. */
export function out(json: boolean | undefined, data: unknown, human?: () => string): void {
  process.stdout.write(`${json || !human ? JSON.stringify(data, null, 2) : human()}\n`);
}

/** Whole rupiah; Indonesian thousand separators are accepted (`10.000` and `10,000` are 10000). */
export function wholeNumber(v: string): number {
  const s = v.replace(/[_.,](?=\d{3}(\D|$))/g, '');
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new InvalidArgumentError(`"${v}" is not a whole number of rupiah`);
  return Number(s);
}

/** A small whole number (counts, priorities). */
export function count(v: string): number {
  if (!/^\d{1,9}$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a whole number`);
  return Number(v);
}

export { rupiah } from '../domain/money.js';

/** Key/value lines for `show` commands. */
export function keyValues(entries: [string, unknown][], width = 16): string {
  return entries.map(([a, b]) => `${a.padEnd(width)} ${Array.isArray(b) ? b.join(', ') : b === null || b === undefined ? '' : String(b)}`.trimEnd()).join('\n');
}
