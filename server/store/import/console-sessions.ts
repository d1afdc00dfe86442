/**
 * Operator-console sessions: the ones not yet expired, so an operator logged in to the console
 * stays logged in after the move (a session is bound to its admin token's hash, and the tokens
 * move too). Only hashes are stored, as on either store. Through the PostgreSQL session store's
 * own create; a session the database has already is left alone.
 */
import { alreadyThere, count, countRows, n, type Importer } from './importer.ts';

export const consoleSessionsImporter: Importer = {
  repository: 'consoleSessions',
  kind: 'console sessions',
  present: (sql) => countRows(sql, 'console_sessions'),
  async copy({ source, target, now }) {
    const all = source.consoleSessions.all();
    const live = all.filter((s) => s.expires_at > now);
    let copied = 0;
    for (const s of live) {
      if (await target.consoleSessions.get(s.id_hash)) continue;
      await target.consoleSessions.create(s);
      copied++;
    }
    const expired = all.length - live.length;
    return {
      counts: { copied, expired_left_out: expired, already_there: live.length - copied },
      text: `${count(copied, 'session')} copied${alreadyThere(live.length - copied)}${expired > 0 ? `, ${n(expired)} expired left out` : ''}`,
    };
  },
};
