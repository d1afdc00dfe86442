/**
 * Where release records live (releases.ts), as an interface every store implements
 * (server/store/embedded/release-repo.ts, server/store/postgres/releases.ts). `list` runs on
 * every device OTA request (is this build published? yanked?), so stores answer it from memory;
 * the PostgreSQL one drops its copy on a notification from any replica, so a yank anywhere stops
 * downloads everywhere within milliseconds.
 */
import type { Release, ReleaseChange } from './releases.ts';

export interface ReleaseRepo {
  /** Every record, every state, in creation order. */
  list(): Promise<Release[]>;
  /**
   * Records a draft for a build that has no record yet; an existing record is left as it is.
   * `created` says which happened (only the creator audits it, whichever replica).
   */
  addDraft(draft: Release): Promise<{ release: Release; created: boolean }>;
  /**
   * The first time a store meets releases: records these (the builds it already held) and marks
   * the store as seeded. Afterwards it records nothing and resolves []. Atomic across replicas.
   */
  seedLegacy(releases: readonly Release[]): Promise<Release[]>;
  /**
   * Applies a transition of releases.ts under the record's lock (resolves undefined for an
   * unknown build; the rule's ConflictError propagates and nothing is written).
   */
  change(version: string, build: string, rule: (r: Release) => ReleaseChange): Promise<ReleaseChange | undefined>;
}
