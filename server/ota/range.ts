/**
 * HTTP range requests for firmware downloads, per RFC 9110 §14 and §13.1.5, as pure functions so
 * every edge case is unit-testable without a server. `selectRange` turns the request's Range,
 * If-Range and If-None-Match headers plus the image size and ETag into one decision: 304, the full
 * image (200), one byte range (206) or "not satisfiable" (416). Choices the RFC leaves to us, and
 * which server/ota/README.md documents: a syntactically invalid Range or an unknown unit is ignored
 * (200 full, as §14.2 allows); several ranges are sorted and merged, and if they still form more
 * than one range the whole image is sent (200) instead of multipart/byteranges — devices fetch one range
 * per request, and a full answer is always a valid answer to a Range request; If-Range with a
 * date never matches (we send no Last-Modified), so it also yields the full image.
 */

/** Inclusive byte positions, like the Content-Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeDecision =
  | { kind: 'not_modified' }
  | { kind: 'full' }
  | { kind: 'partial'; range: ByteRange }
  | { kind: 'unsatisfiable' };

export interface RangeRequest {
  range?: string | undefined;
  ifRange?: string | undefined;
  ifNoneMatch?: string | undefined;
}

/** More range-specs than this in one header is abuse (RFC 9110 §14.2 allows ignoring it). */
export const MAX_RANGE_SPECS = 64;

type ParsedRanges = { kind: 'ignore' } | { kind: 'unsatisfiable' } | { kind: 'ranges'; ranges: ByteRange[] };

const DIGITS = /^\d+$/;

/**
 * Parse `Range: bytes=...` against a representation of `size` bytes (size ≥ 1). Returns the
 * satisfiable ranges clamped to the size, in request order; "ignore" for anything we must or may
 * ignore (bad syntax, other units, too many specs).
 */
export function parseRangeHeader(header: string, size: number): ParsedRanges {
  const eq = header.indexOf('=');
  if (eq < 0) return { kind: 'ignore' };
  // The range unit is case-insensitive (RFC 9110 §14.1); whitespace around it is not allowed.
  if (header.slice(0, eq).toLowerCase() !== 'bytes') return { kind: 'ignore' };
  // #rule lists: elements separated by commas with optional whitespace; empty elements tolerated.
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length === 0 || specs.length > MAX_RANGE_SPECS) return { kind: 'ignore' };
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const dash = spec.indexOf('-');
    if (dash < 0) return { kind: 'ignore' };
    const first = spec.slice(0, dash);
    const last = spec.slice(dash + 1);
    if (first === '') {
      // suffix-range: the last N bytes; N = 0 is valid syntax but never satisfiable.
      if (!DIGITS.test(last)) return { kind: 'ignore' };
      const n = Number(last);
      if (n > 0) ranges.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return { kind: 'ignore' };
    const start = Number(first);
    const end = last === '' ? Infinity : Number(last);
    // last < first makes the whole header invalid (§14.1.1), so it is ignored, not a 416.
    if (end < start) return { kind: 'ignore' };
    if (start >= size) continue; // unsatisfiable on its own; others may still be satisfiable
    ranges.push({ start, end: Math.min(end, size - 1) });
  }
  return ranges.length === 0 ? { kind: 'unsatisfiable' } : { kind: 'ranges', ranges };
}

/** Sort and merge overlapping or adjacent ranges. */
export function coalesce(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const prev = out.at(-1);
    if (prev && r.start <= prev.end + 1) prev.end = Math.max(prev.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** The entity-tags of an If-None-Match / If-Range style list (`*` is returned as is). */
export function parseEtagList(header: string): string[] {
  const out: string[] = [];
  const re = /\s*((?:W\/)?"[^"]*"|\*)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < header.length && (m = re.exec(header)) !== null) out.push(m[1]!);
  return out;
}

/** Strong comparison (RFC 9110 §8.8.3.2): both tags strong and identical. */
export function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && !b.startsWith('W/') && a === b;
}

/** Weak comparison: opaque tags equal, ignoring W/ prefixes. */
export function weakMatch(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

/**
 * The response to send for a GET/HEAD of a representation of `size` bytes with strong `etag`.
 * Precondition order is RFC 9110 §13.2.2: If-None-Match first, then Range with If-Range.
 */
export function selectRange(req: RangeRequest, size: number, etag: string): RangeDecision {
  if (req.ifNoneMatch !== undefined) {
    const tags = parseEtagList(req.ifNoneMatch);
    if (tags.some((t) => t === '*' || weakMatch(t, etag))) return { kind: 'not_modified' };
  }
  if (req.range === undefined) return { kind: 'full' };
  if (req.ifRange !== undefined) {
    const v = req.ifRange.trim();
    // An HTTP-date can only match a Last-Modified we never send; a weak or different tag never matches.
    if (!v.startsWith('"') || !strongMatch(v, etag)) return { kind: 'full' };
  }
  const parsed = parseRangeHeader(req.range, size);
  if (parsed.kind === 'ignore') return { kind: 'full' };
  if (parsed.kind === 'unsatisfiable') return { kind: 'unsatisfiable' };
  const merged = coalesce(parsed.ranges);
  if (merged.length !== 1) return { kind: 'full' };
  // A range covering the whole image is still answered 206: the client asked for a range.
  return { kind: 'partial', range: merged[0]! };
}

export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}
