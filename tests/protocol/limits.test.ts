/**
 * The firmware's fg_limits.h is generated from server/protocol/limits.ts: the checked-in header
 * must equal a fresh rendering (so the C core and the gateway cannot drift apart), and the values
 * the gateway enforces must be the ones in the module.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_BATCH_SAMPLES, MAX_FIELDS, MAX_FRAME_BYTES, MAX_RATIO } from '../../server/codec/index.ts';
import { VERIFY_CHECKS } from '../../server/ota/checks.ts';
import { otaRefusal } from '../../server/ota/service.ts';
import * as L from '../../server/protocol/limits.ts';
import { MAX_PLAIN_SAMPLES } from '../../server/uploads/payload.ts';
import { LIMITS_HEADER_PATH, renderLimitsHeader } from '../../scripts/limits-header.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('the checked-in fg_limits.h equals a fresh generation (run `npm run limits`)', async () => {
  const text = await readFile(join(ROOT, LIMITS_HEADER_PATH), 'utf8');
  assert.fixture(text, renderLimitsHeader());
  assert.match(text, /GENERATED .* DO NOT EDIT/);
});

test('the header carries every shared value the gateway enforces', () => {
  const h = renderLimitsHeader();
  const def = (name: string) => new RegExp(`#define ${name} \\(?(-?\\d+)\\)?\\n`).exec(h)?.[1];
  assert.is(Number(def('FG_LIMIT_BATCH_MAX_SAMPLES')), MAX_BATCH_SAMPLES);
  assert.is(Number(def('FG_LIMIT_BATCH_MAX_SAMPLES')), MAX_PLAIN_SAMPLES);
  assert.is(Number(def('FG_LIMIT_FRAME_MAX_FIELDS')), MAX_FIELDS);
  assert.is(Number(def('FG_LIMIT_FRAME_MAX_BYTES')), MAX_FRAME_BYTES);
  assert.is(Number(def('FG_LIMIT_PACKED_MAX_RATIO')), MAX_RATIO);
  assert.is(Number(def('FG_LIMIT_SCALE_EXP_MIN')), L.SCALE_EXP_MIN);
  for (const name of L.RESERVED_FIELD_NAMES) assert.ok(h.includes(`"${name}"`), name);
  for (const check of VERIFY_CHECKS) assert.ok(h.includes(`, "${check}")`), check);
});

test('the refusals that end a download are answered with the status the firmware expects', () => {
  const h = renderLimitsHeader();
  assert.equal(Object.keys(L.OTA_REFUSALS).sort(), ['not_assigned', 'yanked']);
  for (const [code, status] of Object.entries(L.OTA_REFUSALS) as [L.OtaRefusal, number][]) {
    const err = otaRefusal(code, 'x');
    assert.equal([err.status, err.code], [status, code], code);
    assert.ok(h.includes(`#define FG_LIMIT_OTA_REFUSAL_${code.toUpperCase()} "${code}"\n`), code);
    assert.ok(h.includes(`#define FG_LIMIT_OTA_REFUSAL_${code.toUpperCase()}_STATUS ${status}\n`), code);
  }
});

test('name rules: registers are frame names; reserved names are refused everywhere', () => {
  for (const n of ['power', 'v1', 'a_b', 'a'.repeat(31)]) assert.ok(L.isRegisterName(n) && L.isFrameFieldName(n), n);
  for (const n of ['Power', '1v', 'a'.repeat(32), 'constructor', 'timestamp', '__proto__', 'a-b', '']) assert.not.ok(L.isRegisterName(n), n);
  for (const n of ['Power', 'a'.repeat(64)]) assert.ok(L.isPlainFieldName(n), n);
  for (const n of ['toString', '__proto__', 'valueOf', 'a'.repeat(65)]) assert.not.ok(L.isPlainFieldName(n), n);
});

test.run();
