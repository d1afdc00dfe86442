/**
 * Shared-MAC bindings: which legacy shared-key device first used each raw fleet-key MAC, for the
 * bindings still inside SHARED_PSK_MAC_WINDOW_SECONDS (older ones have expired on either store).
 * A fingerprint the database has bound already keeps its owner: the first binding wins, as live.
 */
import { alreadyThere, countRows, n, slices, type Importer } from './importer.ts';

export const sharedMacsImporter: Importer = {
  repository: 'sharedMacs',
  kind: 'shared-MAC bindings',
  present: (sql) => countRows(sql, 'shared_macs'),
  async copy({ source, target, now }) {
    const all = source.sharedMacs.bindings(now);
    let copied = 0;
    for (const slice of slices(all, 5000)) {
      const rows = await target.sql`
        INSERT INTO shared_macs (fingerprint, device_id, bound_at)
        SELECT * FROM unnest(${slice.map((b) => b.fingerprint)}::text[], ${slice.map((b) => b.deviceId)}::text[], ${slice.map((b) => b.boundAt)}::bigint[])
        ON CONFLICT (fingerprint) DO NOTHING
        RETURNING 1`;
      copied += rows.length;
    }
    return { counts: { copied, already_there: all.length - copied }, text: `${n(copied)} copied${alreadyThere(all.length - copied)}` };
  },
};
