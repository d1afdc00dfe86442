/**
 * GET /health/ready on a live gateway: ready, then 503 with the reason while every place for
 * uploads waiting on the store is taken (a load balancer sends uploads elsewhere), ready again once
 * they settle; and 503 "shutting down" while draining. The database-outage cases (refused, silent)
 * run on real processes in tests/replicas/database-outage.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_UPLOADS_IN_FLIGHT } from '../../server/uploads/in-flight.ts';
import { startTestGateway } from '../helpers/gateway.ts';

async function readiness(gw: Awaited<ReturnType<typeof startTestGateway>>) {
  const res = await gw.app.request('/health/ready');
  const body = (await res.json()) as { status: string; reason?: string };
  return { http: res.status, status: body.status, reason: body.reason };
}

test('not ready while every upload place waits on the store; ready again once they settle; not ready while draining', async () => {
  const gw = await startTestGateway();
  try {
    assert.equal(await readiness(gw), { http: 200, status: 'ready', reason: undefined });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const waiting = Array.from({ length: MAX_UPLOADS_IN_FLIGHT }, () => gw.ctx.uploadsInFlight.run(() => held));
    const busy = await readiness(gw);
    assert.equal(busy, { http: 503, status: 'not_ready', reason: `${MAX_UPLOADS_IN_FLIGHT} uploads are waiting for the store` });
    release();
    await Promise.all(waiting);
    assert.is((await readiness(gw)).http, 200);
    gw.ctx.draining = true;
    const draining = await readiness(gw);
    assert.equal([draining.http, draining.reason], [503, 'shutting down']);
  } finally {
    await gw.close();
  }
});

test.run();
