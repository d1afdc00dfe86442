/**
 * Firmware releases, as pure rules (the repository is releases-repo.ts). A release is one build of
 * a version — keyed by version and build, the SHA-256 of the signed manifest header (catalog.ts),
 * so a re-packaged image of a published version is a new draft, never silently the published one.
 *
 *   draft ──publish──▶ published ──yank──▶ yanked
 *
 * A draft is stored and downloadable by admins, offered to no device. Publishing checks the build
 * (publish-check.ts) and the security-counter rule below; a published release is offered to
 * devices through rollouts, or to every device when it is `general`. Yanking withdraws it for good:
 * no new download starts and downloads under way are told 410 `yanked` at their next request. A
 * yanked release is never published again (package the fix as a new version).
 *
 * Images a store already held the first time releases ran became published general releases
 * (origin `legacy`), so running fleets kept being offered what they were offered before.
 */
import { ConflictError } from '../errors.ts';
import type { Actor } from '../audit/log.ts';

export type ReleaseState = 'draft' | 'published' | 'yanked';
/** How the build reached the gateway. */
export type ReleaseOrigin = 'legacy' | 'upload' | 'firmware_dir';

export interface Release {
  version: string;
  /** Hex SHA-256 of the signed manifest header. */
  build: string;
  state: ReleaseState;
  /** Offered to every device (not only through rollouts). */
  general: boolean;
  security_counter: number;
  origin: ReleaseOrigin;
  /** Epoch milliseconds and who, for each state reached. */
  created_at: number;
  created_by: Actor;
  published_at: number | null;
  published_by: Actor | null;
  yanked_at: number | null;
  yanked_by: Actor | null;
  yank_reason: string | null;
  updated_at: number;
}

/** What a release record starts as when its build is first seen. */
export function draftRelease(image: { version: string; build: string; security_counter: number }, origin: ReleaseOrigin, by: Actor, now: number): Release {
  return {
    version: image.version,
    build: image.build,
    state: 'draft',
    general: false,
    security_counter: image.security_counter,
    origin,
    created_at: now,
    created_by: by,
    published_at: null,
    published_by: null,
    yanked_at: null,
    yanked_by: null,
    yank_reason: null,
    updated_at: now,
  };
}

/** A build the store held before releases existed: published to every device, by the gateway itself. */
export function legacyRelease(image: { version: string; build: string; security_counter: number }, now: number): Release {
  return { ...draftRelease(image, 'legacy', 'system', now), state: 'published', general: true, published_at: now, published_by: 'system' };
}

export function releaseKey(version: string, build: string): string {
  return `${version}\u0000${build}`;
}

/** A transition's result: the record after it, and whether anything changed (no change, no audit record). */
export interface ReleaseChange {
  release: Release;
  changed: boolean;
}

/**
 * Publishing (its checks passed). Publishing a published release again changes nothing, unless
 * it now asks to become general. A yanked release stays yanked.
 */
export function publish(r: Release, by: Actor, now: number, opts: { general: boolean }): ReleaseChange {
  if (r.state === 'yanked') {
    throw new ConflictError(`firmware ${r.version} (build ${shortBuild(r.build)}) was yanked; package the fix as a new version`, 'release_yanked');
  }
  if (r.state === 'published') {
    if (!opts.general || r.general) return { release: r, changed: false };
    return { release: { ...r, general: true, updated_at: now }, changed: true };
  }
  return { release: { ...r, state: 'published', general: opts.general, published_at: now, published_by: by, updated_at: now }, changed: true };
}

export function yank(r: Release, by: Actor, now: number, reason: string | null): ReleaseChange {
  if (r.state === 'yanked') return { release: r, changed: false };
  if (r.state === 'draft') throw new ConflictError(`firmware ${r.version} (build ${shortBuild(r.build)}) is a draft: only a published release can be yanked`, 'not_published');
  return { release: { ...r, state: 'yanked', yanked_at: now, yanked_by: by, yank_reason: reason, updated_at: now }, changed: true };
}

/**
 * The security-counter rule at publish: a release whose counter is below that of any release
 * already published (or published, then yanked: devices may run it and have raised their floor)
 * needs `allowLower`. It is then still never offered to a device whose floor is above it (offers.ts).
 */
export function checkCounter(candidate: Release, all: readonly Release[], allowLower: boolean): void {
  if (allowLower) return;
  const higher = all
    .filter((r) => r.state !== 'draft' && r.security_counter > candidate.security_counter && !(r.version === candidate.version && r.build === candidate.build))
    .sort((a, b) => b.security_counter - a.security_counter)[0];
  if (higher) {
    throw new ConflictError(
      `firmware ${candidate.version} has security counter ${candidate.security_counter}, below ${higher.security_counter} of ${higher.state} release ${higher.version}; publish with allow_lower_counter (devices above it are still never offered it)`,
      'lower_security_counter',
      { security_counter: candidate.security_counter, higher_release: higher.version, higher_counter: higher.security_counter },
    );
  }
}

export function shortBuild(build: string): string {
  return build.slice(0, 12);
}
