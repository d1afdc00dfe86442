/**
 * Admin read-back of stored samples: `GET /telemetry/:device_id?from=&to=&limit=&format=json|csv`.
 * Bounds are ISO-8601 or epoch (seconds below 1e12, else milliseconds) on the gateway's receive time.
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { ValidationError } from '../errors.ts';
import type { TelemetrySample } from '../store/index.ts';

export const MAX_QUERY_LIMIT = 100_000;
/** Samples answered when `limit` is not given. */
export const DEFAULT_QUERY_LIMIT = 1000;

/** The last millisecond of year 9999: time bounds past it are refused (dates there have no YYYY-MM-DD day). */
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** ISO-8601 as time bounds accept it (a date, optionally a time and an offset). */
export const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

/** A time bound: ISO-8601, or epoch seconds (below 1e12) or milliseconds, from 1970 to year 9999. */
export function parseTimeBound(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    ms = n < 1e12 ? Math.round(n * 1000) : Math.round(n);
  } else {
    // ISO-8601 only: Date.parse alone also takes forms like "-5" (read as May 2001).
    ms = ISO_8601.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(ms)) throw new ValidationError(`${name} must be ISO-8601 or epoch seconds/milliseconds`, 'invalid_query', { field: name });
  }
  if (!(ms >= 0 && ms <= MAX_TIME_MS)) {
    throw new ValidationError(`${name} must be between 1970-01-01 and 9999-12-31`, 'invalid_query', { field: name });
  }
  return ms;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_QUERY_LIMIT;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_QUERY_LIMIT) {
    throw new ValidationError(`limit must be 1..${MAX_QUERY_LIMIT}`, 'invalid_query', { field: 'limit' });
  }
  return Number(value);
}

function csvCell(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(samples: TelemetrySample[]): string {
  const fields = [...new Set(samples.flatMap((s) => Object.keys(s.values)))].sort();
  const header = ['timestamp', 'received_at', 'nonce', 'method', ...fields];
  const lines = [header.join(',')];
  for (const s of samples) {
    lines.push(
      // Own properties only: a row without field "constructor" must not print Object.prototype's.
      [s.timestamp, new Date(s.received_at).toISOString(), s.nonce, s.method, ...fields.map((f) => (Object.hasOwn(s.values, f) ? s.values[f] : undefined))]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export function telemetryRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = ctx.requireAdmin;
  app.get('/telemetry/:device_id', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    await ctx.registry.require(id);
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new ValidationError('format must be json or csv', 'invalid_query', { field: 'format' });
    const fromMs = parseTimeBound(c.req.query('from'), 'from');
    const toMs = parseTimeBound(c.req.query('to'), 'to');
    if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw new ValidationError('from is after to', 'invalid_query', { field: 'from' });
    const samples = await ctx.store.telemetry.query(id, { fromMs, toMs, limit: parseLimit(c.req.query('limit')) });
    if (format === 'csv') {
      return c.body(toCsv(samples), 200, { 'content-type': 'text/csv; charset=utf-8' });
    }
    return c.json({
      success: true,
      device_id: id,
      count: samples.length,
      samples: samples.map((s) => ({
        timestamp: s.timestamp,
        received_at: new Date(s.received_at).toISOString(),
        nonce: s.nonce,
        method: s.method,
        ...s.values,
      })),
    });
  });
  return app;
}
