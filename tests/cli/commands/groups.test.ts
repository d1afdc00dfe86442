/**
 * Device groups from the CLI: `device add --tag`, a factory batch from a CSV with NVS
 * provisioning files (0600, never replacing a file), `device tag`, `device list --tag`,
 * `command send tag:<tag>`, and config layers by tag (`config set|get|unset tag:<tag>`,
 * `config tags`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLiveGateway, type LiveGateway } from '../live.ts';

let live: LiveGateway;
test.before(async () => {
  live = await startLiveGateway();
});
test.after(async () => {
  await live.gw.kill();
});

test('a factory batch: devices from a CSV with tags, one NVS provisioning file each', async () => {
  const csv = join(live.dir, 'batch.csv');
  await writeFile(csv, 'device_id,tags\n# line one is a header\nfab-001,canary;site:lyon\nfab-002,site:lyon\nfab-003\n');
  const out = join(live.dir, 'prov');
  const text = await live.ok(['device', 'add', '--file', csv, '--provisioning-dir', out, '--tag', 'batch:7']);
  assert.match(text, /^3 provisioning files in /m);
  assert.not.match(text, /hmac_key/, 'keys go to the files, not the terminal');
  const nvs = await readFile(join(out, 'fab-001.csv'), 'utf8');
  assert.match(nvs, /^key,type,encoding,value\nfg_prov,namespace,,\ndevice_id,data,string,fab-001\ndevice_key,data,hex2bin,[0-9a-f]{64}\n$/);
  assert.is((await stat(join(out, 'fab-001.csv'))).mode & 0o777, 0o600);
  const listed = JSON.parse(await live.ok(['device', 'list', '--tag', 'site:lyon', '--json'])) as { device_id: string; tags: string[] }[];
  assert.equal(listed.map((d) => [d.device_id, d.tags]).sort(), [['fab-001', ['batch:7', 'canary', 'site:lyon']], ['fab-002', ['batch:7', 'site:lyon']]]);
  // the same batch again into the same folder: refused before asking the gateway (fab-001.csv is
  // there), no file replaced, fab-004 not registered
  await writeFile(csv, 'fab-004\nfab-001\n');
  const again = await live.run(['device', 'add', '--file', csv, '--provisioning-dir', out]);
  assert.is(again.code, 3);
  assert.match(again.stderr, /prov\/fab-001\.csv exists: not replaced/);
  assert.is(await readFile(join(out, 'fab-001.csv'), 'utf8'), nvs);
  // into a fresh folder: refused by the gateway (409), nothing registered, no file written
  const fresh = join(live.dir, 'prov-2');
  const refused = await live.run(['device', 'add', '--file', csv, '--provisioning-dir', fresh]);
  assert.is(refused.code, 4);
  assert.match(refused.stderr, /409 device_exists: devices already exist: fab-001/);
  assert.equal(await readdir(fresh), []);
  const bad = await live.run(['device', 'add', '--file', join(live.dir, 'missing.csv')]);
  assert.is(bad.code, 3);
});

test('device tag replaces tags; command send tag:<tag> queues for every tagged device', async () => {
  await live.ok(['device', 'add', 'g-1', '--tag', 'canary']);
  await live.ok(['device', 'add', 'g-2']);
  assert.match(await live.ok(['device', 'tag', 'g-2', 'canary', 'floor-2']), /^device g-2 tags: canary floor-2$/m);
  const sent = await live.ok(['command', 'send', 'tag:canary', 'reboot']);
  assert.match(sent, /^queued 3 commands for tag:canary$/m, 'g-1, g-2 and fab-001 from the batch');
  assert.match(await live.ok(['device', 'tag', 'g-2']), /^device g-2 tags: \(none\)$/m);
});

test('config set/get/unset tag:<tag> and config tags: a layer for every device with the tag, the source of each value', async () => {
  await live.ok(['device', 'add', 'c-1', '--tag', 'canary', '--tag', 'site:lyon']);
  const set = await live.ok(['config', 'set', 'tag:canary', 'upload_frequency=120', 'heartbeat_interval=30']);
  assert.match(set, /^tag canary: config version \d+, priority 0, 3 devices, updated \S+ by token:bootstrap$/m, 'c-1, fab-001 and g-1 from the tests above');
  assert.match(set, /^upload_frequency\s+120$/m);
  await live.ok(['config', 'set', 'tag:site:lyon', 'upload_frequency=90']);
  const device = await live.ok(['config', 'get', 'c-1']);
  assert.match(device, /^tags\s+canary site:lyon$/m);
  assert.match(device, /^upload_frequency\s+90\s+tag:site:lyon$/m, 'equal priorities: the later tag name wins');
  assert.match(device, /^heartbeat_interval\s+30\s+tag:canary$/m);
  await live.ok(['config', 'set', 'tag:canary', 'priority=10']);
  assert.match(await live.ok(['config', 'get', 'c-1']), /^upload_frequency\s+120\s+tag:canary$/m, 'priority 10 wins');
  await live.ok(['config', 'set', 'c-1', 'upload_frequency=300']);
  assert.match(await live.ok(['config', 'get', 'c-1']), /^upload_frequency\s+300\s+device$/m, 'the device override wins');

  const list = await live.ok(['config', 'tags']);
  assert.match(list, /^TAG\s+PRIORITY\s+DEVICES\s+VERSION\s+UPDATED\s+SETS$/m);
  assert.match(list, /^canary\s+10\s+3\s+\d+\s+\S+ ago by token:bootstrap\s+\{"upload_frequency":120,"heartbeat_interval":30\}$/m);
  assert.match(list, /^site:lyon\s+0\s+3\s+/m, 'c-1, fab-001 and fab-002');
  assert.match(await live.ok(['config', 'unset', 'tag:canary', 'priority']), /priority 0,/, 'unset priority: back to 0');
  await live.ok(['config', 'set', 'tag:canary', 'priority=10']);
  const unset = await live.ok(['config', 'unset', 'tag:canary', 'upload_frequency']);
  assert.not.match(unset, /upload_frequency/);
  assert.match(unset, /^heartbeat_interval\s+30$/m);
  assert.match(await live.ok(['config', 'unset', 'tag:canary']), /^sets nothing: /m);
  const json = JSON.parse(await live.ok(['config', 'tags', '--json'])) as { tags: { tag: string }[] };
  assert.equal(json.tags.map((t) => t.tag), ['site:lyon'], 'an emptied layer is not listed');
  assert.match(await live.ok(['config', 'get', 'tag:nobody-has']), /^tag nobody-has: no configuration layer \(0 devices with the tag\)$/m);
  const bad = await live.run(['config', 'set', 'tag:Canary', 'upload_frequency=120']);
  assert.is(bad.code, 4);
  assert.match(bad.stderr, /^fleetgate: gateway answered 400 invalid_tag: tag: /);
  const notOnDevice = await live.run(['config', 'set', 'c-1', 'priority=3']);
  assert.match(notOnDevice.stderr, /400 invalid_config: priority: unknown field/);
});

test('a batch naming a device that exists with clashing tags: one line, 409 device_exists, exit 4; nothing registered', async () => {
  // Both tags: upload:fast sorts later, so its upload 60 wins at equal priority, under poll 120.
  await live.ok(['config', 'set', 'tag:poll:slow', 'poll_frequency=120', 'upload_frequency=300']);
  await live.ok(['config', 'set', 'tag:upload:fast', 'upload_frequency=60']);
  await live.ok(['device', 'add', 'k-1', '--tag', 'poll:slow']);
  const csv = join(live.dir, 'clash.csv');
  await writeFile(csv, 'k-2\nk-1,poll:slow;upload:fast\n');
  const clash = await live.run(['device', 'add', '--file', csv]);
  assert.is(clash.code, 4);
  assert.is(clash.stderr, 'fleetgate: gateway answered 409 device_exists: devices already exist: k-1; nothing was registered\n');
  assert.is((await live.run(['device', 'show', 'k-2'])).code, 4, 'k-2 not registered');
});

test.run();
