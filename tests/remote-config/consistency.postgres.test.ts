/**
 * One version, one configuration, on PostgreSQL: a device's configuration — and the fleet's lag
 * view, GET /config/fleet — is read in one snapshot, so an answer never pairs a version with
 * values older than it. Reading the layers separately (the defaults, then the overrides) could
 * answer, for a read that straddles two commits, the newer override's version with the older
 * defaults: the device applies that version and never learns of the defaults change. The tests
 * make the straddle certain: each holds a table the read needs locked while the read is under way,
 * commits a change, and releases the lock. The offline sweep and the tag views read the same way.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import postgres from 'postgres';
import '../helpers/postgres.ts';
import { FakeClock } from '../../server/clock.ts';
import { controlPlaneOf } from '../../server/control-plane/index.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { SimDevice, diag } from '../control-plane/device.ts';
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
  try {
    await SimDevice.register(gw, 'meter-1');
    assert.is((await gw.admin('PUT', '/config/tags/canary', { upload_frequency: 120 })).status, 200); // version 2
    assert.is((await gw.admin('PUT', '/devices/meter-1/tags', ['canary'])).status, 200); // its membership: 3
    type Fleet = { latest_version: number; behind: { device_id: string; config_version: number }[] };
    const fleet = await straddled(
      gw,
      async () => (await (await gw.admin('GET', '/config/fleet')).json()) as Fleet,
      async (tx) => {
        // Canary's layer at version 4, as PUT /config/tags/canary writes it.
        const [bumped] = await tx<{ version: number }[]>`UPDATE config_fleet SET version = version + 1 RETURNING version`;
        await tx`UPDATE config_tag_layers SET fields = '{"upload_frequency":240}', version = ${bumped!.version} WHERE tag = 'canary'`;
      },
    );
    assert.equal(
      [fleet.latest_version, fleet.behind.map((b) => [b.device_id, b.config_version])],
      [3, [['meter-1', 3]]],
      'the state before the change, whole: no device above the latest version',
    );
    const after = (await (await gw.admin('GET', '/config/fleet')).json()) as Fleet;
    assert.equal([after.latest_version, after.behind[0]?.config_version], [4, 4], 'the next read sees the change');
  } finally {
    await gw.destroy();
  }
});

/**
 * Holds config_tag_layers locked while `read` runs; once the read waits for it, commits (through
 * the lock holder) the statements `change` gives, then releases the lock; returns what `read` gave.
 */
async function straddled<T>(gw: TestGateway, read: () => Promise<T>, change: (tx: postgres.ReservedSql) => Promise<void>): Promise<T> {
  const sql = postgres(gw.config.DATABASE_URL!, { max: 2, onnotice: () => undefined });
  try {
    const holder = await sql.reserve();
    try {
      await holder`BEGIN`;
      await holder`LOCK TABLE config_tag_layers IN ACCESS EXCLUSIVE MODE`;
      const reading = read();
      const waiting = async () =>
        (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'config_tag_layers'::regclass AND NOT granted`)[0]!.n > 0;
      await eventually(waiting, 'the read waits for config_tag_layers');
      await new Promise((r) => setTimeout(r, 150)); // whatever else the read sent alongside is answered
      await change(holder);
      await holder`COMMIT`;
      return await reading;
    } finally {
      holder.release();
    }
  } finally {
    await sql.end();
  }
}

// The sweep read the devices (their tags) and each kind of layer in statements of their own: two
// changes committed in between paired the device's old tag with the new layers, a heartbeat_interval
// of 60 s it never had, and declared it offline after 10 minutes of a 1-hour heartbeat.
test('the offline sweep reads devices and layers in one state: a device moved between tags is not declared offline', async () => {
  const clock = new FakeClock();
  const gw = await startTestGateway({ backend: 'postgres', clock });
  try {
    const dev = await SimDevice.register(gw, 'meter-1');
    for (const t of ['slow', 'fast']) assert.is((await gw.admin('PUT', `/config/tags/${t}`, { heartbeat_interval: 3600 })).status, 200);
    assert.is((await gw.admin('PUT', '/devices/meter-1/tags', ['slow'])).status, 200);
    await dev.diagnostics(diag({ boot_id: 'b1' }));
    clock.advance(10 * 60_000); // silent for 10 minutes: within 3 × 3600 s, past 3 × 60 s
    const plane = controlPlaneOf(gw.ctx);
    await straddled(gw, () => plane.sweep(), async (tx) => {
      // Committed while the sweep reads, as an admin would do it: meter-1 moves to `fast` (still
      // 3600 s), then `slow`, carried by no one now, loses its heartbeat_interval.
      await tx`UPDATE devices SET tags = '{fast}' WHERE device_id = 'meter-1'`;
      await tx`UPDATE config_tag_layers SET fields = '{}' WHERE tag = 'slow'`;
    });
    await plane.events.idle();
    const events = (await (await gw.admin('GET', '/events')).json()) as { events: { type: string }[] };
    assert.equal(events.events.map((e) => e.type), [], 'a 3600 s heartbeat before the changes and after them');
  } finally {
    await gw.destroy();
  }
});

// GET /config/tags counted the devices carrying each tag in a statement of its own.
test('GET /config/tags reads one state: the layers and the devices counted under them', async () => {
  const gw = await startTestGateway({ backend: 'postgres' });
  try {
    await SimDevice.register(gw, 'meter-1');
    assert.is((await gw.admin('PUT', '/config/tags/canary', { upload_frequency: 120 })).status, 200);
    const views = await straddled(
      gw,
      async () => (await (await gw.admin('GET', '/config/tags')).json()) as { tags: { tag: string; devices: number; values: unknown }[] },
      async (tx) => {
        // A device tagged, then the layer changed: the answer shows both or neither.
        await tx`UPDATE devices SET tags = '{canary}' WHERE device_id = 'meter-1'`;
        await tx`UPDATE config_tag_layers SET fields = '{"upload_frequency":240}' WHERE tag = 'canary'`;
      },
    );
    const seen = views.tags.map((t) => [t.tag, t.devices, t.values]);
    const before = [['canary', 0, { upload_frequency: 120 }]];
    const after = [['canary', 1, { upload_frequency: 240 }]];
    assert.ok([before, after].some((state) => JSON.stringify(state) === JSON.stringify(seen)), `one state, got ${JSON.stringify(seen)}`);
  } finally {
    await gw.destroy();
  }
});

test.run();
