/**
 * Time series on disk: one append-only JSONL file per device per UTC day
 * (`DATA_DIR/telemetry/<device>/<YYYY-MM-DD>.jsonl`), one line per sample. Appends are
 * group-committed; queries read only the day files that overlap the requested window.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendWriter, parseJsonLines } from './append-writer.ts';
import type { TelemetryLog, TelemetryQuery, TelemetrySample } from './types.ts';

const DAY_MS = 86_400_000;

function dayKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class JsonlTelemetryLog implements TelemetryLog {
  private readonly root: string;

  constructor(
    dataDir: string,
    private readonly writer: AppendWriter,
  ) {
    this.root = join(dataDir, 'telemetry');
  }

  async append(deviceId: string, samples: TelemetrySample[]): Promise<void> {
    const byDay = new Map<string, string[]>();
    let lastMs = NaN;
    let key = '';
    for (const s of samples) {
      // A batch shares one receive time: format the day once, not per sample.
      if (s.received_at !== lastMs) {
        lastMs = s.received_at;
        key = dayKey(lastMs);
      }
      let lines = byDay.get(key);
      if (!lines) byDay.set(key, (lines = []));
      lines.push(JSON.stringify(s));
    }
    await Promise.all(
      [...byDay].map(([day, lines]) => this.writer.append(join(this.root, deviceId, `${day}.jsonl`), lines.join('\n') + '\n')),
    );
  }

  async query(deviceId: string, q: TelemetryQuery): Promise<TelemetrySample[]> {
    let files: string[];
    try {
      files = (await readdir(join(this.root, deviceId))).filter((f) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(f)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const fromDay = q.fromMs !== undefined ? dayKey(Math.max(0, q.fromMs)) : '';
    const toDay = q.toMs !== undefined ? dayKey(Math.min(q.toMs, 8.64e15 - DAY_MS)) : '9999';
    const out: TelemetrySample[] = [];
    const seenBatches = new Set<number>();
    for (const file of files) {
      const day = file.slice(0, 10);
      if (day < fromDay || day > toDay) continue;
      const text = await readFile(join(this.root, deviceId, file), 'utf8');
      let batch = -1;
      let skipBatch = false;
      for (const s of parseJsonLines<TelemetrySample>(text)) {
        // A batch is a contiguous run of lines with one nonce. If the same nonce shows up again
        // later, the gateway crashed after storing samples but before making the nonce durable
        // and the device resent: keep the first copy only.
        if (s.nonce !== batch) {
          batch = s.nonce;
          skipBatch = seenBatches.has(batch);
          seenBatches.add(batch);
        }
        if (skipBatch) continue;
        if (q.fromMs !== undefined && s.received_at < q.fromMs) continue;
        if (q.toMs !== undefined && s.received_at > q.toMs) continue;
        out.push(s);
        if (out.length >= q.limit) return out;
      }
    }
    return out;
  }
}
