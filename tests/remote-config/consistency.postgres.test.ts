/**
 * One version, one configuration, on PostgreSQL: a device's configuration — and the fleet's lag
 * view, GET /config/fleet — is read in one snapshot, so an answer never pairs a version with
 * values older than it. Reading the layers separately (the defaults, then the overrides) could
 * answer, for a read that straddles two commits, the newer override's version with the older
 * defaults: the device applies that version and never learns of the defaults change. The tests
 * make the straddle certain: each holds a table the read needs locked while the read is under way,
 * commits a change, and releases the lock.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import postgres from 'postgres';
import '../helpers/postgres.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { SimDevice } from '../control-plane/device.ts';
import { eventually } from '../store/contract/backends.ts';

interface ConfigReply {
  config_version: number;
  config: { poll_frequency: number; heartbeat_interval: number };
}

test('GET /config never answers a version with values older than it (a read straddling two commits)', async () => {
  const gw = await startTestGateway({ backend: 'postgres' });
  const sql = postgres(gw.config.DATABASE_URL!, { max: 2, onnotice: () => undefined });
  try {
    const dev = await SimDevice.register(gw, 'meter-1');
    const holder = await sql.reserve();
    try {
      await holder`BEGIN`;
      await holder`LOCK TABLE config_overrides IN ACCESS EXCLUSIVE MODE`;
      const reading = dev.request<ConfigReply>('GET', '/config');
      const waiting = async () =>
        (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'config_overrides'::regclass AND NOT granted`)[0]!.n > 0;
      await eventually(waiting, 'the read waits for config_overrides');
      // Whatever else the read sent alongside has been answered by now.
      await new Promise((r) => setTimeout(r, 150));
      // Committed while the read waits: the defaults (version 2), then an override (version 3).
      // (In SQL, as PUT /config/defaults would write it: the route itself reads the overrides first,
      // to check the change against every device's configuration, and would wait on the lock.)
      await sql`
        UPDATE config_fleet SET version = version + 1, defaults = '{"poll_frequency":7}'::json, defaults_version = version + 1,
          defaults_updated_at = now(), defaults_updated_by = 'token:bootstrap'`;
      const [bumped] = await holder<{ version: number }[]>`UPDATE config_fleet SET version = version + 1 RETURNING version`;
      await holder`
        INSERT INTO config_overrides (device_id, overrides, version, updated_at, updated_by)
        VALUES ('meter-1', '{"heartbeat_interval":30}', ${bumped!.version}, now(), 'token:bootstrap')`;
      await holder`COMMIT`;
      const answer = (await reading).json;
      assert.is(answer.config_version, 3);
      assert.equal([answer.config.poll_frequency, answer.config.heartbeat_interval], [7, 30], 'version 3 comes with the defaults of version 2');
    } finally {
      holder.release();
    }
  } finally {
    await sql.end();
    await gw.destroy();
  }
});

// GET /config/fleet read the devices and each kind of layer in statements of their own, so a read
// straddling a commit could list a device at a version above the latest_version it answered.
test('GET /config/fleet reads one state: a layer change committed while it reads is seen whole or not at all', async () => {
  const gw = await startTestGateway({ backend: 'postgres' });
  const sql = postgres(gw.config.DATABASE_URL!, { max: 2, onnotice: () => undefined });
  try {
    await SimDevice.register(gw, 'meter-1');
    assert.is((await gw.admin('PUT', '/config/tags/canary', { upload_frequency: 120 })).status, 200); // version 2
    assert.is((await gw.admin('PUT', '/devices/meter-1/tags', ['canary'])).status, 200); // its membership: 3
    const holder = await sql.reserve();
    try {
      await holder`BEGIN`;
      await holder`LOCK TABLE config_tag_layers IN ACCESS EXCLUSIVE MODE`;
      const reading = gw.admin('GET', '/config/fleet');
      const waiting = async () =>
        (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'config_tag_layers'::regclass AND NOT granted`)[0]!.n > 0;
      await eventually(waiting, 'the read waits for config_tag_layers');
      // Whatever else the read sent alongside has been answered by now.
      await new Promise((r) => setTimeout(r, 150));
      // Committed while the read waits: canary's layer at version 4, as PUT /config/tags/canary writes it.
      const [bumped] = await holder<{ version: number }[]>`UPDATE config_fleet SET version = version + 1 RETURNING version`;
      await holder`UPDATE config_tag_layers SET fields = '{"upload_frequency":240}', version = ${bumped!.version} WHERE tag = 'canary'`;
      await holder`COMMIT`;
      const fleet = (await (await reading).json()) as { latest_version: number; behind: { device_id: string; config_version: number }[] };
      assert.equal(
        [fleet.latest_version, fleet.behind.map((b) => [b.device_id, b.config_version])],
        [3, [['meter-1', 3]]],
        'the state before the change, whole: no device above the latest version',
      );
    } finally {
      holder.release();
    }
    const after = (await (await gw.admin('GET', '/config/fleet')).json()) as { latest_version: number; behind: { config_version: number }[] };
    assert.equal([after.latest_version, after.behind[0]?.config_version], [4, 4], 'the next read sees the change');
  } finally {
    await sql.end();
    await gw.destroy();
  }
});

test.run();
