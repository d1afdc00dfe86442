/**
 * Embedded SharedMacRegistry (see types.ts): which shared device first used each raw fleet-key
 * MAC, for `windowMs`. In memory as an insertion-ordered map (old entries at the front, so expiry
 * walks only what expired), persisted as an append-only journal `shared-macs.jsonl` of
 * `{"f","d","t"}` lines, group-committed by the store's AppendWriter before the message is acted
 * on, and rewritten without expired lines when they outnumber the live ones. Only traffic signed
 * with the raw fleet key pays for this; its memory is ~100 bytes per such message in the window.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonLines, type AppendWriter } from './append-writer.ts';
import { writeFileAtomic } from './atomic-file.ts';
import type { SharedMacRegistry } from '../types.ts';

interface Line {
  f: string;
  d: string;
  t: number;
}

export class FileSharedMacRegistry implements SharedMacRegistry {
  private readonly owners = new Map<string, { d: string; t: number }>();
  private journalLines = 0;
  private inflight = 0;
  private compacting: Promise<void> | null = null;

  private constructor(
    private readonly path: string,
    private readonly writer: AppendWriter,
    private readonly windowMs: number,
  ) {}

  static async open(dataDir: string, writer: AppendWriter, windowMs: number, now: number): Promise<FileSharedMacRegistry> {
    const registry = new FileSharedMacRegistry(join(dataDir, 'shared-macs.jsonl'), writer, windowMs);
    let text = '';
    try {
      text = await readFile(registry.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of parseJsonLines<Line>(text)) {
      registry.journalLines++;
      if (now - line.t < windowMs && !registry.owners.has(line.f)) registry.owners.set(line.f, { d: line.d, t: line.t });
    }
    return registry;
  }

  async bind(fingerprint: string, deviceId: string, now: number): Promise<string> {
    this.expire(now);
    const owner = this.owners.get(fingerprint);
    if (owner) return owner.d;
    this.owners.set(fingerprint, { d: deviceId, t: now });
    while (this.compacting) await this.compacting;
    this.inflight++;
    try {
      await this.writer.append(this.path, JSON.stringify({ f: fingerprint, d: deviceId, t: now } satisfies Line) + '\n');
    } catch (err) {
      if (this.owners.get(fingerprint)?.d === deviceId) this.owners.delete(fingerprint);
      throw err;
    } finally {
      this.inflight--;
    }
    if (++this.journalLines > 2 * this.owners.size + 10_000 && !this.compacting) {
      this.compacting = this.compact().finally(() => (this.compacting = null));
    }
    return deviceId;
  }

  /** The bindings still inside the window at `now`, oldest first (db import copies them). */
  bindings(now: number): { fingerprint: string; deviceId: string; boundAt: number }[] {
    this.expire(now);
    return [...this.owners].map(([fingerprint, o]) => ({ fingerprint, deviceId: o.d, boundAt: o.t }));
  }

  get size(): number {
    return this.owners.size;
  }

  private expire(now: number): void {
    for (const [f, o] of this.owners) {
      if (now - o.t < this.windowMs) break;
      this.owners.delete(f);
    }
  }

  /** Rewrites the journal with only the live entries; appends wait, those in flight land first. */
  private async compact(): Promise<void> {
    while (this.inflight > 0) await new Promise((r) => setTimeout(r, 1));
    const text = [...this.owners].map(([f, o]) => JSON.stringify({ f, d: o.d, t: o.t } satisfies Line) + '\n').join('');
    await this.writer.forget(this.path);
    await writeFileAtomic(this.path, text, 0o600);
    this.journalLines = this.owners.size;
  }
}
