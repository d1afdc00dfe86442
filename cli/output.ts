/**
 * How commands print: aligned tables and `key  value` blocks for people, JSON (`--json`) for
 * scripts. Everything a command prints is built as one string and written once, so a large listing
 * is one write, not ten thousand (and a closed pipe is met once, see cli/main.ts).
 */

/** Where command output goes; tests pass a collector. */
export type CliOut = (line: string) => void;
export const stdoutLine: CliOut = (line) => {
  process.stdout.write(line + '\n');
};

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Right-align (numbers). */
  right?: boolean;
}

/** A value as a table cell: `-` for nothing, compact JSON for objects, one line always. */
export function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).replace(/[\r\n\t]+/g, ' ');
}

/** Columns padded to their widest cell, two spaces apart; the last column is never padded. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 && !columns[i]!.right ? v : columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** `key  value` lines with the keys aligned; undefined values are left out, null shows as `-`. */
export function keyValues(pairs: readonly (readonly [string, unknown])[]): string {
  const shown = pairs.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** "35s ago", "4m ago", "2h ago", "3d ago" (or "in 5m" for a future time); `-` for none. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = now - ms;
  const s = Math.round(Math.abs(d) / 1000);
  const text = s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86_400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86_400)}d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** An ISO time without milliseconds, for tables: 2025-11-13T10:20:01Z. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

export function bytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export function percent(ratio: number): string {
  return `${(Math.round(ratio * 1000) / 10).toString()}%`;
}

/** Writes a command's whole output at once. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** A list: JSON with `--json`, else a table, or `empty` when there is nothing to show. */
export function showList<T>(opts: { json?: boolean }, rows: readonly T[], empty: string, columns: readonly Column<T>[]): void {
  show(opts, rows, () => (rows.length === 0 ? empty : table(rows, columns)));
}

/**
 * `--json` prints the value as JSON, else the text `human()` builds. An API answer is printed
 * without its `"success": true` (a failed answer never gets here: it is an error, exit 4).
 */
export function show(opts: { json?: boolean }, value: unknown, human: () => string): void {
  if (!opts.json) return print(human());
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'success' in value) {
    const { success: _success, ...rest } = value as Record<string, unknown>;
    return print(json(rest));
  }
  print(json(value));
}
