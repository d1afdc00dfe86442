/**
 * Real answers of a live gateway, on each store, match /openapi.json: a fleet with devices, uploads (plain and
 * packed, through Hono and through the upload fast path on a socket), commands, configuration,
 * diagnostics, events, tokens, firmware images of both manifest formats and a rollout is driven
 * through every route — successes and error answers, signed device requests included — and each
 * answer's status, content type, headers and body are checked against the operation the document
 * gives for it (tests/openapi/answers.ts). An answer the document does not describe fails here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packSamples, type Sample } from '../../server/codec/index.ts';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { listen } from '../../server/server.ts';
import { ADMIN_TOKEN, samples, startTestGateway, type TestBackend, type TestGateway } from '../helpers/gateway.ts';
import '../helpers/postgres.ts'; // the run's PostgreSQL cluster (scripts/run-tests.mjs starts it for suites importing this)
import { writeMultipart, type PartSource } from '../../server/http/multipart.ts';
import { otaFixture, uploadParts } from '../ota/routes-helpers.ts';
import { AnswerChecker } from './answers.ts';
import type { Json } from './validator.ts';

interface Call {
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A gateway driven through a checker: every answer is checked against the document. */
class Client {
  constructor(
    readonly gw: TestGateway,
    readonly checker: AnswerChecker,
  ) {}

  async call(method: string, target: string, call: Call = {}): Promise<Response> {
    const token = call.token === undefined ? ADMIN_TOKEN : call.token;
    const body = call.body === undefined ? undefined : typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
    const res = await this.gw.app.request(target, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(call.headers ?? {}) },
      ...(body === undefined ? {} : { body }),
    });
    await this.checker.check(method, target, res);
    if (body !== undefined) this.checker.checkAcceptedBody(method, target, res.status, body);
    return res;
  }

  /** An admin call expected to answer `status`; the JSON body back. */
  async expect(status: number, method: string, target: string, call: Call = {}): Promise<Json> {
    const res = await this.call(method, target, call);
    const text = await res.text();
    assert.is(res.status, status, `${method} ${target}: ${text.slice(0, 300)}`);
    return text.startsWith('{') ? (JSON.parse(text) as Json) : {};
  }
}

class Device {
  nonce = 0;
  constructor(
    readonly client: Client,
    readonly id: string,
    readonly key: Uint8Array,
  ) {}

  static async register(client: Client, id: string): Promise<Device> {
    const out = await client.expect(201, 'POST', '/devices', { body: { device_id: id } });
    return new Device(client, id, hexToBytes(out.hmac_key as string));
  }

  /** A signed request (body as JSON); expects `status`, returns the JSON body. */
  async expect(status: number, method: string, target: string, body?: unknown, extra: Record<string, string> = {}): Promise<Json> {
    const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const headers = { ...signRequestHeaders(this.key, this.id, ++this.nonce, method, target, bytes), ...(bytes ? { 'content-type': 'application/json' } : {}), ...extra };
    const res = await this.client.call(method, target, { token: null, headers, ...(bytes ? { body: new TextDecoder().decode(bytes) } : {}) });
    const text = await res.text();
    assert.is(res.status, status, `${method} ${target} as ${this.id}: ${text.slice(0, 300)}`);
    assert.ok(res.headers.get('x-signature'), `${method} ${target}: answers to an identified device are signed`);
    return text.startsWith('{') ? (JSON.parse(text) as Json) : {};
  }

  async upload(status: number, document: unknown, nonce = ++this.nonce): Promise<Json> {
    return this.client.expect(status, 'POST', `/aggregated/${this.id}`, {
      token: null,
      headers: { 'content-type': 'application/json' },
      body: signEnvelope(this.key, this.id, nonce, document),
    });
  }
}

async function checkerFor(gw: TestGateway): Promise<AnswerChecker> {
  const res = await gw.app.request('/openapi.json');
  return new AnswerChecker((await res.json()) as Json);
}

function report(checker: AnswerChecker): void {
  assert.equal(checker.problems, [], `answers the document does not describe:\n${checker.problems.join('\n')}`);
}

test('the checker refuses what the document does not describe', async () => {
  const gw = await startTestGateway();
  const checker = await checkerFor(gw);
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  await checker.check('GET', '/health', json(200, { status: 'healthy', timestamp: new Date().toISOString() }));
  assert.equal(checker.problems, [], 'a true answer passes');
  await checker.check('GET', '/health', json(200, { status: 'healthy' }));
  await checker.check('GET', '/health', json(200, { status: 'healthy', timestamp: 'yesterday' }));
  await checker.check('GET', '/devices/x', json(418, {}));
  await checker.check('GET', '/devices/x', json(404, { success: false, error: { code: 'no_such_code', message: 'm' } }));
  await checker.check('GET', '/devices/x', json(200, { success: true, device: { device_id: 'x' } }));
  await checker.check('GET', '/metrics', json(200, {}));
  await checker.check('GET', '/commands/x/poll', json(200, { command: null }, { 'x-signature': 'not hex' }));
  await checker.check('PUT', '/health', json(200, {}));
  checker.checkAcceptedBody('POST', '/devices', 201, '{"device_id":"x"}');
  checker.checkAcceptedBody('POST', '/devices', 400, '{"colour":1}');
  checker.checkAcceptedBody('POST', '/devices', 201, '{"device_id":"x","colour":1}');
  checker.checkAcceptedBody('GET', '/health', 200, '{}');
  const found = checker.problems.map((p) => p.split(':')[0] + ': ' + (p.includes('status 418') ? 'status' : p.includes('content-type') ? 'type' : p.includes('header') ? 'header' : p.includes('no operation') ? 'operation' : 'body'));
  assert.equal(found, [
    'GET /health → 200: body',
    'GET /health → 200: body',
    'GET /devices/x → 418: status',
    'GET /devices/x → 404: body',
    'GET /devices/x → 200: body',
    'GET /metrics → 200: type',
    'GET /commands/x/poll → 200: header',
    'PUT /health → 200: operation',
    'POST /devices → 201: body',
    'GET /health → 200: body',
  ]);
  await gw.destroy();
});

for (const backend of ['embedded', 'postgres'] as const) {
  test(`every route of a live gateway (${backend} store) answers as /openapi.json says, errors included`, () => everyRoute(backend));
}

async function everyRoute(backend: TestBackend): Promise<void> {
  // 1.0.0 and 0.5.0 are there at the first start (published to every device); 1.1.0 is uploaded below.
  const fixture = await otaFixture([{ version: '1.0.0' }, { version: '0.5.0', counter: 0 }]);
  const gw = await startTestGateway({ dir: fixture.dir, backend });
  const checker = await checkerFor(gw);
  const c = new Client(gw, checker);

  // --- open routes
  await c.expect(200, 'GET', '/health', { token: null });
  await c.expect(200, 'GET', '/health/ready', { token: null });
  await c.expect(200, 'GET', '/openapi.json', { token: null });
  await c.expect(200, 'GET', '/metrics');
  await c.expect(401, 'GET', '/metrics', { token: null });

  // --- devices and tokens
  const m1 = await Device.register(c, 'm1');
  const b1 = await Device.register(c, 'b1');
  const d2 = await Device.register(c, 'd2');
  await c.expect(409, 'POST', '/devices', { body: { device_id: 'm1' } });
  await c.expect(400, 'POST', '/devices', { body: { device_id: '..' } });
  await c.expect(400, 'POST', '/devices', { body: '{"device_id":' });
  await c.expect(409, 'POST', '/devices', { body: { device_id: 's1', shared_key: true } });
  await c.expect(201, 'POST', '/devices/bulk', { body: { devices: [{ device_id: 'k1', tags: ['site:a'] }, { device_id: 'k2' }] } });
  await c.expect(409, 'POST', '/devices/bulk', { body: { devices: [{ device_id: 'k1' }] } });
  await c.expect(200, 'GET', '/devices');
  await c.expect(200, 'GET', '/devices?tag=site:a');
  await c.expect(400, 'GET', '/devices?tag=Not%20A%20Tag');
  // The paginated list (the fleet read model): a page, the next one, a bad parameter.
  const firstPage = await c.expect(200, 'GET', '/devices?limit=2&sort=last_seen&order=desc');
  await c.expect(200, 'GET', `/devices?limit=2&sort=last_seen&order=desc&cursor=${firstPage.next_cursor as string}`);
  await c.expect(400, 'GET', '/devices?limit=0');
  await c.expect(200, 'PUT', '/devices/m1/tags', { body: ['canary', 'site:a'] });
  await c.expect(400, 'PUT', '/devices/m1/tags', { body: ['BAD TAG'] });
  await c.expect(404, 'PUT', '/devices/nobody/tags', { body: [] });
  await c.expect(200, 'GET', '/devices/m1');
  await c.expect(404, 'GET', '/devices/nobody');
  await c.expect(200, 'POST', '/devices/k2/rotate-key');
  await c.expect(200, 'POST', '/devices/k2/rotate-key', { body: { immediate: true } });
  await c.expect(400, 'POST', '/devices/k2/rotate-key', { body: { immediate: 'yes' } });
  await c.expect(200, 'DELETE', '/devices/k2');
  await c.expect(409, 'POST', '/devices/k2/rotate-key');
  await c.expect(201, 'POST', '/devices/k2/reinstate');
  await c.expect(409, 'POST', '/devices/m1/reinstate');
  await c.expect(404, 'DELETE', '/devices/nobody');
  const viewer = (await c.expect(201, 'POST', '/tokens', { body: { name: 'val', role: 'viewer' } })).token as string;
  await c.expect(200, 'GET', '/devices', { token: viewer });
  await c.expect(403, 'POST', '/devices', { token: viewer, body: { device_id: 'x1' } });
  await c.expect(403, 'GET', '/tokens', { token: viewer });
  await c.expect(401, 'GET', '/devices', { token: null });
  await c.expect(401, 'GET', '/devices', { token: 'wrong-token' });
  await c.expect(400, 'POST', '/tokens', { body: { name: 'Bad Name', role: 'viewer' } });
  await c.expect(409, 'POST', '/tokens', { body: { name: 'val', role: 'admin' } });
  await c.expect(200, 'GET', '/tokens');
  await c.expect(200, 'DELETE', '/tokens/val');
  await c.expect(409, 'DELETE', '/tokens/val');
  await c.expect(409, 'DELETE', '/tokens/bootstrap');
  await c.expect(404, 'DELETE', '/tokens/nobody');

  // --- uploads (Hono route) and telemetry
  assert.equal(await m1.upload(200, { aggregated_data: samples(3) }, 10), { success: true, samples: 3 });
  assert.equal(await m1.upload(200, { aggregated_data: samples(3) }, 10), { success: true, samples: 3, duplicate: true });
  await m1.upload(401, { aggregated_data: samples(1) }, 5); // replay (signed)
  await m1.upload(400, { aggregated_data: [] }, 11); // invalid_payload (signed)
  await m1.upload(200, packSamples(samples(20, 1_700_100_000) as Sample[], 'delta'), 12);
  m1.nonce = 12;
  await c.expect(400, 'POST', '/aggregated/m1', { token: null, body: { device_id: 'm1', nonce: -1, payload: 'e30=', mac: '00' } });
  await c.expect(400, 'POST', '/aggregated/m1', { token: null, body: signEnvelope(b1.key, 'b1', 1, { aggregated_data: samples(1) }) });
  await c.expect(401, 'POST', '/aggregated/ghost', { token: null, body: signEnvelope(b1.key, 'ghost', 1, { aggregated_data: samples(1) }) });
  await c.expect(415, 'POST', '/aggregated/m1', { token: null, headers: { 'content-type': 'text/plain' }, body: '{}' });
  await c.expect(413, 'POST', '/aggregated/m1', { token: null, headers: { 'content-length': String(gw.config.BODY_LIMIT_BYTES + 1) }, body: 'x'.repeat(gw.config.BODY_LIMIT_BYTES + 1) });
  await c.expect(400, 'POST', '/aggregated/m1', { token: null, body: '[1,' });
  await c.expect(200, 'GET', '/telemetry/m1');
  const csv = await c.call('GET', '/telemetry/m1?format=csv&limit=5');
  assert.match(await csv.text(), /^timestamp,received_at,nonce,method,/);
  await c.expect(400, 'GET', '/telemetry/m1?from=yesterday');
  await c.expect(404, 'GET', '/telemetry/nobody');

  // --- commands
  const queued = await c.expect(201, 'POST', '/commands/m1', { body: { command_type: 'set_power', parameters: { power: '50%' }, expires_in: 600 } });
  await c.expect(201, 'POST', '/commands/m1', { body: { command_type: 'set_config', parameters: { heartbeat_interval: 30 } } });
  await c.expect(400, 'POST', '/commands/m1', { body: { command_type: 'set_power', parameters: { power: 'loud' } } });
  await c.expect(404, 'POST', '/commands/nobody', { body: { command_type: 'reboot' } });
  const fanout = await c.expect(201, 'POST', '/commands', { body: { target: 'tag:site:a', command_type: 'reboot' } });
  assert.is(fanout.queued, 2);
  await c.expect(400, 'POST', '/commands', { body: { target: 'tag:nobody', command_type: 'reboot' } });
  await c.expect(200, 'GET', '/commands/m1');
  await c.expect(400, 'GET', '/commands/m1?status=lost');
  await c.expect(404, 'GET', '/commands/nobody');
  const polled = await m1.expect(200, 'GET', '/commands/m1/poll');
  const delivered = (polled.command as Json).command_id as string;
  assert.is(delivered, queued.command_id);
  await m1.expect(200, 'POST', '/commands/m1/result', { command_id: delivered, status: 'completed', result: { ok: true } });
  await m1.expect(409, 'POST', '/commands/m1/result', { command_id: delivered, status: 'failed' });
  await m1.expect(409, 'POST', '/commands/m1/result', { command_id: 'no-such-command', status: 'failed' });
  await m1.expect(400, 'POST', '/commands/m1/result', { command_id: delivered, status: 'done' });
  await c.expect(200, 'GET', `/commands/status/${delivered}`);
  await c.expect(404, 'GET', '/commands/status/no-such-command');
  const pending = (fanout.command_ids as string[])[0]!;
  await c.expect(200, 'DELETE', `/commands/${pending}`);
  await c.expect(409, 'DELETE', `/commands/${pending}`);
  await c.expect(404, 'DELETE', '/commands/no-such-command');
  // The signature middleware's own refusals, on a device route.
  await c.expect(400, 'GET', '/commands/m1/poll', { token: null });
  await c.expect(400, 'GET', '/commands/m1/poll', { token: null, headers: { 'x-device-id': 'm1', 'x-nonce': 'soon', 'x-signature': '00'.repeat(32) } });
  await c.expect(400, 'GET', '/commands/m1/poll', { token: null, headers: signRequestHeaders(b1.key, 'b1', 1, 'GET', '/commands/m1/poll') });
  await c.expect(401, 'GET', '/commands/m1/poll', { token: null, headers: signRequestHeaders(b1.key, 'm1', 999, 'GET', '/commands/m1/poll') });
  await c.expect(401, 'GET', '/commands/m1/poll', { token: null, headers: signRequestHeaders(m1.key, 'm1', 1, 'GET', '/commands/m1/poll') }); // replay

  // --- configuration and diagnostics
  await m1.expect(200, 'GET', '/config');
  await c.expect(200, 'GET', '/config/defaults');
  await c.expect(200, 'PUT', '/config/defaults', { body: { heartbeat_interval: 90 } });
  await c.expect(400, 'PUT', '/config/defaults', { body: { poll_frequency: 600, upload_frequency: 60 } });
  await c.expect(400, 'PUT', '/config/defaults', { body: {} });
  await c.expect(200, 'GET', '/config/fleet');
  await c.expect(200, 'PUT', '/config/m1', { body: { poll_frequency: 10, registers: ['voltage', 'power'] } });
  await c.expect(400, 'PUT', '/config/m1', { body: { registers: ['Voltage'] } });
  await c.expect(200, 'PUT', '/config/tags/canary', { body: { upload_frequency: 120, priority: 5 } });
  await c.expect(400, 'PUT', '/config/tags/canary', { body: { priority: -1 } });
  await c.expect(400, 'PUT', '/config/tags/Canary', { body: { upload_frequency: 120 } });
  await c.expect(200, 'GET', '/config/tags/canary');
  await c.expect(400, 'GET', '/config/tags/Canary');
  await c.expect(200, 'GET', '/config/tags');
  await c.expect(200, 'GET', '/config/m1');
  await c.expect(200, 'DELETE', '/config/tags/canary');
  await c.expect(400, 'DELETE', '/config/tags/Canary');
  await c.expect(200, 'DELETE', '/config/m1');
  await c.expect(404, 'GET', '/config/nobody');
  await c.expect(404, 'PUT', '/config/nobody', { body: { poll_frequency: 10 } });
  const report1 = { firmware_version: '1.0.0', uptime_seconds: 60, boot_id: 7, reset_reason: 'poweron', free_heap: 180_000, wifi_rssi: -60, config_version: 1, extra: { note: 'hi' } };
  await m1.expect(200, 'POST', '/diagnostics/m1', report1);
  await m1.expect(200, 'POST', '/diagnostics/m1', { ...report1, boot_id: 'boot-2', reset_reason: 'watchdog' });
  await m1.expect(400, 'POST', '/diagnostics/m1', { ...report1, reset_reason: 'bored' });
  await m1.expect(415, 'POST', '/diagnostics/m1', report1, { 'content-type': 'text/plain' });
  await c.expect(200, 'GET', '/diagnostics/summary');
  await c.expect(200, 'GET', '/diagnostics/m1?limit=5');
  await c.expect(400, 'GET', '/diagnostics/m1?limit=0');
  await c.expect(404, 'GET', '/diagnostics/nobody');

  // --- events, audit, security, notifications
  await c.expect(200, 'GET', '/events');
  await c.expect(200, 'GET', '/events?device_id=m1&type=reboot&since=2020-01-01');
  await c.expect(400, 'GET', '/events?type=explosion');
  await c.expect(200, 'GET', '/devices/m1/events');
  await c.expect(404, 'GET', '/devices/nobody/events');
  await c.expect(200, 'GET', '/audit?limit=500');
  await c.expect(200, 'GET', '/audit?actor=token:bootstrap&action=device.');
  await c.expect(400, 'GET', '/audit?actor=everyone');
  await c.expect(200, 'GET', '/security/stats');
  await c.expect(200, 'DELETE', '/security/nonces?device_id=k1');
  await c.expect(400, 'DELETE', '/security/nonces?device_id=..');
  await c.expect(200, 'GET', '/notify/status');

  // --- OTA: a release uploaded and published, and a rollout offering 1.1.0 to b1 only
  const upload = async (parts: PartSource[], contentType?: string) => {
    const m = writeMultipart(parts);
    const pieces: Uint8Array[] = [];
    for await (const p of m.bytes()) pieces.push(p);
    const res = await gw.app.request('/ota/images/1.1.0', {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': contentType ?? m.contentType },
      body: Buffer.concat(pieces),
    });
    await checker.check('PUT', '/ota/images/1.1.0', res);
    return res.status;
  };
  const v110 = await fixture.addImage({ version: '1.1.0', formatVersion: 2, size: 20_000, stage: true });
  assert.is(await upload(uploadParts(v110)), 201);
  assert.is(await upload(uploadParts(v110)), 200);
  assert.is(await upload(uploadParts(v110).slice(1)), 400);
  assert.is(await upload(uploadParts(v110), 'application/json'), 415);
  await c.expect(200, 'GET', '/ota/images');
  await c.expect(409, 'POST', '/ota/rollouts', { body: { version: '1.1.0', devices: ['b1'] } }); // a draft
  await c.expect(200, 'POST', '/ota/images/1.1.0/publish');
  await c.expect(200, 'POST', '/ota/images/1.1.0/publish', { body: { general: false } });
  await c.expect(404, 'POST', '/ota/images/9.9.9/publish');
  await c.expect(400, 'POST', '/ota/images/1.1.0/publish', { body: { everyone: true } });
  const rollout = (await c.expect(201, 'POST', '/ota/rollouts', { body: { version: '1.1.0', devices: ['b1'], percent: 100 } })).rollout as Json;
  await c.expect(400, 'POST', '/ota/rollouts', { body: { version: '1.1.0', devices: 'all', percent: 150 } });
  await c.expect(404, 'POST', '/ota/rollouts', { body: { version: '9.9.9', devices: 'all' } });
  await c.expect(404, 'POST', '/ota/rollouts', { body: { version: '1.1.0', devices: ['nobody'] } });
  await c.expect(200, 'GET', '/ota/rollouts');
  await c.expect(200, 'GET', `/ota/rollouts/${rollout.id}`);
  await c.expect(404, 'GET', '/ota/rollouts/ro_nothing');
  await c.expect(200, 'PATCH', `/ota/rollouts/${rollout.id}`, { body: { percent: 100, devices: ['b1', 'd2'] } });
  await c.expect(400, 'PATCH', `/ota/rollouts/${rollout.id}`, { body: {} });
  await c.expect(404, 'PATCH', '/ota/rollouts/ro_nothing', { body: { percent: 5 } });
  await c.expect(200, 'POST', `/ota/rollouts/${rollout.id}/pause`);
  await c.expect(200, 'POST', `/ota/rollouts/${rollout.id}/resume`);
  await c.expect(404, 'POST', '/ota/rollouts/ro_nothing/pause');
  await c.expect(404, 'POST', '/ota/rollouts/ro_nothing/resume');

  // --- OTA: the JSON chunk route (format 1, 1.0.0 for m1) and the streaming path (format 2, 1.1.0 for b1)
  const offer1 = await m1.expect(200, 'GET', '/ota/check/m1?version=0.9.0');
  assert.equal([offer1.update_available, offer1.latest_version, offer1.format_version], [true, '1.0.0', 1]);
  const offer2 = await b1.expect(200, 'GET', '/ota/check/b1?version=0.9.0&security_counter=0');
  assert.equal([offer2.update_available, offer2.latest_version, offer2.format_version], [true, '1.1.0', 2]);
  assert.is((await m1.expect(200, 'GET', '/ota/check/m1?version=9.0.0')).update_available, false);
  await m1.expect(400, 'GET', '/ota/check/m1?version=latest');
  await m1.expect(400, 'GET', '/ota/check/m1?version=1.0.0&security_counter=-1');
  await m1.expect(200, 'POST', '/ota/initiate/m1', { firmware_version: '1.0.0' });
  await m1.expect(200, 'POST', '/ota/initiate/m1', { version: '1.0.0' }); // resumes
  await m1.expect(409, 'POST', '/ota/initiate/m1', { firmware_version: '1.1.0' });
  await m1.expect(404, 'POST', '/ota/initiate/m1', { firmware_version: '9.9.9' });
  await m1.expect(400, 'POST', '/ota/initiate/m1', {});
  await m1.expect(200, 'GET', '/ota/chunk/m1?version=1.0.0&chunk=0');
  await m1.expect(416, 'GET', '/ota/chunk/m1?version=1.0.0&chunk=9999');
  await m1.expect(400, 'GET', '/ota/chunk/m1?version=1.0.0&chunk=first');
  await m1.expect(404, 'GET', '/ota/chunk/m1?version=9.9.9&chunk=0');
  await c.expect(200, 'GET', '/ota/status/m1');
  await c.expect(200, 'GET', '/ota/stats');
  await m1.expect(200, 'POST', '/ota/complete/m1', { success: true, version: '1.0.0' });
  await m1.expect(400, 'POST', '/ota/complete/m1', { success: true, status: 'failed' });
  await d2.expect(409, 'POST', '/ota/complete/d2', { success: false, error: 'rolled_back: never confirmed' });
  await c.expect(200, 'GET', '/ota/status/m1');
  await c.expect(404, 'GET', '/ota/status/nobody');
  await b1.expect(200, 'GET', '/ota/manifest/1.1.0');
  await b1.expect(400, 'GET', '/ota/manifest/v1');
  await b1.expect(404, 'GET', '/ota/manifest/9.9.9');
  const page = await c.call('GET', '/ota/hashes/1.1.0?page=0', {
    token: null,
    headers: signRequestHeaders(b1.key, 'b1', ++b1.nonce, 'GET', '/ota/hashes/1.1.0?page=0'),
  });
  assert.is(page.status, 200);
  assert.is(page.headers.get('content-type'), 'application/octet-stream');
  await b1.expect(416, 'GET', '/ota/hashes/1.1.0?page=999');
  await b1.expect(400, 'GET', '/ota/hashes/1.1.0');
  await b1.expect(409, 'GET', '/ota/hashes/1.0.0?page=0');
  // A floor above 0.5.0's counter: refused for d2 from then on.
  await d2.expect(200, 'GET', '/ota/check/d2?version=0.1.0&security_counter=3');
  await d2.expect(409, 'GET', '/ota/manifest/0.5.0');
  await d2.expect(409, 'POST', '/ota/initiate/d2', { firmware_version: '0.5.0' });

  // --- OTA: yanking, finishing and deleting rollouts
  await c.expect(200, 'POST', '/ota/images/0.5.0/yank', { body: { reason: 'test' } });
  await d2.expect(410, 'GET', '/ota/manifest/0.5.0');
  await c.expect(409, 'POST', '/ota/images/0.5.0/publish');
  await c.expect(404, 'POST', '/ota/images/9.9.9/yank');
  await c.expect(200, 'POST', `/ota/rollouts/${rollout.id}/cancel`);
  await c.expect(409, 'POST', `/ota/rollouts/${rollout.id}/pause`);
  await c.expect(404, 'POST', '/ota/rollouts/ro_nothing/cancel');
  await c.expect(409, 'DELETE', `/ota/rollouts/${rollout.id}`); // b1 started on it
  const spare = (await c.expect(201, 'POST', '/ota/rollouts', { body: { version: '1.1.0', target: 'tag:nobody', steps: [{ percent: 10 }, { percent: 100, soak_seconds: 60 }] } })).rollout as Json;
  await c.expect(200, 'GET', `/ota/rollouts/${spare.id}`);
  await c.expect(200, 'DELETE', `/ota/rollouts/${spare.id}`);
  await c.expect(404, 'DELETE', `/ota/rollouts/${spare.id}`);

  // --- OTA downloads: admin, device (streamed signature), conditional, HEAD, errors
  const whole = await c.call('GET', '/ota/firmware/1.1.0');
  assert.is(whole.status, 200);
  const etag = whole.headers.get('etag')!;
  assert.is((await c.call('GET', '/ota/firmware/1.1.0', { headers: { range: 'bytes=0-99' } })).status, 206);
  assert.is((await c.call('GET', '/ota/firmware/1.1.0', { headers: { 'if-none-match': etag } })).status, 304);
  assert.is((await c.call('HEAD', '/ota/firmware/1.1.0')).status, 200);
  assert.is((await c.call('GET', '/ota/firmware/1.1.0', { headers: { range: 'bytes=999999-' } })).status, 416);
  assert.is((await c.call('GET', '/ota/firmware/9.9.9')).status, 404);
  assert.is((await c.call('GET', '/ota/firmware/1.1.0', { token: null })).status, 401);
  const signed = await c.call('GET', '/ota/firmware/1.1.0', {
    token: null,
    headers: { ...signRequestHeaders(b1.key, 'b1', ++b1.nonce, 'GET', '/ota/firmware/1.1.0'), range: 'bytes=0-1023' },
  });
  assert.is(signed.status, 206);
  assert.ok(signed.headers.get('x-signature'));

  // --- the operator console (HTML for a browser, with its session cookie)
  await consoleRoutes(c);

  report(checker);
  const { unanswered, withoutSuccess, pairs, declared } = checker.coverage();
  assert.equal(unanswered.filter((k) => !k.includes('/fault/')), [], 'every operation answered at least once');
  assert.equal(withoutSuccess, [], 'every answered operation answered a success at least once');
  console.log(`[openapi] ${backend}: ${pairs} of ${declared} declared (operation, status) answers seen on the live gateway`);
  await gw.destroy();
}

/** The console's routes: the login form and its refusals, the pages with and without a session, assets, logout. */
async function consoleRoutes(c: Client): Promise<void> {
  const cookies = new Map<string, string>();
  const keep = (res: Response) => {
    for (const set of res.headers.getSetCookie()) {
      const [name, value] = set.split(';')[0]!.split('=');
      if (/Max-Age=0/.test(set)) cookies.delete(name!);
      else cookies.set(name!, value!);
    }
    return res;
  };
  const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const page = async (status: number, method: string, target: string, extra: Record<string, string> = {}, body?: string) => {
    const form = body === undefined ? {} : { body, headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded', ...extra } };
    const res = keep(await c.call(method, target, { token: null, headers: { cookie: cookie(), ...extra }, ...form }));
    const text = await res.text();
    assert.is(res.status, status, `${method} ${target}: ${text.slice(0, 200)}`);
    return text;
  };
  const csrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  await page(301, 'GET', '/ui');
  await page(303, 'GET', '/ui/');
  await page(401, 'GET', '/ui/', { 'x-console-live': '1' });
  // Every login form (a refusal answers one too) binds its token to a new pre-login cookie.
  let form = await page(200, 'GET', '/ui/login');
  form = await page(400, 'POST', '/ui/login', {}, new URLSearchParams({ token: ADMIN_TOKEN, _csrf: 'forged' }).toString());
  form = await page(403, 'POST', '/ui/login', { 'sec-fetch-site': 'cross-site' }, new URLSearchParams({ token: ADMIN_TOKEN, _csrf: csrf(form) }).toString());
  form = await page(401, 'POST', '/ui/login', {}, new URLSearchParams({ token: 'not-a-token', _csrf: csrf(form) }).toString());
  await page(303, 'POST', '/ui/login', {}, new URLSearchParams({ token: ADMIN_TOKEN, _csrf: csrf(form) }).toString());
  assert.ok(cookies.has('fleetgate_console'));
  await page(303, 'GET', '/ui/login');
  const fleet = await page(200, 'GET', '/ui/');
  await page(400, 'GET', '/ui/?limit=0');
  await page(200, 'GET', '/ui/devices/m1?range=hour');
  await page(404, 'GET', '/ui/devices/nobody');
  await page(200, 'GET', '/ui/firmware');
  await page(200, 'GET', '/ui/security?range=7d');
  await page(400, 'GET', '/ui/security?range=1y');
  const css = await c.call('GET', '/ui/assets/console.css', { token: null });
  assert.is(css.status, 200);
  assert.is((await c.call('GET', '/ui/assets/console.js', { token: null })).status, 200);
  assert.is((await c.call('GET', '/ui/assets/console.css', { token: null, headers: { 'if-none-match': css.headers.get('etag')! } })).status, 304);
  assert.is((await c.call('GET', '/ui/assets/nothing.css', { token: null })).status, 404);
  await page(403, 'POST', '/ui/logout', {}, new URLSearchParams({ _csrf: 'forged' }).toString());
  await page(303, 'POST', '/ui/logout', {}, new URLSearchParams({ _csrf: csrf(fleet) }).toString());
}

test('fault injection routes (test fleets) answer as the document says', async () => {
  const gw = await startTestGateway({ env: { FAULTS_ENABLED: '1' } });
  const checker = await checkerFor(gw);
  const c = new Client(gw, checker);
  await Device.register(c, 'f1');
  await c.expect(201, 'POST', '/fault/inject', { body: { fault_type: 'network_timeout', device_id: 'f1', delay_ms: 10 } });
  await c.expect(201, 'POST', '/fault/inject', { body: { fault_type: 'modbus_timeout', device_id: 'f1', count: 2 } });
  await c.expect(400, 'POST', '/fault/inject', { body: { fault_type: 'corrupted_payload', device_id: 'f1', delay_ms: 10 } });
  await c.expect(404, 'POST', '/fault/inject', { body: { fault_type: 'corrupted_payload', device_id: 'nobody' } });
  await c.expect(200, 'GET', '/fault/active');
  await c.expect(200, 'DELETE', '/fault/active?device_id=f1');
  await c.expect(400, 'DELETE', '/fault/active?device_id=..');
  await c.expect(200, 'GET', '/fault/history?limit=10');
  await c.expect(400, 'GET', '/fault/history?limit=5000');
  await c.expect(200, 'DELETE', '/fault/history');
  report(checker);
  const faultOps = checker.coverage().unanswered.filter((k) => k.includes('/fault/'));
  assert.equal(faultOps, []);
  await gw.destroy();
});

test('uploads through the fast path on a real socket answer as the document says', async () => {
  const gw = await startTestGateway();
  const checker = await checkerFor(gw);
  const c = new Client(gw, checker);
  const dev = await Device.register(c, 'sock1');
  const server = await listen(gw, '127.0.0.1', 0);
  const post = async (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
    const res = await fetch(`${server.url}/aggregated/sock1`, { method: 'POST', headers, body });
    await checker.check('POST', '/aggregated/sock1', res);
    return res.status;
  };
  assert.is(await post(JSON.stringify(signEnvelope(dev.key, 'sock1', 1, { aggregated_data: samples(2) }))), 200);
  assert.is(await post(JSON.stringify(signEnvelope(dev.key, 'sock1', 1, { aggregated_data: samples(2) }))), 200);
  assert.is(await post(JSON.stringify(signEnvelope(dev.key, 'sock1', 1, { aggregated_data: samples(1) }))), 401);
  assert.is(await post(JSON.stringify(signEnvelope(dev.key, 'sock1', 2, { compressed_data: 'AAAA', method: 1, original_size: 3, compressed_size: 3, crc32: '00000000' }))), 400);
  assert.is(await post('{"device_id":"sock1"}'), 400);
  assert.is(await post('{}', { 'content-type': 'text/plain' }), 415);
  report(checker);
  await server.stop();
});

test.run();
