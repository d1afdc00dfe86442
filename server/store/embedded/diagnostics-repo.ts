/**
 * The embedded DiagnosticsRepo: append-only JSONL per device per UTC day
 * (`DATA_DIR/diagnostics/<device>/<YYYY-MM-DD>.jsonl`), day files past DIAGNOSTICS_RETENTION_DAYS
 * deleted at start and hourly. Summaries (entry counts, each device's latest report and applied
 * config version) come from a small index kept in memory and saved every few seconds
 * (`diagnostics-index.json`), so they never scan the data. The index records each day file's size:
 * at start any file whose size differs (written after the last save, e.g. before a SIGKILL) is
 * recounted, which makes the index exact again without reading files that did not change.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DAY_MS, dayFile, dayOf, listDays, pruneDays, readDay, readDays, readRange } from './day-files.ts';
import type { AppendWriter } from './append-writer.ts';
import { getOwn, setOwn } from '../../control-plane/own.ts';
import { JsonDocument } from './json-document.ts';
import { PeriodicSave } from './periodic-save.ts';
import type { Applied, DiagnosticsOverview, DiagnosticsRepo } from '../../diagnostics/repo.ts';
import type { DiagnosticsRecord } from '../../diagnostics/schema.ts';

interface DayStat {
  count: number;
  bytes: number;
}

interface DeviceIndex {
  days: Record<string, DayStat>;
  latest: DiagnosticsRecord | null;
  /** Last reported config_version and when (epoch ms). */
  applied: { version: number; at: number } | null;
}

interface IndexDoc {
  devices: Record<string, DeviceIndex>;
}

export class FileDiagnosticsRepo implements DiagnosticsRepo {
  readonly root: string;
  /** The index is derived from the day files (reconciled at start), so it is saved periodically. */
  private readonly saver: PeriodicSave<IndexDoc>;

  private constructor(
    private readonly doc: JsonDocument<IndexDoc>,
    dataDir: string,
    private readonly writer: AppendWriter,
    private readonly retentionDays: number,
    flushMs: number,
  ) {
    this.root = join(dataDir, 'diagnostics');
    this.saver = new PeriodicSave(doc, flushMs);
  }

  static async open(dataDir: string, writer: AppendWriter, retentionDays: number, now: number, flushMs = 5000): Promise<FileDiagnosticsRepo> {
    const doc = await JsonDocument.open<IndexDoc>(join(dataDir, 'diagnostics-index.json'), { devices: {} });
    const store = new FileDiagnosticsRepo(doc, dataDir, writer, retentionDays, flushMs);
    await store.prune(now);
    await store.reconcile();
    return store;
  }

  private deviceDirs(): Promise<string[]> {
    return readdir(this.root).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
  }

  /** Brings the index in line with the files on disk (see the module comment). */
  private async reconcile(): Promise<void> {
    const index = this.doc.data.devices;
    const onDisk = new Set(await this.deviceDirs());
    for (const id of Object.keys(index)) if (!onDisk.has(id)) delete index[id];
    for (const id of onDisk) {
      const dir = join(this.root, id);
      const days = await listDays(dir);
      const entry: DeviceIndex = getOwn(index, id) ?? { days: {}, latest: null, applied: null };
      const kept: Record<string, DayStat> = {};
      let newestChanged = false;
      for (const day of days) {
        const size = (await stat(dayFile(dir, day))).size;
        const known = entry.days[day];
        if (known && known.bytes === size) {
          kept[day] = known;
          continue;
        }
        const rows = await readDay<DiagnosticsRecord>(dir, day);
        kept[day] = { count: rows.length, bytes: size };
        if (day === days[days.length - 1]) newestChanged = true;
      }
      entry.days = kept;
      if (days.length === 0) {
        delete index[id];
        continue;
      }
      if (newestChanged || !entry.latest) {
        const rows = await readDay<DiagnosticsRecord>(dir, days[days.length - 1]!);
        entry.latest = rows[rows.length - 1] ?? entry.latest;
        for (let i = rows.length - 1; i >= 0; i--) {
          const v = rows[i]!.config_version;
          if (v !== undefined) {
            entry.applied = { version: v, at: Date.parse(rows[i]!.at) };
            break;
          }
        }
      }
      setOwn(index, id, entry);
    }
    this.saver.markDirty();
    await this.flush();
  }

  async append(deviceId: string, record: DiagnosticsRecord): Promise<void> {
    const line = JSON.stringify(record) + '\n';
    const day = dayOf(Date.parse(record.at));
    await this.writer.append(dayFile(join(this.root, deviceId), day), line);
    const devices = this.doc.data.devices;
    const entry = getOwn(devices, deviceId) ?? setOwn(devices, deviceId, { days: {}, latest: null, applied: null });
    const stat = (entry.days[day] ??= { count: 0, bytes: 0 });
    stat.count++;
    stat.bytes += Buffer.byteLength(line);
    if (!entry.latest || entry.latest.at <= record.at) entry.latest = record;
    if (record.config_version !== undefined) entry.applied = { version: record.config_version, at: Date.parse(record.at) };
    this.saver.markDirty();
  }

  async latest(deviceId: string): Promise<DiagnosticsRecord | undefined> {
    return getOwn(this.doc.data.devices, deviceId)?.latest ?? undefined;
  }

  async applied(deviceId: string): Promise<Applied | undefined> {
    return getOwn(this.doc.data.devices, deviceId)?.applied ?? undefined;
  }

  async appliedAll(): Promise<ReadonlyMap<string, Applied>> {
    const out = new Map<string, Applied>();
    for (const [id, e] of Object.entries(this.doc.data.devices)) if (e.applied) out.set(id, e.applied);
    return out;
  }

  async overview(): Promise<DiagnosticsOverview[]> {
    return Object.entries(this.doc.data.devices)
      .map(([device_id, e]) => ({ device_id, entries: Object.values(e.days).reduce((n, d) => n + d.count, 0), latest: e.latest }))
      .sort((a, b) => a.device_id.localeCompare(b.device_id));
  }

  async recent(deviceId: string, limit: number): Promise<DiagnosticsRecord[]> {
    const seen = new Set<number>();
    return readRange<DiagnosticsRecord>(join(this.root, deviceId), {
      limit,
      order: 'desc',
      timeOf: (r) => Date.parse(r.at),
      accept: (r) => {
        if (seen.has(r.nonce)) return false;
        seen.add(r.nonce);
        return true;
      },
    });
  }

  async prune(now: number): Promise<number> {
    const cutoff = now - this.retentionDays * DAY_MS;
    const cutoffDay = dayOf(cutoff);
    let removed = 0;
    for (const id of await this.deviceDirs()) {
      removed += await pruneDays(join(this.root, id), cutoff, this.writer);
      const entry = getOwn(this.doc.data.devices, id);
      if (!entry) continue;
      for (const day of Object.keys(entry.days)) if (day < cutoffDay) delete entry.days[day];
      if (Object.keys(entry.days).length === 0) delete this.doc.data.devices[id];
      this.saver.markDirty();
    }
    return removed;
  }

  /** Devices with reports on disk, by id (db import walks them). */
  async reportingDevices(): Promise<string[]> {
    return (await this.deviceDirs()).sort();
  }

  /** A device's reports, a day at a time, oldest first, in the order stored (db import reads them). */
  reportDays(deviceId: string): AsyncIterable<{ day: string; rows: DiagnosticsRecord[] }> {
    return readDays<DiagnosticsRecord>(join(this.root, deviceId));
  }

  flush(): Promise<void> {
    return this.saver.flush();
  }

  close(): Promise<void> {
    return this.saver.close();
  }
}
