/**
 * What the telemetry importer makes of day files as they really are: the samples text of a batch
 * line goes in byte for byte; a run of older one-sample lines becomes one batch; a torn line is
 * skipped; a batch the file holds twice under one nonce (a resend after an old version crashed) is
 * copied once, while batches that share a nonce but differ (a device after a nonce reset) are all
 * kept; a batch lands in the daily partition of its first sample, or in the default partition when
 * the device's clock was far off; what a WAL left behind by a crash holds is imported too.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../../server/store/index.ts';
import { importEmbedded } from '../../../server/store/import/index.ts';
import { tempDir, testConfig } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

const T = Date.UTC(2026, 2, 1, 10);
const S = 1_772_359_200; // 2026-03-01T10:00:00Z in seconds

interface Row {
  nonce: number;
  received_at: number;
  sample_count: number;
  samples: string;
  part: string;
}

test('day files as they are: exact samples text, older sample lines, torn lines, repeats, partitions, a crashed WAL', async () => {
  const dir = await tempDir();
  const store = await openStore(testConfig(dir));
  const plain = (nonce: number, samplesJson: string) => ({ received_at: T + nonce * 1000, nonce, method: 'plain', samples: JSON.parse(samplesJson), samplesJson });
  // Formatting a re-serialisation would change, a tab and a backslash (which COPY's text format must escape).
  const exact = `[{"voltage":230.10,\t"power":5e2,"timestamp":${S}},{"voltage":231,"power":501,"timestamp":${S + 60},"p\\u00e9ak":1}]`;
  assert.equal(await store.nonces.acceptUpload('d1', 1, 'm1', T + 1000, plain(1, exact)), { outcome: 'accepted' });
  assert.equal(await store.nonces.acceptUpload('d1', 2, 'm2', T + 2000, plain(2, `[{"power":1,"timestamp":${S + 120}}]`)), { outcome: 'accepted' });
  assert.equal(await store.nonces.acceptUpload('d1', 3, 'm3', T + 3000, plain(3, '[{"power":2,"timestamp":100}]')), { outcome: 'accepted' }, 'a clock in 1970');
  await store.close();

  const day = join(dir, 'data', 'telemetry', 'd1', '2026-03-01.jsonl');
  await appendFile(
    day,
    // nonce 2 again, same samples, received later: a resend stored twice; nonce 1 again with other samples: after a nonce reset.
    `{"received_at":${T + 9000},"nonce":2,"method":"plain","samples":[{"power":1,"timestamp":${S + 120}}]}\n` +
      `{"received_at":${T + 10_000},"nonce":1,"method":"plain","samples":[{"power":9,"timestamp":${S + 600}}]}\n` +
      `{"received_at":${T + 11_000},"nonce":4,"meth`,
  );
  const old = join(dir, 'data', 'telemetry', 'd2');
  await mkdir(old, { recursive: true });
  const line = (ts: number, nonce: number, power: number) => JSON.stringify({ timestamp: ts, received_at: T, nonce, method: 'delta', values: { power } }) + '\n';
  await appendFile(join(old, '2026-03-01.jsonl'), line(S, 7, 1) + line(S + 60, 7, 2) + line(S + 120, 7, 3) + line(S + 180, 8, 4));

  // A gateway killed after acknowledging an upload leaves it in the WAL only: the import still has it.
  const crashed = await openStore(testConfig(dir));
  await crashed.nonces.acceptUpload('d3', 5, 'm5', T + 5000, plain(5, `[{"power":5,"timestamp":${S + 300}}]`));

  // (never closed: its WAL generation, not yet checkpointed into the day files, is what a SIGKILL leaves)
  void crashed;
  const url = await freshDatabase();
  const report = await importEmbedded({ dataDir: join(dir, 'data'), databaseUrl: url, firmwareDir: join(dir, 'firmware'), force: false, sharedMacWindowMs: 86_400_000 });
  const telemetry = report.kinds.find((k) => k.repository === 'telemetry')!;
  assert.equal(telemetry.counts, { devices: 3, batches: 7, samples: 10, repeated: 1, already_there: 0 });

  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql<Row[]>`
      SELECT device_id || ':' || nonce AS nonce, received_at::text AS received_at, sample_count, samples::text AS samples, tableoid::regclass::text AS part
      FROM telemetry_batches ORDER BY device_id, received_at, nonce`;
    assert.equal(
      rows.map((r) => [r.nonce, Number(r.received_at) - T, r.sample_count, r.part]),
      [
        ['d1:1', 1000, 2, 'telemetry_batches_20260301'],
        ['d1:2', 2000, 1, 'telemetry_batches_20260301'],
        ['d1:3', 3000, 1, 'telemetry_batches_default'],
        ['d1:1', 10_000, 1, 'telemetry_batches_20260301'],
        ['d2:7', 0, 3, 'telemetry_batches_20260301'],
        ['d2:8', 0, 1, 'telemetry_batches_20260301'],
        ['d3:5', 5000, 1, 'telemetry_batches_20260301'],
      ],
    );
    assert.is(rows[0]!.samples, exact, "the device's own text, byte for byte");
    assert.equal(JSON.parse(rows[4]!.samples), [{ power: 1, timestamp: S }, { power: 2, timestamp: S + 60 }, { power: 3, timestamp: S + 120 }]);
    const [floor] = await sql<{ nonce: number }[]>`SELECT nonce::int FROM device_nonces WHERE device_id = 'd3'`;
    assert.is(floor!.nonce, 5, "the crashed gateway's last upload is a floor in the database too");
  } finally {
    await sql.end();
  }
});

test.run();
