/**
 * Prometheus metrics (prom-client): request counts and latency by route and status, upload
 * outcomes, samples by packing method, and Node's process metrics. Each app gets its own registry
 * so tests can run several gateways in one process. The output passes `promtool check metrics`
 * (tests/observability/promtool.test.ts).
 */
import type { Env, Hono, Schema } from 'hono';
import { Counter, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { RequestMetrics } from './request-metrics.ts';

const PREFIX = 'fleetgate_';

/**
 * prom-client's default metrics include three gauges named `..._total`, which Prometheus reserves
 * for counters (promtool: 'non-counter metrics should not have "_total" suffix'). Each is the sum
 * of the gauge family of the same name without the suffix, which stays, labelled by type: e.g.
 * `sum(fleetgate_nodejs_active_handles)` is what `fleetgate_nodejs_active_handles_total` said.
 */
export const REDUNDANT_TOTAL_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new RequestMetrics();
  readonly uploads = new Counter({
    name: 'fleetgate_uploads_total',
    help: 'Telemetry uploads by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly authRateLimited = new Counter({
    name: 'fleetgate_auth_rate_limited_total',
    help: 'Device messages refused with 429 because their source address or device id had too many failed authentications',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly samples = new Counter({
    name: 'fleetgate_samples_total',
    help: 'Accepted telemetry samples by packing method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });

  constructor(defaults = false) {
    // prom-client's registry takes any object with its metric shape (name, get, …); ours are typed
    // by CollectedMetric, which prom-client's Metric union of its own classes does not name.
    for (const m of this.requests.collectors()) this.registry.registerMetric(m as unknown as Metric);
    if (defaults) {
      collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
      for (const name of REDUNDANT_TOTAL_GAUGES) this.registry.removeSingleMetric(PREFIX + name);
    }
  }

  /**
   * Records every request the app answers (in-process `app.request` too, which goes through
   * `fetch`). Labelled by the route pattern that matched (e.g. /aggregated/:device_id), so the
   * series are bounded by the route table; "unmatched" when no route did. `lastMatch`, when the
   * router offers it (CachedRouter), is the dispatch's own match result, read instead of matching
   * the path again.
   */
  instrument<E extends Env, S extends Schema, B extends string>(app: Hono<E, S, B>, lastMatch?: () => MatchResult | undefined): void {
    const dispatch = app.fetch;
    const requests = this.requests;
    app.fetch = (request, env, executionCtx) => {
      const start = performance.now();
      const res = dispatch(request, env, executionCtx);
      const method = request.method;
      const route = routeLabel((lastMatch?.() ?? app.router.match(method === 'HEAD' ? 'GET' : method, app.getPath(request)))[0]);
      const record = (r: Response): Response => {
        requests.record(route, method, r.status, (performance.now() - start) / 1000);
        return r;
      };
      return res instanceof Promise ? res.then(record) : record(res);
    };
  }
}

/** A router match result: handlers paired with the route they were registered under. */
type MatchResult = [[[unknown, { path: string }], unknown][], ...unknown[]];

/** Route labels per handler list: a cached router hands the same list for the same path. */
const labels = new WeakMap<object, string>();

/** The pattern of the last route handler matched; global middleware ("/*") alone is "unmatched". */
function routeLabel(handlers: MatchResult[0]): string {
  let label = labels.get(handlers);
  if (label === undefined) {
    label = 'unmatched';
    for (let i = handlers.length - 1; i >= 0; i--) {
      const route = handlers[i]![0][1].path;
      if (route !== '/*') {
        label = route;
        break;
      }
    }
    labels.set(handlers, label);
  }
  return label;
}
