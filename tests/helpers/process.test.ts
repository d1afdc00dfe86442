/** tests/helpers/process.ts: runProcess survives a child that never reads the input it is given. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runProcess } from './process.ts';

test('input to a child that exits without reading it: the exit code, no EPIPE crash', async () => {
  // More than a pipe holds, so the write cannot complete before `true` exits and closes the pipe.
  const r = await runProcess('true', [], { input: 'x'.repeat(1 << 20) });
  assert.is(r.code, 0);
});

test.run();
