/**
 * Options shared across commands, defined once so each has one name, one argument name and one
 * meaning everywhere: `--keys-dir <dir>`, `--firmware-dir <dir>`, the admin connection options
 * (`--url`, `--token`, `--keys-dir`) and `--json`. Older spellings of the directory options
 * (`--dir`, `--keys`, `--out`) still work as hidden aliases, so scripts written for earlier
 * releases keep running; help shows only the new names. Also: examples for `--help`, kept where
 * tests can parse them, and the small argument parsers commands share.
 */
import { Command, Option } from 'commander';
import { CliError, ExitCode } from './errors.ts';

/** Resolved at run time, not registration time, so the environment of the run applies. */
export function keysDir(flag: string | undefined): string {
  return flag ?? process.env.KEYS_DIR ?? 'keys';
}

export function firmwareDir(flag: string | undefined): string {
  return flag ?? process.env.FIRMWARE_DIR ?? 'firmware-images';
}

/** Adds `--<name> <value>` plus hidden older spellings that set the same option. */
export function withAliases(cmd: Command, option: Option, aliases: readonly string[]): Command {
  cmd.addOption(option);
  const placeholder = option.flags.slice(option.long!.length).trim();
  for (const old of aliases) {
    const hidden = new Option(`${old} ${placeholder}`).hideHelp();
    cmd.addOption(hidden);
    cmd.on(`option:${hidden.name()}`, (value: string) => cmd.setOptionValueWithSource(option.attributeName(), value, 'cli'));
  }
  return cmd;
}

/** `withDefault: false` where leaving the option out means "none" rather than $KEYS_DIR. */
export function keysDirOption(cmd: Command, description: string, aliases: readonly ('--dir' | '--keys')[] = [], withDefault = true): Command {
  return withAliases(cmd, new Option('--keys-dir <dir>', withDefault ? `${description} (default: $KEYS_DIR or "keys")` : description), aliases);
}

export function firmwareDirOption(cmd: Command, description: string, aliases: readonly ('--dir' | '--out')[] = []): Command {
  return withAliases(cmd, new Option('--firmware-dir <dir>', `${description} (default: $FIRMWARE_DIR or "firmware-images")`), aliases);
}

export function jsonOption(cmd: Command): Command {
  return cmd.option('--json', 'print JSON (for scripts) instead of a table');
}

export interface AdminOptions {
  url?: string;
  token?: string;
  keysDir?: string;
  json?: boolean;
}

/** The options of every command that talks to a gateway's admin API. */
export function adminOptions(cmd: Command): Command {
  cmd
    .option('--url <url>', 'gateway URL (default: $FLEETGATE_URL, else the PORT in ./.env on 127.0.0.1, else http://127.0.0.1:5001)')
    .option('--token <token>', 'admin token (default: $FLEETGATE_TOKEN; for a gateway on this machine, else ADMIN_TOKEN in ./.env, else the admin_token file in --keys-dir)');
  keysDirOption(cmd, 'where a local gateway keeps admin_token');
  return jsonOption(cmd);
}

/** An example for `--help`: the command line and what it does. */
export type Example = readonly [line: string, what: string];
const EXAMPLES = new WeakMap<Command, readonly Example[]>();

export function examples(cmd: Command, list: readonly Example[]): Command {
  EXAMPLES.set(cmd, list);
  const text = list.map(([line, what]) => `  # ${what}\n  $ ${line}`).join('\n');
  return cmd.addHelpText('after', `\nExamples:\n${text}`);
}

export function examplesOf(cmd: Command): readonly Example[] {
  return EXAMPLES.get(cmd) ?? [];
}

/** A non-negative integer flag, or a usage error naming the flag. */
export function parseUintFlag(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CliError(`${flag} must be a non-negative integer, got "${value}"`, ExitCode.usage);
  }
  return Number(value);
}

/** A number flag within bounds, or a usage error naming the flag. */
export function parseNumberFlag(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new CliError(`${flag} must be a number ${min}..${max}, got "${value}"`, ExitCode.usage);
  }
  return n;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time bound for the gateway: `30m`, `2h`, `7d` mean that long ago (sent as ISO-8601); anything
 * else (ISO-8601, epoch seconds or milliseconds) is passed on for the gateway to check.
 */
export function timeBound(value: string | undefined, now = Date.now()): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)([smhdw])$/.exec(value.trim());
  return m ? new Date(now - Number(m[1]) * UNIT_MS[m[2]!]!).toISOString() : value;
}

/**
 * `--since` and `--limit` of the gateway's log-like lists (events, audit): without `--since`, the
 * most recent `--limit` entries; with it, the first `--limit` from then on.
 */
export function windowOptions(cmd: Command, noun: string): Command {
  return cmd
    .option('--since <time>', 'from this time on: ISO-8601, epoch s/ms, or 30m / 2h / 7d ago')
    .option('--limit <n>', `at most n ${noun} (default 100, up to 10000)`);
}

export function windowQuery(opts: { since?: string; limit?: string }): { since: string | undefined; limit: number | undefined } {
  return { since: timeBound(opts.since), limit: opts.limit === undefined ? undefined : parseUintFlag(opts.limit, '--limit') };
}

/**
 * `key=value` arguments as a JSON object: a value is read as JSON when it parses (numbers, true,
 * false, null, arrays, objects), else kept as a string — `power=50%` is "50%", `value=7` is 7,
 * `registers='["voltage","power"]'` an array.
 */
export function keyValueArgs(args: readonly string[], what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new CliError(`${what} must be key=value, got "${arg}"`, ExitCode.usage);
    const key = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: a string
    }
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
