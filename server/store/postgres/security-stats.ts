/**
 * Security counters on PostgreSQL (`security_stats_fleet`, `security_stats_devices`,
 * 0002_control_plane.sql). Every gateway adds what it counted (SecurityStats flushes every few
 * seconds) with `n = n + delta`, so the totals of all gateways add up. An add first updates the
 * single fleet row, whose lock it then holds: adds from several gateways run one after another, so
 * they never deadlock over the same device rows, and the cap on tracked devices
 * (MAX_TRACKED_DEVICES, counted in the fleet row) is exact.
 */
import { MAX_TRACKED_DEVICES, OUTCOMES, type Counters, type SecurityStatsRepo, type StatsDelta, type StoredStats } from '../../security/stats.ts';
import type { Sql, Tx } from './connect.ts';

type CounterRow = Counters & { device_id: string };

const counters = (r: Counters): Counters => {
  const out = { total: r.total } as Counters;
  for (const o of OUTCOMES) out[o] = r[o];
  return out;
};

export class PgSecurityStatsRepo implements SecurityStatsRepo {
  constructor(private readonly sql: Sql) {}

  async load(now: number): Promise<StoredStats> {
    await this.sql`INSERT INTO security_stats_fleet (since) VALUES (${new Date(now)}) ON CONFLICT DO NOTHING`;
    // One statement, one snapshot: the fleet totals and the per-device ones agree.
    const [row] = await this.sql<(Counters & { since: Date; devices: CounterRow[] | null })[]>`
      SELECT f.*, (SELECT json_agg(d) FROM security_stats_devices d) AS devices FROM security_stats_fleet f`;
    return {
      since: row!.since.toISOString(),
      fleet: counters(row!),
      devices: new Map((row!.devices ?? []).map((d) => [d.device_id, counters(d)])),
    };
  }

  async add(delta: StatsDelta): Promise<void> {
    const f = delta.fleet;
    await this.sql.begin(async (tx) => {
      const [fleet] = await tx<{ tracked: number }[]>`
        INSERT INTO security_stats_fleet AS s (since, total, accepted, duplicate, bad_signature, replay, unknown_device, crc_failure, malformed)
        VALUES (now(), ${f.total}, ${f.accepted}, ${f.duplicate}, ${f.bad_signature}, ${f.replay}, ${f.unknown_device}, ${f.crc_failure}, ${f.malformed})
        ON CONFLICT (singleton) DO UPDATE SET
          total = s.total + EXCLUDED.total, accepted = s.accepted + EXCLUDED.accepted, duplicate = s.duplicate + EXCLUDED.duplicate,
          bad_signature = s.bad_signature + EXCLUDED.bad_signature, replay = s.replay + EXCLUDED.replay,
          unknown_device = s.unknown_device + EXCLUDED.unknown_device, crc_failure = s.crc_failure + EXCLUDED.crc_failure,
          malformed = s.malformed + EXCLUDED.malformed
        RETURNING tracked`;
      if (delta.devices.size === 0) return;
      const rows = [...delta.devices].map(([device_id, c]) => ({ device_id, ...c }));
      const updated = await tx<{ device_id: string }[]>`
        UPDATE security_stats_devices s SET
          total = s.total + d.total, accepted = s.accepted + d.accepted, duplicate = s.duplicate + d.duplicate,
          bad_signature = s.bad_signature + d.bad_signature, replay = s.replay + d.replay,
          unknown_device = s.unknown_device + d.unknown_device, crc_failure = s.crc_failure + d.crc_failure,
          malformed = s.malformed + d.malformed
        FROM ${deltaRows(tx, rows)}
        WHERE s.device_id = d.device_id
        RETURNING s.device_id`;
      const known = new Set(updated.map((u) => u.device_id));
      const fresh = rows.filter((r) => !known.has(r.device_id)).slice(0, Math.max(0, MAX_TRACKED_DEVICES - fleet!.tracked));
      if (fresh.length === 0) return;
      await tx`
        INSERT INTO security_stats_devices (device_id, total, accepted, duplicate, bad_signature, replay, unknown_device, crc_failure, malformed)
        SELECT * FROM ${deltaRows(tx, fresh)}`;
      await tx`UPDATE security_stats_fleet SET tracked = tracked + ${fresh.length}`;
    });
  }
}

/** Per-device deltas as a table `d`. */
function deltaRows(sql: Tx, rows: CounterRow[]) {
  return sql`json_to_recordset(${JSON.stringify(rows)}::text::json) AS d(
    device_id text, total bigint, accepted bigint, duplicate bigint, bad_signature bigint, replay bigint,
    unknown_device bigint, crc_failure bigint, malformed bigint)`;
}
