/**
 * Command queues and their history: every command the DATA_DIR keeps, open and finished, with its
 * id, status, deliveries (attempts, first/last sent, the nonce of the poll that got it), result
 * and result nonce, so a poll or a result re-sent after the move is recognised as before. The
 * embedded creation order `seq` is kept (OVERRIDING SYSTEM VALUE on the identity column) and the
 * identity restarted above the highest one, so commands created after the move sort after every
 * imported one. A command id the database has already is kept. One statement per 1,000 commands.
 */
import type { CommandRecord } from '../../commands/types.ts';
import { alreadyThere, countRows, n, slices, type Importer } from './importer.ts';

const toRow = (c: CommandRecord) => ({
  ...c,
  parameters: JSON.stringify(c.parameters),
  result: c.result === null || c.result === undefined ? null : JSON.stringify(c.result),
});

export const commandsImporter: Importer = {
  repository: 'commands',
  kind: 'commands',
  present: (sql) => countRows(sql, 'commands'),
  async copy({ source, target }) {
    const all = source.commands.all();
    let copied = 0;
    for (const slice of slices(all, 1000)) {
      const rows = await target.sql`
        INSERT INTO commands (command_id, device_id, seq, command_type, parameters, status, created_at, created_by, expires_at,
                              attempts, first_sent_at, last_sent_at, sent_nonce, finished_at, status_reason, result, result_nonce)
        OVERRIDING SYSTEM VALUE
        SELECT v.command_id, v.device_id, v.seq, v.command_type, v.parameters::json, v.status, v.created_at, v.created_by, v.expires_at,
               v.attempts, v.first_sent_at, v.last_sent_at, v.sent_nonce, v.finished_at, v.status_reason, v.result::json, v.result_nonce
        FROM json_to_recordset(${JSON.stringify(slice.map(toRow))}::text::json) AS v(
          command_id text, device_id text, seq bigint, command_type text, parameters text, status text, created_at bigint, created_by text,
          expires_at bigint, attempts integer, first_sent_at bigint, last_sent_at bigint, sent_nonce bigint, finished_at bigint,
          status_reason text, result text, result_nonce bigint)
        ORDER BY v.seq
        ON CONFLICT (command_id) DO NOTHING
        RETURNING 1`;
      copied += rows.length;
    }
    // The next command created gets a seq above every stored one (imported or not).
    await target.sql`SELECT setval(pg_get_serial_sequence('commands', 'seq'), m) FROM (SELECT max(seq) AS m FROM commands) x WHERE m IS NOT NULL`;
    const open = all.filter((c) => c.status === 'pending' || c.status === 'sent').length;
    return {
      counts: { copied, open, already_there: all.length - copied },
      text: `${n(copied)} copied (${n(open)} open)${alreadyThere(all.length - copied)}`,
    };
  },
};
