/**
 * Firmware images: each build in the embedded installation's FIRMWARE_DIR that checks out (its
 * manifest consistent, its hash table and size right) is put into the database through the
 * PostgreSQL image store's own `put`, streamed 64 KiB at a time with every chunk checked against
 * its signed hash — exactly as a replica imports its FIRMWARE_DIR — so every replica serves it with
 * the same ETag. Whether a build may reach devices is its release record's business (copied by the
 * releases importer): drafts come along as drafts, whatever key signed them; with KEYS_DIR's public
 * key the report names those whose signature it does not verify (they cannot be published). A
 * version the database holds the same build of is left alone; one it holds a newer build of is
 * not replaced.
 */
import { hostname } from 'node:os';
import { FirmwareCatalog } from '../../ota/catalog.ts';
import { verifyManifest } from '../../ota/verify.ts';
import { countRows, n, type Importer } from './importer.ts';

export const firmwareImporter: Importer = {
  repository: 'firmware',
  kind: 'firmware images',
  present: (sql) => countRows(sql, 'firmware_builds', sql`retired_at IS NULL`),
  async copy({ target, firmware }) {
    const { dir, verifyKeys } = firmware;
    const found = await FirmwareCatalog.read(dir);
    const unverified = verifyKeys ? found.listImages().filter((i) => !verifies(i.manifest, verifyKeys)).map((i) => i.version) : [];
    const outcomes = { stored: [] as string[], unchanged: [] as string[], older: [] as string[] };
    for (const image of found.listImages()) {
      const outcome = await target.firmware.put(image, dir.stream(image.ref, 0), `fleetgate db import of ${dir.dir} on ${hostname()}`);
      outcomes[outcome].push(image.version);
    }
    const problems = found.problems.map((p) => `${p.file}: ${p.reason}`);
    const text =
      `${n(outcomes.stored.length)} stored from ${dir.dir}${outcomes.stored.length > 0 ? ` (${outcomes.stored.join(', ')})` : ''}` +
      (outcomes.unchanged.length > 0 ? `, ${n(outcomes.unchanged.length)} already there` : '') +
      (outcomes.older.length > 0 ? `, ${outcomes.older.join(', ')} not stored (the database holds a newer build)` : '') +
      (problems.length > 0 ? `; skipped ${problems.join('; ')}` : '') +
      (unverified.length > 0 ? `; not signed with KEYS_DIR's key (drafts that cannot be published): ${unverified.join(', ')}` : '') +
      (verifyKeys ? '' : ' (no public key in KEYS_DIR: signatures are checked when a build is published)');
    return {
      counts: {
        stored: outcomes.stored.length,
        already_there: outcomes.unchanged.length,
        newer_build_kept: outcomes.older.length,
        skipped: problems.length,
        not_verified: unverified.length,
      },
      text,
    };
  },
};

function verifies(manifest: unknown, keys: Parameters<typeof verifyManifest>[1]): boolean {
  try {
    verifyManifest(manifest, keys);
    return true;
  } catch {
    return false;
  }
}
