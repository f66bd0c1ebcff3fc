import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { api, bareEnv, freePort, kios, killAll, ok, okJson, Served, type Env } from './harness.js';

/**
 * `npm install && npm start` on a new machine: `kios serve` in an empty directory with no
 * DATABASE_URL, DATA_DIR or KIOS_SECRET_KEY uses ./data/kios.db and ./data/secret.key, seeds the
 * demo once and prints its key once. (SQLite only: the defaults are SQLite.)
 */
vi.setConfig({ testTimeout: 180_000 });

const KEY_LINE = /Demo API key \(shown this once; `kios demo` prints it again\): (kios_[\w-]+)/;

type Exported = { categories: { products: { code: string; active: boolean; prices: Record<string, number> }[] }[] };

describe('first start with the defaults (sqlite:./data/kios.db)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'kios-first-start-'));
  const running: Served[] = [];
  // Nothing but PORT: every other setting takes its default, as after `npm install && npm start`.
  const env = (port: number): Env => bareEnv({ PORT: String(port) });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop(5_000)));
    await killAll();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('prints the demo key once, keeps it across a restart, and never re-seeds', async () => {
    const port = await freePort();
    const first = Served.start(env(port), ['serve'], { cwd });
    running.push(first);
    const url = await first.url();
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const key = first.stdout.match(KEY_LINE)?.[1];
    expect(key, first.stdout).toBeDefined();
    expect(first.stdout).toContain('First start: seeded the demo catalog and a demo reseller');
    expect(first.stdout).toContain(`Try: curl -H "Authorization: ${key}" ${url}/v1/user`);
    // The key is only in the banner, never in a log line.
    for (const line of first.stdout.split('\n').filter((l) => l.startsWith('{'))) expect(line).not.toContain(key);

    const dataDir = join(cwd, 'data');
    expect(existsSync(join(dataDir, 'kios.db'))).toBe(true);
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, 'secret.key'), 'utf8').trim().length).toBeGreaterThanOrEqual(32);

    const me = await api(url, '/v1/user', key);
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({ user_email: 'demo@kios.local', user_name: 'Demo Reseller', role_code: 'platinum', user_balance: 1_000_000 });

    // The CLI in the same directory uses the same defaults (and the generated key file).
    const cli = bareEnv();
    const resellers = okJson<{ id: string; email: string }[]>(await kios(cli, ['reseller', 'list', '--json'], { cwd }));
    expect(resellers.map((r) => r.email)).toEqual(['demo@kios.local']);
    // The operator changes the demo catalog: a restart must not put it back.
    const catalog = JSON.parse(ok(await kios(cli, ['catalog', 'export'], { cwd }))) as Exported;
    const ff70 = catalog.categories.flatMap((c) => c.products).find((p) => p.code === 'FF70')!;
    expect(ff70.active).toBe(true);
    ff70.active = false;
    ff70.prices.platinum = (ff70.prices.platinum ?? 0) + 111;
    writeFileSync(join(cwd, 'catalog.json'), JSON.stringify(catalog));
    ok(await kios(cli, ['catalog', 'import', 'catalog.json'], { cwd }));
    const changed = ok(await kios(cli, ['catalog', 'export'], { cwd }));

    expect(await first.stop()).toEqual({ code: 0, signal: null });

    const port2 = await freePort();
    const second = Served.start(env(port2), ['serve'], { cwd });
    running.push(second);
    const url2 = await second.url();
    expect(second.stdout).not.toContain(key);
    expect(second.stdout).not.toMatch(/First start|Demo API key/);
    const again = await api(url2, '/v1/user', key);
    expect(again.status).toBe(200);
    expect(again.json.data.user_email).toBe('demo@kios.local');

    expect(ok(await kios(cli, ['catalog', 'export'], { cwd }))).toBe(changed);
    const after = okJson<{ id: string }[]>(await kios(cli, ['reseller', 'list', '--json'], { cwd }));
    expect(after.map((r) => r.id)).toEqual(resellers.map((r) => r.id));
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });
});
