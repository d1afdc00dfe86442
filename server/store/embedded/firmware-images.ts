/**
 * The embedded firmware image store: FIRMWARE_DIR itself, in the packager's layout
 * (`firmware_<version>_manifest.json`, `_encrypted.bin`, format 2's `_hashes.bin`; manifest.ts
 * names them). `fleetgate firmware package` writes into it and the gateway picks new images up
 * without a restart: `changed()` compares the directory's mtime and each image file's name, size
 * and mtime with the last listing (a file rewritten in place — a copy completing — changes no
 * directory mtime; a few dozen stats a second cost little), and because two changes within one
 * mtime tick could hide the second (the packager renames the image, then the manifest), a listing
 * taken less than `settleMs` after the newest mtime it saw counts as provisional and is taken
 * again. `put`
 * writes like the packager: temp files renamed into place, image and hash table before the
 * manifest (the listing keys on manifests), so a reader never sees half an image.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { makeDir } from '../../make-dir.ts';
import { join } from 'node:path';
import { UnavailableError } from '../../errors.ts';
import type { CatalogImage, CatalogProblem } from '../../ota/catalog.ts';
import { ChunkCheck, IMAGE_BLOCK, putDecision, type FirmwareImageRepo, type ImageEntry, type PutOutcome } from '../../ota/image-store.ts';
import { hashesFileName, imageFileName, manifestFileName, manifestRoot, parseManifest } from '../../ota/manifest.ts';
import { commitStaged, discardStaged, stageFile, type StagedFile } from './atomic-file.ts';

const MANIFEST_NAME = /^firmware_(.+)_manifest\.json$/;
/** The files a listing reads (manifest.ts names them): what `changed()` watches. */
const IMAGE_FILE_NAME = /^firmware_.+_(manifest\.json|encrypted\.bin|hashes\.bin)$/;

/** What a listing depended on: the directory's and each image file's state, and the newest mtime among them. */
interface DirState {
  key: string;
  newest: number;
}

export class FirmwareDir implements FirmwareImageRepo {
  readonly kind = 'directory';
  /** The directory's state when it was last listed (undefined: never listed). */
  private listedState: DirState | undefined;
  private listedAt = 0;
  /** Puts one at a time: two builds of a version must not interleave their renames. */
  private putting: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly settleMs = 2000,
  ) {}

  get location(): string {
    return this.dir;
  }

  async changed(): Promise<boolean> {
    if (this.listedState === undefined) return true;
    // A newest mtime ahead of the clock (a skewed copy) is not "recent": its changes still show in the key.
    const sinceNewest = this.listedAt - this.listedState.newest;
    const provisional = sinceNewest >= 0 && sinceNewest < this.settleMs;
    return provisional || (await dirState(this.dir)).key !== this.listedState.key;
  }

  async list(): Promise<{ entries: ImageEntry[]; problems: CatalogProblem[] }> {
    // The state before the listing: a change during it makes the next check list again.
    const state = await dirState(this.dir);
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const entries: ImageEntry[] = [];
    const problems: CatalogProblem[] = [];
    for (const name of names.sort()) {
      const version = MANIFEST_NAME.exec(name)?.[1];
      if (version === undefined) continue;
      try {
        const imagePath = join(this.dir, imageFileName(version));
        const st = await stat(imagePath).catch(() => undefined);
        entries.push({
          ref: imagePath,
          name,
          version,
          manifestText: await readFile(join(this.dir, name), 'utf8'),
          size: st?.isFile() ? st.size : undefined,
          hashTable: await readFile(join(this.dir, hashesFileName(version))).catch(() => undefined),
        });
      } catch (err) {
        problems.push({ file: name, reason: (err as Error).message });
      }
    }
    this.listedState = state;
    this.listedAt = Date.now();
    return { entries, problems };
  }

  async read(ref: string, start: number, end: number): Promise<Buffer> {
    const handle = await open(ref, 'r');
    try {
      const buf = Buffer.alloc(end - start);
      const { bytesRead } = await handle.read(buf, 0, buf.length, start);
      if (bytesRead !== buf.length) throw new UnavailableError(`${ref} shrank while being read`);
      return buf;
    } finally {
      await handle.close();
    }
  }

  async *stream(ref: string, start: number, end?: number): AsyncIterable<Buffer> {
    // Destroyed (file closed) when the consumer stops early: the for-await loop's return does it.
    yield* createReadStream(ref, { start, ...(end === undefined ? {} : { end }), highWaterMark: IMAGE_BLOCK }) as AsyncIterable<Buffer>;
  }

  put(image: CatalogImage, bytes: AsyncIterable<Uint8Array>, _origin: string): Promise<PutOutcome> {
    const run = this.putting.then(() => this.putNow(image, bytes));
    this.putting = run.catch(() => undefined);
    return run;
  }

  private async putNow(image: CatalogImage, bytes: AsyncIterable<Uint8Array>): Promise<PutOutcome> {
    const decision = putDecision(await this.storedBuild(image.version), image);
    if (decision !== 'store') return decision;
    await makeDir(this.dir);
    const staged: StagedFile[] = [];
    try {
      const file = await stageFile(join(this.dir, imageFileName(image.version)), 0o644);
      staged.push(file);
      const check = new ChunkCheck(image);
      for await (const piece of bytes) {
        check.update(piece);
        // A bad chunk or too many bytes: stop reading now (an upload is refused before it ends).
        if (check.failed || check.overrun) break;
        for (let done = 0; done < piece.length; ) done += (await file.handle.write(piece, done, piece.length - done)).bytesWritten;
      }
      const bad = check.finish();
      if (bad) throw bad;
      if (image.pages) {
        const hashes = await stageFile(join(this.dir, hashesFileName(image.version)), 0o644);
        staged.push(hashes);
        await hashes.handle.writeFile(image.chunkHashes);
      }
      const manifest = await stageFile(join(this.dir, manifestFileName(image.version)), 0o644);
      staged.push(manifest);
      await manifest.handle.writeFile(JSON.stringify(image.manifest, null, 2) + '\n');
      await commitStaged(staged); // in order: the manifest last
      return 'stored';
    } catch (err) {
      await discardStaged(staged);
      throw err;
    }
  }

  /** Root and packaging time of the version's manifest in the directory, if it reads as one. */
  private async storedBuild(version: string): Promise<{ root: string; created_at: string } | undefined> {
    try {
      const manifest = parseManifest(JSON.parse(await readFile(join(this.dir, manifestFileName(version)), 'utf8')));
      return { root: manifestRoot(manifest), created_at: manifest.created_at };
    } catch {
      return undefined;
    }
  }
}

async function dirState(dir: string): Promise<DirState> {
  const ifPresent = (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  };
  const top = await stat(dir).catch(ifPresent);
  if (!top) return { key: 'missing', newest: -1 };
  const names = ((await readdir(dir).catch(ifPresent)) ?? []).filter((n) => IMAGE_FILE_NAME.test(n)).sort();
  const parts = [`${top.mtimeMs}`];
  let newest = top.mtimeMs;
  for (const name of names) {
    const st = await stat(join(dir, name)).catch(ifPresent); // removed meanwhile: the directory's mtime says so
    if (!st) continue;
    parts.push(`${name}:${st.size}:${st.mtimeMs}`);
    newest = Math.max(newest, st.mtimeMs);
  }
  return { key: parts.join('/'), newest };
}
