/**
 * Devices: every record as the registry holds it (key mode and version, previous key and its
 * expiry, rotation, revocation and reinstatement times, psk_bound_at, tags), written through the
 * PostgreSQL registry's own bulk insert (one transaction per slice, a NOTIFY per id so running
 * replicas drop any cached "unknown"). A device the database has already keeps the database's
 * record.
 */
import { alreadyThere, countRows, n, slices, type Importer } from './importer.ts';

export const devicesImporter: Importer = {
  repository: 'devices',
  kind: 'devices',
  present: (sql) => countRows(sql, 'devices'),
  async copy({ source, target, fresh }) {
    let copied = 0;
    let kept = 0;
    for (const slice of slices(await source.devices.list(), 1000)) {
      const ids = slice.map((d) => d.device_id);
      const there = fresh
        ? new Set<string>()
        : new Set((await target.sql<{ device_id: string }[]>`SELECT device_id FROM devices WHERE device_id = ANY(${ids}::text[])`).map((r) => r.device_id));
      const missing = slice.filter((d) => !there.has(d.device_id));
      const raced = new Set(await target.devices.createMany(missing));
      // Registered meanwhile by a running gateway (createMany then wrote nothing): one at a time.
      if (raced.size > 0) for (const d of missing) if (!(await target.devices.create(d))) raced.add(d.device_id);
      const added = raced.size > 0 ? missing.length - raced.size : missing.length;
      copied += added;
      kept += slice.length - added;
    }
    return { counts: { copied, already_there: kept }, text: `${n(copied)} copied${alreadyThere(kept, "already there (the database's records kept)")}` };
  },
};
