/**
 * The upload route's schemas (server/uploads/openapi.ts) accept exactly what the gateway accepts:
 * each case is posted to a live gateway, correctly signed with a fresh nonce, and the answer (200
 * or not) must equal the schemas' verdict — the envelope schema, then the payload schema on the
 * decoded payload (Ajv treats contentSchema as an annotation, so it is applied here). Edge cases
 * sit on every limit of server/protocol/limits.ts from both sides.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packSamples, type Sample } from '../../server/codec/index.ts';
import { signEncodedPayload } from '../../server/protocol/envelope.ts';
import { BATCH_MAX_SAMPLES, PLAIN_FIELD_NAME_MAX, PLAIN_MAX_FIELDS } from '../../server/protocol/limits.ts';
import { envelopeSchema, payloadSchema } from '../../server/uploads/openapi.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { DocumentSchemas } from '../openapi/validator.ts';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64');
const sample = (fields: Record<string, unknown> = {}) => ({ timestamp: 1_700_000_000, voltage: 230.5, ...fields });
const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
/** The same bytes with a pad bit set in the last symbol: Node decodes it alike, it is not canonical. */
function padBitSet(canonical: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const at = canonical.replace(/=+$/, '').length - 1;
  return canonical.slice(0, at) + alphabet[alphabet.indexOf(canonical[at]!) + 1]! + canonical.slice(at + 1);
}
const packed = packSamples([sample(), sample({ timestamp: 1_700_000_060 })] as Sample[], 'smart');

/** [name, payload string (base64 of the document unless a raw string), envelope changes] */
const CASES: [string, string, Record<string, unknown>?][] = [
  ['one plain sample', b64({ aggregated_data: [sample()] })],
  [`${BATCH_MAX_SAMPLES} samples`, b64({ aggregated_data: Array.from({ length: BATCH_MAX_SAMPLES }, (_, i) => ({ timestamp: i })) })],
  [`${BATCH_MAX_SAMPLES + 1} samples`, b64({ aggregated_data: Array.from({ length: BATCH_MAX_SAMPLES + 1 }, (_, i) => ({ timestamp: i })) })],
  ['no samples', b64({ aggregated_data: [] })],
  [`${PLAIN_MAX_FIELDS} fields`, b64({ aggregated_data: [{ timestamp: 1, ...many(PLAIN_MAX_FIELDS) }] })],
  [`${PLAIN_MAX_FIELDS + 1} fields`, b64({ aggregated_data: [{ timestamp: 1, ...many(PLAIN_MAX_FIELDS + 1) }] })],
  ['longest field name', b64({ aggregated_data: [sample({ ['x'.repeat(PLAIN_FIELD_NAME_MAX)]: 1 })] })],
  ['field name too long', b64({ aggregated_data: [sample({ ['x'.repeat(PLAIN_FIELD_NAME_MAX + 1)]: 1 })] })],
  ['mixed-case field', b64({ aggregated_data: [sample({ Power_L1: 12 })] })],
  ['field with a dash', b64({ aggregated_data: [sample({ 'power-l1': 12 })] })],
  ['field "constructor"', b64({ aggregated_data: [sample({ constructor: 1 })] })],
  ['field "toString"', b64({ aggregated_data: [sample({ toString: 1 })] })],
  ['field "__proto__"', b64('{"aggregated_data":[{"timestamp":1,"__proto__":2}]}')],
  ['no timestamp', b64({ aggregated_data: [{ voltage: 1 }] })],
  ['timestamp as a string', b64({ aggregated_data: [{ timestamp: '1' }] })],
  ['a null value', b64({ aggregated_data: [sample({ voltage: null })] })],
  ['a sample that is an array', b64({ aggregated_data: [[1, 2]] })],
  ['samples not an array', b64({ aggregated_data: { timestamp: 1 } })],
  ['another member beside aggregated_data', b64({ aggregated_data: [sample()], note: 'x' })],
  ['both plain and packed', b64({ aggregated_data: [sample()], ...packed })],
  ['neither', b64({ samples: [sample()] })],
  ['a JSON array', b64([sample()])],
  ['packed batch', b64(packed)],
  ['packed, upper-case crc32', b64({ ...packed, crc32: packed.crc32.toUpperCase() })],
  ['packed, crc32 not hex', b64({ ...packed, crc32: 'zzzzzzzz' })],
  ['packed, unassigned method', b64({ ...packed, method: 1 })],
  ['packed, method as a string', b64({ ...packed, method: 'smart' })],
  ['packed, original_size over 1 MiB', b64({ ...packed, original_size: (1 << 20) + 1 })],
  ['packed, negative compressed_size', b64({ ...packed, compressed_size: -1 })],
  ['packed, missing crc32', b64({ ...packed, crc32: undefined })],
  ['packed, with an extra member', b64({ ...packed, note: 'x' })],
  ['payload without padding', b64({ aggregated_data: [sample()] }).replace(/=+$/, '')],
  ['payload in base64url', Buffer.from(JSON.stringify({ aggregated_data: [sample({ v: 62.5 })], p: '>>>???' })).toString('base64url')],
  ['payload with a pad bit set', padBitSet(b64('{"aggregated_data":[{"timestamp":1}]} '))],
  ['empty payload', ''],
  ['nonce 2^32 - 1', b64({ aggregated_data: [sample()] }), { nonce: 0xffffffff }],
  ['nonce 2^32', b64({ aggregated_data: [sample()] }), { nonce: 2 ** 32 }],
  ['nonce 1.5', b64({ aggregated_data: [sample()] }), { nonce: 1.5 }],
  ['mac in upper case', b64({ aggregated_data: [sample()] }), { upper: true }],
  ['mac too short', b64({ aggregated_data: [sample()] }), { mac: 'ab' }],
  ['an extra envelope member', b64({ aggregated_data: [sample()] }), { extra: 1 }],
  ['device id only dots', b64({ aggregated_data: [sample()] }), { device_id: '..' }],
];

test('the upload schemas accept exactly what the gateway accepts', async () => {
  // Room for the largest batch; nonces rise per case (each case is its own device).
  const gw = await startTestGateway({ env: { BODY_LIMIT_BYTES: String(4 * 1024 * 1024) } });
  const schemas = new DocumentSchemas({});
  const envelope = envelopeSchema(gw.config);
  const payload = payloadSchema(gw.config);
  const disagreements: string[] = [];
  let i = 0;
  let acceptedCount = 0;
  for (const [name, text, change = {}] of CASES) {
    const id = `u${i++}`;
    const key = await gw.register(id);
    const nonce = typeof change.nonce === 'number' ? change.nonce : 1;
    const signed = signEncodedPayload(key, id, Number.isInteger(nonce) && nonce < 2 ** 32 ? nonce : 1, text) as unknown as Record<string, unknown>;
    const body: Record<string, unknown> = { ...signed, nonce, ...(change.upper ? { mac: (signed.mac as string).toUpperCase() } : {}) };
    for (const k of ['mac', 'extra', 'device_id'] as const) if (k in change) body[k] = change[k];
    const res = await gw.app.request(`/aggregated/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const accepted = res.status === 200;
    if (accepted) acceptedCount++;
    let schemaSays = schemas.check(envelope, body) === undefined;
    if (schemaSays) {
      let document: unknown;
      try {
        document = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
      } catch {
        schemaSays = false;
      }
      if (schemaSays) schemaSays = schemas.check(payload, document) === undefined;
    }
    if (accepted !== schemaSays) disagreements.push(`${name}: gateway ${res.status} ${(await res.text()).slice(0, 160)}, schema ${schemaSays ? 'accepts' : 'refuses'}`);
  }
  assert.equal(disagreements, [], disagreements.join('\n'));
  assert.ok(acceptedCount >= 10 && acceptedCount <= CASES.length - 20, `${acceptedCount} of ${CASES.length} accepted: both verdicts are exercised`);
  await gw.destroy();
});

test.run();
