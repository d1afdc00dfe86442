import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { LATENCY_BUCKETS, RequestMetrics } from '../../server/observability/request-metrics.ts';
import { ADMIN_TOKEN, startTestGateway } from '../helpers/gateway.ts';

async function exposition(m: RequestMetrics): Promise<string> {
  const registry = new Registry();
  for (const c of m.collectors()) registry.registerMetric(c as never);
  return registry.metrics();
}

test('observations land in the first bucket whose bound they do not exceed; buckets are cumulative', async () => {
  const m = new RequestMetrics();
  for (const s of [0.0005, 0.001, 0.0011, 0.02, 3]) m.record('/x', 'GET', 200, s);
  const text = await exposition(m);
  const bucket = (le: string) => Number(new RegExp(`_bucket\\{le="${le.replace('+', '\\+')}",route="/x",method="GET",status="200"\\} (\\S+)`).exec(text)?.[1]);
  assert.is(bucket('0.001'), 2, '0.001 itself counts as le=0.001');
  assert.is(bucket('0.0025'), 3);
  assert.is(bucket('0.01'), 3);
  assert.is(bucket('0.02'), 4);
  assert.is(bucket('2.5'), 4);
  assert.is(bucket('+Inf'), 5);
  assert.match(text, /fleetgate_http_request_duration_seconds_count\{route="\/x",method="GET",status="200"\} 5/);
  assert.match(text, /fleetgate_http_request_duration_seconds_sum\{route="\/x",method="GET",status="200"\} 3\.0226/);
  assert.match(text, /# TYPE fleetgate_http_requests_total counter\nfleetgate_http_requests_total\{route="\/x",method="GET",status="200"\} 5/);
  assert.is(text.match(/_bucket\{/g)!.length, LATENCY_BUCKETS.length + 1);
});

test('the gateway counts every answer by route pattern, method and status; unknown paths as unmatched', async () => {
  const gw = await startTestGateway();
  try {
    await gw.app.request('/health');
    await gw.app.request('/health');
    await gw.app.request('/devices'); // no token: 401 from the route's own guard
    await gw.app.request('/no/such/path');
    await gw.app.request('/health', { method: 'HEAD' });
    await gw.app.request('/aggregated/m1', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } });
    const res = await gw.app.request('/metrics', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await res.text();
    assert.match(text, /fleetgate_http_requests_total\{route="\/health",method="GET",status="200"\} 2\n/);
    assert.match(text, /fleetgate_http_requests_total\{route="\/devices",method="GET",status="401"\} 1\n/);
    assert.match(text, /fleetgate_http_requests_total\{route="unmatched",method="GET",status="404"\} 1\n/);
    assert.match(text, /fleetgate_http_requests_total\{route="\/health",method="HEAD",status="200"\} 1\n/);
    assert.match(text, /fleetgate_http_requests_total\{route="\/aggregated\/:device_id",method="POST",status="400"\} 1\n/);
    assert.match(text, /fleetgate_uploads_total/);
  } finally {
    await gw.close();
  }
});

test.run();
