/**
 * Device ids that are Object property names (issue 12.3). `constructor`, `toString`, `valueOf`,
 * `hasOwnProperty`, … are valid ids and must be plain data everywhere: every route the router
 * holds, called with each such id (registered and not, as admin and as the device), answers below
 * 500; the OTA security-counter floor of `constructor` is a number like anyone's; security stats
 * list these ids.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { otaOf } from '../../server/ota/routes.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { ADMIN_TOKEN, samples } from '../helpers/gateway.ts';
import { otaFixture, otaGateway, SimDevice } from '../ota/routes-helpers.ts';

/** Every property name of Object.prototype that is a valid device id (`__proto__` is refused). */
const HOSTILE = Object.getOwnPropertyNames(Object.prototype).filter((n) => n !== '__proto__');

test('every route answers below 500 for ids that are Object property names, registered or not', async () => {
  const fx = await otaFixture([{ version: '1.0.1', counter: 1 }]);
  const gw = await otaGateway(fx, { env: { FAULTS_ENABLED: '1', AUTH_FAILURES_PER_ADDRESS: '100000' } });
  const keys = new Map<string, Uint8Array>();
  for (const id of HOSTILE.slice(0, Math.ceil(HOSTILE.length / 2))) keys.set(id, await gw.register(id));
  assert.ok(HOSTILE.includes('constructor') && HOSTILE.includes('valueOf') && HOSTILE.length >= 10);
  const routes = [...new Map(gw.app.routes.filter((r) => r.path.includes(':device_id') && r.method !== 'ALL').map((r) => [`${r.method} ${r.path}`, r])).values()];
  assert.ok(routes.length >= 15, `found ${routes.length} routes taking a device id`);
  let nonce = 0;
  const failures: string[] = [];
  // First as a device would use them (the sweep below also revokes and rotates them).
  for (const id of HOSTILE) {
    const upload = await gw.upload(id, keys.get(id) ?? new Uint8Array(32), ++nonce, { aggregated_data: samples(1) });
    if (upload.status !== (keys.has(id) ? 200 : 401)) failures.push(`upload ${id} → ${upload.status} ${await upload.text()}`);
  }
  for (const id of HOSTILE) {
    for (const r of routes) {
      const path = r.path.replace(':device_id', id).replace(/:[a-z_]+/g, 'x');
      const body = ['POST', 'PUT', 'PATCH'].includes(r.method) ? '{}' : undefined;
      const asAdmin = await gw.app.request(path, { method: r.method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(body ? { body } : {}) });
      const key = keys.get(id) ?? new Uint8Array(32);
      const bytes = body ? new TextEncoder().encode(body) : undefined;
      const asDevice = await gw.app.request(path, {
        method: r.method,
        headers: { ...signRequestHeaders(key, id, ++nonce, r.method, path, bytes), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(bytes ? { body: bytes } : {}),
      });
      for (const [who, res] of [['admin', asAdmin], ['device', asDevice]] as const) {
        if (res.status >= 500) failures.push(`${who} ${r.method} ${path} → ${res.status} ${await res.text()}`);
      }
    }
  }
  assert.equal(failures, []);
  // security stats list these ids like any other
  const stats = (await (await gw.admin('GET', '/security/stats')).json()) as { devices: Record<string, { accepted: number }> };
  for (const id of keys.keys()) assert.ok(Object.hasOwn(stats.devices, id) && stats.devices[id]!.accepted > 0, `stats for ${id}`);
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

test('the OTA security-counter floor of device "constructor" holds like anyone\'s', async () => {
  const fx = await otaFixture([
    { version: '1.0.1', counter: 1 },
    { version: '1.0.2', counter: 5 },
  ]);
  const gw = await otaGateway(fx);
  for (const id of ['constructor', 'normal']) {
    const d = await SimDevice.register(gw, id);
    await d.request('GET', `/ota/check/${id}?version=1.0.0&security_counter=5`);
    const r = await d.request('POST', `/ota/initiate/${id}`, { firmware_version: '1.0.1' });
    assert.is(r.status, 409, `${id}: an older image with a lower counter is refused`);
    assert.is((r.json.error as { code: string }).code, 'security_counter_too_low');
    const status = (await (await gw.admin('GET', `/ota/status/${id}`)).json()) as { security_counter_floor: number };
    assert.is(status.security_counter_floor, 5);
  }
  assert.is((await gw.admin('GET', '/ota/status/valueOf')).status, 404, 'an unregistered id is 404, not 500');
  assert.is(await otaOf(gw.ctx).state.device('toString'), undefined);
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

test.run();
