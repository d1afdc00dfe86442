/**
 * Release records: every build's state (draft, published, yanked), whether it is offered to every
 * device, its counter, origin, and who recorded, published and yanked it when — in creation order,
 * so the database lists them as the DATA_DIR did — and whether the images present when releases
 * first ran were recorded already (then a replica on the database records nothing again; an
 * installation that predates releases is recorded by the first replica to start, as an upgrade).
 * A record the database has already (same version and build) keeps the database's state.
 * Running replicas are told (NOTIFY), so they drop their cached lists.
 */
import { RELEASES_CHANNEL } from '../postgres/releases.ts';
import { alreadyThere, countRows, n, slices, type Importer } from './importer.ts';

export const releasesImporter: Importer = {
  repository: 'releases',
  kind: 'firmware releases',
  present: (sql) => countRows(sql, 'ota_releases'),
  async copy({ source, target }) {
    const all = await source.releases.list();
    let copied = 0;
    for (const slice of slices(all, 500)) {
      const rows = await target.sql`INSERT INTO ota_releases ${target.sql(slice as never[])} ON CONFLICT (version, build) DO NOTHING RETURNING version`;
      copied += rows.length;
    }
    const seeded = source.releases.seeded;
    if (seeded) await target.sql`INSERT INTO ota_release_seed DEFAULT VALUES ON CONFLICT DO NOTHING`;
    await target.sql`SELECT pg_notify(${RELEASES_CHANNEL}, 'import')`;
    const published = all.filter((r) => r.state === 'published').length;
    return {
      counts: { copied, published, already_there: all.length - copied, seeded: seeded ? 1 : 0 },
      text: `${n(copied)} copied (${n(published)} published)${alreadyThere(all.length - copied)}${seeded ? '' : '; the first replica records the images present as published releases'}`,
    };
  },
};
