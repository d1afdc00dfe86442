/**
 * The compression target: on the household dataset frame, `smart` must pack at least as well as
 * zlib deflate level 6 on the same frame bytes — with margin (≥ 1.5× deflate's ratio), so small
 * tuning changes cannot silently fall below it. Skips if the dataset file is absent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateSync } from 'node:zlib';
import { encodeFrame, packFrame } from '../../server/codec/index.ts';
import { householdDatasetAvailable, loadHouseholdSamples } from './fixtures.ts';

const MARGIN = 1.5;

test('smart ratio ≥ 1.5 × deflate-6 ratio on the household dataset', () => {
  if (!householdDatasetAvailable()) {
    console.warn('household dataset missing: skipping the ratio target');
    return;
  }
  const frame = encodeFrame(loadHouseholdSamples());
  const deflateRatio = frame.length / deflateSync(frame, { level: 6 }).length;
  const smartRatio = frame.length / packFrame(frame, 'smart').length;
  assert.ok(smartRatio >= deflateRatio * MARGIN, `smart ${smartRatio.toFixed(2)} vs deflate ${deflateRatio.toFixed(2)}`);
});

test('smart beats deflate-6 on every 100-row slice of the dataset too', () => {
  if (!householdDatasetAvailable()) return;
  const all = loadHouseholdSamples();
  for (let s = 0; s + 100 <= all.length; s += 100) {
    const frame = encodeFrame(all.slice(s, s + 100));
    const smart = packFrame(frame, 'smart').length;
    const deflate = deflateSync(frame, { level: 6 }).length;
    assert.ok(smart < deflate, `rows ${s}..${s + 99}: smart ${smart} ≥ deflate ${deflate}`);
  }
});

test.run();
