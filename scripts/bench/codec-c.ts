/**
 * The C encoders on the host: runs firmware/host's fleetgate-codec-bench (device flags, -Os, no
 * sanitizers) on the household dataset and returns per method its encode/decode MB/s and peak
 * working memory (caller buffers + measured stack). Builds the host firmware first if needed
 * (scripts/setup-firmware.sh --no-test). Runs alone: `npx tsx scripts/bench/codec-c.ts`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HOUSEHOLD_DATASET_PATH } from '../vectors/codec.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = `${ROOT}firmware/host/build/fleetgate-codec-bench`;

export async function runCCodecBench() {
  if (!existsSync(BIN)) execFileSync('bash', [`${ROOT}scripts/setup-firmware.sh`, '--no-test'], { stdio: 'inherit' });
  if (!existsSync(HOUSEHOLD_DATASET_PATH)) return { skipped: `dataset not found at ${HOUSEHOLD_DATASET_PATH}` };
  const run = (batch?: number) =>
    JSON.parse(execFileSync(BIN, [...(batch ? ['--batch', String(batch)] : []), HOUSEHOLD_DATASET_PATH], { encoding: 'utf8' })) as {
      frame_bytes: number;
      batch_rows: number;
      methods: { method: string; ratio: number; encode_mb_s: number; decode_mb_s: number; encode_peak_working_bytes: number; encode_stack_bytes: number }[];
    };
  const pick = (r: ReturnType<typeof run>) => ({
    batch_rows: r.batch_rows,
    methods: r.methods.map((m) => ({
      method: m.method,
      ratio: m.ratio,
      encode_MBps: m.encode_mb_s,
      decode_MBps: m.decode_mb_s,
      encode_peak_bytes: m.encode_peak_working_bytes,
      stack_bytes: m.encode_stack_bytes,
    })),
  });
  // The whole dataset as one frame, and the batch size a device would really upload (60 rows = 1 h).
  return { build: '-Os, no sanitizers (device flags)', whole: pick(run()), batch60: pick(run(60)) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(JSON.stringify(await runCCodecBench(), null, 2));
