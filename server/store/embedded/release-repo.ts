/**
 * The embedded ReleaseRepo: every release record in one lowdb document, DATA_DIR/ota-releases.json
 * (a few records per version: rewriting it whole on a change is cheap). A DATA_DIR without the
 * file has never met releases: `seedLegacy` records the images FIRMWARE_DIR holds then, once.
 */
import { join } from 'node:path';
import { releaseKey, type Release, type ReleaseChange } from '../../ota/releases.ts';
import type { ReleaseRepo } from '../../ota/releases-repo.ts';
import { JsonDocument } from './json-document.ts';

interface ReleaseDoc {
  /** Set once the images present when releases first ran were recorded. */
  seeded: boolean;
  releases: Release[];
}

export class LowdbReleaseRepo implements ReleaseRepo {
  private constructor(private readonly doc: JsonDocument<ReleaseDoc>) {}

  static async open(dataDir: string): Promise<LowdbReleaseRepo> {
    return new LowdbReleaseRepo(await JsonDocument.open<ReleaseDoc>(join(dataDir, 'ota-releases.json'), { seeded: false, releases: [] }));
  }

  async list(): Promise<Release[]> {
    return this.doc.data.releases;
  }

  /** Whether the images present when releases first ran were recorded (`fleetgate db import` carries it over). */
  get seeded(): boolean {
    return this.doc.data.seeded;
  }

  addDraft(draft: Release): Promise<{ release: Release; created: boolean }> {
    const existing = this.find(draft.version, draft.build);
    if (existing) return Promise.resolve({ release: existing, created: false });
    return this.doc.mutate((d) => {
      d.releases.push(draft);
      return { release: draft, created: true };
    });
  }

  seedLegacy(releases: readonly Release[]): Promise<Release[]> {
    if (this.doc.data.seeded) return Promise.resolve([]);
    return this.doc.mutate((d) => {
      d.seeded = true;
      const added = releases.filter((r) => !d.releases.some((x) => releaseKey(x.version, x.build) === releaseKey(r.version, r.build)));
      d.releases.push(...added);
      return added;
    });
  }

  async change(version: string, build: string, rule: (r: Release) => ReleaseChange): Promise<ReleaseChange | undefined> {
    const current = this.find(version, build);
    if (!current) return undefined;
    const out = rule(current); // throws before anything is written
    if (!out.changed) return out;
    return this.doc.mutate((d) => {
      d.releases[d.releases.indexOf(current)] = out.release;
      return out;
    });
  }

  private find(version: string, build: string): Release | undefined {
    return this.doc.data.releases.find((r) => r.version === version && r.build === build);
  }
}
