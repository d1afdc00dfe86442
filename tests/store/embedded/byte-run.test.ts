import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteRun } from '../../../server/store/embedded/byte-run.ts';

test('appended chunks come back in order, across growth, byte for byte', () => {
  const run = new ByteRun(Buffer.from('first\n'));
  const expected: Buffer[] = [Buffer.from('first\n')];
  for (let i = 0; i < 500; i++) {
    const chunk = Buffer.from(`line ${i} ${'x'.repeat(i % 97)}\n`);
    run.append(chunk);
    expected.push(chunk);
  }
  const all = Buffer.concat(expected);
  assert.is(run.byteLength, all.length);
  assert.ok(run.bytes().equals(all));
});

test('a first chunk larger than the initial capacity, and an empty run', () => {
  const big = Buffer.alloc(10_000, 7);
  const run = new ByteRun(big);
  run.append(Buffer.from([1, 2]));
  assert.is(run.byteLength, 10_002);
  assert.equal([...run.bytes().subarray(9_998)], [7, 7, 1, 2]);
  assert.is(new ByteRun().bytes().length, 0);
});

test.run();
