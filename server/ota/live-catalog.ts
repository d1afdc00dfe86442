/**
 * The firmware catalog as the running gateway sees it: a FirmwareCatalog that reloads itself when
 * FIRMWARE_DIR changes, so an image packaged with `fleetgate firmware package` is served without a
 * restart. Every OTA request calls `fresh()`, which stats the directory at most once per
 * `checkMs` (real time, not the injected clock: this is I/O throttling, not domain time) and
 * rescans when its mtime changed. The packager renames the image into place before the manifest,
 * and both renames change the directory's mtime; because two changes within one timestamp tick
 * could hide the second, a scan taken less than `settleMs` after the observed mtime is treated
 * as provisional and repeated on the next check. Concurrent callers share one scan.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from '../logger.ts';
import { FirmwareCatalog } from './catalog.ts';
import type { PublicKeys } from './keys.ts';

export interface LiveCatalogOptions {
  verifyKeys?: PublicKeys | undefined;
  /** Minimum interval between directory stats (default 1000 ms). */
  checkMs?: number;
  /** A scan this close to the directory's mtime is repeated on the next check (default 2000 ms). */
  settleMs?: number;
}

export class LiveCatalog {
  private catalog: FirmwareCatalog;
  /** mtime of the directory when the current catalog was scanned (-1: missing). */
  private scannedMtime: number;
  private scannedAt: number;
  private lastCheck = 0;
  private checking: Promise<FirmwareCatalog> | null = null;
  private readonly listeners: ((c: FirmwareCatalog) => void)[] = [];
  private readonly checkMs: number;
  private readonly settleMs: number;

  private constructor(
    readonly dir: string,
    private readonly opts: LiveCatalogOptions,
    private readonly logger: Logger,
    first: { catalog: FirmwareCatalog; mtime: number; at: number },
  ) {
    this.catalog = first.catalog;
    this.scannedMtime = first.mtime;
    this.scannedAt = first.at;
    this.checkMs = opts.checkMs ?? 1000;
    this.settleMs = opts.settleMs ?? 2000;
  }

  static async open(dir: string, logger: Logger, opts: LiveCatalogOptions = {}): Promise<LiveCatalog> {
    const first = await scan(dir, opts.verifyKeys);
    const live = new LiveCatalog(dir, opts, logger, first);
    live.report(first.catalog);
    return live;
  }

  /** The catalog as last scanned (no I/O). */
  get current(): FirmwareCatalog {
    return this.catalog;
  }

  /** Called with the new catalog after every rescan that changed something. */
  onReload(fn: (c: FirmwareCatalog) => void): void {
    this.listeners.push(fn);
  }

  /** The catalog, rescanned first if FIRMWARE_DIR changed (checked at most every checkMs). */
  async fresh(): Promise<FirmwareCatalog> {
    const now = performance.now();
    if (this.checking) return this.checking;
    if (now - this.lastCheck < this.checkMs) return this.catalog;
    this.lastCheck = now;
    this.checking = this.checkNow().finally(() => (this.checking = null));
    return this.checking;
  }

  /**
   * The catalog, rescanned at once if it lacks `version` (admin requests only: an image packaged a
   * moment ago must not wait out the throttle of `fresh()`; a device naming unknown versions must
   * not be able to make the gateway rescan).
   */
  async freshWith(version: string): Promise<FirmwareCatalog> {
    const catalog = await this.fresh();
    return catalog.getImage(version) ? catalog : this.reload();
  }

  /** Rescan unconditionally (tests, admin listing after packaging). */
  async reload(): Promise<FirmwareCatalog> {
    const next = await scan(this.dir, this.opts.verifyKeys);
    this.install(next);
    return this.catalog;
  }

  private async checkNow(): Promise<FirmwareCatalog> {
    try {
      const mtime = await dirMtime(this.dir);
      const provisional = this.scannedAt - this.scannedMtime < this.settleMs;
      if (mtime !== this.scannedMtime || provisional) return await this.reload();
    } catch (err) {
      // Keep serving the last good catalog; a broken directory is an operator problem to log.
      this.logger.error({ err, dir: this.dir }, 'firmware catalog rescan failed');
    }
    return this.catalog;
  }

  private install(next: { catalog: FirmwareCatalog; mtime: number; at: number }): void {
    const before = signature(this.catalog);
    this.catalog = next.catalog;
    this.scannedMtime = next.mtime;
    this.scannedAt = next.at;
    if (signature(next.catalog) !== before) {
      this.report(next.catalog);
      for (const fn of this.listeners) fn(next.catalog);
    }
  }

  private report(catalog: FirmwareCatalog): void {
    const versions = catalog.listImages().map((i) => i.version);
    this.logger.info({ dir: this.dir, versions }, 'firmware catalog loaded');
    for (const p of catalog.problems) this.logger.warn({ file: p.file, reason: p.reason }, 'firmware image skipped');
  }
}

async function dirMtime(dir: string): Promise<number> {
  try {
    return (await stat(dir)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
}

async function scan(dir: string, verifyKeys: PublicKeys | undefined) {
  // mtime before the scan: a change during the scan makes the next check rescan.
  const mtime = await dirMtime(dir);
  const catalog = await FirmwareCatalog.load(dir, verifyKeys ? { verifyKeys } : {});
  return { catalog, mtime, at: Date.now() };
}

/** What identifies a catalog's content: each version with its signed chunk root. */
function signature(c: FirmwareCatalog): string {
  return c
    .listImages()
    .map((i) => `${i.version}:${i.root}`)
    .concat(c.problems.map((p) => `!${p.file}`))
    .join(',');
}
