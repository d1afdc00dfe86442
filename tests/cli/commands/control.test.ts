/**
 * `fleetgate command ...`, `config ...`, `event list` and `audit` against a live gateway, with a
 * simulated device polling and answering: tables, --json, the key=value argument rules and the
 * exit codes of refused input.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startLiveGateway, type LiveDevice, type LiveGateway } from '../live.ts';

let live: LiveGateway;
let dev: LiveDevice;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

test.before(async () => {
  live = await startLiveGateway();
  dev = await live.device('meter-1');
});
test.after(async () => {
  await live.gw.kill();
});

test('command send / list / show / cancel, and the device gets what was sent', async () => {
  const sent = await live.ok(['command', 'send', 'meter-1', 'write_register', 'register=40001', 'value=1200', '--expires-in', '600']);
  const id = new RegExp(`^command (${UUID.source}) queued for meter-1 \\(pending, expires \\S+Z\\)\\n$`).exec(sent)?.[1];
  assert.ok(id, sent);
  // key=value: JSON where it parses, so the device receives numbers, not strings.
  const poll = await dev.request<{ command: { command_id: string; parameters: unknown } }>('GET', '/commands/meter-1/poll');
  assert.equal(poll.json.command.parameters, { register: 40001, value: 1200 });
  const result = await dev.request('POST', '/commands/meter-1/result', { command_id: id, status: 'completed', result: { written: 1200 } });
  assert.is(result.status, 200);

  const second = JSON.parse(await live.ok(['command', 'send', 'meter-1', 'set_power', 'power=50%', '--json'])) as { command_id: string; status: string };
  assert.is(second.status, 'pending');

  const table = (await live.ok(['command', 'list', 'meter-1'])).trimEnd().split('\n');
  assert.match(table[0]!, /^COMMAND\s+TYPE\s+STATUS\s+ATTEMPTS\s+CREATED\s+FINISHED\s+PARAMETERS$/);
  assert.match(table[1]!, new RegExp(`^${id}\\s+write_register\\s+completed\\s+1\\s+\\d+s ago\\s+\\d+s ago\\s+\\{"register":40001,"value":1200\\}$`));
  assert.match(table[2]!, /\sset_power\s+pending\s+0\s.*\{"power":"50%"\}$/);
  const pending = JSON.parse(await live.ok(['command', 'list', 'meter-1', '--status', 'pending', '--json'])) as { command_id: string }[];
  assert.equal(pending.map((c) => c.command_id), [second.command_id]);

  const show = await live.ok(['command', 'show', id!]);
  assert.match(show, /^status\s+completed$/m);
  assert.match(show, /^result\s+\{"written":1200\}$/m);
  assert.match(show, /^created\s+\S+Z by token:bootstrap$/m);
  assert.is((JSON.parse(await live.ok(['command', 'show', id!, '--json'])) as { result: unknown }).result !== null, true);

  assert.match(await live.ok(['command', 'cancel', second.command_id]), new RegExp(`^command ${second.command_id} cancelled\\n$`));
  const again = await live.run(['command', 'cancel', second.command_id]);
  assert.is(again.code, 4);
  assert.match(again.stderr, /^fleetgate: gateway answered 409 /);
});

test('command refusals: unknown type, bad parameters, bad key=value, unknown command id', async () => {
  const cases: [string[], number, RegExp][] = [
    [['command', 'send', 'meter-1', 'self_destruct'], 4, /^fleetgate: gateway answered 400 \S+: command_type: must be one of/],
    [['command', 'send', 'meter-1', 'set_power', 'power=150%'], 4, /^fleetgate: gateway answered 400 \S+: parameters\.power: /],
    [['command', 'send', 'meter-1', 'set_power', 'power'], 2, /^fleetgate: a parameter must be key=value, got "power"/],
    [['command', 'send', 'meter-1', 'reboot', '--expires-in', 'soon'], 2, /^fleetgate: --expires-in must be a non-negative integer/],
    [['command', 'show', 'no-such-command'], 4, /^fleetgate: gateway answered 404 /],
    [['command', 'list', 'meter-1', '--status', 'lost'], 4, /^fleetgate: gateway answered 400 invalid_query: status must be one of/],
  ];
  for (const [args, code, message] of cases) {
    const r = await live.run(args);
    assert.is(r.code, code, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('config get / set / unset / fleet: the source of each value, the version a device applied', async () => {
  const defaults = await live.ok(['config', 'get']);
  assert.match(defaults, /^fleet defaults, config version 1/);
  assert.match(defaults, /^heartbeat_interval\s+60\s+built-in$/m);
  const set = await live.ok(['config', 'set', 'defaults', 'heartbeat_interval=120']);
  assert.match(set, /^fleet defaults, config version 2/);
  assert.match(set, /^heartbeat_interval\s+120\s+defaults$/m);

  const dev1 = await live.ok(['config', 'set', 'meter-1', 'poll_frequency=10', 'registers=["voltage","power"]']);
  assert.match(dev1, /^config version\s+3$/m);
  assert.match(dev1, /^applied\s+never reported, behind$/m);
  assert.match(dev1, /^poll_frequency\s+10\s+device$/m);
  assert.match(dev1, /^registers\s+\["voltage","power"\]\s+device$/m);
  assert.match(dev1, /^heartbeat_interval\s+120\s+defaults$/m);
  assert.match(dev1, /^upload_frequency\s+60\s+built-in$/m);

  const diag = await dev.request('POST', '/diagnostics/meter-1', { firmware_version: '1.0.0', uptime_seconds: 9, boot_id: 'b1', reset_reason: 'poweron', config_version: 3 });
  assert.is(diag.status, 200);
  const json = JSON.parse(await live.ok(['config', 'get', 'meter-1', '--json'])) as { applied_version: number; behind: boolean; overrides: Record<string, unknown> };
  assert.is(json.applied_version, 3);
  assert.is(json.behind, false);
  assert.equal(json.overrides, { poll_frequency: 10, registers: ['voltage', 'power'] });
  assert.match(await live.ok(['config', 'fleet']), /^latest config version 3: 1 of 1 active devices up to date, 0 behind\n$/);

  const unset = await live.ok(['config', 'unset', 'meter-1', 'poll_frequency']);
  assert.match(unset, /^poll_frequency\s+5\s+built-in$/m);
  assert.match(unset, /^registers\s+\["voltage","power"\]\s+device$/m);
  const all = await live.ok(['config', 'unset', 'meter-1']);
  assert.match(all, /^registers\s+\["voltage","current","power"\]\s+built-in$/m);
  const fleet = await live.ok(['config', 'fleet']);
  assert.match(fleet, /^latest config version 5: 0 of 1 active devices up to date, 1 behind\n\nDEVICE\s+CONFIG VERSION\s+APPLIED\nmeter-1\s+5\s+3\n$/);
  const fleetJson = JSON.parse(await live.ok(['config', 'fleet', '--json'])) as { behind: unknown[] };
  assert.is(fleetJson.behind.length, 1);

  const cases: [string[], number, RegExp][] = [
    [['config', 'set', 'meter-1', 'poll_frequency=0'], 4, /^fleetgate: gateway answered 400 invalid_config: poll_frequency: must be 1\.\.3600/],
    [['config', 'set', 'meter-1', 'colour=blue'], 4, /^fleetgate: gateway answered 400 invalid_config: colour: unknown field/],
    [['config', 'unset', 'defaults'], 2, /^fleetgate: fleet defaults cannot be unset/],
    [['config', 'get', 'nobody'], 4, /^fleetgate: gateway answered 404 /],
    [['config', 'set', 'meter-1'], 2, /^fleetgate: missing required argument 'fields'/],
  ];
  for (const [args, code, message] of cases) {
    const r = await live.run(args);
    assert.is(r.code, code, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('event list: a power cut seen in diagnostics, filters, --json', async () => {
  const report = (boot: string) => ({ firmware_version: '1.0.0', uptime_seconds: 3, boot_id: boot, reset_reason: 'poweron' });
  // b1 was learnt in the config test; a new boot id after a power-on reset is a power loss.
  assert.is((await dev.request('POST', '/diagnostics/meter-1', report('b2'))).status, 200);
  const table = (await live.ok(['event', 'list'])).trimEnd().split('\n');
  assert.match(table[0]!, /^AT\s+DEVICE\s+TYPE\s+DETAILS$/);
  assert.ok(table.some((l) => /^\S+Z\s+meter-1\s+power_loss\s+\{/.test(l)), table.join('\n'));
  const only = JSON.parse(await live.ok(['event', 'list', '--device', 'meter-1', '--type', 'power_restored', '--since', '1h', '--json'])) as { type: string }[];
  assert.equal(only.map((e) => e.type), ['power_restored']);
  assert.is(await live.ok(['event', 'list', '--type', 'offline']), 'no events\n');
  const bad = await live.run(['event', 'list', '--type', 'flood']);
  assert.is(bad.code, 4);
  assert.match(bad.stderr, /type must be one of offline, online/);
});

test('audit: every change above, filtered by action prefix and device', async () => {
  const table = (await live.ok(['audit'])).trimEnd().split('\n');
  assert.match(table[0]!, /^AT\s+ACTOR\s+ACTION\s+DEVICE\s+COMMAND\s+DETAILS$/);
  assert.ok(table.some((l) => /\stoken:bootstrap\s+command\.created\s+meter-1\s/.test(l)));
  const config = JSON.parse(await live.ok(['audit', '--action', 'config.', '--json'])) as { action: string }[];
  assert.equal([...new Set(config.map((e) => e.action))].sort(), ['config.defaults_updated', 'config.device_cleared', 'config.device_updated']);
  const limited = JSON.parse(await live.ok(['audit', '--device', 'meter-1', '--limit', '2', '--json'])) as unknown[];
  assert.is(limited.length, 2);
  const bad = await live.run(['audit', '--limit', '0']);
  assert.is(bad.code, 4);
  assert.match(bad.stderr, /limit must be 1\.\.10000/);
});

test.run();
