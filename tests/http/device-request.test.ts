/**
 * The signed device request middleware's retransmission rule (server/http/device-request.ts): an
 * exact retransmission only ever gets the stored answer of the original request; a nonce committed
 * without a stored answer (by a version that recomputed pure reads) is answered as a signed replay,
 * never by running the route again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requestSignature, verifyResponseSignature } from '../../server/protocol/device-request.ts';
import { bytesToHex } from '../../server/crypto/hmac.ts';
import { startTestGateway } from '../helpers/gateway.ts';

test('a nonce committed without a stored reply is a signed replay for its retransmission, the route is not run', async () => {
  const gw = await startTestGateway();
  const key = await gw.register('m');
  await gw.admin('POST', '/commands/m', { command_type: 'reboot' });
  const path = '/commands/m/poll';
  const mac = bytesToHex(requestSignature(key, 7, 'GET', path));
  // What an older version journaled for an empty poll it considered idempotent: no reply.
  const claim = await gw.ctx.store.nonces.claim('m', 7, mac, gw.ctx.clock.now());
  assert.is(claim.outcome, 'fresh');
  if (claim.outcome === 'fresh') await claim.commit(undefined);
  const res = await gw.deviceRequest('m', key, 7, 'GET', path);
  const body = new Uint8Array(await res.arrayBuffer());
  assert.is(res.status, 401);
  assert.ok(verifyResponseSignature(key, 7, body, res.headers.get('x-signature') ?? ''), 'signed for the device');
  assert.is((JSON.parse(new TextDecoder().decode(body)) as { error: { code: string } }).error.code, 'replay');
  const list = (await (await gw.admin('GET', '/commands/m')).json()) as { commands: { status: string }[] };
  assert.equal(list.commands.map((c) => c.status), ['pending'], 'the command was not delivered');
  await gw.destroy();
});

test('signed requests: unknown, revoked and wrong-signature senders get one identical 401 bad_signature answer', async () => {
  const gw = await startTestGateway();
  const key = await gw.register('live');
  await gw.register('gone');
  await gw.admin('DELETE', '/devices/gone');
  const answers = [];
  for (const [id, k] of [['nobody', key], ['gone', key], ['live', new Uint8Array(32)]] as const) {
    const res = await gw.deviceRequest(id, k, 1, 'GET', '/config');
    answers.push({ status: res.status, signature: res.headers.get('x-signature'), body: await res.text() });
  }
  for (const a of answers) assert.equal(a, answers[0]);
  assert.is(answers[0]!.status, 401);
  assert.is(JSON.parse(answers[0]!.body).error.code, 'bad_signature');
  await gw.destroy();
});

test.run();
