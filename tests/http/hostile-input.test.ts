/**
 * Hostile query values and bodies (issue 12.6, 12.7): time bounds far outside any real date are
 * 400 invalid_query on every route that takes one (they were 500s), a far-future `to` still
 * returns the rows before it, and a body nested 20,000 levels deep is 400 invalid_json on device
 * and admin routes alike (it overflowed the stack when stored: a 500).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode, samples, startTestGateway } from '../helpers/gateway.ts';
import { SimDevice, diag } from '../control-plane/device.ts';

test('absurd time bounds are 400 invalid_query on every route taking one; a far-future `to` still returns rows', async () => {
  const gw = await startTestGateway();
  const key = await gw.register('m');
  assert.is((await gw.upload('m', key, 1, { aggregated_data: samples(3) })).status, 200);
  const routes = ['/audit?since=', '/events?since=', '/devices/m/events?since=', '/telemetry/m?from=', '/telemetry/m?to='];
  for (const base of routes) {
    for (const bad of ['99999999999999999', '+275760-09-13T00:00:00Z', '1e400', '-5', 'May 5 2001']) {
      const res = await gw.admin('GET', base + encodeURIComponent(bad));
      assert.is(res.status, 400, `${base}${bad}`);
      assert.is(await errorCode(res), 'invalid_query');
    }
  }
  for (const to of ['9999-12-31T23:59:59Z', String(Date.UTC(9999, 0, 1)), '99999999999']) {
    const res = await gw.admin('GET', `/telemetry/m?to=${encodeURIComponent(to)}`);
    assert.is(res.status, 200, to);
    assert.is(((await res.json()) as { count: number }).count, 3, `to=${to} returns the rows`);
  }
  // the store itself copes with any bound a caller passes
  assert.is((await gw.ctx.store.telemetry.query('m', { toMs: 1e17, limit: 10 })).length, 3);
  await gw.destroy();
});

test('a body nested 20,000 levels deep is 400 invalid_json on device and admin routes', async () => {
  const gw = await startTestGateway();
  const dev = await SimDevice.register(gw, 'm');
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  const asDiag = await dev.request('POST', '/diagnostics/m', `{"firmware_version":"1.0.0","uptime_seconds":1,"boot_id":"b","reset_reason":"poweron","extra":{"x":${deep}}}`);
  assert.is(asDiag.status, 400);
  assert.is((asDiag.json as { error: { code: string } }).error.code, 'invalid_json');
  assert.ok(asDiag.signed, 'still signed for the device');
  const cmd = (await (await gw.admin('POST', '/commands/m', { command_type: 'reboot' })).json()) as { command_id: string };
  await dev.poll();
  const result = await dev.request('POST', '/commands/m/result', `{"command_id":"${cmd.command_id}","status":"completed","result":${deep}}`);
  assert.is(result.status, 400);
  const admin = await gw.admin('PUT', '/config/m', `{"registers":${deep}}`);
  assert.is(admin.status, 400);
  assert.is(await errorCode(admin), 'invalid_json');
  // 64 levels are fine as JSON (the route's own schema decides what it accepts)
  const ok = await dev.request('POST', '/diagnostics/m', { ...diag(), extra: { x: JSON.parse('['.repeat(60) + ']'.repeat(60)) } });
  assert.is(ok.status, 200);
  await gw.destroy();
});

test.run();
