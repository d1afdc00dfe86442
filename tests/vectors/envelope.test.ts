/**
 * The signing vectors: the committed file equals a fresh generation, and every MAC in it is
 * recomputed here with node:crypto (independently of the server's own HMAC helper).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateEnvelopeVectors } from '../../scripts/vectors/envelope.ts';

const file = JSON.parse(readFileSync(new URL('./envelope.json', import.meta.url), 'utf8')) as ReturnType<typeof generateEnvelopeVectors>;

const hmac = (keyHex: string, ...parts: Buffer[]) => createHmac('sha256', Buffer.from(keyHex, 'hex')).update(Buffer.concat(parts)).digest('hex');
const be32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

test('committed envelope.json equals a fresh generation (never hand-edited)', () => {
  assert.equal(file, JSON.parse(JSON.stringify(generateEnvelopeVectors())));
});

test('envelope MACs = HMAC(key, nonce BE ‖ payload string)', () => {
  for (const e of file.envelopes) {
    assert.is(e.envelope.mac, hmac(file.key, be32(e.nonce), Buffer.from(e.envelope.payload)), e.name);
    assert.is(Buffer.from(e.envelope.payload, 'base64').toString('utf8'), e.payload_json);
  }
});

test('request signatures = HMAC(key, nonce BE ‖ METHOD " " path "\\n" body)', () => {
  for (const r of file.requests) {
    const input = Buffer.concat([be32(r.nonce), Buffer.from(`${r.method} ${r.path}\n`), Buffer.from(r.body_hex, 'hex')]);
    assert.is(input.toString('hex'), r.signing_input_hex);
    assert.is(r.signature, hmac(file.key, input), r.name);
  }
  for (const r of file.responses) assert.is(r.signature, hmac(file.key, be32(r.nonce), Buffer.from(r.body)), r.name);
});

test('derived device keys', () => {
  const { master, keys } = file.key_derivation;
  for (const k of keys) {
    assert.is(k.key, hmac(master, Buffer.from('fleetgate/device-key/v1\0'), Buffer.from(k.device_id), Buffer.from('\0'), be32(k.key_version)));
  }
});

test.run();
