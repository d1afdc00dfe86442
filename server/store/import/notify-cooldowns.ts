/**
 * Notification cooldowns: not copied. The embedded store keeps them in memory only (a restart of
 * an embedded gateway forgets them too), so the DATA_DIR holds none; after the move, the first
 * event of a device may notify at once instead of waiting out a cooldown that was running.
 */
import { countRows, type Importer } from './importer.ts';

export const notifyCooldownsImporter: Importer = {
  repository: 'notifyCooldowns',
  kind: 'notification cooldowns',
  present: (sql) => countRows(sql, 'notify_cooldowns'),
  copy: async () => ({
    counts: {},
    skipped: true,
    text: 'skipped: the embedded store keeps them in memory only, so the DATA_DIR has none (a device\'s next event may notify at once)',
  }),
};
