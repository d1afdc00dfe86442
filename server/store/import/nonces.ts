/**
 * Nonce state: each device's last accepted nonce, the MAC of that message, when it was seen and the
 * reply stored for it — so after the move an exact retransmission is still a duplicate answered
 * with the stored reply, and every older nonce a replay. Never lowers a floor: a device the
 * database knows with a higher or equal nonce keeps the database's state (GREATEST, as
 * NonceLedger.raiseFloors); a lower one is replaced by the imported state whole. Written under
 * the devices' nonce locks taken in id order, as upload groups take them, one transaction per
 * slice of 1,000 devices.
 */
import { count, countRows, n, slices, type Importer } from './importer.ts';

export const noncesImporter: Importer = {
  repository: 'nonces',
  kind: 'nonces',
  present: (sql) => countRows(sql, 'device_nonces'),
  async copy({ source, target }) {
    const ids = [...(await source.nonces.all()).keys()].sort();
    let copied = 0;
    let raised = 0;
    let replies = 0;
    for (const slice of slices(ids, 1000)) {
      const states = slice.map((id) => source.nonces.state(id)!);
      replies += states.filter((s) => s.reply).length;
      const rows = await target.sql.begin(async (tx) => {
        await tx`SELECT fg_lock_device_nonce(d) FROM (SELECT d FROM unnest(${slice}::text[]) AS d ORDER BY d OFFSET 0) ordered`;
        return tx<{ inserted: boolean }[]>`
          INSERT INTO device_nonces AS n (device_id, nonce, mac, seen_at, reply)
          SELECT d, f, m, s, r::jsonb
          FROM unnest(${slice}::text[], ${states.map((s) => s.nonce)}::bigint[], ${states.map((s) => s.mac)}::text[],
                      ${states.map((s) => s.seen_at)}::bigint[], ${states.map((s) => (s.reply ? JSON.stringify(s.reply) : null))}::text[]) AS t(d, f, m, s, r)
          ON CONFLICT (device_id) DO UPDATE SET nonce = EXCLUDED.nonce, mac = EXCLUDED.mac, seen_at = EXCLUDED.seen_at, reply = EXCLUDED.reply
            WHERE n.nonce < EXCLUDED.nonce
          RETURNING (xmax = 0) AS inserted`;
      });
      copied += rows.filter((r) => r.inserted).length;
      raised += rows.filter((r) => !r.inserted).length;
    }
    const kept = ids.length - copied - raised;
    const text =
      `${count(ids.length, 'device')}' floors (${n(replies)} with a stored reply): ${n(copied)} copied` +
      (raised > 0 ? `, ${n(raised)} lower floors in the database raised` : '') +
      (kept > 0 ? `, ${n(kept)} kept (the database's floor was as high or higher)` : '');
    return { counts: { copied, raised, kept_higher: kept, with_reply: replies }, text };
  },
};
