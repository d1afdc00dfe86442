/**
 * Opening the PostgreSQL store as replicas do: several gateways starting at the same moment on a
 * database that has nothing yet (migrations, telemetry partitions, the config row) all open, and
 * agree on the result; retention running while another replica starts does not trip it either.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../../server/store/index.ts';
import type { Store } from '../../../server/store/types.ts';
import { tempDir, testConfig } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const DAY = 86_400_000;

test('four replicas opening an empty database at once all open (migrations and partitions made once)', async () => {
  const url = await freshDatabase();
  const dir = await tempDir();
  const now = Date.UTC(2026, 5, 1);
  const stores: Store[] = await Promise.all(Array.from({ length: 4 }, () => openStore(testConfig(dir, { DATABASE_URL: url }), { now })));
  try {
    for (const s of stores) assert.equal(await s.ready(), { ok: true });
    // Retention on one while the others make the coming days' partitions: neither fails.
    await Promise.all([stores[0]!.telemetry.prune(now - 30 * DAY), ...stores.slice(1).map((s) => s.maintain(now + DAY))]);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test.run();
