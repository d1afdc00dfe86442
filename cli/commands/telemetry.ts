/**
 * `fleetgate telemetry <device_id> [--from --to --limit] [--csv|--json]`: stored samples read back
 * through `GET /telemetry/:device_id`. Bounds are the gateway's (ISO-8601, epoch seconds or ms,
 * on the receive time) plus relative ones (`2h`: two hours ago). `--csv` passes the gateway's own
 * CSV through unchanged.
 */
import type { Command } from 'commander';
import { adminRequest, adminText, query, seg } from '../admin-client.ts';
import { CliError, ExitCode } from '../errors.ts';
import { adminOptions, examples, parseUintFlag, timeBound, type AdminOptions } from '../options.ts';
import { print, show, table } from '../output.ts';
import { checkId } from './device.ts';
import type { Answer } from './views.ts';

type Sample = { timestamp: number; received_at: string; nonce: number; method: string } & Record<string, number | string>;
const META = new Set(['timestamp', 'received_at', 'nonce', 'method']);

function samplesTable(samples: readonly Sample[]): string {
  const fields = [...new Set(samples.flatMap((s) => Object.keys(s).filter((k) => !META.has(k))))].sort();
  return table(samples, [
    { header: 'TIME', value: (s) => new Date(s.timestamp * 1000).toISOString().replace(/\.000Z$/, 'Z') },
    ...fields.map((f) => ({ header: f.toUpperCase(), value: (s: Sample) => s[f], right: true })),
    { header: 'METHOD', value: (s) => s.method },
  ]);
}

export function telemetryCommand(program: Command): void {
  const cmd = adminOptions(
    program
      .command('telemetry')
      .argument('<device_id>')
      .description("a device's stored samples, oldest first (the time is the device's sample timestamp)")
      .option('--from <time>', 'received at or after: ISO-8601, epoch s/ms, or 30m / 2h / 7d ago')
      .option('--to <time>', 'received at or before (same forms)')
      .option('--limit <n>', 'at most n samples (gateway default 1000, up to 100000)')
      .option('--csv', 'CSV as the gateway writes it (header row, one sample a line)'),
  );
  examples(cmd, [
    ['fleetgate telemetry meter-1', 'the first 1000 samples stored'],
    ['fleetgate telemetry meter-1 --from 2h', 'the last two hours'],
    ['fleetgate telemetry meter-1 --from 2025-11-01 --to 2025-11-02 --limit 100000 --csv > day.csv', 'a day, for a spreadsheet'],
  ]);
  cmd.action(async (id: string, opts: AdminOptions & { from?: string; to?: string; limit?: string; csv?: boolean }) => {
    if (opts.csv && opts.json) throw new CliError('--csv and --json exclude each other', ExitCode.usage);
    const q = {
      from: timeBound(opts.from),
      to: timeBound(opts.to),
      limit: opts.limit === undefined ? undefined : parseUintFlag(opts.limit, '--limit'),
    };
    const path = `/telemetry/${seg(checkId(id))}`;
    if (opts.csv) return print(await adminText(opts, path + query({ ...q, format: 'csv' })));
    const res = await adminRequest<Answer<{ count: number; samples: Sample[] }>>(opts, 'GET', path + query(q));
    show(opts, res.samples, () => (res.samples.length === 0 ? `no samples for ${id} in that range` : samplesTable(res.samples)));
  });
}
