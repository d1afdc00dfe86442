/**
 * Admin tokens: name, role, the token's SHA-256 (the token itself was never stored), who created
 * it and when, and for a revoked one when and by whom — through the PostgreSQL token store's own
 * create and revoke, so a token keeps working (or stays revoked) after the move. A name the
 * database has already keeps the database's record.
 */
import { alreadyThere, countRows, n, type Importer } from './importer.ts';

export const tokensImporter: Importer = {
  repository: 'tokens',
  kind: 'admin tokens',
  present: (sql) => countRows(sql, 'admin_tokens'),
  async copy({ source, target }) {
    const all = await source.tokens.list();
    let copied = 0;
    let revoked = 0;
    for (const t of all) {
      const { revoked_at, revoked_by, ...live } = t;
      if (!(await target.tokens.create(live))) continue;
      copied++;
      if (revoked_at) {
        await target.tokens.revoke(t.name, Date.parse(revoked_at), revoked_by ?? 'unknown');
        revoked++;
      }
    }
    return { counts: { copied, revoked, already_there: all.length - copied }, text: `${n(copied)} copied (${n(revoked)} revoked)${alreadyThere(all.length - copied)}` };
  },
};
