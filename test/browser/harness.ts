import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { WEB_ROOT } from '../../src/http/web.js';

/**
 * Browser tests drive Debian's chromium (`apt-get install chromium`; .ci/run does it) through
 * playwright-core, never a downloaded browser. One browser per test file, each with a fresh
 * profile; a context per user so two logged-in users do not share cookies. The pages are the
 * built ones (dist/web), served by a real TestKios, exactly as a user gets them.
 */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const SCREENSHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;

export interface TestBrowser {
  browser: Browser;
  /** A new private window (own cookies and localStorage), 360 px wide when `phone`. */
  context(o?: { phone?: boolean }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  if (!existsSync(join(WEB_ROOT, 'member', 'index.html'))) throw new Error(`${WEB_ROOT} is missing: run \`npm run build\` first`);
  const profile = mkdtempSync(join(tmpdir(), 'kios-chromium-'));
  // launchPersistentContext is the only way playwright takes a profile directory; the browser it
  // belongs to still opens more isolated contexts.
  const first = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 } });
  const browser = first.browser();
  return {
    browser: browser!,
    async context(o = {}) {
      const ctx = await browser!.newContext(o.phone ? { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } });
      ctx.setDefaultTimeout(10_000);
      return ctx;
    },
    async close() {
      await first.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves `docs/screenshots/<name>.png` (the README shows them). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Fails the test on any script error or CSP violation the page reports. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return problems;
}

// Read inside the page; the test code is compiled without the DOM's types.

/** `<html lang>`. */
export function htmlLang(page: Page): Promise<string> {
  return page.evaluate<string>('document.documentElement.lang');
}

/** The page's full width: more than the viewport means it scrolls sideways. */
export function pageWidth(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth');
}

export function hasFocus(target: Locator): Promise<boolean> {
  return target.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement);
}
