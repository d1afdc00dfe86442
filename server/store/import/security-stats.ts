/**
 * Security counters: the fleet totals (and since when they count) and the per-device counters.
 * Counters are sums every replica adds to, so copying them onto counts the database has already
 * would count twice on a re-run; instead each counter takes the larger of the two (a re-run
 * changes nothing) and `since` the earlier.
 */
import { OUTCOMES, type Counters } from '../../security/stats.ts';
import { alreadyThere, count, countRows, n, slices, type Importer } from './importer.ts';

const COLUMNS = ['total', ...OUTCOMES] as const;

export const securityStatsImporter: Importer = {
  repository: 'securityStats',
  kind: 'security counters',
  present: async (sql) => (await countRows(sql, 'security_stats_fleet', sql`total > 0`)) + (await countRows(sql, 'security_stats_devices')),
  async copy({ source, target, now }) {
    const sql = target.sql;
    const stored = await source.securityStats.load(now);
    const pick = (c: Counters) => Object.fromEntries(COLUMNS.map((k) => [k, c[k] ?? 0]));
    await sql`
      INSERT INTO security_stats_fleet AS s ${sql({ since: new Date(stored.since), ...pick(stored.fleet) })}
      ON CONFLICT (singleton) DO UPDATE SET since = LEAST(s.since, EXCLUDED.since),
        total = GREATEST(s.total, EXCLUDED.total), accepted = GREATEST(s.accepted, EXCLUDED.accepted),
        duplicate = GREATEST(s.duplicate, EXCLUDED.duplicate), bad_signature = GREATEST(s.bad_signature, EXCLUDED.bad_signature),
        replay = GREATEST(s.replay, EXCLUDED.replay), unknown_device = GREATEST(s.unknown_device, EXCLUDED.unknown_device),
        crc_failure = GREATEST(s.crc_failure, EXCLUDED.crc_failure), malformed = GREATEST(s.malformed, EXCLUDED.malformed)`;
    const devices = [...stored.devices].map(([device_id, c]) => ({ device_id, ...pick(c) }));
    let copied = 0;
    for (const slice of slices(devices, 1000)) {
      const rows = await sql<{ inserted: boolean }[]>`
        INSERT INTO security_stats_devices AS d ${sql(slice)}
        ON CONFLICT (device_id) DO UPDATE SET
          total = GREATEST(d.total, EXCLUDED.total), accepted = GREATEST(d.accepted, EXCLUDED.accepted),
          duplicate = GREATEST(d.duplicate, EXCLUDED.duplicate), bad_signature = GREATEST(d.bad_signature, EXCLUDED.bad_signature),
          replay = GREATEST(d.replay, EXCLUDED.replay), unknown_device = GREATEST(d.unknown_device, EXCLUDED.unknown_device),
          crc_failure = GREATEST(d.crc_failure, EXCLUDED.crc_failure), malformed = GREATEST(d.malformed, EXCLUDED.malformed)
        RETURNING (xmax = 0) AS inserted`;
      copied += rows.filter((r) => r.inserted).length;
    }
    await sql`UPDATE security_stats_fleet SET tracked = (SELECT count(*) FROM security_stats_devices)`;
    return {
      counts: { total: stored.fleet.total, devices: copied, devices_already_there: devices.length - copied },
      text: `fleet totals (${n(stored.fleet.total)} messages since ${stored.since}), ${count(copied, 'device')}${alreadyThere(devices.length - copied, 'already there (the larger counts kept)')}`,
    };
  },
};
