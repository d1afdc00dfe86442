/**
 * `fleetgate db import` carries each device's OTA history (newest first) into PostgreSQL as the
 * embedded store holds it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../../server/store/index.ts';
import { fleetgate } from '../../cli/live.ts';
import { startTestGateway, tempDir, testConfig } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const T = Date.UTC(2026, 0, 1);

test('the OTA history of a device arrives whole and in order', async () => {
  const source = await startTestGateway({ dir: await tempDir(), backend: 'embedded' });
  await source.register('meter-1');
  const ota = source.ctx.store.otaState;
  await ota.complete('meter-1', { version: '1.0.0', success: true, error: null, counter: 1 }, T);
  await ota.complete('meter-1', { version: '1.1.0', success: false, error: 'rolled_back', counter: 1 }, T + 60_000);
  const history = (await ota.device('meter-1'))?.history;
  assert.is(history?.length, 2);
  await source.close();

  const url = await freshDatabase('otahistory');
  const run = await fleetgate(['db', 'import', '--data-dir', source.config.DATA_DIR, '--database-url', url]);
  assert.is(run.code, 0, run.stderr);
  const target = await openStore(testConfig(await tempDir(), { DATABASE_URL: url }));
  try {
    assert.equal((await target.otaState.device('meter-1'))?.history, history);
  } finally {
    await target.close();
  }
});

test.run();
