/**
 * The firmware catalog as the running gateway sees it: a FirmwareCatalog over the store's images
 * (image-store.ts) that reloads itself when the store changes, so an image packaged with
 * `fleetgate firmware package` is served without a restart. Every OTA request calls `fresh()`,
 * which asks the store at most once per `checkMs` (real time, not the injected clock: this is I/O
 * throttling, not domain time) whether anything changed — FIRMWARE_DIR's mtime and each image
 * file's name, size and mtime for the embedded store (a copy completing a file in place changes no
 * directory mtime), a notification from another replica for PostgreSQL — and reloads if so.
 * Concurrent callers share one check.
 *
 * With a shared store (PostgreSQL), this gateway's FIRMWARE_DIR is an inbox: at start and whenever
 * the directory or one of its image files changes (the same check), each image in it that checks
 * out and that the store does not hold is put into the store (bytes checked against the chunk
 * hashes on the way, 64 KiB at a time), and every
 * replica serves it from there. A file the store holds a newer build of, or whose bytes do not
 * match its manifest, stays out and is listed among the problems. The inbox is checked every
 * `checkMs` even when no request arrives (a load balancer may send this replica nothing), until
 * `close()`. Removing a file from one replica's directory does not remove the image from the fleet.
 */
import { hostname } from 'node:os';
import type { Logger } from '../logger.ts';
import { FirmwareDir } from '../store/embedded/firmware-images.ts';
import { FirmwareCatalog, type CatalogProblem } from './catalog.ts';
import { isFirmwareCheckError } from './checks.ts';
import type { FirmwareImageRepo } from './image-store.ts';
import type { PublicKeys } from './keys.ts';

export interface LiveCatalogOptions {
  verifyKeys?: PublicKeys | undefined;
  /** Minimum interval between checks of the store (default 1000 ms). */
  checkMs?: number;
  /** With a shared store: the directory whose images are put into it (this gateway's FIRMWARE_DIR). */
  inbox?: FirmwareDir | undefined;
}

export class LiveCatalog {
  private catalog!: FirmwareCatalog; // set by open() before anyone sees it
  private lastCheck = 0;
  private checking: Promise<FirmwareCatalog> | null = null;
  private readonly listeners: ((c: FirmwareCatalog) => void)[] = [];
  private readonly checkMs: number;
  /** Inbox builds already handled (version → root, and why it stayed out if it did): not put again. */
  private readonly handled = new Map<string, { root: string; problem?: CatalogProblem }>();
  private inboxProblems: CatalogProblem[] = [];
  /** An inbox image could not be put for a reason that may pass (the database was down): try again. */
  private inboxRetry = false;
  private watcher: NodeJS.Timeout | undefined;

  private constructor(
    readonly store: FirmwareImageRepo,
    private readonly opts: LiveCatalogOptions,
    private readonly logger: Logger,
  ) {
    this.checkMs = opts.checkMs ?? 1000;
  }

  static async open(store: FirmwareImageRepo, logger: Logger, opts: LiveCatalogOptions = {}): Promise<LiveCatalog> {
    const live = new LiveCatalog(store, opts, logger);
    await live.importInbox();
    live.catalog = await live.read();
    live.report(live.catalog);
    if (opts.inbox) {
      live.watcher = setInterval(() => void live.fresh(), live.checkMs);
      live.watcher.unref();
    }
    return live;
  }

  /** Stops watching the inbox. */
  close(): void {
    clearInterval(this.watcher);
  }

  /** The catalog as last loaded (no I/O). */
  get current(): FirmwareCatalog {
    return this.catalog;
  }

  /** Where the images are read from (a directory, or the database), for listings. */
  get location(): string {
    return this.store.location;
  }

  /** Called with the new catalog after every reload that changed something. */
  onReload(fn: (c: FirmwareCatalog) => void): void {
    this.listeners.push(fn);
  }

  /** The catalog, reloaded first if the store (or the inbox) changed (checked at most every checkMs). */
  async fresh(): Promise<FirmwareCatalog> {
    const now = performance.now();
    if (this.checking) return this.checking;
    if (now - this.lastCheck < this.checkMs) return this.catalog;
    this.lastCheck = now;
    this.checking = this.checkNow().finally(() => (this.checking = null));
    return this.checking;
  }

  /**
   * The catalog, reloaded at once if it lacks `version` (admin requests only: an image packaged a
   * moment ago must not wait out the throttle of `fresh()`; a device naming unknown versions must
   * not be able to make the gateway reload).
   */
  async freshWith(version: string): Promise<FirmwareCatalog> {
    const catalog = await this.fresh();
    return catalog.getImage(version) ? catalog : this.reload();
  }

  /** Reload unconditionally (tests, admin listing after packaging). */
  async reload(): Promise<FirmwareCatalog> {
    await this.importInbox();
    this.install(await this.read());
    return this.catalog;
  }

  private async checkNow(): Promise<FirmwareCatalog> {
    try {
      const inboxChanged = this.opts.inbox ? this.inboxRetry || (await this.opts.inbox.changed()) : false;
      if (inboxChanged || (await this.store.changed())) return await this.reload();
    } catch (err) {
      // Keep serving the last good catalog; a broken directory or database is an operator problem to log.
      this.logger.error({ err, store: this.store.location }, 'firmware catalog reload failed');
    }
    return this.catalog;
  }

  private read(): Promise<FirmwareCatalog> {
    return FirmwareCatalog.read(this.store, this.opts.verifyKeys ? { verifyKeys: this.opts.verifyKeys } : {}, this.inboxProblems);
  }

  /** Puts the inbox's new images into the store (one at a time; each all or nothing). */
  private async importInbox(): Promise<void> {
    const inbox = this.opts.inbox;
    if (!inbox) return;
    const found = await FirmwareCatalog.read(inbox, this.opts.verifyKeys ? { verifyKeys: this.opts.verifyKeys } : {});
    const problems = [...found.problems];
    this.inboxRetry = false;
    for (const image of found.listImages()) {
      let done = this.handled.get(image.version);
      if (done?.root !== image.root) {
        done = { root: image.root };
        try {
          const outcome = await this.store.put(image, inbox.stream(image.ref, 0), `FIRMWARE_DIR ${inbox.dir} on ${hostname()}`);
          if (outcome === 'older') done.problem = { file: image.version, reason: `the store holds a newer build of ${image.version}; this file is not served` };
          else if (outcome === 'stored') this.logger.info({ version: image.version, store: this.store.location }, 'firmware image stored for every replica');
        } catch (err) {
          done.problem = { file: image.version, reason: `not stored: ${(err as Error).message}` };
          // Bytes that do not match the manifest stay out until the file changes; anything else is retried.
          if (!isFirmwareCheckError(err)) {
            problems.push(done.problem);
            this.inboxRetry = true;
            this.logger.error({ err, version: image.version }, 'firmware image could not be stored; retrying');
            continue;
          }
        }
        this.handled.set(image.version, done);
      }
      if (done.problem) problems.push(done.problem);
    }
    this.inboxProblems = problems.map((p) => ({ file: `${inbox.dir}: ${p.file}`, reason: p.reason }));
  }

  private install(next: FirmwareCatalog): void {
    const before = signature(this.catalog);
    this.catalog = next;
    if (signature(next) !== before) {
      this.report(next);
      for (const fn of this.listeners) fn(next);
    }
  }

  private report(catalog: FirmwareCatalog): void {
    const versions = catalog.listImages().map((i) => i.version);
    this.logger.info({ store: catalog.location, versions }, 'firmware catalog loaded');
    for (const p of catalog.problems) this.logger.warn({ file: p.file, reason: p.reason }, 'firmware image skipped');
  }
}

/** What identifies a catalog's content: each version with its signed chunk root. */
function signature(c: FirmwareCatalog): string {
  return c
    .listImages()
    .map((i) => `${i.version}:${i.root}`)
    .concat(c.problems.map((p) => `!${p.file}`))
    .join(',');
}
