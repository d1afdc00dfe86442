/**
 * fg_accept_upload_group (0016) against fg_accept_uploads (0013), whose decisions it must repeat
 * exactly: the same group on two copies of the same state gets the same outcomes and stores the
 * same rows, samples byte for byte. And a group whose sample texts do not split into one piece per
 * upload is refused whole, never stored under the wrong upload.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Sql } from '../../../server/store/postgres/connect.ts';
import { migrate } from '../../../server/store/postgres/migrate.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

interface Upload {
  device: string;
  nonce: number;
  mac: string;
  samples: string;
}

/** Devices a–e with a state before the group: none, nonce 5 (mac m5), and a claim on nonce 9 for d. */
async function seeded(): Promise<Sql> {
  const sql = connect(await freshDatabase('group'), { max: 1 });
  await migrate(sql);
  await sql`INSERT INTO device_nonces (device_id, nonce, mac, seen_at) VALUES ('b', 5, 'm5', 1), ('c', 5, 'm5', 1), ('d', 5, 'm5', 1)`;
  await sql`INSERT INTO nonce_claims (device_id, nonce, mac) VALUES ('d', 9, 'claimed')`;
  return sql;
}

const sample = (n: number, extra = '') => `[{"timestamp": 1767225600,"power":${n}${extra}} ]`;
/** In device order, then nonce order, as the ledger sends a group. */
const group: Upload[] = [
  { device: 'a', nonce: 1, mac: 'a1', samples: sample(1) }, // new device: accepted
  { device: 'a', nonce: 1, mac: 'a1', samples: sample(1) }, // the same again in the same group: duplicate
  { device: 'a', nonce: 2, mac: 'a2', samples: sample(2, ',"é":"\\u0001 ✓"') }, // accepted after it
  { device: 'b', nonce: 5, mac: 'm5', samples: sample(5) }, // the stored one: duplicate
  { device: 'b', nonce: 5, mac: 'other', samples: sample(5) }, // same nonce, other MAC: replay
  { device: 'b', nonce: 4, mac: 'b4', samples: sample(4) }, // below the floor: replay
  { device: 'c', nonce: 6, mac: 'c6', samples: sample(6) }, // accepted
  { device: 'd', nonce: 7, mac: 'd7', samples: sample(7) }, // a claim on 9 is in flight: wait
  { device: 'e', nonce: 3, mac: 'e3', samples: sample(3) }, // accepted
];

function columns(uploads: Upload[]) {
  return [
    uploads.map((u) => u.device),
    uploads.map((u) => u.nonce),
    uploads.map((u) => u.mac),
    uploads.map((u) => 1000 + u.nonce),
    uploads.map(() => '2026-01-01T00:00:00.000Z'),
    uploads.map(() => 'plain'),
    uploads.map(() => 1),
    uploads.map(() => 1767225600),
    uploads.map(() => 1767225600),
  ];
}

async function stored(sql: Sql) {
  return {
    nonces: await sql`SELECT device_id, nonce, mac, seen_at FROM device_nonces ORDER BY device_id`,
    batches: await sql`SELECT device_id, nonce, received_at, sample_count, samples::text AS samples FROM telemetry_batches ORDER BY device_id, nonce`,
  };
}

test('decides a group as fg_accept_uploads does and stores the same rows, samples byte for byte', async () => {
  const [before, after] = [await seeded(), await seeded()];
  try {
    const c = columns(group);
    const old = await before`
      SELECT * FROM fg_accept_uploads(${c[0]!}::text[], ${c[1]!}::bigint[], ${c[2]!}::text[], ${c[3]!}::bigint[], ${c[4]!}::timestamptz[],
        ${c[5]!}::text[], ${c[6]!}::integer[], ${c[7]!}::float8[], ${c[8]!}::float8[], ${`[${group.map((u) => u.samples).join(',')}]`}::text::json, 30000)`;
    const now = await after`
      SELECT * FROM fg_accept_upload_group(${c[0]!}::text[], ${c[1]!}::bigint[], ${c[2]!}::text[], ${c[3]!}::bigint[], ${c[4]!}::timestamptz[],
        ${c[5]!}::text[], ${c[6]!}::integer[], ${c[7]!}::float8[], ${c[8]!}::float8[], ${group.map((u) => u.samples).join('\u0001')}::text, 30000)`;
    assert.equal(
      now.map((r) => r.outcome),
      ['accepted', 'duplicate', 'accepted', 'duplicate', 'replay', 'replay', 'accepted', 'wait', 'accepted'],
    );
    assert.equal([...now], [...old]);
    const rows = await stored(after);
    assert.equal(rows, await stored(before));
    assert.equal(
      rows.batches.map((b) => b.samples),
      [sample(1), sample(2, ',"é":"\\u0001 ✓"'), sample(6), sample(3)],
      "the devices' own text, spacing included",
    );
  } finally {
    await before.end();
    await after.end();
  }
});

test('a group whose sample texts are one too many or too few is refused whole', async () => {
  const sql = await seeded();
  try {
    const uploads = group.filter((u) => u.device === 'c' || u.device === 'e');
    const c = columns(uploads);
    for (const samples of [uploads.map((u) => u.samples).join(''), [...uploads.map((u) => u.samples), sample(9)].join('\u0001')]) {
      let refusal = '';
      try {
        await sql`
          SELECT * FROM fg_accept_upload_group(${c[0]!}::text[], ${c[1]!}::bigint[], ${c[2]!}::text[], ${c[3]!}::bigint[], ${c[4]!}::timestamptz[],
            ${c[5]!}::text[], ${c[6]!}::integer[], ${c[7]!}::float8[], ${c[8]!}::float8[], ${samples}::text, 30000)`;
      } catch (err) {
        refusal = (err as Error).message;
      }
      assert.match(refusal, /sample texts for 2 uploads/);
    }
    assert.equal((await stored(sql)).batches.length, 0);
    assert.equal((await sql`SELECT nonce FROM device_nonces WHERE device_id = 'c'`)[0]!.nonce, 5, 'no nonce moved');
  } finally {
    await sql.end();
  }
});

test.run();
