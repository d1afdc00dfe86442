/**
 * RFC 9110 range decisions (server/ota/range.ts) without a server: byte-range and suffix forms,
 * clamping, unsatisfiable vs ignored (invalid syntax, other units), merging of several ranges,
 * If-Range (strong ETag only; weak tags and dates never match) and If-None-Match.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coalesce, parseEtagList, parseRangeHeader, selectRange } from '../../server/ota/range.ts';

const SIZE = 1000;
const ETAG = '"abc"';
const sel = (range?: string, extra: { ifRange?: string; ifNoneMatch?: string } = {}) => selectRange({ range, ...extra }, SIZE, ETAG);
const partial = (start: number, end: number) => ({ kind: 'partial', range: { start, end } });

test('single ranges: first byte, last byte, open-ended, suffix, clamped', () => {
  assert.equal(sel('bytes=0-0'), partial(0, 0));
  assert.equal(sel('bytes=999-999'), partial(999, 999));
  assert.equal(sel('bytes=500-'), partial(500, 999));
  assert.equal(sel('bytes=-1'), partial(999, 999));
  assert.equal(sel('bytes=-100'), partial(900, 999));
  assert.equal(sel('bytes=-5000'), partial(0, 999), 'suffix longer than the image: the whole image');
  assert.equal(sel('bytes=900-5000'), partial(900, 999), 'last-pos clamped');
  assert.equal(sel('bytes=0-999'), partial(0, 999));
  assert.equal(sel('BYTES=1-2'), partial(1, 2), 'unit is case-insensitive');
  assert.equal(sel('bytes= 1-2 '), partial(1, 2));
  assert.equal(sel('bytes=0-99999999999999999999'), partial(0, 999));
});

test('unsatisfiable: every range starts at or beyond the end, or a zero suffix', () => {
  assert.equal(sel('bytes=1000-'), { kind: 'unsatisfiable' });
  assert.equal(sel('bytes=1000-2000'), { kind: 'unsatisfiable' });
  assert.equal(sel('bytes=-0'), { kind: 'unsatisfiable' });
  assert.equal(sel('bytes=5000-,2000-3000'), { kind: 'unsatisfiable' });
  assert.equal(sel('bytes=5000-,0-9'), partial(0, 9), 'one satisfiable range is enough');
});

test('invalid or foreign Range headers are ignored: full 200', () => {
  for (const h of ['bytes=abc', 'bytes=5-1', 'bytes=', 'bytes=1', 'bytes=--1', 'bytes=1-2-3', 'items=0-1', 'bytes 0-1', 'bytes=0x10-', 'bytes=+1-2', 'bytes=1.5-2']) {
    assert.equal(sel(h), { kind: 'full' }, h);
  }
  assert.equal(sel(`bytes=${Array.from({ length: 65 }, (_, i) => `${i}-${i}`).join(',')}`), { kind: 'full' }, 'too many specs');
});

test('several ranges: merged when they touch or overlap, else the full image', () => {
  assert.equal(sel('bytes=0-9,10-19'), partial(0, 19));
  assert.equal(sel('bytes=10-19,0-14'), partial(0, 19));
  assert.equal(sel('bytes=0-9,,5-20'), partial(0, 20), 'empty list elements are tolerated');
  assert.equal(sel('bytes=0-0,-1'), { kind: 'full' });
  assert.equal(sel('bytes=0-9,20-29'), { kind: 'full' });
  assert.equal(coalesce([{ start: 5, end: 6 }, { start: 0, end: 1 }, { start: 2, end: 4 }]), [{ start: 0, end: 6 }]);
});

test('If-Range: a strong matching ETag keeps the range; anything else sends the full image', () => {
  assert.equal(sel('bytes=0-9', { ifRange: '"abc"' }), partial(0, 9));
  assert.equal(sel('bytes=0-9', { ifRange: '"old"' }), { kind: 'full' });
  assert.equal(sel('bytes=0-9', { ifRange: 'W/"abc"' }), { kind: 'full' }, 'weak tags never match');
  assert.equal(sel('bytes=0-9', { ifRange: 'Wed, 21 Oct 2015 07:28:00 GMT' }), { kind: 'full' });
  assert.equal(sel(undefined, { ifRange: '"abc"' }), { kind: 'full' }, 'If-Range without Range is ignored');
  assert.equal(sel('bytes=5000-', { ifRange: '"old"' }), { kind: 'full' }, 'a failed If-Range also skips the 416');
});

test('If-None-Match: weak comparison, lists and *, evaluated before Range', () => {
  assert.equal(sel(undefined, { ifNoneMatch: '"abc"' }), { kind: 'not_modified' });
  assert.equal(sel('bytes=0-1', { ifNoneMatch: 'W/"abc"' }), { kind: 'not_modified' });
  assert.equal(sel(undefined, { ifNoneMatch: '"x", "abc"' }), { kind: 'not_modified' });
  assert.equal(sel(undefined, { ifNoneMatch: '*' }), { kind: 'not_modified' });
  assert.equal(sel(undefined, { ifNoneMatch: '"x"' }), { kind: 'full' });
  assert.equal(parseEtagList(' "a" , W/"b",*'), ['"a"', 'W/"b"', '*']);
});

test('parseRangeHeader keeps request order and clamps', () => {
  assert.equal(parseRangeHeader('bytes=10-20, -5', 100), { kind: 'ranges', ranges: [{ start: 10, end: 20 }, { start: 95, end: 99 }] });
});

test.run();
