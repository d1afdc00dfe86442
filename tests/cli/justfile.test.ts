/**
 * The justfile's `cli` recipe (`npx just cli ...`, advertised in cli/README.md) hands its arguments
 * to the CLI unchanged: a quoted argument with a space stays one argument, JSON keeps its quotes.
 * Checked by what reaches a gateway stand-in that records the request body.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runProcess } from '../helpers/process.ts';

test('npx just cli passes "two words" and a JSON --steps through as single arguments', async () => {
  let body = '';
  const server = createServer((req, res) => {
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.writeHead(418, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: false, error: { code: 'recorded', message: 'recorded' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const steps = '[{"target":"tag:canary"}]';
    const r = await runProcess('npx', ['just', 'cli', 'rollout', 'create', '1.0.2', '--notes', 'two words', '--steps', steps, '--url', url, '--token', 'justfile-test-token-0123'], {
      env: { FLEETGATE_URL: '', FLEETGATE_TOKEN: '' },
    });
    assert.match(r.stderr, /^fleetgate: gateway answered 418 recorded: recorded\n/, r.stderr);
    const sent = JSON.parse(body) as { notes?: string; steps?: unknown };
    assert.is(sent.notes, 'two words');
    assert.equal(sent.steps, JSON.parse(steps));
  } finally {
    server.close();
  }
});

test.run();
