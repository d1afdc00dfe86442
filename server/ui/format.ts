/**
 * How the console writes times, sizes and rates: relative times with the absolute UTC time beside
 * them (for a tooltip and for machines), binary sizes, percentages with one decimal.
 */

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/** "2026-03-01 10:04:05 UTC". */
export function utc(ms: number): string {
  return isoOf(ms).replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "12 d ago" (and "in …" for the future). */
export function ago(ms: number, now: number): string {
  const s = Math.round((now - ms) / 1000);
  const abs = Math.abs(s);
  if (abs < 5) return 'just now';
  const text = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 86_400 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86_400)} d`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function percent(fraction: number): string {
  return `${(Math.round(fraction * 1000) / 10).toFixed(1)} %`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 device", "3 devices". */
export function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}
