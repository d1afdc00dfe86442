/**
 * Server-side downsampling for the console's charts (server/ui/chart.ts): few samples pass through
 * point by point; many become at most MAX_POINTS buckets whose min / mean / max are those of the
 * samples in them, in time order, with every sample counted once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { downsample, MAX_POINTS, toSeconds } from '../../server/ui/chart.ts';

test('few samples: one point each, sorted by time', () => {
  const d = downsample([
    { t: 30, v: 3 },
    { t: 10, v: 1 },
    { t: 20, v: 2 },
  ]);
  assert.equal([d.t, d.min, d.avg, d.max, d.samples, d.bucketSeconds], [[10, 20, 30], [1, 2, 3], [1, 2, 3], [1, 2, 3], 3, 0]);
  assert.equal(downsample([]), { t: [], min: [], avg: [], max: [], samples: 0, bucketSeconds: 0 });
});

test('a week of one sample per 10 s: at most MAX_POINTS buckets, each the min/mean/max of its samples', () => {
  const points = Array.from({ length: 60_480 }, (_, i) => ({ t: 1_700_000_000 + i * 10, v: (i % 50) - 25 }));
  const d = downsample(points);
  assert.ok(d.t.length <= MAX_POINTS && d.t.length >= MAX_POINTS - 1, `${d.t.length} points`);
  assert.is(d.samples, 60_480);
  assert.is(d.bucketSeconds, Math.ceil((60_479 * 10 + 1) / MAX_POINTS));
  assert.ok(d.t.every((t, i) => i === 0 || t > d.t[i - 1]!));
  for (let i = 0; i < d.t.length; i++) {
    const inBucket = points.filter((p) => p.t >= d.t[i]! && p.t < d.t[i]! + d.bucketSeconds).map((p) => p.v);
    assert.is(d.min[i], Math.min(...inBucket));
    assert.is(d.max[i], Math.max(...inBucket));
    assert.ok(Math.abs(d.avg[i]! - inBucket.reduce((a, b) => a + b, 0) / inBucket.length) < 1e-9);
  }
  // Gaps stay gaps: no bucket is invented where no sample is.
  const gappy = downsample([...points.slice(0, 1000), ...points.slice(50_000)]);
  assert.ok(gappy.t.length < MAX_POINTS);
});

test('device timestamps: seconds below 1e12, else milliseconds', () => {
  assert.equal([toSeconds(1_763_000_000), toSeconds(1_763_000_000_500)], [1_763_000_000, 1_763_000_000.5]);
});

test.run();
