/**
 * Reading sample files for `fleetgate sign` and `fleetgate pack`: a JSON array of samples, a JSON
 * `{"aggregated_data": [...]}` document, or CSV with a header row (a `timestamp` column plus
 * numeric columns; `,` or `;` separated).
 */
import { readFile } from 'node:fs/promises';
import { CliError, ExitCode } from './errors.ts';

export type Sample = Record<string, number> & { timestamp: number };

export async function readSamplesFile(path: string): Promise<Sample[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, ExitCode.io);
  }
  const samples = text.trimStart().startsWith('[') || text.trimStart().startsWith('{') ? fromJson(text, path) : fromCsv(text, path);
  if (samples.length === 0) throw new CliError(`${path} holds no samples`);
  samples.forEach((s, i) => {
    if (typeof s.timestamp !== 'number') throw new CliError(`${path}: sample ${i} has no numeric timestamp`);
    for (const [k, v] of Object.entries(s)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new CliError(`${path}: sample ${i} field ${k} is not a finite number`);
    }
  });
  return samples;
}

function fromJson(text: string, path: string): Sample[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { aggregated_data?: unknown }).aggregated_data;
  if (!Array.isArray(list)) throw new CliError(`${path}: expected an array of samples or {"aggregated_data": [...]}`);
  return list as Sample[];
}

function fromCsv(text: string, path: string): Sample[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const sep = lines[0]?.includes(';') ? ';' : ',';
  const header = (lines[0] ?? '').split(sep).map((h) => h.trim());
  if (!header.includes('timestamp')) throw new CliError(`${path}: CSV needs a header row with a timestamp column`);
  return lines.slice(1).map((line, i) => {
    const cells = line.split(sep);
    const sample: Record<string, number> = {};
    header.forEach((name, j) => {
      const v = Number(cells[j]);
      if (cells[j] === undefined || cells[j]!.trim() === '' || !Number.isFinite(v)) {
        throw new CliError(`${path}: line ${i + 2} column ${name} is not a number`);
      }
      sample[name] = v;
    });
    return sample as Sample;
  });
}
