import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../../src/http/web.js';
import { TestKios } from '../helpers/kios.js';

/** The dashboards' pages and files as a browser gets them (dist/web must be built: `npm run build`). */
describe('serving the dashboards', () => {
  let kios: TestKios;
  beforeAll(async () => {
    kios = await TestKios.start('sqlite', {}, { catalog: false });
  });
  afterAll(async () => kios?.close());

  it.each(['/member', '/member/', '/member/login', '/member/orders/INV-1?x=1', '/admin', '/admin/setup', '/admin/a/b/c'])('%s answers its realm page, never cached, with the security headers', async (path) => {
    const res = await kios.request('GET', path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.text).toContain(path.startsWith('/admin') ? '<title>Kios Admin</title>' : '<title>Kios Member</title>');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the hashed files the page names, cached for good, and nothing outside them', async () => {
    const page = await kios.request('GET', '/member');
    const assets = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const a of assets) {
      const res = await kios.request('GET', a);
      expect(res.status, a).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await kios.request('GET', '/assets/nope-123.js')).status).toBe(404);
    expect((await kios.request('GET', '/assets/%2e%2e/%2e%2e/package.json')).status).toBe(404);
  });

  it('sends / to the member dashboard', async () => {
    const res = await fetch(`${kios.url}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/member');
  });

  it('leaves the reseller API and its errors alone', async () => {
    const res = await kios.request('GET', '/v1/nope');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ message: 'ROUTE_NOT_FOUND' });
    expect(res.headers.get('content-security-policy')).toBeNull();
  });

  it('says plainly when the dashboards were never built', async () => {
    const warnings: string[] = [];
    const app = Fastify();
    app.register(async (web) => webRoutes(web, { warn: (m) => warnings.push(m) }, mkdtempSync(join(tmpdir(), 'kios-web-'))));
    const res = await app.inject('/admin/login');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    expect(warnings.join()).toContain('npm run build');
    await app.close();
  });
});
