import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../server/clock.ts';
import { errorCode, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { SimDevice, json, responseSignatureOk, type PolledCommand } from '../control-plane/device.ts';

let gw: TestGateway;
let clock: FakeClock;
let dev: SimDevice;
const ID = 'ESP32_EcoWatt_Smart';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface CommandView {
  command_id: string;
  status: string;
  attempts: number;
  status_reason: string | null;
  result: unknown;
  command_type: string;
  parameters: Record<string, unknown>;
}

interface AuditRow {
  actor: string;
  action: string;
  command_id?: string;
  details?: Record<string, unknown>;
}

async function queue(body: unknown, device = ID): Promise<string> {
  const res = await gw.admin('POST', `/commands/${device}`, body);
  assert.is(res.status, 201, await res.clone().text());
  const j = await json<{ success: boolean; command_id: string }>(res);
  assert.ok(j.success);
  assert.match(j.command_id, UUID);
  return j.command_id;
}

async function status(id: string): Promise<CommandView> {
  const res = await gw.admin('GET', `/commands/status/${id}`);
  assert.is(res.status, 200);
  return (await json<{ command: CommandView }>(res)).command;
}

async function audit(query = ''): Promise<AuditRow[]> {
  return (await json<{ entries: AuditRow[] }>(await gw.admin('GET', `/audit${query}`))).entries;
}

function code(reply: { json: unknown }): string | undefined {
  return (reply.json as { error?: { code?: string } }).error?.code;
}

test.before.each(async () => {
  clock = new FakeClock();
  gw = await startTestGateway({ clock });
  dev = await SimDevice.register(gw, ID);
});
test.after.each(async () => gw.destroy());

test('each command type is accepted with valid parameters → 201 with a UUID', async () => {
  for (const body of [
    { command_type: 'set_power', parameters: { power: '0%' } },
    { command_type: 'set_power', parameters: { power: '100%' } },
    { command_type: 'write_register', parameters: { register: 40000, value: 0 } },
    { command_type: 'write_register', parameters: { register: 49999, value: 65535 } },
    { command_type: 'set_relay', parameters: { relay: 1, state: 'on' } },
    { command_type: 'set_relay', parameters: { relay: 8, state: 'off' } },
    { command_type: 'reboot', parameters: {} },
    { command_type: 'reboot' },
    { command_type: 'set_config', parameters: { upload_frequency: 120 } },
    { command_type: 'set_power', parameters: { power: '42%' }, expires_in: 600 },
  ]) {
    await queue(body);
  }
  const list = await json<{ count: number }>(await gw.admin('GET', `/commands/${ID}`));
  assert.is(list.count, 10);
});

test('invalid commands are 400 and name the field', async () => {
  const cases: [unknown, string][] = [
    [{ command_type: 'self_destruct', parameters: {} }, 'command_type'],
    [{ parameters: {} }, 'command_type'],
    [{ command_type: 'set_power' }, 'parameters'],
    [{ command_type: 'set_power', parameters: { power: '101%' } }, 'parameters.power'],
    [{ command_type: 'set_power', parameters: { power: '50' } }, 'parameters.power'],
    [{ command_type: 'set_power', parameters: { power: 50 } }, 'parameters.power'],
    [{ command_type: 'set_power', parameters: { power: '-1%' } }, 'parameters.power'],
    [{ command_type: 'set_power', parameters: { power: '50%', extra: 1 } }, 'parameters.extra'],
    [{ command_type: 'write_register', parameters: { register: 39999, value: 1 } }, 'parameters.register'],
    [{ command_type: 'write_register', parameters: { register: 50000, value: 1 } }, 'parameters.register'],
    [{ command_type: 'write_register', parameters: { register: 40001, value: 65536 } }, 'parameters.value'],
    [{ command_type: 'write_register', parameters: { register: 40001, value: 1.5 } }, 'parameters.value'],
    [{ command_type: 'write_register', parameters: { register: 40001 } }, 'parameters.value'],
    [{ command_type: 'set_relay', parameters: { relay: 0, state: 'on' } }, 'parameters.relay'],
    [{ command_type: 'set_relay', parameters: { relay: 9, state: 'on' } }, 'parameters.relay'],
    [{ command_type: 'set_relay', parameters: { relay: 2, state: 'toggle' } }, 'parameters.state'],
    [{ command_type: 'reboot', parameters: { now: true } }, 'parameters.now'],
    [{ command_type: 'set_config', parameters: {} }, 'parameters'],
    [{ command_type: 'set_config', parameters: { heartbeat_interval: 5 } }, 'parameters.heartbeat_interval'],
    [{ command_type: 'set_config', parameters: { colour: 'red' } }, 'parameters.colour'],
    [{ command_type: 'set_config', parameters: { poll_frequency: 100, upload_frequency: 50 } }, 'parameters.upload_frequency'],
    [{ command_type: 'reboot', expires_in: 0 }, 'expires_in'],
    [{ command_type: 'reboot', expires_in: 'soon' }, 'expires_in'],
    [{ command_type: 'reboot', priority: 1 }, 'priority'],
  ];
  // The same through POST /commands (to a target), and the target's own problems, each named
  // precisely (a union's failure comes from the alternative the value's type chose).
  const fanOut: [string, unknown, string][] = cases.map(([body, field]) => ['/commands', { target: [ID], ...(body as object) }, field]);
  const targets: [unknown, string, string][] = [
    [undefined, 'target', 'target: must be "all", "tag:<tag>" or a list of device ids'],
    [7, 'target', 'target: must be "all", "tag:<tag>" or a list of device ids'],
    ['everyone', 'target', 'target: a target is "all", "tag:<tag>" or a list of device ids'],
    [[ID, 'bad id!'], 'target.1', 'target.1: must be a device id'],
    [[], 'target', 'target: must name at least one device'],
  ];
  for (const [target, field, message] of targets) fanOut.push(['/commands', { target, command_type: 'reboot' }, `${field}=${message}`]);
  for (const [path, body, expected] of [...cases.map(([body, field]): [string, unknown, string] => [`/commands/${ID}`, body, field]), ...fanOut]) {
    const [field, message] = expected.split('=');
    const res = await gw.admin('POST', path, body);
    assert.is(res.status, 400, JSON.stringify(body));
    const j = await json<{ success: boolean; error: { code: string; message: string; field: string } }>(res);
    assert.equal([j.success, j.error.code], [false, 'invalid_command']);
    assert.is(j.error.field, field, JSON.stringify(body) + ' → ' + j.error.message);
    assert.ok(message ? j.error.message === message : j.error.message.startsWith(`${field}: `), j.error.message);
  }
  const notJson = await gw.admin('POST', `/commands/${ID}`, 'command_type=reboot');
  assert.is(notJson.status, 400);
  assert.is(await errorCode(notJson), 'invalid_json');
  // nothing was queued, nothing audited
  assert.is((await json<{ count: number }>(await gw.admin('GET', `/commands/${ID}`))).count, 0);
  assert.equal(await audit('?action=command.'), []);
});

test('unknown or revoked device → 404; no admin token → 401', async () => {
  const unknown = await gw.admin('POST', '/commands/nobody', { command_type: 'reboot' });
  assert.is(unknown.status, 404);
  assert.is(await errorCode(unknown), 'unknown_device');
  await gw.register('gone');
  await gw.admin('DELETE', '/devices/gone');
  const revoked = await gw.admin('POST', '/commands/gone', { command_type: 'reboot' });
  assert.is(revoked.status, 404);
  const anon = await gw.app.request(`/commands/${ID}`, { method: 'POST', body: JSON.stringify({ command_type: 'reboot' }) });
  assert.is(anon.status, 401);
  assert.is((await gw.admin('GET', '/commands/nobody')).status, 404);
});

test('poll: empty queue answers {"command": null}, signed with the request nonce', async () => {
  const r = await dev.poll();
  assert.is(r.status, 200);
  assert.equal(r.json, { command: null });
  assert.ok(r.signed, 'response signature verifies with node:crypto');
  // the signature is bound to the nonce: it does not verify under another one
  const header = (await dev.send(r.nonce, 'GET', `/commands/${ID}/poll`)).signed;
  assert.ok(header);
  assert.not.ok(responseSignatureOk(dev.key, r.nonce + 1, r.body, 'ab'.repeat(32)));
});

test('lifecycle: pending → sent → completed, oldest first, audited with actors', async () => {
  const first = await queue({ command_type: 'set_power', parameters: { power: '50%' } });
  const second = await queue({ command_type: 'set_relay', parameters: { relay: 3, state: 'off' } });
  assert.is((await status(first)).status, 'pending');

  const p1 = await dev.poll();
  assert.ok(p1.signed);
  assert.equal(p1.json.command, { command_id: first, command_type: 'set_power', parameters: { power: '50%' }, attempt: 1, expires_at: null });
  assert.is((await status(first)).status, 'sent');

  const p2 = await dev.poll();
  assert.is(p2.json.command!.command_id, second, 'the next poll gets the next command');
  const p3 = await dev.poll();
  assert.is(p3.json.command, null, 'sent commands are not redelivered before the ack timeout');

  const done = await dev.result(first, 'completed', { applied_power: 50 });
  assert.is(done.status, 200);
  assert.ok(done.signed);
  assert.equal(done.json, { success: true, command_id: first, status: 'completed' });
  const view = await status(first);
  assert.is(view.status, 'completed');
  assert.equal(view.result, { applied_power: 50 });

  const failed = await dev.result(second, 'failed', { error: 'relay stuck' });
  assert.is(failed.status, 200);
  assert.is((await status(second)).status, 'failed');

  const completed = await json<{ commands: CommandView[] }>(await gw.admin('GET', `/commands/${ID}?status=completed`));
  assert.equal(completed.commands.map((c) => c.command_id), [first]);
  const bad = await gw.admin('GET', `/commands/${ID}?status=done`);
  assert.is(bad.status, 400);

  const log = await audit('?action=command.');
  assert.equal(
    log.map((e) => [e.actor, e.action]),
    [
      ['token:bootstrap', 'command.created'],
      ['token:bootstrap', 'command.created'],
      [`device:${ID}`, 'command.sent'],
      [`device:${ID}`, 'command.sent'],
      [`device:${ID}`, 'command.completed'],
      [`device:${ID}`, 'command.failed'],
    ],
  );
  const lastTwo = await audit(`?action=command.&limit=2`);
  assert.is(lastTwo.length, 2);
  assert.is(lastTwo[1]!.action, 'command.failed', 'without since: the most recent entries, oldest first');
  const since = await audit(`?since=${encodeURIComponent(new Date(clock.now()).toISOString())}&limit=1&action=command.`);
  assert.is(since[0]!.action, 'command.created', 'with since: the first entries from then');
  const forDevice = await audit(`?device_id=${ID}&action=command.completed`);
  assert.is(forDevice.length, 1);
  assert.is((await gw.admin('GET', '/audit?limit=0')).status, 400);
  assert.is((await gw.admin('GET', '/audit?since=yesterday')).status, 400);
  assert.is((await gw.admin('GET', '/audit?action=DROP TABLE')).status, 400);
});

test('redelivery after the ack timeout carries the attempt count', async () => {
  const id = await queue({ command_type: 'reboot' });
  assert.is((await dev.poll()).json.command!.attempt, 1);
  clock.advance(59_000);
  assert.is((await dev.poll()).json.command, null);
  clock.advance(1_000);
  const again = await dev.poll();
  assert.is(again.json.command!.command_id, id);
  assert.is(again.json.command!.attempt, 2);
  const view = await status(id);
  assert.is(view.status, 'sent');
  assert.is(view.attempts, 2);
  assert.is((await dev.result(id, 'completed')).status, 200);
  clock.advance(120_000);
  assert.is((await dev.poll()).json.command, null, 'a finished command is never redelivered');
});

test('expiry: past expires_in a command expires, on poll or in an admin read', async () => {
  const polled = await queue({ command_type: 'set_power', parameters: { power: '10%' }, expires_in: 30 });
  const unread = await queue({ command_type: 'set_power', parameters: { power: '20%' }, expires_in: 30 });
  const later = await queue({ command_type: 'reboot', expires_in: 3600 });
  const first = await dev.poll();
  assert.is(first.json.command!.command_id, polled, 'delivered while fresh');
  assert.is(first.json.command!.expires_at, new Date(clock.now() + 30_000).toISOString());
  clock.advance(31_000);
  // the sent one (no result) and the pending one are both past expires_in; the third is delivered
  const p = await dev.poll();
  assert.is(p.json.command!.command_id, later);
  for (const id of [polled, unread]) {
    const v = await status(id);
    assert.is(v.status, 'expired');
    assert.is(v.status_reason, 'expires_in');
  }
  // a late result for an expired command is refused
  const late = await dev.result(polled, 'completed');
  assert.is(late.status, 409);
  assert.ok(late.signed, 'error replies are signed too');
  // expiry without any poll: the admin read sweeps
  const idle = await queue({ command_type: 'reboot', expires_in: 5 });
  clock.advance(6_000);
  assert.is((await status(idle)).status, 'expired');
  const expired = (await audit('?action=command.expired')).map((e) => [e.actor, e.command_id]);
  assert.equal(expired, [
    ['system', polled],
    ['system', unread],
    ['system', idle],
  ]);
});

test('max attempts: a command never acknowledged expires with reason max_attempts', async () => {
  await gw.destroy();
  clock = new FakeClock();
  gw = await startTestGateway({ clock, env: { COMMAND_MAX_ATTEMPTS: '2', COMMAND_ACK_TIMEOUT_SECONDS: '10' } });
  dev = await SimDevice.register(gw, ID);
  const id = await queue({ command_type: 'reboot' });
  assert.is((await dev.poll()).json.command!.attempt, 1);
  clock.advance(10_000);
  assert.is((await dev.poll()).json.command!.attempt, 2);
  clock.advance(10_000);
  assert.is((await dev.poll()).json.command, null);
  const v = await status(id);
  assert.is(v.status, 'expired');
  assert.is(v.status_reason, 'max_attempts');
});

test('an exact retransmission of a poll returns the same command and is not a second delivery', async () => {
  const id = await queue({ command_type: 'set_power', parameters: { power: '75%' } });
  const first = await dev.poll();
  const again = await dev.send<{ command: PolledCommand }>(first.nonce, 'GET', `/commands/${ID}/poll`);
  assert.is(again.status, 200);
  assert.ok(again.signed);
  assert.ok(again.body.equals(first.body), 'byte-identical reply');
  assert.is(again.json.command.command_id, id);
  assert.is((await status(id)).attempts, 1);
  assert.is((await audit('?action=command.sent')).length, 1);
  // even after the ack timeout, the retransmission is the stored reply, not a redelivery
  clock.advance(120_000);
  const late = await dev.send<{ command: PolledCommand }>(first.nonce, 'GET', `/commands/${ID}/poll`);
  assert.ok(late.body.equals(first.body));
  assert.is((await status(id)).attempts, 1);
  // same nonce, different request: a replay
  const replay = await dev.send(first.nonce, 'GET', `/commands/${ID}/poll?x=1`);
  assert.is(replay.status, 401);
});

test('a replayed empty poll gets the stored null, never a command queued since (the command stays for the device)', async () => {
  // Attack (issue 12.2): record an empty poll, wait for an admin to queue a command, re-send it.
  const empty = await dev.poll();
  assert.equal(empty.json, { command: null });
  const id = await queue({ command_type: 'reboot' });
  for (let i = 0; i < 3; i++) {
    const replayed = await dev.send<{ command: PolledCommand | null }>(empty.nonce, 'GET', `/commands/${ID}/poll`);
    assert.is(replayed.status, 200);
    assert.ok(replayed.signed);
    assert.ok(replayed.body.equals(empty.body), 'byte-identical stored reply');
  }
  const v = await status(id);
  assert.is(v.status, 'pending', 'not handed to the replayer');
  assert.is(v.attempts, 0, 'no delivery attempt used up');
  assert.is((await audit('?action=command.sent')).length, 0);
  // the real device's next poll gets it
  assert.is((await dev.poll()).json.command?.command_id, id);
});

test('results for unknown, foreign, undelivered or finished commands are 409 and change nothing', async () => {
  const other = await SimDevice.register(gw, 'meter-2');
  const mine = await queue({ command_type: 'reboot' });
  const theirs = await queue({ command_type: 'reboot' }, 'meter-2');
  const pending = await queue({ command_type: 'set_power', parameters: { power: '1%' } });
  await dev.poll();
  await other.poll();
  const before = (await audit()).length;

  const unknown = await dev.result('00000000-0000-4000-8000-000000000000', 'completed');
  assert.is(unknown.status, 409);
  assert.is(code(unknown), 'unknown_command');
  const foreign = await dev.result(theirs, 'completed');
  assert.is(foreign.status, 409);
  assert.is(code(foreign), 'foreign_command');
  assert.is((await status(theirs)).status, 'sent');
  assert.is((await status(pending)).status, 'pending');
  const undelivered = await dev.result(pending, 'completed');
  assert.is(undelivered.status, 409);
  assert.is(code(undelivered), 'command_not_sent');

  assert.is((await dev.result(mine, 'completed', { ok: true })).status, 200);
  const twice = await dev.result(mine, 'failed', { ok: false });
  assert.is(twice.status, 409);
  assert.is(code(twice), 'command_finished');
  const same = await dev.result(mine, 'completed', { ok: true });
  assert.is(same.status, 409, 'a second report under a new nonce is refused too');
  const v = await status(mine);
  assert.is(v.status, 'completed');
  assert.equal(v.result, { ok: true });
  assert.is((await audit()).length, before + 1, 'only the one accepted result was audited');

  const invalid = await dev.request('POST', `/commands/${ID}/result`, { command_id: mine, status: 'done' });
  assert.is(invalid.status, 400);
  assert.is((invalid.json as { error: { field: string } }).error.field, 'status');
  const big = await dev.request('POST', `/commands/${ID}/result`, { command_id: pending, status: 'completed', result: 'x'.repeat(9000) });
  assert.is(big.status, 400);
  const garbage = await dev.request('POST', `/commands/${ID}/result`, '{nope');
  assert.is(garbage.status, 400);
  assert.is(code(garbage), 'invalid_json');
});

test('cancel: pending → cancelled; anything else 409; unknown 404', async () => {
  const a = await queue({ command_type: 'reboot' });
  const b = await queue({ command_type: 'set_power', parameters: { power: '5%' } });
  await dev.poll(); // a is sent
  const sent = await gw.admin('DELETE', `/commands/${a}`);
  assert.is(sent.status, 409);
  assert.is(await errorCode(sent), 'command_not_pending');
  const ok = await gw.admin('DELETE', `/commands/${b}`);
  assert.is(ok.status, 200);
  assert.is((await json<{ command: CommandView }>(ok)).command.status, 'cancelled');
  assert.is((await gw.admin('DELETE', `/commands/${b}`)).status, 409);
  assert.is((await gw.admin('DELETE', '/commands/nope')).status, 404);
  assert.is((await gw.admin('GET', '/commands/status/nope')).status, 404);
  assert.is((await dev.poll()).json.command, null, 'a cancelled command is never delivered');
  const log = await audit('?action=command.cancelled');
  assert.equal(log.map((e) => [e.actor, e.command_id]), [['token:bootstrap', b]]);
});

test('route order: /commands/status/:id is not captured by /commands/:device_id; a device named "status" still works', async () => {
  const statusDev = await SimDevice.register(gw, 'status');
  const id = await queue({ command_type: 'reboot' }, 'status');
  const listed = await json<{ device_id: string; count: number }>(await gw.admin('GET', '/commands/status'));
  assert.equal([listed.device_id, listed.count], ['status', 1]);
  const polled = await statusDev.poll();
  assert.is(polled.status, 200);
  assert.is(polled.json.command!.command_id, id);
  assert.is((await status(id)).status, 'sent');
});

test('a device cannot poll or answer for another device; unsigned and forged requests are refused', async () => {
  await SimDevice.register(gw, 'meter-2');
  const res = await dev.request('GET', '/commands/meter-2/poll');
  assert.is(res.status, 400);
  assert.is(code(res), 'device_mismatch');
  const unsigned = await gw.app.request(`/commands/${ID}/poll`);
  assert.is(unsigned.status, 400);
  const forged = await new SimDevice(ID, new Uint8Array(32), (p, i) => Promise.resolve(gw.app.request(p, i)), 100).poll();
  assert.is(forged.status, 401);
});

test('set_config stores the override and carries the new config version', async () => {
  const before = (await json<{ config_version: number }>(await gw.admin('GET', `/config/${ID}`))).config_version;
  await queue({ command_type: 'set_config', parameters: { upload_frequency: 300, compression_method: 'delta' } });
  const cmd = (await dev.poll()).json.command!;
  assert.is(cmd.command_type, 'set_config');
  assert.is(cmd.parameters['upload_frequency'], 300);
  const after = await json<{ config_version: number; config: { upload_frequency: number } }>(await gw.admin('GET', `/config/${ID}`));
  assert.ok(after.config_version > before);
  assert.is(cmd.parameters['config_version'], after.config_version);
  assert.is(after.config.upload_frequency, 300);
});

test('queue limit: COMMAND_QUEUE_LIMIT open commands per device, then 409 queue_full', async () => {
  await gw.destroy();
  gw = await startTestGateway({ clock, env: { COMMAND_QUEUE_LIMIT: '2' } });
  dev = await SimDevice.register(gw, ID);
  const a = await queue({ command_type: 'reboot' });
  await queue({ command_type: 'reboot' });
  const full = await gw.admin('POST', `/commands/${ID}`, { command_type: 'reboot' });
  assert.is(full.status, 409);
  assert.is(await errorCode(full), 'queue_full');
  const fullConfig = await gw.admin('POST', `/commands/${ID}`, { command_type: 'set_config', parameters: { heartbeat_interval: 30 } });
  assert.is(fullConfig.status, 409);
  assert.equal((await json<{ overrides: object }>(await gw.admin('GET', `/config/${ID}`))).overrides, {}, 'the override was not applied');
  await dev.poll();
  await dev.result(a, 'completed');
  await queue({ command_type: 'reboot' });
});

test('finished commands are dropped after COMMAND_RETENTION_DAYS; open ones are kept', async () => {
  const { controlPlaneOf } = await import('../../server/control-plane/index.ts');
  const done = await queue({ command_type: 'reboot' });
  const open = await queue({ command_type: 'set_power', parameters: { power: '3%' } });
  await dev.poll();
  await dev.result(done, 'completed');
  clock.advance(31 * 86_400_000);
  assert.is(await controlPlaneOf(gw.ctx).commands.prune(), 1);
  assert.is((await gw.admin('GET', `/commands/status/${done}`)).status, 404);
  assert.is((await status(open)).status, 'pending');
});

test.run();
