/**
 * How the PostgreSQL ledger groups uploads into statements, against a stand-in for the database
 * that holds each statement until the test lets it return: one group in flight while few wait, a
 * second one once OVERLAP_MIN_WAITING wait, and never a device of the group in flight in the
 * second (two transactions could take its lock in either order and judge its uploads out of
 * arrival order). The statement itself is covered on a real database by the contract suite.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Sql } from '../../../server/store/postgres/connect.ts';
import { UnavailableError } from '../../../server/errors.ts';
import { MAX_QUEUED_UPLOADS, PgNonceLedger } from '../../../server/store/postgres/nonces.ts';
import type { TelemetryBatch, UploadOutcome } from '../../../server/store/types.ts';

interface Statement {
  devices: string[];
  nonces: number[];
  /** Answers 'accepted' for every upload, or the outcome given for a device. */
  answer(outcomes?: Record<string, string>): void;
}

/** A `sql` that records each upload-group statement and answers it when told. */
function fakeDatabase(): { sql: Sql; statements: Statement[] } {
  const statements: Statement[] = [];
  const sql = (_strings: TemplateStringsArray, ...values: unknown[]) =>
    new Promise((resolve) => {
      const devices = values[0] as string[];
      const nonces = values[1] as number[];
      statements.push({
        devices,
        nonces,
        answer: (outcomes = {}) => resolve(devices.map((d, i) => ({ idx: i + 1, outcome: outcomes[d] ?? 'accepted', last_nonce: nonces[i] }))),
      });
    });
  return { sql: sql as unknown as Sql, statements };
}

const batch = (nonce: number): TelemetryBatch => ({ received_at: 0, nonce, method: 'plain', samples: [{ timestamp: 1_767_225_600, power: nonce }] });
const tick = () => new Promise((r) => setImmediate(r));

test('few waiting: one group in flight, the rest wait for it and go together', async () => {
  const { sql, statements } = fakeDatabase();
  const ledger = new PgNonceLedger(sql);
  const outcomes: Promise<UploadOutcome>[] = [];
  for (let d = 0; d < 10; d++) outcomes.push(ledger.acceptUpload(`d${d}`, 1, 'm', 0, batch(1)));
  await tick();
  assert.equal(statements.map((s) => s.devices.length), [1], 'the first goes alone; nine wait');
  statements[0]!.answer();
  await tick();
  assert.equal(statements.map((s) => s.devices.length), [1, 9]);
  statements[1]!.answer();
  assert.ok((await Promise.all(outcomes)).every((o) => o.outcome === 'accepted'));
});

test('enough waiting: a second group overlaps the first, without the devices of the first', async () => {
  const { sql, statements } = fakeDatabase();
  const ledger = new PgNonceLedger(sql);
  const outcomes: Promise<UploadOutcome>[] = [ledger.acceptUpload('o', 1, 'm', 0, batch(1))];
  // The device of the group in flight sends its next uploads, interleaved with 40 other devices.
  for (let d = 0; d < 40; d++) {
    outcomes.push(ledger.acceptUpload(`d${d}`, 1, 'm', 0, batch(1)));
    if (d % 10 === 0) outcomes.push(ledger.acceptUpload('o', 2 + d / 10, 'm', 0, batch(2 + d / 10)));
  }
  await tick();
  assert.is(statements.length, 2, 'a second group went while the first is in flight');
  assert.equal(statements[0]!.devices, ['o']);
  assert.not.ok(statements[1]!.devices.includes('o'), 'no upload of a device in flight in the overlapping group');
  statements[1]!.answer(); // the second may well come back first
  await tick();
  assert.is(statements.length, 3, 'enough still wait: another group goes');
  assert.not.ok(statements[2]!.devices.includes('o'), 'o still waits for its first upload');
  assert.is(statements[1]!.devices.length + statements[2]!.devices.length, 40, 'the other devices are not held up');
  statements[0]!.answer();
  await tick();
  assert.is(statements.length, 3, 'four waiting are too few for a second group: they wait for the one in flight');
  statements[2]!.answer();
  await tick();
  assert.equal(statements[3]!.devices, ['o', 'o', 'o', 'o'], 'then o goes with its next four uploads');
  assert.equal(statements[3]!.nonces, [2, 3, 4, 5], 'in nonce order');
  statements[3]!.answer();
  assert.ok((await Promise.all(outcomes)).every((o) => o.outcome === 'accepted'));
  assert.is(statements.flatMap((s) => s.devices).length, 45, 'every upload sent exactly once');
});

test('an overlapping group needs that many free uploads: those held back for a device in flight do not count', async () => {
  const { sql, statements } = fakeDatabase();
  const ledger = new PgNonceLedger(sql);
  const outcomes = [ledger.acceptUpload('o', 1, 'm', 0, batch(1))];
  for (let n = 2; n <= 25; n++) outcomes.push(ledger.acceptUpload('o', n, 'm', 0, batch(n)));
  outcomes.push(ledger.acceptUpload('x', 1, 'm', 0, batch(1)));
  await tick();
  assert.is(statements.length, 1, 'one free upload among 25 waiting: no group of one overlaps');
  statements[0]!.answer();
  await tick();
  assert.equal(statements[1]!.devices, [...Array<string>(24).fill('o'), 'x'], 'then all of them together');
  assert.equal(statements[1]!.nonces, [...Array.from({ length: 24 }, (_, i) => i + 2), 1], "o's in nonce order");
  statements[1]!.answer();
  assert.is((await Promise.all(outcomes)).length, 26);
});

test("an upload asked to wait keeps its device's place: a later upload of that device goes with it, after it", async () => {
  const { sql, statements } = fakeDatabase();
  const ledger = new PgNonceLedger(sql);
  const first = ledger.acceptUpload('o', 1, 'm', 0, batch(1));
  await tick();
  const second = ledger.acceptUpload('o', 2, 'm', 0, batch(2));
  statements[0]!.answer({ o: 'wait' }); // a signed request of o holds a claim: ask again shortly
  await tick();
  assert.is(statements.length, 1, 'the later upload does not overtake the one waiting');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(statements[1]!.nonces, [1, 2], 'both go once the first is asked again, first first');
  statements[1]!.answer();
  assert.equal(await Promise.all([first, second]), [{ outcome: 'accepted' }, { outcome: 'accepted' }]);
});

test('a database that never answers: every upload is answered 503 past the deadline, queued or in flight; a late answer asks nothing again', async () => {
  const { sql, statements } = fakeDatabase();
  const ledger = new PgNonceLedger(sql, 150);
  const started = performance.now();
  const outcomes = Array.from({ length: 30 }, (_, d) => ledger.acceptUpload(`d${d}`, 1, 'm', 0, batch(1)));
  await tick();
  assert.equal(statements.map((s) => s.devices.length), [1, 20], 'two groups in flight, nine queued');
  const alive = setTimeout(() => undefined, 5000); // the ledger's own timer does not keep a process up
  const settled = await Promise.allSettled(outcomes);
  clearTimeout(alive);
  const waited = performance.now() - started;
  assert.ok(settled.every((o) => o.status === 'rejected' && o.reason instanceof UnavailableError), 'all 503');
  assert.match(String((settled[0] as PromiseRejectedResult).reason.message), /did not answer within 0.15 s; retry with the same nonce/);
  assert.ok(waited >= 150 && waited < 1000, `answered after ${waited} ms`);
  // The partition heals: the statements come back; an upload they ask to wait is not asked again.
  statements[0]!.answer();
  statements[1]!.answer({ d5: 'wait' });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(statements.length, 2, 'nothing sent again for uploads already answered');
  const next = ledger.acceptUpload('d5', 2, 'm', 0, batch(2));
  await tick();
  assert.equal(statements.length, 3, 'the ledger works on');
  statements[2]!.answer();
  assert.equal(await next, { outcome: 'accepted' });
});

test('the queue is bounded: past MAX_QUEUED_UPLOADS an upload is answered 503 at once', async () => {
  const { sql, statements } = fakeDatabase();
  const ledger = new PgNonceLedger(sql, 60_000);
  const waiting: Promise<UploadOutcome>[] = [];
  // Two groups in flight take 1 + 20; the rest queue.
  for (let i = 0; i < MAX_QUEUED_UPLOADS + 21; i++) waiting.push(ledger.acceptUpload(`d${i}`, 1, 'm', 0, batch(1)));
  waiting.forEach((p) => p.catch(() => undefined));
  await tick();
  const refused = await ledger.acceptUpload('late', 1, 'm', 0, batch(1)).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.instance(refused, UnavailableError);
  assert.match((refused as Error).message, /10000 uploads are waiting for the database/);
  for (const s of statements) s.answer();
  await tick();
  assert.equal(statements.slice(2).map((s) => s.devices.length), [256, 256], 'once the database answers, the queue goes on in groups');
});

test.run();
