/** cli/output.ts: tables aligned and one line per row whatever the values, relative times, JSON without the envelope. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ago, cell, keyValues, table } from '../../cli/output.ts';

test('table: columns padded to the widest cell, numbers right-aligned, the last column not padded', () => {
  const rows = [
    { id: 'meter-1', n: 7, note: 'short' },
    { id: 'a-much-longer-id', n: 12345, note: null },
  ];
  const text = table(rows, [
    { header: 'DEVICE', value: (r) => r.id },
    { header: 'N', value: (r) => r.n, right: true },
    { header: 'NOTE', value: (r) => r.note },
  ]);
  assert.is(text, ['DEVICE                N  NOTE', 'meter-1               7  short', 'a-much-longer-id  12345  -'].join('\n'));
});

test('cell: one line always (device-chosen strings cannot break a row), objects as compact JSON', () => {
  assert.is(cell('two\nlines\tand\r\ntabs'), 'two lines and tabs');
  assert.is(cell({ a: [1, 2] }), '{"a":[1,2]}');
  assert.is(cell(undefined), '-');
  assert.is(cell(0), '0');
  assert.is(cell(false), 'false');
});

test('keyValues: keys aligned, undefined left out, null shown as -', () => {
  assert.is(keyValues([['device', 'm'], ['skipped', undefined], ['last seen', null]]), 'device     m\nlast seen  -');
});

test('ago: seconds, minutes, hours, days; future times; nothing', () => {
  const now = Date.parse('2025-01-10T12:00:00Z');
  assert.is(ago('2025-01-10T11:59:30Z', now), '30s ago');
  assert.is(ago('2025-01-10T11:55:00Z', now), '5m ago');
  assert.is(ago('2025-01-10T09:00:00Z', now), '3h ago');
  assert.is(ago('2025-01-07T12:00:00Z', now), '3d ago');
  assert.is(ago('2025-01-10T12:10:00Z', now), 'in 10m');
  assert.is(ago(null, now), '-');
});

test.run();
