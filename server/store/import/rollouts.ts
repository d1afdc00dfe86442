/**
 * Rollouts: every rollout with its target, percent, status (and why paused), failure threshold,
 * result counts and window, notes and times, in creation order, through the PostgreSQL rollout
 * store's own create (which also tells running replicas to reload their list). A rollout id the
 * database has already keeps the database's row.
 */
import { alreadyThere, countRows, n, type Importer } from './importer.ts';

export const rolloutsImporter: Importer = {
  repository: 'rollouts',
  kind: 'rollouts',
  present: (sql) => countRows(sql, 'ota_rollouts'),
  async copy({ source, target }) {
    const all = await source.rollouts.list();
    let copied = 0;
    for (const r of all) {
      if (await target.rollouts.get(r.id)) continue;
      await target.rollouts.create(r);
      copied++;
    }
    const active = all.filter((r) => r.status === 'active').length;
    return { counts: { copied, active, already_there: all.length - copied }, text: `${n(copied)} copied (${n(active)} active)${alreadyThere(all.length - copied)}` };
  },
};
