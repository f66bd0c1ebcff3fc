import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The dashboards' files, built by `npm run build` (Vite, web/) into dist/web. Each realm is one
 * page whose script routes in the browser, so every path under /member or /admin answers that
 * realm's index.html; the hashed files under /assets never change and are cached for good, the
 * index.html never (it names the current hashes).
 *
 * The pages only talk to their own origin, so the policy allows nothing else: no inline script or
 * style, no framing (clickjacking on a page that moves money), no Referer (the set-up link's token
 * is in the fragment, but the rest of a URL can carry an invoice number).
 */
export const WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const REALMS = ['member', 'admin'] as const;

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // data: for the empty favicon the pages declare (so the browser asks for none).
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>kios: dashboards not built</title></head>
<body><h1>The dashboards are not built</h1><p>Run <code>npm run build</code> (or <code>npm install</code>) in the kios directory, then reload this page.</p></body></html>`;

export async function webRoutes(app: FastifyInstance, log: { warn(msg: string): void }, root = WEB_ROOT): Promise<void> {
  if (!existsSync(join(root, 'member', 'index.html'))) log.warn(`the dashboards are not built (${root} is missing): run \`npm run build\`; /member and /admin answer 503 until then`);

  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: '365d',
  });

  app.get('/', (_req, reply) => reply.redirect('/member', 302));
  for (const realm of REALMS) {
    const page = (_req: unknown, reply: FastifyReply) => sendIndex(reply, join(root, realm, 'index.html'));
    app.get(`/${realm}`, page);
    app.get(`/${realm}/*`, page);
  }
}

async function sendIndex(reply: FastifyReply, file: string): Promise<FastifyReply> {
  reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8');
  try {
    // Read on each request (it is under 1 KB): a rebuild while kios runs is picked up at once.
    return reply.send(await readFile(file));
  } catch {
    return reply.code(503).send(NOT_BUILT);
  }
}
