import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayError } from '../../server/errors.ts';
import { decodePayload, decodePayloadText } from '../../server/uploads/payload.ts';

const MAX = 1 << 20;
const SAMPLES = '[{"voltage":230.50,"timestamp":1763000000},{"voltage":2.3e2,"power":-0,"timestamp":1763000060}]';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? err.code : String(err);
  }
  return undefined;
}

test("a plain document's samples are kept as the device wrote them, and parse to the checked samples", () => {
  for (const text of [`{"aggregated_data":${SAMPLES}}`, ` { "aggregated_data" :\t${SAMPLES} } `]) {
    const decoded = decodePayload(text, MAX);
    assert.is(decoded.method, 'plain');
    assert.is(decoded.samplesJson, SAMPLES);
    assert.equal(JSON.parse(decoded.samplesJson!), decoded.samples);
    assert.equal(decoded.samples[1], { voltage: 230, power: -0, timestamp: 1763000060 });
  }
});

test('the text is not kept when cutting it out could differ from what was checked; the samples still are', () => {
  const cases = [
    // A duplicate key: JSON.parse keeps the last array, the first "[" belongs to the first.
    `{"aggregated_data":[{"timestamp":1}],"aggregated_data":${SAMPLES}}`,
    // Another member next to it.
    `{"aggregated_data":${SAMPLES},"device":1}`,
    `{"device":1,"aggregated_data":${SAMPLES}}`,
    // An escaped key, and line breaks inside the array (a day-file line must stay one line).
    `{"aggregated\\u005fdata":${SAMPLES}}`,
    `{"aggregated_data":[{"voltage":1,\n"timestamp":1}]}`,
    `{"aggregated_data":[{"voltage":1,"timestamp":1}\r]}`,
  ];
  for (const text of cases) {
    const decoded = decodePayload(text, MAX);
    assert.is(decoded.samplesJson, undefined, text);
    assert.equal(decoded.samples, JSON.parse(text).aggregated_data, text);
  }
});

test('plain samples are checked in place: every rejection is a 400 invalid_payload', () => {
  const bad = [
    '{"aggregated_data":[]}',
    '{"aggregated_data":{}}',
    '{"aggregated_data":[{"voltage":1}]}',
    '{"aggregated_data":[{"voltage":"1","timestamp":1}]}',
    '{"aggregated_data":[{"volt-age":1,"timestamp":1}]}',
    '{"aggregated_data":[{"voltage":1e400,"timestamp":1}]}',
    '{"aggregated_data":[[1]]}',
    `{"aggregated_data":[{${Array.from({ length: 65 }, (_, i) => `"f${i}":1`).join(',')},"timestamp":1}]}`,
    '{"aggregated_data":[{"timestamp":1}],"compressed_data":""}',
    '[1]',
    'not json',
  ];
  for (const text of bad) assert.is(code(() => decodePayload(text, MAX)), 'invalid_payload', text);
});

test('the payload text is canonical base64 of UTF-8', () => {
  assert.is(decodePayloadText(Buffer.from('{"a":1}').toString('base64'), MAX), '{"a":1}');
  assert.is(code(() => decodePayloadText('eyJhIjoxfQ', MAX)), 'invalid_payload', 'unpadded');
  assert.is(code(() => decodePayloadText('eyJh*IjoxfQ==', MAX)), 'invalid_payload', 'outside the alphabet');
  assert.is(code(() => decodePayloadText(Buffer.from([0xff, 0xfe]).toString('base64'), MAX)), 'invalid_payload', 'not UTF-8');
  assert.is(code(() => decodePayloadText('QUFB'.repeat(100), 200)), 'invalid_payload', 'over the limit');
});

test.run();
