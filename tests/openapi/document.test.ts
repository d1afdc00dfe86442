/**
 * GET /openapi.json: a valid OpenAPI 3.1 document (the official schema, via
 * @seriousme/openapi-schema-validator), every schema in it valid JSON Schema 2020-12 (Ajv, strict),
 * and the router's routes and the document's operations matched both ways — a route without a
 * description fails here, naming the route and the file to describe it in.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { requiredRole } from '../../server/auth/roles.ts';
import { describedRoutes, openApiPath } from '../../server/openapi/document.ts';
import { ROOT } from '../helpers/process.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { DocumentSchemas, schemasOf, type Json } from './validator.ts';

/** Every optional feature on, so every route is mounted. */
const ALL_FEATURES = { FAULTS_ENABLED: '1', OTA_PUBLIC_DOWNLOADS: '1', METRICS_PUBLIC: '1' };

async function documentOf(gw: TestGateway): Promise<Json> {
  const res = await gw.app.request('/openapi.json');
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as Json;
}

function routeKeys(gw: TestGateway): string[] {
  return [...new Set(gw.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))].sort();
}

/** The server/ file that defines a route (its path as a string literal), to name in a failure. */
function definingFile(path: string): string | undefined {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : n.endsWith('.ts') && !n.endsWith('openapi.ts') ? [join(dir, n)] : []));
  return walk(join(ROOT, 'server'))
    .filter((f) => readFileSync(f, 'utf8').includes(`'${path}'`))
    .map((f) => relative(ROOT, f))[0];
}

function operations(document: Json): { method: string; path: string; op: Json }[] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => ({ method: method.toUpperCase(), path, op: op as Json })),
  );
}

const shape = (openApi: string) => openApi.replace(/\{[^}]+\}/g, '{}');

test('the document is valid OpenAPI 3.1 and every schema in it compiles as JSON Schema 2020-12 (strict)', async () => {
  const gw = await startTestGateway({ env: ALL_FEATURES });
  const document = await documentOf(gw);
  const result = await new Validator().validate(document);
  assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
  assert.is(document.openapi, '3.1.1');
  const schemas = new DocumentSchemas(document);
  const failures: string[] = [];
  const all = schemasOf(document);
  for (const { where, schema } of all) {
    try {
      schemas.validator(schema);
    } catch (err) {
      failures.push(`${where}: ${(err as Error).message}`);
    }
  }
  assert.equal(failures, []);
  assert.ok(all.length > 300, `${all.length} schemas`);
  await gw.destroy();
});

test('every route of the router is described, and every described route exists (both ways)', async () => {
  const gw = await startTestGateway({ env: ALL_FEATURES });
  const routes = routeKeys(gw);
  const described = [...describedRoutes(gw.config).keys()].sort();
  const missing = routes.filter((r) => !described.includes(r));
  const stale = described.filter((d) => !routes.includes(d));
  const explain = [
    ...missing.map((r) => {
      const file = definingFile(r.split(' ')[1]!);
      const docs = file ? file.replace(/[^/]+\.ts$/, 'openapi.ts') : 'the openapi.ts beside its routes';
      return `${r} (defined in ${file ?? '?'}) has no OpenAPI description: add "${r}" to ${docs} (server/openapi/README.md says how)`;
    }),
    ...stale.map((d) => `${d} is described but the router has no such route: rename or remove it in its openapi.ts`),
  ];
  assert.equal(explain, [], explain.join('\n'));
  assert.ok(routes.length >= 60, `${routes.length} routes`);

  // The served document: one operation per mounted route (HEAD only beside a GET), paths as {param}.
  const document = await documentOf(gw);
  const ops = operations(document);
  const served = ops.filter((o) => o.method !== 'HEAD').map((o) => `${o.method} ${shape(o.path)}`).sort();
  assert.equal(served, routes.map((r) => `${r.split(' ')[0]} ${shape(openApiPath(r.split(' ')[1]!))}`).sort());
  for (const head of ops.filter((o) => o.method === 'HEAD')) assert.ok((document.paths as Record<string, Json>)[head.path]!.get, `HEAD ${head.path} without a GET`);
  const ids = ops.map((o) => o.op.operationId);
  assert.is(new Set(ids).size, ids.length, 'operationIds are unique');
  await gw.destroy();
});

test('path parameters are all described and match the template; admin operations name the role of server/auth/roles.ts', async () => {
  const gw = await startTestGateway({ env: ALL_FEATURES });
  const document = await documentOf(gw);
  const problems: string[] = [];
  for (const [key, route] of describedRoutes(gw.config)) {
    const params = [...route.path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!);
    for (const p of params) if (p !== 'device_id' && !route.doc.params?.[p]) problems.push(`${key}: path parameter ${p} is not described`);
  }
  for (const { method, path, op } of operations(document)) {
    const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const declared = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path').map((p) => p.name);
    if (JSON.stringify(inTemplate) !== JSON.stringify(declared)) problems.push(`${method} ${path}: template ${inTemplate} vs parameters ${declared}`);
    const security = JSON.stringify(op.security);
    if (security.includes('adminToken')) {
      const route = [...describedRoutes(gw.config).values()].find((r) => (r.method === method || (method === 'HEAD' && r.method === 'GET')) && shape(openApiPath(r.path)) === shape(path))!;
      const role = requiredRole(method, route.path);
      if (op['x-required-role'] !== role) problems.push(`${method} ${path}: x-required-role ${String(op['x-required-role'])}, roles.ts says ${role}`);
      if (('403' in (op.responses as Json)) !== (role !== 'viewer')) problems.push(`${method} ${path}: 403 listed wrongly for role ${role}`);
    }
  }
  assert.equal(problems, []);
  await gw.destroy();
});

test("the document follows the gateway's configuration: fault injection only where mounted, its limits, who may download", async () => {
  const plain = await startTestGateway({ env: { BODY_LIMIT_BYTES: '2048' } });
  const document = await documentOf(plain);
  const paths = Object.keys(document.paths as Json);
  assert.not.ok(paths.some((p) => p.startsWith('/fault/')), 'no fault routes without FAULTS_ENABLED');
  const upload = (document.paths as Record<string, Record<string, Json>>)['/aggregated/{device_id}']!.post!;
  const envelope = ((upload.requestBody as Json).content as Record<string, { schema: Json }>)['application/json']!.schema;
  assert.is(((envelope.properties as Record<string, Json>).payload!).maxLength, Math.floor((2048 * 4) / 3));
  const firmware = (document.paths as Record<string, Record<string, Json>>)['/ota/firmware/{version}']!.get!;
  assert.equal(firmware.security, [{ deviceId: [], deviceNonce: [], deviceSignature: [] }, { adminToken: [] }]);
  const metrics = (document.paths as Record<string, Record<string, Json>>)['/metrics']!.get!;
  assert.equal(metrics.security, [{ adminToken: [] }]);
  assert.is((await plain.app.request('/openapi.json', { headers: { authorization: 'Bearer wrong' } })).status, 200, 'open: credentials are not looked at');
  await plain.destroy();

  const open = await startTestGateway({ env: ALL_FEATURES });
  const doc2 = (await documentOf(open)).paths as Record<string, Record<string, Json>>;
  assert.equal(doc2['/ota/firmware/{version}']!.get!.security, [{ deviceId: [], deviceNonce: [], deviceSignature: [] }, { adminToken: [] }, {}]);
  assert.equal(doc2['/metrics']!.get!.security, [{}]);
  assert.ok(doc2['/fault/inject']);
  await open.destroy();
});

test.run();
