/**
 * Telemetry: every batch in every device's day files, device by device and day by day (a day file
 * is the most held in memory, plus one slice of rows on its way), into `telemetry_batches` as
 * live uploads are stored (telemetry.ts batchColumns): one row per batch, the samples as the text
 * the DATA_DIR holds, byte for byte. A slice of up to 2,000 batches (or 8 MiB of samples) is one
 * COPY, sent while the next slice is read.
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
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StoredBatch } from '../embedded/telemetry-lines.ts';
import type { Sql } from '../postgres/connect.ts';
import { batchColumns } from '../postgres/telemetry.ts';
import { count, countRows, dayBounds, every, n, type Importer } from './importer.ts';

const DAY_MS = 86_400_000;
const SLICE_BATCHES = 2000;
const SLICE_BYTES = 8 << 20;
/** First-sample days this far before the receive day (and one after) get a partition of their own. */
const PLAUSIBLE_DAYS_BEFORE = 7;

/**
 * Batches on their way, as lines of COPY's text format: one slice is copied while the next is
 * read and prepared (at most two slices in memory), so reading the DATA_DIR and PostgreSQL's
 * work overlap.
 */
class SliceWriter {
  private lines: string[] = [];
  private bytes = 0;
  /** First-sample days of this slice that get a partition of their own. */
  private days = new Set<string>();
  private readonly partitions = new Set<string>();
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly sql: Sql) {}

  async add(device: string, b: StoredBatch): Promise<void> {
    const c = batchColumns(b);
    const sampleTime = c.sample_time.toISOString();
    if (plausible(c.sample_time.getTime(), b.received_at)) this.days.add(sampleTime.slice(0, 10));
    const line = `${copyText(device)}\t${sampleTime}\t${b.received_at}\t${b.nonce}\t${copyText(c.method)}\t${c.sample_count}\t${c.first_ts}\t${c.last_ts}\t${copyText(c.samples)}\n`;
    this.lines.push(line);
    this.bytes += line.length;
    if (this.lines.length >= SLICE_BATCHES || this.bytes >= SLICE_BYTES) await this.flush();
  }

  /** Hands the slice over once the previous one is in (a failure of either surfaces here or in finish). */
  async flush(): Promise<void> {
    const { lines, days } = this;
    if (lines.length === 0) return;
    this.lines = [];
    this.bytes = 0;
    this.days = new Set();
    await this.sending;
    this.sending = this.send(lines, days);
    this.sending.catch(() => undefined); // awaited by the next flush or by finish
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.sending;
  }

  private async send(lines: string[], days: Set<string>): Promise<void> {
    for (const day of days) {
      if (this.partitions.has(day)) continue;
      await this.sql`SELECT fg_ensure_telemetry_partition(${day}::date)`;
      this.partitions.add(day);
    }
    // COPY, PostgreSQL's bulk path: one statement and one round trip for the whole slice.
    const copy = await this.sql`
      COPY telemetry_batches (device_id, sample_time, received_at, nonce, method, sample_count, first_ts, last_ts, samples) FROM STDIN`.writable();
    await pipeline(Readable.from(lines), copy);
  }
}

/** A value in COPY's text format: backslash, tab and line breaks escaped (JSON text may hold a backslash). */
function copyText(v: string): string {
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

/** Whether a first-sample time is plausible for when the batch arrived (else: the default partition). */
function plausible(sampleMs: number, receivedAt: number): boolean {
  return sampleMs >= receivedAt - PLAUSIBLE_DAYS_BEFORE * DAY_MS && sampleMs < receivedAt + DAY_MS;
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
    await writer.finish();
    const text =
      `${count(total.samples, 'sample')} in ${count(total.batches, 'batch', 'batches')} from ${count(devices.length, 'device')}` +
      (total.repeated > 0 ? `, ${n(total.repeated)} batches stored twice in the DATA_DIR copied once` : '') +
      (total.already_there > 0 ? `, ${n(total.already_there)} batches already there` : '');
    return { counts: { devices: devices.length, ...total }, text };
  },
};
