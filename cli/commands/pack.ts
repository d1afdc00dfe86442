/**
 * `fleetgate pack` / `fleetgate unpack`: the packed-telemetry formats from the command line, through
 * server/codec (the one implementation of them, loaded only when these commands run).
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { GatewayError } from '../../server/errors.ts';
import { CliError, ExitCode } from '../errors.ts';
import { examples } from '../options.ts';
import { readSamplesFile } from '../samples-file.ts';

/** Accepts a method name (smart) or id (0xFF, 255). */
export async function parseMethod(text: string): Promise<number> {
  const { METHODS, methodId } = await import('../../server/codec/index.ts');
  const t = text.trim().toLowerCase();
  const numeric = /^0x[0-9a-f]{1,2}$/.test(t) ? parseInt(t, 16) : /^\d{1,3}$/.test(t) ? Number(t) : undefined;
  try {
    return methodId(numeric ?? (t as keyof typeof METHODS));
  } catch {
    throw new CliError(
      `unknown method "${text}": use ${Object.entries(METHODS)
        .map(([n, id]) => `${n} (0x${id.toString(16).toUpperCase()})`)
        .join(', ')}`,
    );
  }
}

/**
 * Input that is not a packed batch at all (samples, some other JSON) is a usage error, exit 2:
 * "verification failed" (exit 1) is for a batch whose CRC, sizes or content do not check out.
 */
function notPackedBatch(doc: unknown, file: string): void {
  const isBatch = doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'compressed_data' in doc && 'method' in doc;
  if (isBatch) return;
  const samples = Array.isArray(doc) || (doc !== null && typeof doc === 'object' && 'aggregated_data' in doc);
  throw new CliError(
    samples
      ? `${file} holds samples, not a packed batch: pack them with \`fleetgate pack --file ${file}\``
      : `${file} is not a packed batch: expected {"compressed_data", "method", "original_size", "compressed_size", "crc32"} (what \`fleetgate pack\` prints)`,
    ExitCode.usage,
  );
}

export function packCommands(program: Command): void {
  const pack = program
    .command('pack')
    .description('pack samples into the packed-batch JSON devices upload (the payload document for fleetgate sign)')
    .requiredOption('--file <path>', 'samples: JSON array, {"aggregated_data": [...]} or CSV with a timestamp column')
    .option('--method <method>', 'dictionary|delta|rle|adaptive|smart or its id', 'smart');
  examples(pack, [
    ['fleetgate pack --file samples.csv', 'smart packing (best ratio)'],
    ['fleetgate pack --file samples.json --method 0xDE > batch.json', 'delta packing, by id'],
  ]);
  pack.action(async (opts: { file: string; method: string }) => {
    const samples = await readSamplesFile(opts.file);
    const method = await parseMethod(opts.method);
    const { packSamples } = await import('../../server/codec/index.ts');
    try {
      console.log(JSON.stringify(packSamples(samples, method)));
    } catch (err) {
      if (err instanceof GatewayError) throw new CliError(err.message);
      throw err;
    }
  });

  const unpack = program
    .command('unpack')
    .description('unpack a packed-batch JSON (or a decoded upload payload) back to samples')
    .requiredOption('--file <path>', 'packed batch JSON file');
  examples(unpack, [['fleetgate unpack --file batch.json', 'back to {"fields", "aggregated_data"}']]);
  unpack.action(async (opts: { file: string }) => {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(await readFile(opts.file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      const io = (err as NodeJS.ErrnoException).code !== undefined;
      throw new CliError(`cannot read ${opts.file}: ${(err as Error).message}`, io ? ExitCode.io : ExitCode.usage);
    }
    notPackedBatch(doc, opts.file);
    const { unpackBatch } = await import('../../server/codec/index.ts');
    try {
      const frame = unpackBatch({
        compressed_data: String(doc.compressed_data ?? ''),
        method: Number(doc.method),
        original_size: Number(doc.original_size),
        compressed_size: Number(doc.compressed_size),
        crc32: String(doc.crc32 ?? '').toLowerCase(),
      });
      console.log(JSON.stringify({ fields: frame.fields, aggregated_data: frame.samples }));
    } catch (err) {
      if (err instanceof GatewayError) throw new CliError(`${err.code}: ${err.message}`, ExitCode.verificationFailed);
      throw err;
    }
  });
}
