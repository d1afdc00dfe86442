/**
 * The embedded device registry writes what changed, not the whole registry: a registration,
 * rotation or revocation appends one journal line holding its own record, and devices.json is
 * rewritten only by a compaction (or at close, so a build from before the journal still reads
 * it whole). A devices.json written by such a build opens as the snapshot it is.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter } from '../../../server/store/embedded/append-writer.ts';
import { FaultyWriter } from '../../helpers/faulty-writer.ts';
import { DEVICES_NAME, emptyDeviceTables, JournalDeviceRepo } from '../../../server/store/embedded/device-repo.ts';
import { loadJournaled } from '../../../server/store/embedded/journaled-tables.ts';
import type { MembershipStamps } from '../../../server/remote-config/repo.ts';
import type { DeviceRecord } from '../../../server/store/types.ts';
import { tempDir } from '../../helpers/gateway.ts';

const T = Date.UTC(2026, 0, 1);
const record = (id: string): DeviceRecord => ({ device_id: id, created_at: new Date(T).toISOString(), key_mode: 'derived', key_version: 1 });
/** No tag layers here: a retag never needs a stamp. */
const noLayers: MembershipStamps = { stampRetag: () => ({ version: null, durable: Promise.resolve() }) };
const journalBytes = async (dir: string) => {
  let total = 0;
  for (const name of await readdir(join(dir, 'devices-journal'))) if (name.endsWith('.jsonl')) total += (await stat(join(dir, 'devices-journal', name))).size;
  return total;
};
/** The registry a fresh open would find: the snapshot with the journal replayed. */
const onDisk = async (dir: string) => (await loadJournaled(dir, DEVICES_NAME, emptyDeviceTables)).data.devices;

test('at 2,000 devices a registration, a rotation and a revocation each write their own record, not the registry', async () => {
  const dir = await tempDir();
  const repo = await JournalDeviceRepo.open(dir, new AppendWriter({ fsync: true }), noLayers);
  try {
    await repo.createMany(Array.from({ length: 2000 }, (_, i) => record(`meter-${String(i).padStart(4, '0')}`)));
    await repo.close();
  } catch (err) {
    await repo.close();
    throw err;
  }
  const snapshot = await stat(join(dir, 'devices.json'));
  assert.ok(snapshot.size > 150_000, `the registry is large (${snapshot.size} bytes)`);

  const reopened = await JournalDeviceRepo.open(dir, new AppendWriter({ fsync: true }), noLayers);
  try {
    const before = await journalBytes(dir);
    assert.ok(await reopened.create(record('new-1')));
    assert.is((await reopened.rotateKey('meter-0001', T + 1, 60_000)).outcome, 'rotated');
    assert.ok((await reopened.revoke('meter-0002', T + 2))?.revoked_at);
    await reopened.markPskBound('meter-0003', T + 3); // derived: nothing to note, nothing written
    const written = (await journalBytes(dir)) - before;
    assert.ok(written > 0 && written < 1500, `three changes wrote ${written} bytes`);
    assert.equal((await stat(join(dir, 'devices.json'))).mtimeMs, snapshot.mtimeMs, 'devices.json not rewritten');
    const disk = await onDisk(dir);
    assert.is(Object.keys(disk).length, 2001);
    assert.is(disk['meter-0001']?.key_version, 2);
    assert.ok(disk['meter-0002']?.revoked_at);
  } finally {
    await reopened.close();
  }
  // A clean shutdown folds the journal in: devices.json alone holds everything, as before the journal.
  const whole = JSON.parse(await readFile(join(dir, 'devices.json'), 'utf8')) as { devices: Record<string, DeviceRecord> };
  assert.is(Object.keys(whole.devices).length, 2001);
  assert.ok(whole.devices['meter-0002']?.revoked_at);
  assert.is(await journalBytes(dir), 0);
});

test('a devices.json written before the journal opens with every device', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'devices.json'), JSON.stringify({ devices: { a: record('a'), constructor: record('constructor') } }));
  const repo = await JournalDeviceRepo.open(dir, new AppendWriter({ fsync: true }), noLayers);
  try {
    assert.equal((await repo.list()).map((d) => d.device_id), ['a', 'constructor']);
    assert.not.ok(await repo.create(record('a')), 'registered already');
    assert.ok(await repo.create(record('b')));
  } finally {
    await repo.close();
  }
  assert.equal(Object.keys(await onDisk(dir)).sort(), ['a', 'b', 'constructor']);
});


/** Asserts that `p` rejects with an ENOSPC error. */
async function failsWith(p: Promise<unknown>): Promise<void> {
  const outcome = await p.then(
    () => 'resolved',
    (err: NodeJS.ErrnoException) => err.code,
  );
  assert.is(outcome, 'ENOSPC');
}

/** Runs `body` on a repository over a fresh DATA_DIR through a FaultyWriter, closed after (gate open); returns the DATA_DIR. */
async function withGatedRepo(body: (repo: JournalDeviceRepo, writer: FaultyWriter, dir: string) => Promise<void>): Promise<string> {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: true });
  const repo = await JournalDeviceRepo.open(dir, writer, noLayers);
  try {
    await body(repo, writer, dir);
  } finally {
    writer.open();
    await repo.close();
  }
  return dir;
}

const shared = (id: string): DeviceRecord => ({ ...record(id), key_mode: 'shared' });

/**
 * A change, then a second call answered from what memory holds after it: the second must not be
 * answered before the first is durable (a crash in between would undo what it reports).
 */
type Call = (repo: JournalDeviceRepo) => Promise<unknown>;
const answeredFromMemory: [string, Call, Call, Call?][] = [
  ['a repeated revocation', (r) => r.revoke('m', T), (r) => r.revoke('m', T + 1)],
  ['a rotation of a device being revoked (409 revoked)', (r) => r.revoke('m', T), (r) => r.rotateKey('m', T + 1, 0)],
  ['a repeated reinstatement (409 not revoked)', (r) => r.reinstate('m', T + 1), (r) => r.reinstate('m', T + 2), (r) => r.revoke('m', T)],
  ['a repeated registration (409 exists)', (r) => r.create(record('n')), (r) => r.create(record('n'))],
  ['a bulk registration over one in flight', (r) => r.createMany([record('n')]), (r) => r.createMany([record('n'), record('o')])],
  ['a second first id-bound signature', (r) => r.markPskBound('s', T), (r) => r.markPskBound('s', T + 1)],
];

for (const [name, first, second, setup] of answeredFromMemory) {
  test(`${name} is answered only once the first change is durable`, async () => {
    const dir = await withGatedRepo(async (repo, writer, dir) => {
      await repo.createMany([record('m'), shared('s')]);
      await setup?.(repo);
      const order: string[] = [];
      writer.hold();
      const firstDone = first(repo).then(() => order.push('first'));
      await new Promise((r) => setImmediate(r));
      const secondDone = second(repo).then(() => order.push('second'));
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(!order.includes('second'), 'not answered while the first change is not on disk');
      writer.open();
      await Promise.all([firstDone, secondDone]);
      const disk = await onDisk(dir);
      assert.equal(JSON.stringify(Object.keys(disk).sort().map((id) => disk[id])), JSON.stringify(await repo.list()), 'the disk holds what memory does');
    });
  });
}

test('a repeated revocation while the first one’s write fails is not answered from the taken-back record: it revokes', async () => {
  const dir = await withGatedRepo(async (repo, writer, dir) => {
    await repo.create(record('m'));
    writer.hold();
    const first = repo.revoke('m', T).then(
      () => 'revoked',
      (err: NodeJS.ErrnoException) => err.code,
    );
    await new Promise((r) => setImmediate(r));
    const second = repo.revoke('m', T + 1);
    writer.failNext = 1;
    writer.open();
    assert.is(await first, 'ENOSPC');
    assert.ok((await second)?.revoked_at, 'the second revoked it itself');
    assert.ok((await onDisk(dir)).m?.revoked_at, 'and it is on disk');
  });
});

test('changes that fail together or one after the other go back to the last durable state, not to each other', async () => {
  const dir = await withGatedRepo(async (repo, writer, dir) => {
    await repo.create(record('m'));
    // Two rotations in one write that fails: neither key was ever shown, so key 1 stays.
    writer.failNext = 1;
    const rotations = await Promise.allSettled([repo.rotateKey('m', T, 60_000), repo.rotateKey('m', T + 1, 60_000)]);
    assert.equal(rotations.map((r) => r.status), ['rejected', 'rejected']);
    assert.is((await repo.get('m'))?.key_version, 1);
    // A revocation, then a reinstatement made while its write is on the way: both writes fail.
    writer.hold();
    const revoke = repo.revoke('m', T + 2);
    await new Promise((r) => setImmediate(r));
    const reinstate = repo.reinstate('m', T + 3);
    writer.failNext = 2;
    writer.open();
    assert.equal((await Promise.allSettled([revoke, reinstate])).map((r) => r.status), ['rejected', 'rejected']);
    const m = await repo.get('m');
    assert.equal([m?.key_version, m?.revoked_at, m?.reinstated_at], [1, undefined, undefined]);
    await repo.create(record('flush')); // a write that succeeds carries the state taken back
  });
  const m = (await onDisk(dir)).m;
  assert.equal([m?.key_version, m?.revoked_at], [1, undefined]);
});

test('a change written while a later one waits, which then fails: the record goes back to the written one', async () => {
  const dir = await withGatedRepo(async (repo, writer) => {
    await repo.create(record('m'));
    writer.hold();
    const rotation = repo.rotateKey('m', T, 60_000);
    await new Promise((r) => setImmediate(r)); // the rotation's write has started (held)
    const revocation = repo.revoke('m', T + 1).catch((err: NodeJS.ErrnoException) => err.code);
    writer.open();
    assert.is((await rotation).outcome, 'rotated');
    writer.failNext = 1; // the revocation's write, next
    assert.is(await revocation, 'ENOSPC');
    const m = await repo.get('m');
    assert.equal([m?.key_version, m?.revoked_at], [2, undefined], 'rotated (durable), not revoked, not back to key 1');
  });
  const m = (await onDisk(dir)).m;
  assert.equal([m?.key_version, m?.revoked_at], [2, undefined]);
});

test('a compaction while a registration is being written, which then fails: devices.json never holds it', async () => {
  const dir = await withGatedRepo(async (repo, writer, dir) => {
    await repo.create(record('m'));
    const tables = (repo as unknown as { tables: { compact(): Promise<void> } }).tables;
    writer.hold();
    const inFlight = repo.create(record('x')).catch((err: NodeJS.ErrnoException) => err.code);
    await new Promise((r) => setImmediate(r)); // x's write has started (held)
    const compaction = tables.compact();
    const waiting = repo.rotateKey('m', T, 0).catch((err: NodeJS.ErrnoException) => err.code); // set, not yet written
    writer.failNext = 2;
    writer.open();
    assert.equal([await inFlight, await waiting], ['ENOSPC', 'ENOSPC']);
    await compaction;
    const snapshot = JSON.parse(await readFile(join(dir, 'devices.json'), 'utf8')) as { devices: Record<string, DeviceRecord> };
    assert.equal([Object.keys(snapshot.devices), snapshot.devices.m?.key_version], [['m'], 1], 'as durable, not as memory held it');
  });
  assert.equal(Object.keys(await onDisk(dir)), ['m']);
});

test('a change whose write fails is taken back out of memory, and the disk never holds it', async () => {
  const dir = await withGatedRepo(async (repo, writer, dir) => {
    await repo.create(record('m'));
    writer.failing = true;
    await failsWith(repo.create(record('n')));
    await failsWith(repo.createMany([record('o'), record('p')]));
    await failsWith(repo.rotateKey('m', T, 0));
    assert.equal([await repo.get('n'), await repo.get('o'), (await repo.get('m'))?.key_version], [undefined, undefined, 1], 'memory as before');
    assert.equal((await repo.list()).map((d) => d.device_id), ['m']);
    writer.failing = false;
    // The retried write (within a second, or with the next change) carries the memory as it now is.
    assert.ok(await repo.create(record('q')));
  });
  const disk = await onDisk(dir);
  assert.equal(Object.keys(disk).sort(), ['m', 'q']);
  assert.is(disk.m?.key_version, 1);
});

test('a close whose last write fails reports it and stops retrying', async () => {
  const dir = await tempDir();
  const writer = new FaultyWriter({ fsync: true });
  const repo = await JournalDeviceRepo.open(dir, writer, noLayers);
  await repo.create(record('m'));
  writer.failing = true;
  await failsWith(repo.create(record('n'))); // taken back; its restored state waits for a retry
  await failsWith(repo.close());
  const calls = writer.calls;
  await new Promise((r) => setTimeout(r, 1300));
  assert.is(writer.calls, calls, 'no retry after close');
  assert.equal(Object.keys(await onDisk(dir)), ['m']);
});

test.run();
