/**
 * Device events and their derivation state: every event in the DATA_DIR, a day at a time in the
 * order stored (event ids are deterministic, so an event stored twice — re-derived after a crash —
 * goes in once, and one the database has already is skipped), then each device's derivation state
 * (online/offline, transitions, boot id, offline since, returned at), so an offline device stays
 * offline after the move and its return is reported once. Offline devices are announced on
 * `fleetgate_events` as the repository does, for replicas already running on the database. A
 * device whose state the database has already keeps the database's.
 */
import { EVENTS_CHANNEL } from '../postgres/events.ts';
import { alreadyThere, count, countRows, every, n, slices, type Importer } from './importer.ts';

export const eventsImporter: Importer = {
  repository: 'events',
  kind: 'events',
  present: async (sql) => (await countRows(sql, 'device_events')) + (await countRows(sql, 'event_states')),
  async copy({ source, target, progress }) {
    let read = 0;
    let copied = 0;
    const report = every(2000, () => progress(`events: ${n(copied)} copied`));
    for await (const { rows } of source.events.days()) {
      for (const slice of slices(rows, 5000)) {
        const inserted = await target.sql`
          INSERT INTO device_events (event_id, device_id, type, at, details)
          SELECT e.event_id, e.device_id, e.type, e.at, e.details
          FROM json_to_recordset(${JSON.stringify(slice.map((e, i) => ({ ...e, i })))}::text::json)
            AS e(event_id text, device_id text, type text, at timestamptz, details json, i integer)
          ORDER BY e.i
          ON CONFLICT (event_id) DO NOTHING
          RETURNING 1`;
        read += slice.length;
        copied += inserted.length;
        report();
      }
    }
    const states = [...(await source.events.states())].map(([device_id, s]) => ({ device_id, ...s }));
    let statesCopied = 0;
    let offline = 0;
    for (const slice of slices(states, 5000)) {
      const rows = await target.sql.begin(async (tx) => {
        const inserted = await tx<{ device_id: string; status: string }[]>`
          INSERT INTO event_states (device_id, status, transitions, boot_id, offline_since, returned_at)
          SELECT s.device_id, s.status, s.transitions, s.boot_id, s.offline_since, s.returned_at
          FROM json_to_recordset(${JSON.stringify(slice)}::text::json)
            AS s(device_id text, status text, transitions integer, boot_id text, offline_since bigint, returned_at bigint)
          ON CONFLICT (device_id) DO NOTHING
          RETURNING device_id, status`;
        const down = inserted.filter((r) => r.status === 'offline').map((r) => `offline:${r.device_id}`);
        if (down.length > 0) await tx`SELECT pg_notify(${EVENTS_CHANNEL}, p) FROM unnest(${down}::text[]) AS p`;
        return inserted;
      });
      statesCopied += rows.length;
      offline += rows.filter((r) => r.status === 'offline').length;
    }
    const text =
      `${count(copied, 'event')}${alreadyThere(read - copied, 'repeated or already there')}; ` +
      `${count(statesCopied, 'device state')} (${n(offline)} offline)${alreadyThere(states.length - statesCopied)}`;
    return { counts: { events: copied, repeated_or_already_there: read - copied, states: statesCopied, offline, states_already_there: states.length - statesCopied }, text };
  },
};
