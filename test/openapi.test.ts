/**
 * The API docs: /openapi.json documents every route the app serves and none it does not (the routes
 * read from the express app's own router, not from a list), is OpenAPI 3.1 in shape, and /docs is a
 * self-contained page naming every operation. Both answer without an API key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from '../api/app';
import { loadApiConfig } from '../api/config';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../api/webhook-signature';

/** Stands in for MongoDB and Temporal: building the app only hands them to its routers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- absorbs whatever a router reaches for
function inert(): any {
  return new Proxy(() => undefined, {
    get: (_target, key) => (key === 'then' ? undefined : inert()),
    apply: () => inert(),
  });
}

function buildApp(): Express {
  const config = loadApiConfig({
    API_KEYS: 'openapi-key',
    DEFAULT_FROM: 'Mailroom <no-reply@mailroom.test>',
    SENDGRID_WEBHOOK_VERIFY: 'false',
    MONGODB_URI: 'mongodb://127.0.0.1:1/unused',
  });
  return createApp({ config, stores: inert(), temporal: inert(), relay: inert(), log: () => undefined });
}

/** What express 5's router (router@2) keeps of each `use` and each route. */
interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

function pathsOf(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw.flat(Infinity) : [raw];
  return list.map((path) => {
    assert.ok(typeof path === 'string', `a route or mount path this test cannot read: ${String(path)}`);
    return path;
  });
}

/** `/v1/emails/:id` → `/v1/emails/{id}`; a mount's `/` route is the mount path itself. */
function openApiPath(express: string): string {
  assert.doesNotMatch(
    express,
    /[*{}()?]/,
    `${express}: wildcards and optional parts need a rule in this test`,
  );
  const path = express.replace(/\/+$/, '') || '/';
  return path.replace(/:(\w+)/g, '{$1}');
}

/** Every "METHOD /path" the app routes, found by walking its router and every router mounted in it. */
function servedOperations(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods);
        assert.ok(!methods.includes('_all'), `${String(layer.route.path)}: .all() routes need a rule here`);
        for (const path of pathsOf(layer.route.path)) {
          for (const method of methods) found.push(`${method.toUpperCase()} ${openApiPath(prefix + path)}`);
        }
      } else if (layer.handle.stack) {
        for (const mount of pathsOf(layer.rawPath))
          walk(layer.handle.stack, prefix + mount.replace(/\/$/, ''));
      }
    }
  };
  walk((app.router as unknown as { stack: Layer[] }).stack, '');
  return [...new Set(found)].sort();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document as served, read as JSON
type Json = any;

let app: Express;
let server: Server;
let base: string;
let doc: Json;

before(async () => {
  app = buildApp();
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const res = await fetch(`${base}/openapi.json`);
  assert.equal(res.status, 200, 'GET /openapi.json without an API key');
  doc = await res.json();
});
after(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const documentedOperations = (): string[] =>
  Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();

const operations = (): [string, Json][] =>
  Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, Json] => [`${method.toUpperCase()} ${path}`, op]),
  );

describe('API docs', () => {
  it('the walk finds the routes of the app and of the routers mounted in it', () => {
    const served = servedOperations(app);
    for (const known of [
      'GET /healthz',
      'POST /v1/emails',
      'GET /v1/emails/{id}',
      'POST /v1/webhooks/sendgrid',
    ]) {
      assert.ok(served.includes(known), `${known} among ${served.join(', ')}`);
    }
  });

  it('every route the app serves is documented (add it to api/openapi/operations.ts)', () => {
    const documented = documentedOperations();
    const missing = servedOperations(app).filter((op) => !documented.includes(op));
    assert.deepEqual(missing, [], `served but not in /openapi.json: ${missing.join(', ')}`);
  });

  it('every documented operation is served: no stale docs', () => {
    const served = servedOperations(app);
    const stale = documentedOperations().filter((op) => !served.includes(op));
    assert.deepEqual(stale, [], `in /openapi.json but not served: ${stale.join(', ')}`);
  });

  it('is OpenAPI 3.1 in shape: ids, responses, path parameters, security schemes, references', () => {
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof doc.info.title, 'string');
    assert.equal(typeof doc.info.version, 'string');
    const ids = new Set<string>();
    for (const [name, op] of operations()) {
      assert.ok(op.operationId && !ids.has(op.operationId), `${name}: a unique operationId`);
      ids.add(op.operationId);
      const responses = Object.entries(op.responses ?? {});
      assert.ok(responses.length > 0, `${name}: responses`);
      for (const [status, response] of responses as [string, Json][]) {
        assert.match(status, /^[1-5]\d\d$/, `${name}: status ${status}`);
        assert.equal(typeof response.description, 'string', `${name} ${status}: a description`);
      }
      const pathParams = [...name.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const param of pathParams) {
        const declared = (op.parameters ?? []).find((p: Json) => p.in === 'path' && p.name === param);
        assert.equal(declared?.required, true, `${name}: path parameter ${param}, required`);
      }
      for (const requirement of op.security) {
        for (const scheme of Object.keys(requirement))
          assert.ok(doc.components.securitySchemes[scheme], scheme);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    for (const ref of refs) {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce((node: Json, key) => node?.[key], doc);
      assert.ok(target, `${ref} resolves`);
    }
  });

  it('POST /v1/emails: the body schema from the validating zod schema, `to` required', () => {
    const op = doc.paths['/v1/emails'].post;
    const schema = op.requestBody.content['application/json'].schema;
    assert.ok(schema.required.includes('to'), JSON.stringify(schema.required));
    assert.ok(
      schema.properties.to.anyOf.some((s: Json) => s.type === 'string'),
      'to: a bare address too',
    );
    for (const field of ['subject', 'text', 'html', 'templateId', 'callbackUrl', 'deliveryTimeout']) {
      assert.ok(schema.properties[field], field);
    }
    assert.equal(schema.additionalProperties, false, 'unknown fields are refused, as the API does');
    assert.ok(op.parameters.some((p: Json) => p.in === 'header' && p.name === 'Idempotency-Key'));
    assert.ok(op.responses['202'].headers.Location);
  });

  it('errors are the contract body; the API key and the webhook signature are security schemes', () => {
    const error = doc.components.schemas.Error;
    assert.deepEqual(error.required, ['error']);
    assert.deepEqual(error.properties.error.required, ['code', 'message']);
    const notFound = doc.paths['/v1/emails/{id}'].get.responses['404'];
    assert.equal(notFound.content['application/json'].schema.$ref, '#/components/schemas/Error');
    const schemes = doc.components.securitySchemes;
    assert.deepEqual(schemes.apiKey, { ...schemes.apiKey, type: 'http', scheme: 'bearer' });
    const webhook = doc.paths['/v1/webhooks/sendgrid'].post;
    const headers = webhook.security.flatMap((r: Json) => Object.keys(r)).map((s: string) => schemes[s].name);
    assert.deepEqual(
      headers.map((h: string) => h.toLowerCase()),
      [SIGNATURE_HEADER, TIMESTAMP_HEADER],
    );
    assert.deepEqual(doc.paths['/healthz'].get.security, [], 'public routes need no credentials');
  });

  it('/docs: a self-contained page naming every operation, without an API key', async () => {
    const res = await fetch(`${base}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    for (const [name] of operations()) {
      const [method, path] = name.split(' ');
      assert.ok(html.includes(`${method}</span> <code>${path}</code>`), `${name} on the page`);
    }
    assert.ok(html.includes('<code>to</code>'), 'the body fields of POST /v1/emails');
    assert.doesNotMatch(html, /<script|<link|src=/i, 'nothing loaded from elsewhere');
  });
});
