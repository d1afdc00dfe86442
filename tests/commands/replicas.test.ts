/**
 * The command queue with two gateways on one PostgreSQL database (in-process): a device polling
 * both at once gets each command from one of them, in one delivery, and the queue limit holds
 * across both.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { startTestGateway, tempDir, errorCode } from '../helpers/gateway.ts';
import '../helpers/postgres.ts';
import { SimDevice, json, type PolledCommand } from '../control-plane/device.ts';

test('a device polling two gateways at once: each command delivered once, by one of them', async () => {
  const a = await startTestGateway({ backend: 'postgres', env: { COMMAND_QUEUE_LIMIT: '3' } });
  // Same database and KEYS_DIR (device keys derive from it), a DATA_DIR of its own.
  const b = await startTestGateway({ dir: await tempDir(), env: { DATABASE_URL: a.config.DATABASE_URL!, KEYS_DIR: join(a.dir, 'keys'), COMMAND_QUEUE_LIMIT: '3' } });
  const key = await a.register('meter-1');
  const on = (gw: typeof a) => new SimDevice('meter-1', key, (path, init) => Promise.resolve(gw.app.request(path, init)));
  const [viaA, viaB] = [on(a), on(b)];
  let nonce = 0;
  const queued: string[] = [];
  for (let round = 0; round < 30; round++) {
    const res = await (round % 2 ? a : b).admin('POST', '/commands/meter-1', { command_type: 'reboot' });
    assert.is(res.status, 201);
    queued.push((await json<{ command_id: string }>(res)).command_id);
    // Two polls in flight at once, one per gateway (nonces in order; the later one may overtake
    // the earlier, which is then a replay: 401).
    const replies = await Promise.all([viaA.send<{ command: PolledCommand | null }>(++nonce, 'GET', '/commands/meter-1/poll'), viaB.send<{ command: PolledCommand | null }>(++nonce, 'GET', '/commands/meter-1/poll')]);
    const delivered = replies.filter((r) => r.status === 200 && r.json.command).map((r) => r.json.command!.command_id);
    assert.ok(replies.every((r) => r.status === 200 || r.status === 401), replies.map((r) => r.status).join());
    assert.equal(delivered, [queued[round]], `round ${round}`);
    const done = await viaB.send(++nonce, 'POST', '/commands/meter-1/result', { command_id: queued[round], status: 'completed' });
    assert.is(done.status, 200);
  }
  const sent = await json<{ entries: { command_id: string }[] }>(await b.admin('GET', '/audit?action=command.sent&limit=1000'));
  assert.equal(sent.entries.map((e) => e.command_id), queued, 'one delivery each');

  // The queue limit is one limit, whichever gateway is asked.
  const created = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).admin('POST', '/commands/meter-1', { command_type: 'reboot' })));
  assert.equal(created.map((r) => r.status).sort(), [201, 201, 201, 409, 409, 409, 409, 409]);
  assert.is(await errorCode(created.find((r) => r.status === 409)!), 'queue_full');
  await b.destroy();
  await a.destroy();
});

test.run();
