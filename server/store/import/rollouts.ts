/**
 * Rollouts: every rollout with its target, steps and current step, status (and why paused or
 * finished), failure threshold, deadline, result counts and windows, notes and times, in creation
 * order, through the PostgreSQL rollout store's own create (which also tells running replicas to
 * reload their list), then each device's stage in it. A rollout id the database has already keeps
 * the database's row and stages.
 */
import { alreadyThere, countRows, n, slices, type Importer } from './importer.ts';

export const rolloutsImporter: Importer = {
  repository: 'rollouts',
  kind: 'rollouts',
  present: (sql) => countRows(sql, 'ota_rollouts'),
  async copy({ source, target }) {
    const all = await source.rollouts.list();
    let copied = 0;
    let stages = 0;
    for (const r of all) {
      if (await target.rollouts.get(r.id)) continue;
      await target.rollouts.create(r);
      copied++;
      for (const slice of slices(await source.rollouts.progress(r.id), 1000)) {
        await target.sql`INSERT INTO ota_rollout_devices ${target.sql(slice as never[])} ON CONFLICT (rollout_id, device_id) DO NOTHING`;
        stages += slice.length;
      }
    }
    const active = all.filter((r) => r.status === 'active').length;
    return {
      counts: { copied, active, device_stages: stages, already_there: all.length - copied },
      text: `${n(copied)} copied (${n(active)} active, ${n(stages)} device stages)${alreadyThere(all.length - copied)}`,
    };
  },
};
