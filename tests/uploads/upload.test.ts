import { test } from 'uvu';
import { createHmac } from 'node:crypto';
import * as assert from 'uvu/assert';
import { signEnvelope, signEncodedPayload } from '../../server/protocol/envelope.ts';
import { MAX_UNPACKED_BYTES_IN_FLIGHT } from '../../server/uploads/in-flight.ts';
import { errorCode, samples, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway;
let key: Uint8Array;
const ID = 'ESP32_EcoWatt_Smart';

test.before.each(async () => {
  gw = await startTestGateway();
  key = await gw.register(ID);
});
test.after.each(async () => gw.destroy());

function post(body: string | object, headers: Record<string, string> = { 'content-type': 'application/json' }, path = `/aggregated/${ID}`) {
  // Bytes, not a string: a string body would get an implicit text/plain content type.
  const bytes = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  return gw.app.request(path, { method: 'POST', headers, body: bytes });
}

test('plain aggregated_data upload is stored and read back', async () => {
  const res = await gw.upload(ID, key, 1, { aggregated_data: samples(10) });
  assert.is(res.status, 200);
  assert.equal(await res.json(), { success: true, samples: 10 });
  const back = await gw.admin('GET', `/telemetry/${ID}`);
  const json = (await back.json()) as { count: number; samples: { voltage: number; timestamp: number; nonce: number }[] };
  assert.is(json.count, 10);
  assert.is(json.samples[0]!.timestamp, 1_700_000_000);
  assert.is(json.samples[0]!.voltage, 230);
  assert.is(json.samples[0]!.nonce, 1);
});

// The count of uploads in flight alone let 2,000 of them hold up to 1 MiB unpacked each while the
// store was silent: 2 GiB before any was refused.
test('uploads in flight holding too many bytes: the next is answered 503 (signed), its nonce not consumed, and goes once they settle', async () => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const waiting = gw.ctx.uploadsInFlight.run(async (hold) => {
    hold.charge(MAX_UNPACKED_BYTES_IN_FLIGHT - 100); // large batches the store has not answered
    await held;
  });
  const refused = await gw.upload(ID, key, 1, { aggregated_data: samples(10) });
  const body = await refused.text();
  assert.is(refused.status, 503);
  assert.is(JSON.parse(body).error.code, 'unavailable');
  assert.match(JSON.parse(body).error.message, /retry with the same nonce/);
  const n = Buffer.alloc(4);
  n.writeUInt32BE(1);
  assert.is(refused.headers.get('x-signature'), createHmac('sha256', key).update(n).update(body).digest('hex'), 'signed');
  release();
  await waiting;
  const retried = await gw.upload(ID, key, 1, { aggregated_data: samples(10) });
  assert.equal([retried.status, await retried.json()], [200, { success: true, samples: 10 }], 'the same nonce is accepted, new');
  assert.is(gw.ctx.uploadsInFlight.bytes, 0);
});

test('exact retransmission is answered duplicate and stored once', async () => {
  const envelope = signEnvelope(key, ID, 7, { aggregated_data: samples(3) });
  const first = await post(envelope);
  assert.is(first.status, 200);
  const again = await post(envelope);
  assert.is(again.status, 200);
  assert.equal(await again.json(), { success: true, samples: 3, duplicate: true });
  const back = (await (await gw.admin('GET', `/telemetry/${ID}`)).json()) as { count: number };
  assert.is(back.count, 3);
});

test('replays: same nonce with a different payload, and lower nonces, are 401 replay', async () => {
  assert.is((await gw.upload(ID, key, 10, { aggregated_data: samples(1) })).status, 200);
  const same = await gw.upload(ID, key, 10, { aggregated_data: samples(2) });
  assert.is(same.status, 401);
  assert.is(await errorCode(same), 'replay');
  const lower = await gw.upload(ID, key, 9, { aggregated_data: samples(1) });
  assert.is(lower.status, 401);
  assert.is(await errorCode(lower), 'replay');
});

test('bad mac is 401 bad_signature and does not consume the nonce', async () => {
  const envelope = signEnvelope(key, ID, 5, { aggregated_data: samples(1) });
  const tampered = { ...envelope, mac: envelope.mac.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
  const res = await post(tampered);
  assert.is(res.status, 401);
  assert.is(await errorCode(res), 'bad_signature');
  assert.is((await post(envelope)).status, 200);
});

test('the mac covers the payload string as sent: the same JSON re-encoded fails', async () => {
  const envelope = signEnvelope(key, ID, 5, { aggregated_data: samples(1) });
  const json = Buffer.from(envelope.payload, 'base64').toString('utf8');
  const reencoded = Buffer.from(JSON.stringify(JSON.parse(json), null, 1)).toString('base64');
  const res = await post({ ...envelope, payload: reencoded });
  assert.is(res.status, 401);
  assert.is(await errorCode(res), 'bad_signature');
});

test('answers to an identified device are signed: HMAC(key, nonce BE ‖ body), rejections included', async () => {
  const sig = (nonce: number, body: string) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(nonce);
    return createHmac('sha256', key).update(n).update(body).digest('hex');
  };
  const ok = await gw.upload(ID, key, 300, { aggregated_data: samples(1) });
  const okBody = await ok.text();
  assert.is(ok.headers.get('x-signature'), sig(300, okBody));
  const replay = await gw.upload(ID, key, 299, { aggregated_data: samples(1) });
  const replayBody = await replay.text();
  assert.is(replay.status, 401);
  assert.is(replay.headers.get('x-signature'), sig(299, replayBody));
  assert.is(JSON.parse(replayBody).error.last_nonce, 300);
  // a forged message cannot be tied to a key: its answer is not signed
  const forged = await gw.upload(ID, new Uint8Array(32), 301, { aggregated_data: samples(1) });
  assert.is(forged.status, 401);
  assert.is(forged.headers.get('x-signature'), null);
});

test('unknown, revoked and wrong-MAC uploads get one identical 401 bad_signature body (no enumeration)', async () => {
  // Attack (issue 12.5): an all-zero MAC used to tell unregistered, registered and revoked ids apart.
  await gw.register('revoked-one');
  await gw.admin('DELETE', '/devices/revoked-one');
  const zeroMac = (id: string) => ({ ...signEnvelope(key, id, 1, { aggregated_data: samples(1) }), mac: '0'.repeat(64) });
  const answers = [];
  for (const id of ['nobody', ID, 'revoked-one']) {
    const res = await post(zeroMac(id), undefined, `/aggregated/${id}`);
    answers.push({ status: res.status, signed: res.headers.get('x-signature'), body: await res.text() });
  }
  const real = await post(signEnvelope(key, 'nobody', 1, { aggregated_data: samples(1) }), undefined, '/aggregated/nobody');
  answers.push({ status: real.status, signed: real.headers.get('x-signature'), body: await real.text() });
  for (const a of answers) assert.equal(a, answers[0], 'same status, headers and body');
  assert.is(answers[0]!.status, 401);
  assert.is(JSON.parse(answers[0]!.body).error.code, 'bad_signature');
  // the difference is kept server-side
  const stats = (await (await gw.admin('GET', '/security/stats')).json()) as { fleet: Record<string, number> };
  assert.is(stats.fleet.unknown_device, 3);
  assert.is(stats.fleet.bad_signature, 1);
});

test('path and body device ids must match', async () => {
  const res = await post(signEnvelope(key, 'other', 1, { aggregated_data: samples(1) }));
  assert.is(res.status, 400);
  assert.is(await errorCode(res), 'device_mismatch');
});

test('malformed envelopes are 400 with a code naming the problem', async () => {
  const good = signEnvelope(key, ID, 3, { aggregated_data: samples(1) });
  const cases: [unknown, string][] = [
    ['{not json', 'invalid_json'],
    ['', 'invalid_json'],
    [[], 'invalid_envelope'],
    [{ ...good, nonce: -1 }, 'invalid_envelope'],
    [{ ...good, nonce: 2 ** 32 }, 'invalid_envelope'],
    [{ ...good, nonce: 1.5 }, 'invalid_envelope'],
    [{ ...good, nonce: '3' }, 'invalid_envelope'],
    [{ ...good, mac: 'xyz' }, 'invalid_envelope'],
    [{ ...good, payload: undefined }, 'invalid_envelope'],
    [{ ...good, device_id: '../etc' }, 'invalid_envelope'],
  ];
  for (const [body, code] of cases) {
    const res = await post(typeof body === 'string' ? body : JSON.stringify(body));
    assert.is(res.status, 400, `status for ${JSON.stringify(body)}`);
    assert.is(await errorCode(res), code, `code for ${JSON.stringify(body)}`);
  }
});

test('authentic but malformed payloads are 400 and do not burn the nonce', async () => {
  const docs: unknown[] = [
    'not base64 json',
    { something: 1 },
    { aggregated_data: [] },
    { aggregated_data: [{ voltage: 1 }] },
    { aggregated_data: [{ timestamp: 1, voltage: 'high' }] },
    { aggregated_data: [{ timestamp: 1 }], compressed_data: 'AAAA' },
    { compressed_data: 'AAAA', method: 0xd0, original_size: 3, compressed_size: 3, crc32: 'zz' },
  ];
  for (const doc of docs) {
    const envelope =
      typeof doc === 'string'
        ? signEncodedPayload(key, ID, 20, Buffer.from(doc).toString('base64'))
        : signEnvelope(key, ID, 20, doc);
    const res = await post(envelope);
    assert.is(res.status, 400, JSON.stringify(doc));
    const code = await errorCode(res);
    assert.ok(code === 'invalid_payload', `${JSON.stringify(doc)} → ${code}`);
  }
  assert.is((await gw.upload(ID, key, 20, { aggregated_data: samples(1) })).status, 200);
});

test('non-base64 payload string is 400 invalid_payload', async () => {
  const res = await post(signEncodedPayload(key, ID, 4, '***'));
  assert.is(res.status, 400);
  assert.is(await errorCode(res), 'invalid_payload');
});

test('415 for a non-JSON content type, 413 over the body limit', async () => {
  const envelope = signEnvelope(key, ID, 2, { aggregated_data: samples(1) });
  const res = await post(envelope, { 'content-type': 'text/plain' });
  assert.is(res.status, 415);
  assert.is(await errorCode(res), 'unsupported_media_type');
  const big = signEnvelope(key, ID, 2, { aggregated_data: samples(1), pad: 'x'.repeat(70 * 1024) });
  const tooBig = await post(big);
  assert.is(tooBig.status, 413);
  assert.is(await errorCode(tooBig), 'payload_too_large');
  // no content type at all is accepted (older firmware omits it)
  assert.is((await post(envelope, {})).status, 200);
});

test('revoked device is refused', async () => {
  assert.is((await gw.upload(ID, key, 1, { aggregated_data: samples(1) })).status, 200);
  assert.is((await gw.admin('DELETE', `/devices/${ID}`)).status, 200);
  const res = await gw.upload(ID, key, 2, { aggregated_data: samples(1) });
  assert.is(res.status, 401);
  assert.is(await errorCode(res), 'bad_signature');
});

test('security stats count outcomes fleet-wide and per device', async () => {
  await gw.upload(ID, key, 1, { aggregated_data: samples(1) });
  await gw.upload(ID, key, 1, { aggregated_data: samples(2) });
  await gw.upload(ID, new Uint8Array(32), 2, { aggregated_data: samples(1) });
  const stats = (await (await gw.admin('GET', '/security/stats')).json()) as {
    fleet: Record<string, number>;
    devices: Record<string, Record<string, number>>;
  };
  assert.is(stats.fleet.accepted, 1);
  assert.is(stats.fleet.replay, 1);
  assert.is(stats.fleet.bad_signature, 1);
  assert.is(stats.fleet.total, 3);
  assert.is(stats.devices[ID]!.replay, 1);
  assert.is(Math.round(stats.fleet.success_rate!), 33);
});

test('nonce reset re-opens a device to lower nonces', async () => {
  assert.is((await gw.upload(ID, key, 100, { aggregated_data: samples(1) })).status, 200);
  const reset = await gw.admin('DELETE', `/security/nonces?device_id=${ID}`);
  assert.equal(((await reset.json()) as { devices_reset: number }).devices_reset, 1);
  assert.is((await gw.upload(ID, key, 1, { aggregated_data: samples(1) })).status, 200);
});

test.run();
