/**
 * Telemetry on PostgreSQL: one row per accepted upload in `telemetry_batches` (0001_core.sql),
 * partitioned by the day of its first sample's time, with the samples as the device's own JSON
 * text. Uploads are written by fg_accept_upload together with their nonce (nonces.ts); this module
 * reads them back, aggregates across the fleet in SQL, and keeps the daily partitions ahead of
 * time and within retention.
 */
import type { TelemetryBatch, TelemetryBucket, TelemetryBucketQuery, TelemetryLog, TelemetryQuery, TelemetrySample } from '../types.ts';
import type { Sql } from './connect.ts';

/** The last second of year 9999: later device times cannot be a timestamptz partition key. */
const MAX_SECONDS = 253_402_300_799;
const DAY_MS = 86_400_000;
/** Advisory lock key serializing partition upkeep across replicas (server/store/postgres/README.md lists the keys). */
const PARTITION_LOCK = 7_000_002;

/** A device timestamp as epoch seconds: below 1e12 it is seconds already, else milliseconds. */
export function deviceSeconds(ts: number): number {
  return ts < 1e12 ? ts : ts / 1000;
}

/** The columns of a batch row (sample_time: the first sample's time, 1970 for a clock that is off the scale). */
export function batchColumns(batch: TelemetryBatch) {
  const first = batch.samples[0]?.timestamp ?? 0;
  const last = batch.samples[batch.samples.length - 1]?.timestamp ?? first;
  const seconds = deviceSeconds(first);
  return {
    sample_time: new Date(seconds >= 0 && seconds <= MAX_SECONDS ? Math.floor(seconds * 1000) : 0),
    method: batch.method,
    sample_count: batch.samples.length,
    first_ts: first,
    last_ts: last,
    samples: batch.samplesJson ?? JSON.stringify(batch.samples),
  };
}

interface BatchRow {
  received_at: number;
  nonce: number;
  method: string;
  samples: Record<string, number>[];
}

export class PgTelemetryLog implements TelemetryLog {
  constructor(private readonly sql: Sql) {}

  async append(deviceId: string, batch: TelemetryBatch): Promise<void> {
    const c = batchColumns(batch);
    await this.sql`
      INSERT INTO telemetry_batches (device_id, sample_time, received_at, nonce, method, sample_count, first_ts, last_ts, samples)
      VALUES (${deviceId}, ${c.sample_time}, ${batch.received_at}, ${batch.nonce}, ${c.method}, ${c.sample_count}, ${c.first_ts}, ${c.last_ts}, ${c.samples}::text::json)`;
  }

  async query(deviceId: string, q: TelemetryQuery): Promise<TelemetrySample[]> {
    const out: TelemetrySample[] = [];
    const from = q.fromMs ?? 0;
    const to = q.toMs ?? Number.MAX_SAFE_INTEGER;
    // Batches in receive order, fetched a page at a time until `limit` samples are in.
    const cursor = this.sql<BatchRow[]>`
      SELECT received_at, nonce, method, samples FROM telemetry_batches
      WHERE device_id = ${deviceId} AND received_at >= ${from} AND received_at <= ${to}
      ORDER BY received_at, nonce`.cursor(200);
    for await (const rows of cursor) {
      for (const b of rows) {
        for (const { timestamp, ...values } of b.samples) {
          out.push({ timestamp: timestamp!, received_at: b.received_at, nonce: b.nonce, method: b.method, values });
          if (out.length >= q.limit) return out;
        }
      }
    }
    return out;
  }

  async buckets(q: TelemetryBucketQuery): Promise<TelemetryBucket[]> {
    const fromS = q.fromMs / 1000;
    const toS = q.toMs / 1000;
    // Batches rarely span a day: those whose first sample is within a day before `from` are read too.
    const lo = new Date(Math.max(0, q.fromMs - DAY_MS));
    const hi = new Date(q.toMs);
    const devices = q.devices ?? null;
    const rows = await this.sql<{ t: number; min: number; avg: number; max: number; count: number }[]>`
      SELECT floor(s.sec / ${q.bucketSeconds}) * ${q.bucketSeconds} AS t,
             min(s.v) AS min, avg(s.v) AS avg, max(s.v) AS max, count(*)::int AS count
      FROM telemetry_batches b
      CROSS JOIN LATERAL json_array_elements(b.samples) AS e(sample)
      CROSS JOIN LATERAL (
        SELECT CASE WHEN (e.sample->>'timestamp')::float8 < 1e12 THEN (e.sample->>'timestamp')::float8
                    ELSE (e.sample->>'timestamp')::float8 / 1000 END AS sec,
               (e.sample->>${q.field})::float8 AS v
      ) AS s
      WHERE b.sample_time >= ${lo} AND b.sample_time <= ${hi}
        AND (${devices}::text[] IS NULL OR b.device_id = ANY(${devices}::text[]))
        AND s.v IS NOT NULL AND s.sec >= ${fromS} AND s.sec <= ${toS}
      GROUP BY 1 ORDER BY 1`;
    return rows.map((r) => ({ t: Number(r.t), min: r.min, avg: r.avg, max: r.max, count: r.count }));
  }

  /**
   * Daily partitions from yesterday to `daysAhead` days ahead of `now` (idempotent). Replicas
   * starting together all do this: one at a time (an advisory lock), or two would create the
   * same partition at once and one fail on the catalog's unique index.
   */
  async ensurePartitions(now: number, daysAhead = 3): Promise<number> {
    return this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`;
      let created = 0;
      for (let d = -1; d <= daysAhead; d++) {
        const day = new Date(now + d * DAY_MS).toISOString().slice(0, 10);
        const [row] = await tx<{ created: boolean }[]>`SELECT fg_ensure_telemetry_partition(${day}::date) AS created`;
        if (row!.created) created++;
      }
      return created;
    });
  }

  async prune(beforeMs: number): Promise<number> {
    return this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`;
      const [row] = await tx<{ dropped: number }[]>`SELECT fg_drop_telemetry_before(${new Date(beforeMs)}) AS dropped`;
      return row!.dropped;
    });
  }
}
