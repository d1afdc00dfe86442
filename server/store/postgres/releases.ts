/**
 * Release records on PostgreSQL (`ota_releases`, 0007_releases.sql). Every transition reads the
 * record under its row lock, applies the pure rule of server/ota/releases.ts and writes it back in
 * one transaction that NOTIFYs `fleetgate_releases`; each replica keeps the list in memory
 * (ListenedCache) and drops it on that notification, so a yank made on one replica refuses the
 * next chunk on every replica. Seeding happens once per database: the transaction that inserts
 * the `ota_release_seed` row records the legacy builds; a replica starting at the same time
 * waits on that row and finds it there.
 */
import type { ReleaseRepo } from '../../ota/releases-repo.ts';
import type { Release, ReleaseChange } from '../../ota/releases.ts';
import type { Sql, Tx } from './connect.ts';
import { ListenedCache } from './listened-cache.ts';
import type { NotificationWatch } from './notification-watch.ts';

export const RELEASES_CHANNEL = 'fleetgate_releases';

/**
 * Records a draft in `tx` unless that build has a record already, and tells the other replicas;
 * whether this call created it. For addDraft, and for a firmware upload, which commits the draft
 * with the build itself (firmware-images.ts).
 */
export async function insertDraft(tx: Tx, draft: Release): Promise<boolean> {
  const rows = await tx`INSERT INTO ota_releases ${tx(draft as never)} ON CONFLICT (version, build) DO NOTHING RETURNING version`;
  if (rows.length > 0) await tx`SELECT pg_notify(${RELEASES_CHANNEL}, ${draft.version})`;
  return rows.length > 0;
}

/** A row is a release column for column (bigint times read as numbers), plus `seq`: creation order. */
type Row = Release & { seq?: number };
const toRelease = ({ seq: _seq, ...r }: Row): Release => r;

export class PgReleaseRepo implements ReleaseRepo {
  private readonly cache: ListenedCache<Release[]>;

  constructor(
    private readonly sql: Sql,
    watch: NotificationWatch,
  ) {
    this.cache = new ListenedCache(sql, RELEASES_CHANNEL, watch.channel(), async () => (await sql<Row[]>`SELECT * FROM ota_releases ORDER BY seq`).map(toRelease));
  }

  listen(): Promise<void> {
    return this.cache.listen();
  }

  close(): Promise<void> {
    return this.cache.close();
  }

  list(): Promise<Release[]> {
    return this.cache.get();
  }

  async addDraft(draft: Release): Promise<{ release: Release; created: boolean }> {
    const created = await this.sql.begin((tx) => insertDraft(tx, draft));
    // Dropped either way: when another replica recorded the build first, this replica's cached list
    // may predate it (its notification still on the way), and the caller is about to look it up.
    this.cache.drop();
    if (created) return { release: draft, created };
    const [row] = await this.sql<Row[]>`SELECT * FROM ota_releases WHERE version = ${draft.version} AND build = ${draft.build}`;
    return { release: toRelease(row!), created };
  }

  async seedLegacy(releases: readonly Release[]): Promise<Release[]> {
    const added = await this.sql.begin(async (tx) => {
      const first = await tx`INSERT INTO ota_release_seed DEFAULT VALUES ON CONFLICT DO NOTHING RETURNING seeded_at`;
      if (first.length === 0 || releases.length === 0) return [];
      const rows = await tx<Row[]>`INSERT INTO ota_releases ${tx(releases as never[])} ON CONFLICT (version, build) DO NOTHING RETURNING *`;
      await tx`SELECT pg_notify(${RELEASES_CHANNEL}, 'seeded')`;
      return rows.map(toRelease);
    });
    this.cache.drop();
    return added;
  }

  async change(version: string, build: string, rule: (r: Release) => ReleaseChange): Promise<ReleaseChange | undefined> {
    const out = await this.sql.begin(async (tx) => {
      const [row] = await tx<Row[]>`SELECT * FROM ota_releases WHERE version = ${version} AND build = ${build} FOR UPDATE`;
      if (!row) return undefined;
      const next = rule(toRelease(row));
      if (!next.changed) return next;
      const { version: _v, build: _b, ...columns } = next.release;
      await tx`UPDATE ota_releases SET ${tx(columns as never)} WHERE version = ${version} AND build = ${build}`;
      await tx`SELECT pg_notify(${RELEASES_CHANNEL}, ${version})`;
      return next;
    });
    if (out?.changed) this.cache.drop();
    return out;
  }
}
