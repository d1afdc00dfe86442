/**
 * Prometheus metrics (prom-client): request counts and latency by route and status, upload
 * outcomes, samples by packing method. Each app gets its own registry so tests can run several
 * gateways in one process.
 */
import type { MiddlewareHandler } from 'hono';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'fleetgate_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'fleetgate_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly uploads = new Counter({
    name: 'fleetgate_uploads_total',
    help: 'Telemetry uploads by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly samples = new Counter({
    name: 'fleetgate_samples_total',
    help: 'Accepted telemetry samples by packing method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'fleetgate_' });
  }

  middleware(): MiddlewareHandler {
    const { requests, latency } = this;
    // Label children cached per (route, method, status): resolving labels on every request showed
    // up in the ingest profile. routePath is the matched pattern (e.g. /aggregated/:device_id), so
    // the cache is bounded by the route table.
    const children = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
    return async function recordRequest(c, next) {
      const start = performance.now();
      await next();
      const route = c.req.routePath || 'unmatched';
      const status = c.res.status;
      const key = `${route} ${c.req.method} ${status}`;
      let child = children.get(key);
      if (!child) {
        const labels = { route, method: c.req.method, status: String(status) };
        child = { count: requests.labels(labels), time: latency.labels(labels) };
        children.set(key, child);
      }
      child.count.inc();
      child.time.observe((performance.now() - start) / 1000);
    };
  }
}
