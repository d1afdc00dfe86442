import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, open, readdir, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { batchSamples, JsonlTelemetryLog, type TelemetryLogOptions } from '../../../server/store/embedded/telemetry-log.ts';
import { walFileName } from '../../../server/store/embedded/telemetry-wal.ts';
import type { TelemetryBatch, TelemetrySample } from '../../../server/store/types.ts';
import { recordDirSyncs } from '../../helpers/fs-faults.ts';
import { tempDir } from '../../helpers/gateway.ts';

const DAY1 = Date.UTC(2026, 10, 20, 12, 0, 0);
const DAY2 = Date.UTC(2026, 10, 21, 0, 0, 1);
const ALL = { limit: 1_000_000 };

/** A log whose background work never runs on its own, so a test decides what reached the disk. */
const manual: TelemetryLogOptions = { fsync: true, flushMs: 1e9, checkpointMs: 1e9 };

function batch(nonce: number, receivedAt: number, n = 3, method = 'plain'): TelemetryBatch {
  const samples = Array.from({ length: n }, (_, i) => ({ timestamp: 1_763_000_000 + nonce * 100 + i, voltage: 230 + i / 10, power: 575 - i }));
  return { received_at: receivedAt, nonce, method, samples };
}

/** The sample rows of some batches, in order: what a query returns. */
const rowsOf = (...batches: TelemetryBatch[]): TelemetrySample[] => batches.flatMap(batchSamples);

async function rejects(promise: Promise<unknown>, pattern?: RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    if (pattern) assert.match(String(err), pattern);
    return;
  }
  assert.unreachable('expected a rejection');
}

const walFiles = async (dataDir: string) => (await readdir(join(dataDir, 'telemetry-wal'))).sort();
const dayFile = (dataDir: string, device: string, day: string) => join(dataDir, 'telemetry', device, `${day}.jsonl`);

test('an append is visible to the next query before any background flush, as one batch line', async () => {
  const dir = await tempDir();
  const log = await JsonlTelemetryLog.open(dir, manual);
  const rows = batch(1, DAY1);
  await log.append('m1', rows);
  assert.equal(await log.query('m1', ALL), rowsOf(rows));
  assert.equal(rowsOf(rows)[0], { timestamp: 1_763_000_100, received_at: DAY1, nonce: 1, method: 'plain', values: { voltage: 230, power: 575 } });
  const text = await readFile(dayFile(dir, 'm1', '2026-11-20'), 'utf8');
  assert.is(text, JSON.stringify({ received_at: DAY1, nonce: 1, method: 'plain', samples: rows.samples }) + '\n');
  await log.close();
});

test('with fsync, a new WAL generation and its folder are durable names before the first append into them resolves', async () => {
  const dir = await tempDir();
  const synced = recordDirSyncs();
  try {
    const log = await JsonlTelemetryLog.open(dir, manual);
    await log.append('m1', batch(1, DAY1));
    assert.ok(synced.dirs.includes(dir), `the folder's entry (${synced.dirs})`);
    assert.ok(synced.dirs.includes(join(dir, 'telemetry-wal')), `the generation's entry (${synced.dirs})`);
    await log.close();
  } finally {
    synced.restore();
  }
});

test("a batch's samplesJson is stored byte for byte, through the WAL and after a crash", async () => {
  const dir = await tempDir();
  const own = '[{"power":5.50,"timestamp":1763000000, "voltage":2.3e2}]';
  const rows: TelemetryBatch = { ...batch(1, DAY1, 0), samples: JSON.parse(own), samplesJson: own };
  const expected = `{"received_at":${DAY1},"nonce":1,"method":"plain","samples":${own}}\n`;
  const sink = { adoptWalStates: async () => undefined };
  const crashed = await JsonlTelemetryLog.open(dir, { ...manual, nonceSink: sink });
  await crashed.appendWithNonce('m1', rows, { nonce: 1, mac: 'ab'.repeat(32), seen_at: DAY1 });
  const wal = await readFile(join(dir, 'telemetry-wal', walFileName(1)), 'utf8');
  // Durable WAL writes go into zero-filled space ahead of them (AppendWriter's preallocateBytes).
  assert.is(wal.replace(/\0+$/, ''), `{"d":"m1","day":"2026-11-20","n":${JSON.stringify({ nonce: 1, mac: 'ab'.repeat(32), seen_at: DAY1 })},"b":${expected.trim()}}\n`);
  assert.ok(wal.length >= 1 << 20, 'the rest of the generation is zero-filled space');
  const log = await JsonlTelemetryLog.open(dir, { ...manual, nonceSink: sink }); // replays the WAL
  assert.equal(await log.query('m1', ALL), [{ timestamp: 1763000000, received_at: DAY1, nonce: 1, method: 'plain', values: { power: 5.5, voltage: 230 } }]);
  await log.append('m1', { ...rows, nonce: 2 });
  await log.query('m1', ALL);
  const text = await readFile(dayFile(dir, 'm1', '2026-11-20'), 'utf8');
  assert.is(text, expected + expected.replace('"nonce":1', '"nonce":2'));
  await log.close();
});

test('day files and WAL generations written by older versions (a line per sample) are still read and replayed', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'telemetry', 'm1'), { recursive: true });
  const old1 = batch(1, DAY1);
  await writeFile(dayFile(dir, 'm1', '2026-11-20'), rowsOf(old1).map((r) => JSON.stringify(r)).join('\n') + '\n');
  // An old-format WAL record (samples as sample lines) for a batch the day file does not hold yet.
  const old2 = batch(2, DAY1);
  await mkdir(join(dir, 'telemetry-wal'), { recursive: true });
  const record = { d: 'm1', day: '2026-11-20', n: { nonce: 2, mac: 'ab', seen_at: DAY1 }, s: rowsOf(old2) };
  await writeFile(join(dir, 'telemetry-wal', walFileName(1)), JSON.stringify(record) + '\n');
  const adopted: unknown[] = [];
  const log = await JsonlTelemetryLog.open(dir, { ...manual, nonceSink: { adoptWalStates: async (states) => void adopted.push(...states) } });
  assert.equal(adopted, [['m1', { nonce: 2, mac: 'ab', seen_at: DAY1 }]]);
  const fresh = batch(3, DAY1);
  await log.append('m1', fresh);
  assert.equal(await log.query('m1', ALL), rowsOf(old1, old2, fresh));
  assert.equal(await log.query('m1', { limit: 4 }), rowsOf(old1, old2).slice(0, 4), 'the limit counts samples, not lines');
  await log.close();
});

test('a crash before the day files were written loses nothing: the WAL is replayed on open, once', async () => {
  const dir = await tempDir();
  const crashed = await JsonlTelemetryLog.open(dir, manual);
  await crashed.append('m1', batch(1, DAY1));
  await crashed.append('m2', batch(1, DAY1));
  await crashed.append('m1', batch(2, DAY2)); // another day file
  // `crashed` is abandoned without close(): nothing was written to the day files.
  await rejects(readFile(dayFile(dir, 'm1', '2026-11-20'), 'utf8'));
  assert.equal(await walFiles(dir), [walFileName(1)]);

  const log = await JsonlTelemetryLog.open(dir, manual);
  assert.equal(await walFiles(dir), [], 'replayed generations are deleted');
  assert.equal(await log.query('m1', ALL), rowsOf(batch(1, DAY1), batch(2, DAY2)));
  assert.equal(await log.query('m2', ALL), rowsOf(batch(1, DAY1)));
  // The next generation continues the numbering, never reusing a replayed one.
  await log.append('m1', batch(3, DAY2));
  assert.equal(await walFiles(dir), [walFileName(2)]);
  await log.close();
});

test('replay skips batches a day file already holds, and a torn last WAL line', async () => {
  const dir = await tempDir();
  const crashed = await JsonlTelemetryLog.open(dir, manual);
  await crashed.append('m1', batch(1, DAY1));
  await crashed.query('m1', ALL); // writes m1's lines to the day file, WAL still there
  await crashed.append('m1', batch(2, DAY1));
  await appendFile(join(dir, 'telemetry-wal', walFileName(1)), '{"d":"m1","day":"2026-11-20","b":{"received_at":1,"nonce":3,"method":"plain","samp');

  const log = await JsonlTelemetryLog.open(dir, manual);
  assert.equal(await log.query('m1', ALL), rowsOf(batch(1, DAY1), batch(2, DAY1)));
  const lines = (await readFile(dayFile(dir, 'm1', '2026-11-20'), 'utf8')).trim().split('\n');
  assert.is(lines.length, 2, 'batch 1 was not written twice');
  await log.close();
});

test('a record torn inside the zero-filled space of a WAL generation is dropped; the ones before it are replayed', async () => {
  const dir = await tempDir();
  const crashed = await JsonlTelemetryLog.open(dir, manual);
  await crashed.append('m1', batch(1, DAY1));
  await crashed.append('m1', batch(2, DAY1));
  const path = join(dir, 'telemetry-wal', walFileName(1));
  const before = await readFile(path);
  const end = before.indexOf(0);
  assert.ok(end > 0 && before.length - end >= 1 << 19, 'data, then zero-filled space');
  // The crash cut the third record's write short: a prefix of it lands over the zeros.
  const handle = await open(path, 'r+');
  await handle.write(Buffer.from('{"d":"m1","day":"2026-11-20","b":{"received_at":1,"nonce":3,"method":"pl'), 0, undefined, end);
  await handle.close();
  const log = await JsonlTelemetryLog.open(dir, manual);
  assert.equal(await log.query('m1', ALL), rowsOf(batch(1, DAY1), batch(2, DAY1)));
  await log.close();
});

test('a checkpoint writes and syncs the day files and deletes the WAL; appends go on meanwhile', async () => {
  const dir = await tempDir();
  const log = await JsonlTelemetryLog.open(dir, { ...manual, checkpointBytes: 2_000 });
  const appends: Promise<void>[] = [];
  for (let n = 1; n <= 40; n++) appends.push(log.append(`m${n % 4}`, batch(n, DAY1)));
  await Promise.all(appends);
  // The size limit started a checkpoint in the background: wait for it to drop generation 1.
  for (let i = 0; i < 200 && (await walFiles(dir)).includes(walFileName(1)); i++) await new Promise((r) => setTimeout(r, 10));
  const remaining = await walFiles(dir);
  assert.not.ok(remaining.includes(walFileName(1)), `generation 1 deleted: ${remaining}`);
  let stored = 0;
  for (let d = 0; d < 4; d++) stored += (await readFile(dayFile(dir, `m${d}`, '2026-11-20'), 'utf8')).trim().split('\n').length;
  assert.is(stored, 40, 'the checkpointed batches are in the day files');
  let total = 0;
  for (let d = 0; d < 4; d++) total += (await log.query(`m${d}`, ALL)).length;
  assert.is(total, 120);
  await log.close();
  assert.equal(await walFiles(dir), [], 'close checkpoints everything');
});

test('a day file that cannot be written keeps its lines staged and its WAL; they land once it can', async () => {
  const dir = await tempDir();
  const blocked = dayFile(dir, 'm1', '2026-11-20');
  await mkdir(blocked, { recursive: true }); // a directory where the day file should be: EISDIR
  const log = await JsonlTelemetryLog.open(dir, { ...manual, flushMs: 30 });
  await log.append('m1', batch(1, DAY1));
  await log.append('m1', batch(2, DAY1));
  await new Promise((r) => setTimeout(r, 100)); // background flushes fail and hand the lines back
  await rejects(log.query('m1', ALL), /EISDIR|directory/);
  await log.append('m1', batch(3, DAY1));
  assert.equal(await walFiles(dir), [walFileName(1)], 'the WAL is kept');
  // A crash now: recovery refuses to drop what it cannot write, rather than lose acknowledged data.
  await rejects(JsonlTelemetryLog.open(dir, manual), /EISDIR|directory/);

  await rm(blocked, { recursive: true });
  for (let i = 0; i < 100 && (await readFile(blocked, 'utf8').catch(() => '')).split('\n').length < 4; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await log.query('m1', ALL), rowsOf(batch(1, DAY1), batch(2, DAY1), batch(3, DAY1)), 'in order, once');
  await log.close();
  assert.equal(await walFiles(dir), []);
});

test('close writes everything, leaves no WAL, and refuses later appends', async () => {
  const dir = await tempDir();
  const log = await JsonlTelemetryLog.open(dir, manual);
  await log.append('m1', batch(1, DAY1));
  await log.close();
  assert.equal(await walFiles(dir), []);
  assert.is((await readFile(dayFile(dir, 'm1', '2026-11-20'), 'utf8')).trim().split('\n').length, 1);
  await rejects(log.append('m1', batch(2, DAY1)), /closed/);
  const again = await JsonlTelemetryLog.open(dir, manual);
  assert.is((await again.query('m1', ALL)).length, 3);
  await again.close();
});

test('readers keep the first copy of a batch stored twice (crash between the samples and the nonce)', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'telemetry', 'm1'), { recursive: true });
  const first = batch(7, DAY1);
  const resent = batch(7, DAY1 + 5_000); // same nonce, received again after the restart
  const later = batch(8, DAY1 + 6_000);
  const lines = rowsOf(first, resent, later).map((s) => JSON.stringify(s)).join('\n') + '\n';
  await writeFile(dayFile(dir, 'm1', '2026-11-20'), lines);
  const log = await JsonlTelemetryLog.open(dir, manual);
  assert.equal(await log.query('m1', ALL), rowsOf(first, later));
  await log.close();
});

test.run();
