/**
 * Device groups from the CLI: `device add --tag`, a factory batch from a CSV with NVS
 * provisioning files (0600, never replacing a file), `device tag`, `device list --tag`, and
 * `command send tag:<tag>`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, stat, writeFile } from 'node:fs/promises';
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
  // the same batch again: refused by the gateway (409), and no file replaced
  await writeFile(csv, 'fab-004\nfab-001\n');
  const again = await live.run(['device', 'add', '--file', csv, '--provisioning-dir', out]);
  assert.is(again.code, 4);
  assert.match(again.stderr, /409 device_exists: devices already exist: fab-001/);
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

test.run();
