import swagger from '@fastify/swagger';
import scalar from '@scalar/fastify-api-reference';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { COOKIE } from './plugin.js';
import { protocolPaths, PROTOCOL_SECURITY_SCHEMES } from './protocol-docs.js';

/**
 * The API reference: `GET /openapi.json` (OpenAPI 3.1) and `/docs` (Scalar, its script served
 * from the package: no CDN, works on a LAN without internet).
 *
 * Dashboard routes are documented from the very zod schemas that validate them. Routes without
 * a schema are hidden from the generated part; the protocol routes among them (reseller API,
 * Otomax, voucher redeem) are then merged in from protocol-docs.ts by `transformObject`, which
 * only writes the document and never touches their requests or answers. Must be registered on
 * the root instance before any route, so it sees them all.
 */
export function registerApiReference(app: FastifyInstance): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'kios',
        version: '1',
        description:
          'The dashboards\' JSON API (`/api/member`, `/api/admin`: session cookie + `X-CSRF-Token` on writes), the Kiosgame-compatible reseller API, the Otomax channel and the voucher-redeem API.',
      },
      components: {
        securitySchemes: {
          memberSession: { type: 'apiKey', in: 'cookie', name: COOKIE.member.name },
          adminSession: { type: 'apiKey', in: 'cookie', name: COOKIE.admin.name },
          ...PROTOCOL_SECURITY_SCHEMES,
        },
      },
    },
    transform: (doc) => {
      if (!doc.schema && !doc.url.startsWith('/api/')) return { schema: { hide: true }, url: doc.url };
      const out = jsonSchemaTransform(doc);
      const realm = doc.url.startsWith('/api/member/') ? 'memberSession' : doc.url.startsWith('/api/admin/') ? 'adminSession' : null;
      const open = /\/auth\/(login|setup)$/.test(doc.url);
      return realm && !open ? { ...out, schema: { ...out.schema, security: [{ [realm]: [] }] } } : out;
    },
    transformObject: (doc) => {
      const generated = jsonSchemaTransformObject(doc) as OpenAPIV3_1.Document;
      return { ...generated, paths: { ...generated.paths, ...(protocolPaths() as OpenAPIV3_1.PathsObject) } };
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.register(scalar, {
    routePrefix: '/docs',
    // Scalar's own copy of the document under /docs is not needed: /openapi.json is the one.
    configuration: { url: '/openapi.json', withDefaultFonts: false, hideClientButton: true, telemetry: false },
  });
}
