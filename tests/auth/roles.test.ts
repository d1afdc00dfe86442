/**
 * Admin tokens with roles (issue 15): named tokens created by an admin, shown once, stored as a
 * hash, revocable; the bootstrap token is an admin. Every admin route in the router — found by
 * asking it without credentials (401 `unauthorized`), never from a hand-kept list — refuses a
 * viewer with 403 `forbidden` naming the role needed when it changes something, and lets an
 * operator steer (commands, config, rollouts) but not change who is in the fleet.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requiredRole } from '../../server/auth/roles.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

async function as(gw: TestGateway, token: string | undefined, method: string, path: string, body?: unknown): Promise<Response> {
  return gw.app.request(path, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function createToken(gw: TestGateway, name: string, role: string): Promise<string> {
  const res = await as(gw, ADMIN_TOKEN, 'POST', '/tokens', { name, role });
  assert.is(res.status, 201, await res.clone().text());
  const body = (await res.json()) as { name: string; role: string; token: string };
  assert.equal([body.name, body.role], [name, role]);
  return body.token;
}

test('tokens: created by an admin, shown once, never listed with a hash; revoked ones are refused; names are unique', async () => {
  const gw = await startTestGateway();
  const alice = await createToken(gw, 'alice', 'operator');
  assert.match(alice, /^fgt_[A-Za-z0-9_-]{43}$/);
  const list = (await (await as(gw, ADMIN_TOKEN, 'GET', '/tokens')).json()) as { tokens: Record<string, unknown>[] };
  assert.equal(list.tokens.map((t) => [t.name, t.role, t.status]), [['alice', 'operator', 'active']]);
  assert.not.ok(JSON.stringify(list).includes(alice) || JSON.stringify(list).includes('hash'));
  assert.is((await as(gw, alice, 'GET', '/devices')).status, 200);
  assert.is((await as(gw, alice, 'GET', '/tokens')).status, 403, 'listing tokens is for admins');
  assert.is((await as(gw, ADMIN_TOKEN, 'POST', '/tokens', { name: 'alice', role: 'viewer' })).status, 409);
  assert.is((await as(gw, ADMIN_TOKEN, 'POST', '/tokens', { name: 'Bad Name', role: 'viewer' })).status, 400);
  assert.is((await as(gw, ADMIN_TOKEN, 'POST', '/tokens', { name: 'x', role: 'root' })).status, 400);
  assert.is((await as(gw, ADMIN_TOKEN, 'DELETE', '/tokens/alice')).status, 200);
  const refused = await as(gw, alice, 'GET', '/devices');
  assert.is(refused.status, 401, 'a revoked token signs in as nobody');
  assert.is((await as(gw, ADMIN_TOKEN, 'DELETE', '/tokens/alice')).status, 409);
  assert.is((await as(gw, ADMIN_TOKEN, 'DELETE', '/tokens/nobody')).status, 404);
  assert.is((await as(gw, ADMIN_TOKEN, 'DELETE', '/tokens/bootstrap')).status, 409);
  assert.is((await as(gw, ADMIN_TOKEN, 'POST', '/tokens', { name: 'alice', role: 'viewer' })).status, 409, 'a revoked name stays taken');
  await gw.destroy();
});

test('every admin route: a viewer gets 403 forbidden naming the role on every change; an operator only where the table allows', async () => {
  const gw = await startTestGateway({ env: { FAULTS_ENABLED: '1' } });
  const viewer = await createToken(gw, 'val', 'viewer');
  const operator = await createToken(gw, 'otto', 'operator');
  const routes = [...new Map(gw.app.routes.filter((r) => r.method !== 'ALL').map((r) => [`${r.method} ${r.path}`, r])).values()];
  const fill = (path: string) => path.replace(/:[a-z_]+/g, 'x');
  let adminRoutes = 0;
  let mutating = 0;
  const problems: string[] = [];
  for (const r of routes) {
    const path = fill(r.path);
    const anonymous = await as(gw, undefined, r.method, path);
    const code = anonymous.status === 401 ? ((await anonymous.json()) as { error: { code: string } }).error.code : '';
    if (code !== 'unauthorized') continue; // a device route, or an open one
    adminRoutes++;
    const needed = requiredRole(r.method, r.path);
    const asViewer = await as(gw, viewer, r.method, path, r.method === 'GET' ? undefined : {});
    const asOperator = await as(gw, operator, r.method, path, r.method === 'GET' ? undefined : {});
    if (r.method !== 'GET') {
      mutating++;
      const body = (await asViewer.clone().json()) as { error: { code: string; required_role?: string } };
      if (asViewer.status !== 403 || body.error.code !== 'forbidden' || body.error.required_role !== needed) {
        problems.push(`viewer ${r.method} ${r.path} → ${asViewer.status} ${JSON.stringify(body)}`);
      }
    } else if (needed === 'viewer' && asViewer.status === 403) problems.push(`viewer refused a read: ${r.method} ${r.path}`);
    if ((asOperator.status === 403) !== (needed === 'admin')) problems.push(`operator ${r.method} ${r.path} → ${asOperator.status} (needs ${needed})`);
  }
  assert.equal(problems, []);
  assert.ok(adminRoutes >= 40 && mutating >= 20, `${adminRoutes} admin routes, ${mutating} changing something`);
  await gw.destroy();
});

test('each admin action leaves exactly one audit record naming the token that did it', async () => {
  const gw = await startTestGateway();
  const ops = await createToken(gw, 'ops', 'operator');
  const root = await createToken(gw, 'root', 'admin');
  const actions: [string, string, string, unknown, string][] = [
    [root, 'POST', '/devices', { device_id: 'm1' }, 'device.created'],
    [root, 'POST', '/devices/bulk', { devices: [{ device_id: 'b1' }, { device_id: 'b2' }] }, 'device.created'],
    [root, 'POST', '/devices/m1/rotate-key', {}, 'device.key_rotated'],
    [root, 'DELETE', '/devices/b2', undefined, 'device.revoked'],
    [root, 'POST', '/devices/b2/reinstate', undefined, 'device.reinstated'],
    [root, 'DELETE', '/security/nonces?device_id=m1', undefined, 'nonce.reset'],
    [ops, 'PUT', '/config/defaults', { heartbeat_interval: 90 }, 'config.defaults_updated'],
    [ops, 'PUT', '/config/m1', { heartbeat_interval: 30 }, 'config.device_updated'],
    [ops, 'DELETE', '/config/m1', undefined, 'config.device_cleared'],
    [ops, 'PUT', '/config/tags/canary', { upload_frequency: 120, priority: 2 }, 'config.tag_updated'],
    [root, 'PUT', '/devices/m1/tags', ['canary'], 'device.tagged'],
    [ops, 'DELETE', '/config/tags/canary', undefined, 'config.tag_cleared'],
    [ops, 'POST', '/commands/m1', { command_type: 'reboot' }, 'command.created'],
    [ops, 'POST', '/commands/m1', { command_type: 'set_config', parameters: { heartbeat_interval: 45 } }, 'command.created'],
    [root, 'POST', '/tokens', { name: 'temp', role: 'viewer' }, 'token.created'],
    [root, 'DELETE', '/tokens/temp', undefined, 'token.revoked'],
  ];
  for (const [token, method, path, body, action] of actions) {
    const before = (await (await as(gw, ADMIN_TOKEN, 'GET', '/audit?limit=10000')).json()) as { entries: unknown[] };
    const res = await as(gw, token, method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    const after = (await (await as(gw, ADMIN_TOKEN, 'GET', '/audit?limit=10000')).json()) as { entries: { actor: string; action: string }[] };
    const added = after.entries.slice(before.entries.length);
    const who = token === ops ? 'token:ops' : 'token:root';
    assert.equal(added.map((e) => [e.actor, e.action]), [[who, action]], `${method} ${path}`);
  }
  const byOps = (await (await as(gw, ADMIN_TOKEN, 'GET', '/audit?actor=token:ops')).json()) as { entries: { actor: string }[] };
  assert.is(byOps.entries.length, 7);
  assert.is((await as(gw, ADMIN_TOKEN, 'GET', '/audit?actor=nobody')).status, 400);
  await gw.destroy();
});

test.run();
