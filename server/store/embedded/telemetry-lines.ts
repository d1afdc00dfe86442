/**
 * The lines of a telemetry day file (`DATA_DIR/telemetry/<device>/<YYYY-MM-DD>.jsonl`). One line
 * per accepted batch:
 *
 *   {"received_at":<epoch ms>,"nonce":<u32>,"method":"<plain|method name>","samples":[<sample>, ...]}
 *
 * where each sample is a flat object of numbers with the device's "timestamp" among them, as the
 * device sent it. For a plain upload the samples array is the device's own JSON text, kept byte for
 * byte (see TelemetryBatch.samplesJson): formatting a line per sample, re-serialising every number,
 * was the largest part of storing an upload, and the batch line is half the bytes.
 *
 * Files written before batch lines held one line per sample, which readers still accept:
 *
 *   {"timestamp":<n>,"received_at":<ms>,"nonce":<u32>,"method":"...","values":{<field>: <number>, ...}}
 */
import { parseJsonLines } from './append-writer.ts';
import type { SampleRecord, TelemetryBatch, TelemetrySample } from '../types.ts';

export interface BatchLine {
  received_at: number;
  nonce: number;
  method: string;
  samples: SampleRecord[];
}

/** The batch's day-file line, without its newline. */
export function batchLine(batch: TelemetryBatch): string {
  const samples = batch.samplesJson ?? JSON.stringify(batch.samples);
  return `{"received_at":${batch.received_at},"nonce":${batch.nonce},"method":${JSON.stringify(batch.method)},"samples":${samples}}`;
}

export function isBatchLine(line: unknown): line is BatchLine {
  if (typeof line !== 'object' || line === null) return false;
  const l = line as Record<string, unknown>;
  return typeof l.received_at === 'number' && typeof l.nonce === 'number' && typeof l.method === 'string' && Array.isArray(l.samples);
}

/** One sample of a batch as queries return it. */
function sampleRow(batch: Omit<BatchLine, 'samples'>, sample: SampleRecord): TelemetrySample {
  const { timestamp, ...values } = sample;
  return { timestamp, received_at: batch.received_at, nonce: batch.nonce, method: batch.method, values };
}

/** The sample rows of a batch, oldest first: what a query returns for it. */
export function batchRows(batch: Pick<TelemetryBatch, 'received_at' | 'nonce' | 'method' | 'samples'>): TelemetrySample[] {
  return batch.samples.map((s) => sampleRow(batch, s));
}

/**
 * The rows of one parsed day-file line, of either format; none for a line that is neither (a torn
 * or foreign line is skipped, as JSONL readers here always do).
 */
export function lineRows(line: unknown): TelemetrySample[] {
  if (isBatchLine(line)) return batchRows(line);
  if (typeof line !== 'object' || line === null) return [];
  const s = line as Record<string, unknown>;
  const legacy = typeof s.timestamp === 'number' && typeof s.received_at === 'number' && typeof s.nonce === 'number' && typeof s.values === 'object';
  return legacy ? [line as TelemetrySample] : [];
}

/** A batch as a day file holds it, with its samples' JSON text as stored (byte for byte when it could be cut out of the line). */
export interface StoredBatch extends BatchLine {
  samplesJson: string;
}

/**
 * The batches of a day file's text, in file order: each batch line with its samples text cut out
 * of the line as written (batchLine's layout), and each run of older one-sample lines that share
 * a batch (nonce and receive time) joined into one batch. Torn and foreign lines are skipped.
 */
export function dayFileBatches(text: string): StoredBatch[] {
  const out: StoredBatch[] = [];
  let legacy: { key: string; batch: StoredBatch } | undefined;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const [parsed] = parseJsonLines<unknown>(line);
    if (isBatchLine(parsed)) {
      legacy = undefined;
      out.push({ ...parsed, samplesJson: samplesText(line, parsed) });
      continue;
    }
    const [row] = lineRows(parsed);
    if (!row) continue;
    const key = `${row.nonce}@${row.received_at}`;
    const sample = { ...row.values, timestamp: row.timestamp } as SampleRecord;
    if (legacy?.key === key) legacy.batch.samples.push(sample);
    else {
      legacy = { key, batch: { received_at: row.received_at, nonce: row.nonce, method: row.method, samples: [sample], samplesJson: '' } };
      out.push(legacy.batch);
    }
  }
  for (const b of out) if (b.samplesJson === '') b.samplesJson = JSON.stringify(b.samples);
  return out;
}

/** The samples array of a batch line as its text, cut out when the line has batchLine's exact layout. */
function samplesText(line: string, batch: BatchLine): string {
  const head = `{"received_at":${batch.received_at},"nonce":${batch.nonce},"method":${JSON.stringify(batch.method)},"samples":`;
  const exact = Object.keys(batch).join() === 'received_at,nonce,method,samples' && line.startsWith(head) && line.endsWith('}');
  return exact ? line.slice(head.length, -1) : JSON.stringify(batch.samples);
}
