/**
 * The fleet view's config lag (server/fleet/config-lag.ts) as devices change: a registration,
 * retag or reinstatement updates that device's row from its own config view, never with a pass
 * over the whole fleet (which read every device per registration: 5–8 ms of CPU each at 5,000
 * devices on PostgreSQL), while a bulk registration takes one pass rather than a read per device;
 * a device changed while a fleet pass (a layer change) is under way, which that pass may have read
 * before the change, is asked again once the pass ends; and of two answers for one device that
 * arrive out of order (a pooled store), the later read's stands, and a revoked device is never
 * behind. Runs again on PostgreSQL (config-lag.postgres.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { controlPlaneOf } from '../../server/control-plane/index.ts';
import { ConfigLagTracker, DEVICE_READS_MAX, RETRY_MS } from '../../server/fleet/config-lag.ts';
import type { ConfigLag } from '../../server/fleet/loader.ts';
import { FleetModel } from '../../server/fleet/model.ts';
import { silentLogger } from '../../server/logger.ts';
import { fleetOf } from '../../server/fleet/index.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

async function lagOfRows(gw: TestGateway): Promise<Record<string, number | null>> {
  const fleet = fleetOf(gw.ctx);
  await controlPlaneOf(gw.ctx).events.idle();
  await fleet.idle();
  return Object.fromEntries([...fleet.model.all()].map((r) => [r.device_id, r.config_behind ? r.config_version : null]));
}

async function lagFromStore(gw: TestGateway): Promise<Record<string, number | null>> {
  const lag = await controlPlaneOf(gw.ctx).remoteConfig.lagging();
  const behind = new Map(lag.behind.map((b) => [b.device_id, b.config_version]));
  const fleet = fleetOf(gw.ctx);
  return Object.fromEntries([...fleet.model.all()].map((r) => [r.device_id, behind.get(r.device_id) ?? null]));
}

/**
 * Counts the fleet passes (remoteConfig.lagging calls) and device reads (deviceView calls).
 * One-shot: `holdPass` / `holdDevice` hold the next pass's or device read's answer (read already)
 * until released; `failPass` / `failDevice` make the next one fail. `answered` counts the reads
 * whose answer came back from the store (held or not); `read` is called at each.
 */
function watchPasses(gw: TestGateway) {
  const rc = controlPlaneOf(gw.ctx).remoteConfig;
  const original = { lagging: rc.lagging.bind(rc), deviceView: rc.deviceView.bind(rc) };
  const w = {
    passes: 0,
    deviceReads: 0,
    answered: 0,
    read: () => {},
    hold: undefined as Promise<void> | undefined,
    holdPass: undefined as Promise<void> | undefined,
    holdDevice: undefined as Promise<void> | undefined,
    failPass: false,
    failDevice: false,
  };
  const unavailable = () => Object.assign(new Error('the store did not answer'), { code: 'CONNECTION_CLOSED' });
  rc.lagging = async () => {
    w.passes++;
    if (w.failPass) {
      w.failPass = false;
      throw unavailable();
    }
    const answer = await original.lagging();
    const hold = w.holdPass ?? w.hold;
    w.holdPass = undefined;
    w.read();
    if (hold) await hold;
    return answer;
  };
  rc.deviceView = async (id: string) => {
    w.deviceReads++;
    if (w.failDevice) {
      w.failDevice = false;
      throw unavailable();
    }
    const answer = await original.deviceView(id);
    w.answered++;
    const hold = w.holdDevice;
    w.holdDevice = undefined;
    w.read();
    if (hold) await hold;
    return answer;
  };
  /**
   * Holds answers (`hold`: every pass's, `holdPass` / `holdDevice`: the next one's) until
   * `release()`; `read` resolves when the next answer has been read from the store.
   */
  const holdAnswers = (which: 'hold' | 'holdPass' | 'holdDevice') => {
    let release!: () => void;
    w[which] = new Promise((r) => (release = r));
    const read = new Promise<void>((r) => (w.read = r));
    return { read, release };
  };
  return {
    w,
    holdAnswers,
    restore: () => {
      rc.lagging = original.lagging;
      rc.deviceView = original.deviceView;
    },
  };
}

const until = async (what: string, ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('a registration, retag or reinstatement updates that device alone, and rightly', async () => {
  const gw = await startTestGateway();
  try {
    assert.is((await gw.admin('PUT', '/config/defaults', { upload_frequency: 300 })).status, 200);
    assert.is((await gw.admin('PUT', '/config/tags/site:a', { upload_frequency: 120, priority: 2 })).status, 200);
    await gw.register('before-1');
    await lagOfRows(gw);
    const { w, restore } = watchPasses(gw);
    assert.is((await gw.admin('POST', '/devices', { device_id: 'tagged-1', tags: ['site:a'] })).status, 201);
    await gw.register('plain-1');
    assert.is((await gw.admin('PUT', '/devices/plain-1/tags', ['site:a'])).status, 200);
    assert.is((await gw.admin('DELETE', '/devices/before-1')).status, 200);
    assert.is((await gw.admin('POST', '/devices/before-1/reinstate')).status, 201);
    const rows = await lagOfRows(gw);
    assert.is(w.passes, 0, 'no pass over the fleet for one device');
    restore();
    assert.equal(rows, await lagFromStore(gw));
    // Never reported a version: every device is behind; the tagged ones on the site:a layer's
    // version or their retag's, both above the defaults' version before-1 gets.
    assert.ok(rows['before-1'] !== null && rows['tagged-1'] !== null && rows['plain-1'] !== null);
    assert.ok(rows['before-1']! < rows['tagged-1']! && rows['before-1']! < rows['plain-1']!, JSON.stringify(rows));
  } finally {
    await gw.close();
  }
});

test('a device retagged while a fleet pass runs is asked again after it', async () => {
  const gw = await startTestGateway();
  try {
    assert.is((await gw.admin('PUT', '/config/tags/site:a', { upload_frequency: 120, priority: 2 })).status, 200);
    await gw.register('moving-1');
    await lagOfRows(gw);
    const { w, holdAnswers, restore } = watchPasses(gw);
    const { read, release } = holdAnswers('hold');
    // A layer change starts a pass; it reads the fleet with moving-1 untagged, then waits.
    assert.is((await gw.admin('PUT', '/config/tags/site:b', { upload_frequency: 90, priority: 3 })).status, 200);
    await read;
    assert.is((await gw.admin('PUT', '/devices/moving-1/tags', ['site:a'])).status, 200);
    release();
    const rows = await lagOfRows(gw);
    restore();
    assert.is(w.passes, 1);
    assert.equal(rows, await lagFromStore(gw), "the pass's stale answer for moving-1 was replaced");
  } finally {
    await gw.close();
  }
});

test('a bulk registration takes one pass over the fleet, not a read per device', async () => {
  const gw = await startTestGateway();
  try {
    assert.is((await gw.admin('PUT', '/config/tags/site:a', { upload_frequency: 120, priority: 2 })).status, 200);
    await lagOfRows(gw);
    const { w, restore } = watchPasses(gw);
    const devices = Array.from({ length: DEVICE_READS_MAX + 8 }, (_, i) => ({ device_id: `bulk-${i}`, ...(i % 2 ? { tags: ['site:a'] } : {}) }));
    assert.is((await gw.admin('POST', '/devices/bulk', { devices })).status, 201);
    const rows = await lagOfRows(gw);
    restore();
    assert.is(w.passes, 1);
    assert.is(w.deviceReads, 0);
    assert.equal(rows, await lagFromStore(gw));
  } finally {
    await gw.close();
  }
});

test("of two reads of one device answered out of order, the later read's answer stands", async () => {
  const gw = await startTestGateway();
  try {
    assert.is((await gw.admin('PUT', '/config/tags/site:a', { upload_frequency: 120, priority: 2 })).status, 200);
    assert.is((await gw.admin('PUT', '/config/tags/site:b', { upload_frequency: 90, priority: 3 })).status, 200);
    await gw.register('twice-1');
    await lagOfRows(gw);
    const { w, holdAnswers, restore } = watchPasses(gw);
    const { read: firstRead, release } = holdAnswers('holdDevice');
    assert.is((await gw.admin('PUT', '/devices/twice-1/tags', ['site:a'])).status, 200);
    await firstRead; // read with site:a, held back
    assert.is((await gw.admin('PUT', '/devices/twice-1/tags', ['site:b'])).status, 200);
    await until('the second read answered', () => w.answered === 2);
    release();
    const rows = await lagOfRows(gw);
    restore();
    assert.is(w.deviceReads, 2);
    assert.equal(rows, await lagFromStore(gw), 'the site:b answer, not the late site:a one');
  } finally {
    await gw.close();
  }
});

test('a device revoked while its read is on the way is not shown behind', async () => {
  const gw = await startTestGateway();
  try {
    assert.is((await gw.admin('PUT', '/config/tags/site:a', { upload_frequency: 120, priority: 2 })).status, 200);
    await gw.register('leaving-1');
    await lagOfRows(gw);
    const { w, holdAnswers, restore } = watchPasses(gw);
    const { read, release } = holdAnswers('holdDevice');
    assert.is((await gw.admin('PUT', '/devices/leaving-1/tags', ['site:a'])).status, 200);
    await read;
    assert.is((await gw.admin('DELETE', '/devices/leaving-1')).status, 200);
    release();
    const rows = await lagOfRows(gw);
    restore();
    assert.is(rows['leaving-1'], null);
  } finally {
    await gw.close();
  }
});

test("a reload whose rows were read before a pass applied does not put the older lag back", async () => {
  const gw = await startTestGateway();
  try {
    await gw.register('steady-1');
    const fleet = fleetOf(gw.ctx);
    await lagOfRows(gw);
    const versionBefore = fleet.model.get('steady-1')!.config_version;
    assert.ok(versionBefore !== null, 'never reported: behind');
    const { w, holdAnswers, restore } = watchPasses(gw);
    const { read, release } = holdAnswers('holdPass');
    const reloading = fleet.reload(); // reads the fleet's lag (held), with the defaults at version 1
    await read;
    w.read = () => {};
    assert.is((await gw.admin('PUT', '/config/defaults', { upload_frequency: 300 })).status, 200);
    await until('the defaults pass applied', () => fleet.model.get('steady-1')!.config_version !== versionBefore);
    release();
    await reloading;
    const rows = await lagOfRows(gw);
    restore();
    assert.equal(rows, await lagFromStore(gw), 'the version-2 lag, not the reload\'s version 1');
  } finally {
    await gw.close();
  }
});

test('a pass or a device read that fails is made good by a pass a few seconds later', async () => {
  const gw = await startTestGateway();
  try {
    await gw.register('unlucky-1');
    await lagOfRows(gw);
    const { w, restore } = watchPasses(gw);
    w.failPass = true;
    assert.is((await gw.admin('PUT', '/config/defaults', { upload_frequency: 300 })).status, 200);
    w.failDevice = true;
    assert.is((await gw.admin('PUT', '/devices/unlucky-1/tags', ['site:a'])).status, 200);
    await until('a pass after the failures', () => w.passes >= 2, RETRY_MS + 3000);
    const rows = await lagOfRows(gw);
    restore();
    assert.equal(rows, await lagFromStore(gw));
  } finally {
    await gw.close();
  }
});

test('a source that throws at once ends its pass: the next pass runs', async () => {
  let passes = 0;
  const source = {
    lagging: (): never => {
      passes++;
      throw new Error('not async');
    },
    deviceView: (): never => {
      throw new Error('unused');
    },
  } as unknown as ConfigLag;
  const tracker = new ConfigLagTracker(source, new FleetModel(), silentLogger(), (work) => void work.catch(() => undefined));
  try {
    tracker.fleet();
    await new Promise((r) => setTimeout(r, 20));
    tracker.fleet();
    await new Promise((r) => setTimeout(r, 20));
    assert.is(passes, 2, 'a later pass is not parked behind the first (nor idle() spinning on it)');
    await tracker.idle();
  } finally {
    tracker.close();
  }
});

test.run();
