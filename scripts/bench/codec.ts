/**
 * Codec benchmark: on the household dataset frame (1000 rows; a seeded synthetic series if the
 * dataset is absent), each packing method's compression ratio and pack/unpack throughput in MB/s
 * of frame bytes, next to zlib deflate level 6 on the same bytes. Prints a table and returns the
 * numbers for `npm run bench`. Runs alone: `npx tsx scripts/bench/codec.ts`. Each measurement is
 * time-boxed (~250 ms) so the whole run stays within a few seconds on a shared 2-core machine.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { METHODS, encodeFrame, packFrame, unpackFrame } from '../../server/codec/index.ts';
import type { MethodName, Sample } from '../../server/codec/index.ts';
import { HOUSEHOLD_DATASET_PATH, householdDatasetAvailable, loadHouseholdSamples, seededRandom } from '../vectors/codec.ts';

const BUDGET_MS = 250;

export interface CodecBenchRow {
  name: string;
  id: number | null;
  packedBytes: number;
  ratio: number;
  packMBps: number;
  unpackMBps: number;
}

export interface CodecBenchResult {
  dataset: { source: string; rows: number; frameBytes: number };
  methods: CodecBenchRow[];
  deflate: CodecBenchRow;
}

/** Runs `fn` repeatedly for about BUDGET_MS (after a warm-up) and returns MB/s of `bytes` per call. */
function throughput(bytes: number, fn: () => void): number {
  for (let i = 0; i < 5; i++) fn();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  } while (elapsed < BUDGET_MS);
  return (bytes * iterations) / (elapsed / 1000) / 1e6;
}

function fallbackSamples(): Sample[] {
  const rnd = seededRandom(42);
  let v = 230;
  let p = 1.2;
  return Array.from({ length: 1000 }, (_, i) => {
    v = Math.round((v + (rnd() - 0.5)) * 100) / 100;
    p = Math.max(0, Math.round((p + (rnd() - 0.5) * 0.2) * 1000) / 1000);
    return { timestamp: 1_700_000_000 + 60 * i, voltage: v, power_kw: p, sub1: rnd() < 0.9 ? 0 : 1 };
  });
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function runCodecBench(): Promise<CodecBenchResult> {
  const real = householdDatasetAvailable();
  const samples = real ? loadHouseholdSamples() : fallbackSamples();
  const frame = encodeFrame(samples);
  const rows: CodecBenchRow[] = [];
  for (const name of Object.keys(METHODS) as MethodName[]) {
    const packed = packFrame(frame, name);
    rows.push({
      name,
      id: METHODS[name],
      packedBytes: packed.length,
      ratio: round(frame.length / packed.length, 2),
      packMBps: round(throughput(frame.length, () => packFrame(frame, name)), 1),
      unpackMBps: round(throughput(frame.length, () => unpackFrame(packed, name, frame.length)), 1),
    });
  }
  const deflated = deflateSync(frame, { level: 6 });
  const deflate: CodecBenchRow = {
    name: 'zlib deflate -6',
    id: null,
    packedBytes: deflated.length,
    ratio: round(frame.length / deflated.length, 2),
    packMBps: round(throughput(frame.length, () => deflateSync(frame, { level: 6 })), 1),
    unpackMBps: round(throughput(frame.length, () => inflateSync(deflated)), 1),
  };

  const source = real ? HOUSEHOLD_DATASET_PATH : 'synthetic (dataset not found)';
  console.log(`\ncodec: ${samples.length} rows, ${frame.length}-byte frame from ${source}`);
  console.log('method             id     bytes   ratio   pack MB/s  unpack MB/s');
  for (const r of [...rows, deflate]) {
    const id = r.id === null ? '   -' : '0x' + r.id.toString(16).toUpperCase();
    console.log(
      `${r.name.padEnd(17)}  ${id.padStart(4)}  ${String(r.packedBytes).padStart(6)}  ${r.ratio.toFixed(2).padStart(6)}  ${r.packMBps.toFixed(1).padStart(10)}  ${r.unpackMBps.toFixed(1).padStart(11)}`,
    );
  }
  return { dataset: { source, rows: samples.length, frameBytes: frame.length }, methods: rows, deflate };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runCodecBench();
