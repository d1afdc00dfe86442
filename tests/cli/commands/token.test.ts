/**
 * `fleetgate token create|list|revoke` against a live gateway: the token printed once (table and
 * --json), a viewer token refused a change with the gateway's 403 in one line, revocation.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startLiveGateway, type LiveGateway } from '../live.ts';

let live: LiveGateway;
test.before(async () => {
  live = await startLiveGateway();
});
test.after(async () => {
  await live.gw.kill();
});

test('create prints the token once; a viewer can read but not change; revoke ends it', async () => {
  const created = JSON.parse(await live.ok(['token', 'create', '--name', 'vera', '--role', 'viewer', '--json'])) as { name: string; role: string; token: string };
  assert.equal([created.name, created.role], ['vera', 'viewer']);
  assert.match(created.token, /^fgt_/);
  const human = await live.ok(['token', 'create', '--name', 'otto', '--role', 'operator']);
  assert.match(human, /^token\s+fgt_\S+$/m);
  const asVera = { FLEETGATE_TOKEN: created.token };
  assert.is((await live.run(['device', 'list'], asVera)).code, 0);
  const refused = await live.run(['device', 'add', 'meter-9'], asVera);
  assert.is(refused.code, 4);
  assert.match(refused.stderr, /^fleetgate: gateway answered 403 forbidden: this needs the admin role; token vera is a viewer\n$/);
  const table = await live.ok(['token', 'list']);
  assert.match(table, /^otto\s+operator\s+active\s/m);
  assert.match(table, /^vera\s+viewer\s+active\s/m);
  assert.match(await live.ok(['token', 'revoke', 'vera']), /^token vera revoked$/m);
  const after = await live.run(['device', 'list'], asVera);
  assert.is(after.code, 4);
  assert.match(after.stderr, /401/);
  const bad = await live.run(['token', 'create', '--name', 'x', '--role', 'root']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--role must be one of viewer, operator, admin/);
});

test.run();
