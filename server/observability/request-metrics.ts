/**
 * Request count and latency by (route, method, status): `fleetgate_http_requests_total` and
 * `fleetgate_http_request_duration_seconds`, exposed through the prom-client registry like every
 * other metric, but recorded with plain arithmetic. prom-client resolves and validates the labels
 * of every observation, even through a cached child; with the Hono middleware that called it, that
 * was ~5 µs of each request (an upload is ~140 µs of CPU in all). Recording wraps the app's fetch
 * rather than sitting in a middleware, so a route's handler runs without Hono's compose chain.
 */

/** Prometheus's default-style buckets, in seconds: from a cached poll to a slow firmware range. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Series {
  labels: { route: string; method: string; status: string };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  buckets: Float64Array;
}

/** A value line as prom-client's registry formats it (MetricObjectWithValues). */
interface MetricValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/** The duck type prom-client's Registry accepts: a name and a get() returning type, help and values. */
export interface CollectedMetric {
  readonly name: string;
  readonly type: 'counter' | 'histogram';
  readonly help: string;
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: 'counter' | 'histogram'; aggregator: 'sum'; values: MetricValue[] }>;
  reset(): void;
}

export class RequestMetrics {
  /** route → method → status → series: three lookups of strings the route table interns, no key to build. */
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();

  record(route: string, method: string, status: number, seconds: number): void {
    let byMethod = this.series.get(route);
    if (!byMethod) this.series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      s = { labels: { route, method, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(LATENCY_BUCKETS.length + 1) };
      byStatus.set(status, s);
    }
    s.count++;
    s.sum += seconds;
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[b]!) b++;
    s.buckets[b]!++;
  }

  private all(): Series[] {
    const out: Series[] = [];
    for (const byMethod of this.series.values()) for (const byStatus of byMethod.values()) out.push(...byStatus.values());
    return out;
  }

  /** The two metrics, for Registry.registerMetric. */
  collectors(): CollectedMetric[] {
    const counter = {
      name: 'fleetgate_http_requests_total',
      help: 'HTTP requests by route, method and status',
      type: 'counter' as const,
      aggregator: 'sum' as const,
      get: async () => ({ ...metricHead(counter), values: this.all().map((s) => ({ labels: s.labels, value: s.count })) }),
      reset: () => this.series.clear(),
    };
    const histogram = {
      name: 'fleetgate_http_request_duration_seconds',
      help: 'HTTP request latency by route, method and status',
      type: 'histogram' as const,
      aggregator: 'sum' as const,
      get: async () => ({ ...metricHead(histogram), values: this.all().flatMap((s) => histogramValues(histogram.name, s)) }),
      reset: () => this.series.clear(),
    };
    return [counter, histogram];
  }
}

function metricHead(m: Pick<CollectedMetric, 'name' | 'help' | 'type' | 'aggregator'>) {
  return { name: m.name, help: m.help, type: m.type, aggregator: m.aggregator };
}

/** Cumulative `_bucket` lines (with `le`), then `_sum` and `_count`, as prom-client writes a histogram. */
function histogramValues(name: string, s: Series): MetricValue[] {
  const out: MetricValue[] = [];
  let cumulative = 0;
  for (let b = 0; b <= LATENCY_BUCKETS.length; b++) {
    cumulative += s.buckets[b]!;
    const le = b < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[b]! : '+Inf';
    out.push({ metricName: `${name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
  }
  out.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
  out.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
  return out;
}
