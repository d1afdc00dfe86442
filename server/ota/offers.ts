/**
 * What a device may have, as pure rules. Its offer set is
 *
 *   the versions of active or completed rollouts covering it  ∪  published general releases,
 *
 * each only if the image's current build is a published release (never a draft, never yanked)
 * and its security counter is not below the device's floor. /ota/check offers the highest
 * version of the set that is newer (SemVer) than the one the device runs — never a downgrade; a
 * rollback is a newer version built from the older sources (README: rollbacks). /ota/initiate,
 * /ota/manifest, /ota/hashes and device downloads serve only versions of the set (409
 * `not_assigned` otherwise), plus the download a device had already started when its rollout was
 * paused or cancelled. A new rollout never takes anything away: general releases stay offered to
 * everyone, whatever rollouts of other versions cover.
 */
import semver from 'semver';
import type { DeviceRecord } from '../store/types.ts';
import type { CatalogImage } from './catalog.ts';
import { releaseKey, type Release } from './releases.ts';
import { covers, offers, preferRollout, type Rollout } from './rollouts.ts';

/** Release records by version and build, for lookups on every device request. */
export class ReleaseIndex {
  private readonly byKey = new Map<string, Release>();

  constructor(readonly all: readonly Release[]) {
    for (const r of all) this.byKey.set(releaseKey(r.version, r.build), r);
  }

  /** The record of the build the store holds for this version (undefined: not recorded yet, a draft). */
  of(image: Pick<CatalogImage, 'version' | 'build'>): Release | undefined {
    return this.byKey.get(releaseKey(image.version, image.build));
  }

  /** Other builds of the version that were released (a re-packaged image replaced them). */
  replacedBuilds(image: Pick<CatalogImage, 'version' | 'build'>): Release[] {
    return this.all.filter((r) => r.version === image.version && r.build !== image.build && r.state !== 'draft');
  }
}

export interface OfferEntry {
  image: CatalogImage;
  /** The rollout assigning it (null: a general release). */
  rollout: Rollout | null;
}

/**
 * The device's offer set, by version. `floor` filters images below the device's counter floor
 * (pass 0 where the floor is checked elsewhere).
 */
export function offerSet(
  device: DeviceRecord,
  images: readonly CatalogImage[],
  releases: ReleaseIndex,
  rollouts: readonly Rollout[],
  floor: number,
): Map<string, OfferEntry> {
  const out = new Map<string, OfferEntry>();
  const byVersion = new Map(images.map((i) => [i.version, i]));
  const servable = (image: CatalogImage | undefined): image is CatalogImage =>
    image !== undefined && releases.of(image)?.state === 'published' && image.header.securityCounter >= floor;
  for (const r of rollouts) {
    const image = byVersion.get(r.version);
    if (!offers(r) || !servable(image) || !covers(r, device)) continue;
    const held = out.get(r.version);
    out.set(r.version, { image, rollout: held?.rollout ? preferRollout(held.rollout, r) : r });
  }
  for (const image of images) {
    if (out.has(image.version) || !servable(image) || !releases.of(image)?.general) continue;
    out.set(image.version, { image, rollout: null });
  }
  return out;
}

/** The highest version of the set (what /ota/check offers when it is newer than the running one). */
export function bestOffer(set: ReadonlyMap<string, OfferEntry>): OfferEntry | undefined {
  let best: OfferEntry | undefined;
  for (const e of set.values()) if (!best || semver.gt(e.image.version, best.image.version)) best = e;
  return best;
}
