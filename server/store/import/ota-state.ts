/**
 * OTA state: per device the version it runs, its anti-rollback floors (the highest security
 * counter it reported and completed), its last result and success/failure counts; each device's
 * current download session (progress, rollout, status); and the per-version counters. The floors
 * are only ever raised (GREATEST with what the database has), so no device can be offered an
 * image below a counter it already passed; a device or session the database has already keeps
 * the rest of the database's row, and per-version counters take the larger of the two (a re-run
 * adds nothing). One statement per 1,000 rows.
 */
import { emptyDeviceState, ZERO_COUNTERS } from '../../ota/state.ts';
import { deviceColumns, toSession } from '../postgres/ota-state.ts';
import { alreadyThere, count, countRows, n, row, slices, type Importer } from './importer.ts';

export const otaStateImporter: Importer = {
  repository: 'otaState',
  kind: 'OTA state',
  present: async (sql) => (await countRows(sql, 'ota_devices')) + (await countRows(sql, 'ota_sessions')) + (await countRows(sql, 'ota_version_counters')),
  async copy({ source, target }) {
    const sql = target.sql;
    const devices = await source.otaState.devices();
    let devicesCopied = 0;
    for (const slice of slices(devices, 1000)) {
      const rows = await sql<{ inserted: boolean }[]>`
        INSERT INTO ota_devices AS d ${sql(slice.map((d) => row({ device_id: d.device_id, ...deviceColumns({ ...emptyDeviceState(d.device_id), ...d }) })))}
        ON CONFLICT (device_id) DO UPDATE SET
          reported_counter = GREATEST(d.reported_counter, EXCLUDED.reported_counter),
          completed_counter = GREATEST(d.completed_counter, EXCLUDED.completed_counter)
        RETURNING (xmax = 0) AS inserted`;
      devicesCopied += rows.filter((r) => r.inserted).length;
    }
    const sessions = await source.otaState.sessions();
    let sessionsCopied = 0;
    for (const slice of slices(sessions, 1000)) {
      sessionsCopied += (await sql`INSERT INTO ota_sessions ${sql(slice.map((s) => row(toSession(s))))} ON CONFLICT (device_id) DO NOTHING RETURNING 1`).length;
    }
    const versions = Object.entries(await source.otaState.versionCounters()).map(([version, c]) => ({ version, ...ZERO_COUNTERS, ...c }));
    if (versions.length > 0) {
      await sql`
        INSERT INTO ota_version_counters AS c ${sql(versions)}
        ON CONFLICT (version) DO UPDATE SET
          sessions_started = GREATEST(c.sessions_started, EXCLUDED.sessions_started),
          sessions_resumed = GREATEST(c.sessions_resumed, EXCLUDED.sessions_resumed),
          sessions_replaced = GREATEST(c.sessions_replaced, EXCLUDED.sessions_replaced),
          successes = GREATEST(c.successes, EXCLUDED.successes),
          failures = GREATEST(c.failures, EXCLUDED.failures),
          chunks_served = GREATEST(c.chunks_served, EXCLUDED.chunks_served),
          chunk_bytes = GREATEST(c.chunk_bytes, EXCLUDED.chunk_bytes),
          downloads = GREATEST(c.downloads, EXCLUDED.downloads),
          download_bytes = GREATEST(c.download_bytes, EXCLUDED.download_bytes)`;
    }
    const active = sessions.filter((s) => s.status === 'active').length;
    const text =
      `${count(devicesCopied, 'device')}${alreadyThere(devices.length - devicesCopied, 'already there (floors raised where lower)')}, ` +
      `${count(sessionsCopied, 'session')} (${n(active)} active)${alreadyThere(sessions.length - sessionsCopied)}, counters of ${count(versions.length, 'version')}`;
    return {
      counts: { devices: devicesCopied, devices_already_there: devices.length - devicesCopied, sessions: sessionsCopied, sessions_already_there: sessions.length - sessionsCopied, versions: versions.length },
      text,
    };
  },
};
