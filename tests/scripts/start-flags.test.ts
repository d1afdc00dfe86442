import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { GATEWAY_NODE_FLAGS } from '../../scripts/build-gateway.ts';

test('npm start runs the bundle with exactly the node flags the benchmarks and process tests use', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  const run = pkg.scripts.start!.split('&&').map((part) => part.trim()).at(-1)!;
  assert.is(run, `node ${GATEWAY_NODE_FLAGS.join(' ')} .build/gateway.mjs`);
});

test.run();
