/**
 * Starting the control plane (server/control-plane/index.ts) when the store cannot run the
 * retention job at start (a database that does not answer the lease check in time): the gateway
 * still starts, says so, and retention runs again at its next hour.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createGateway } from '../../server/app.ts';
import { openStore } from '../../server/store/index.ts';
import { tempDir, testConfig } from '../helpers/gateway.ts';

test('a retention lease that fails at start is logged, not fatal', async () => {
  const dir = await tempDir();
  const config = { ...testConfig(dir), adminToken: 'x'.repeat(20) };
  const store = await openStore(config);
  const exclusive = store.exclusive.bind(store);
  store.exclusive = async (job, run) => {
    if (job === 'retention') throw Object.assign(new Error('lease check of retention: no answer within 6000 ms'), { code: 'LEASE_CHECK_TIMEOUT' });
    return exclusive(job, run);
  };
  const lines: { msg: string }[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk)) as { msg: string }), done()) });
  const gw = await createGateway(config, { store, logger: pino({ level: 'error' }, sink) });
  try {
    assert.ok(lines.some((l) => l.msg === 'retention at start failed; next run in an hour'), JSON.stringify(lines));
  } finally {
    await gw.close();
  }
});

test.run();
