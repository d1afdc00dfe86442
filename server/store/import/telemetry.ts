/**
 * Telemetry: every batch in every device's day files, device by device and day by day (a day file
 * is the most held in memory, plus one slice of rows on its way), into `telemetry_batches` as
 * live uploads are stored (telemetry.ts batchColumns): one row per batch, the samples as the text
 * the DATA_DIR holds, byte for byte. A slice of up to 2,000 batches (or 8 MiB of samples) is one
 * statement.
 *
 * Days: the daily partition of each batch's first-sample day is created first when that day is
 * plausible for when the batch arrived (a week before its receive day to the day after), so
 * retention drops imported history a partition at a time; a batch from a device whose clock was
 * off lands in the default partition, as it would live.
 *
 * What is not copied twice: a batch the day file holds twice with the same samples under one
 * nonce (a device re-sending after a crash of an old gateway version; the embedded reader also
 * keeps the first copy), and — on a database that was not empty — a batch the database already
 * holds (same device, receive time and nonce). Batches that share a nonce but differ (a device
 * that restarted its nonces after a nonce reset) are all kept.
 */
import { createHash } from 'node:crypto';
import type { StoredBatch } from '../embedded/telemetry-lines.ts';
import type { Sql } from '../postgres/connect.ts';
import { batchColumns } from '../postgres/telemetry.ts';
import { count, countRows, dayBounds, every, n, type Importer } from './importer.ts';

const DAY_MS = 86_400_000;
const SLICE_BATCHES = 2000;
const SLICE_BYTES = 8 << 20;
/** First-sample days this far before the receive day (and one after) get a partition of their own. */
const PLAUSIBLE_DAYS_BEFORE = 7;

interface Row {
  device: string;
  sampleTime: string;
  receivedAt: number;
  nonce: number;
  method: string;
  count: number;
  firstTs: number;
  lastTs: number;
  samples: string;
}

/** Rows waiting for their INSERT, and the partitions created so far. */
class SliceWriter {
  private rows: Row[] = [];
  private bytes = 0;
  private readonly partitions = new Set<string>();

  constructor(private readonly sql: Sql) {}

  async add(device: string, b: StoredBatch): Promise<void> {
    const c = batchColumns(b);
    const row: Row = {
      device,
      sampleTime: c.sample_time.toISOString(),
      receivedAt: b.received_at,
      nonce: b.nonce,
      method: c.method,
      count: c.sample_count,
      firstTs: c.first_ts,
      lastTs: c.last_ts,
      samples: c.samples,
    };
    this.rows.push(row);
    this.bytes += row.samples.length;
    if (this.rows.length >= SLICE_BATCHES || this.bytes >= SLICE_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    const rows = this.rows;
    if (rows.length === 0) return;
    this.rows = [];
    this.bytes = 0;
    for (const day of new Set(rows.filter(plausible).map((r) => r.sampleTime.slice(0, 10)))) {
      if (this.partitions.has(day)) continue;
      await this.sql`SELECT fg_ensure_telemetry_partition(${day}::date)`;
      this.partitions.add(day);
    }
    await this.sql`
      INSERT INTO telemetry_batches (device_id, sample_time, received_at, nonce, method, sample_count, first_ts, last_ts, samples)
      SELECT d, t, r, n, m, c, f, l, s::json
      FROM unnest(${rows.map((r) => r.device)}::text[], ${rows.map((r) => r.sampleTime)}::timestamptz[], ${rows.map((r) => r.receivedAt)}::bigint[],
                  ${rows.map((r) => r.nonce)}::bigint[], ${rows.map((r) => r.method)}::text[], ${rows.map((r) => r.count)}::integer[],
                  ${rows.map((r) => r.firstTs)}::float8[], ${rows.map((r) => r.lastTs)}::float8[], ${rows.map((r) => r.samples)}::text[])
        AS x(d, t, r, n, m, c, f, l, s)`;
  }
}

function plausible(r: Row): boolean {
  const sample = Date.parse(r.sampleTime);
  return sample >= r.receivedAt - PLAUSIBLE_DAYS_BEFORE * DAY_MS && sample < r.receivedAt + DAY_MS;
}

/** Batches of a device received on `day` that the database holds already, as "receivedAt:nonce". */
async function storedKeys(sql: Sql, device: string, day: string): Promise<Set<string>> {
  const [from, to] = dayBounds(day);
  const rows = await sql<{ received_at: number; nonce: number }[]>`
    SELECT received_at, nonce FROM telemetry_batches WHERE device_id = ${device} AND received_at >= ${from} AND received_at < ${to}`;
  return new Set(rows.map((r) => `${r.received_at}:${r.nonce}`));
}

export const telemetryImporter: Importer = {
  repository: 'telemetry',
  kind: 'telemetry',
  present: (sql) => countRows(sql, 'telemetry_batches'),
  async copy({ source, target, fresh, progress }) {
    const devices = await source.telemetry.storedDevices();
    const writer = new SliceWriter(target.sql);
    const total = { batches: 0, samples: 0, repeated: 0, already_there: 0 };
    let done = 0;
    const report = every(2000, () => progress(`telemetry: ${n(done)}/${n(devices.length)} devices, ${n(total.samples)} samples in ${n(total.batches)} batches`));
    for (const device of devices) {
      // Per device: each nonce's samples (as a digest) seen so far, to drop a batch stored twice.
      const seen = new Map<number, string[]>();
      for await (const { day, batches } of source.telemetry.storedDays(device)) {
        const there = fresh ? undefined : await storedKeys(target.sql, device, day);
        for (const b of batches) {
          const digest = createHash('sha1').update(b.samplesJson).digest('base64');
          const digests = seen.get(b.nonce);
          if (digests?.includes(digest)) {
            total.repeated++;
            continue;
          }
          if (digests) digests.push(digest);
          else seen.set(b.nonce, [digest]);
          if (there?.has(`${b.received_at}:${b.nonce}`)) {
            total.already_there++;
            continue;
          }
          await writer.add(device, b);
          total.batches++;
          total.samples += b.samples.length;
          report();
        }
      }
      done++;
      report();
    }
    await writer.flush();
    const text =
      `${count(total.samples, 'sample')} in ${count(total.batches, 'batch', 'batches')} from ${count(devices.length, 'device')}` +
      (total.repeated > 0 ? `, ${n(total.repeated)} batches stored twice in the DATA_DIR copied once` : '') +
      (total.already_there > 0 ? `, ${n(total.already_there)} batches already there` : '');
    return { counts: { devices: devices.length, ...total }, text };
  },
};
