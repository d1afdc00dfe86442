/**
 * DiagnosticsRepo contract, on every backend: reports appended and read back newest first as
 * stored (a report stored twice under one nonce read once), each device's latest report (by time)
 * and applied config version (the last report carrying one), the fleet overview, retention by
 * whole days (counts corrected, a device without reports leaves the views), a restart — and two
 * replicas (one store for embedded) appending for one device at once losing no count.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { DiagnosticsRecord } from '../../../server/diagnostics/schema.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 10, 12);
const DAY = 86_400_000;

function report(nonce: number, at: number, extra: Partial<DiagnosticsRecord> = {}): DiagnosticsRecord {
  return {
    at: new Date(at).toISOString(),
    nonce,
    firmware_version: '1.2.3',
    uptime_seconds: nonce * 10,
    boot_id: 'b1',
    reset_reason: 'poweron',
    free_heap: 123_456,
    extra: { z: 1, a: 'x' },
    ...extra,
  };
}

contract('append, latest, recent newest first and exactly as stored', async (store) => {
  const r = [report(1, T), report(2, T + 1000, { config_version: 4 }), report(3, T + 2000)];
  for (const x of r) await store.diagnostics.append('d', x);
  assert.equal(await store.diagnostics.latest('d'), r[2]);
  assert.is(await store.diagnostics.latest('nobody'), undefined);
  const recent = await store.diagnostics.recent('d', 10);
  assert.equal(recent, [r[2], r[1], r[0]]);
  assert.is(JSON.stringify(recent[0]), JSON.stringify(r[2]), 'key order kept');
  assert.equal(await store.diagnostics.recent('d', 2), [r[2], r[1]]);
  assert.equal(await store.diagnostics.recent('nobody', 5), []);
});

contract('a report stored twice (same nonce) is read once; other devices are apart', async (store) => {
  await store.diagnostics.append('d', report(1, T));
  await store.diagnostics.append('d', report(2, T + 1000));
  await store.diagnostics.append('d', report(2, T + 2000));
  await store.diagnostics.append('e', report(2, T + 3000));
  // Which copy is kept is not part of the contract (the same signed message; only `at` differs).
  assert.equal((await store.diagnostics.recent('d', 10)).map((x) => x.nonce), [2, 1]);
  assert.equal((await store.diagnostics.recent('d', 1)).map((x) => x.nonce), [2]);
  assert.equal((await store.diagnostics.recent('e', 10)).map((x) => x.nonce), [2]);
});

contract('latest is the newest by time; applied is the last report that carried a config version', async (store) => {
  const newer = report(2, T + 5000, { config_version: 7 });
  await store.diagnostics.append('d', newer);
  await store.diagnostics.append('d', report(3, T + 1000));
  assert.equal(await store.diagnostics.latest('d'), newer, 'an older report arriving late is not the latest');
  assert.equal(await store.diagnostics.applied('d'), { version: 7, at: T + 5000 });
  await store.diagnostics.append('d', report(4, T + 6000, { config_version: 5 }));
  assert.equal(await store.diagnostics.applied('d'), { version: 5, at: T + 6000 });
  await store.diagnostics.append('e', report(1, T));
  assert.is(await store.diagnostics.applied('e'), undefined);
  assert.equal([...(await store.diagnostics.appliedAll())], [['d', { version: 5, at: T + 6000 }]]);
});

contract('overview: every reporting device in id order with its count and latest report', async (store) => {
  for (const id of ['b', 'A', 'a', 'c-1']) await store.diagnostics.append(id, report(1, T));
  await store.diagnostics.append('b', report(2, T + 1));
  const o = await store.diagnostics.overview();
  assert.equal(o.map((x) => [x.device_id, x.entries]), [['a', 1], ['A', 1], ['b', 2], ['c-1', 1]]);
  assert.equal(o[2]!.latest, report(2, T + 1));
});

contract('prune: reports of whole days past retention go, counts follow, an emptied device leaves the views', async (store) => {
  // DIAGNOSTICS_RETENTION_DAYS=3: at T (day 10, noon) the cutoff is the start of day 7.
  await store.diagnostics.append('old', report(1, T - 4 * DAY, { config_version: 2 }));
  await store.diagnostics.append('d', report(1, T - 4 * DAY));
  await store.diagnostics.append('d', report(2, T - 3 * DAY - 13 * 3_600_000)); // day 6, 23:00: goes
  await store.diagnostics.append('d', report(3, T - 3 * DAY - 12 * 3_600_000)); // day 7, 00:00: stays
  await store.diagnostics.append('d', report(4, T));
  assert.ok((await store.diagnostics.prune(T)) >= 1);
  assert.equal((await store.diagnostics.recent('d', 10)).map((x) => x.nonce), [4, 3]);
  assert.equal((await store.diagnostics.overview()).map((x) => [x.device_id, x.entries]), [['d', 2]]);
  assert.is(await store.diagnostics.latest('old'), undefined);
  assert.is((await store.diagnostics.appliedAll()).size, 0);
  assert.is(await store.diagnostics.prune(T), 0);
}, { env: { DIAGNOSTICS_RETENTION_DAYS: '3' } });

contract('reports and summaries survive a restart', async (store, { reopen }) => {
  await store.diagnostics.append('d', report(1, T, { config_version: 3 }));
  await store.diagnostics.append('d', report(2, T + 1));
  await store.close();
  const again = await reopen();
  assert.equal(await again.diagnostics.latest('d'), report(2, T + 1));
  assert.equal(await again.diagnostics.applied('d'), { version: 3, at: T });
  assert.equal((await again.diagnostics.overview()).map((x) => x.entries), [2]);
}, { now: T });

contract('two replicas appending for one device at once: every report counted', async (a, { replica }) => {
  const b = await replica();
  await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).diagnostics.append('d', report(i + 1, T + i, { config_version: i }))));
  assert.equal((await b.diagnostics.overview()).map((x) => x.entries), [60]);
  assert.is((await a.diagnostics.recent('d', 100)).length, 60);
  assert.is((await a.diagnostics.latest('d'))?.nonce, 60);
});

test.run();
