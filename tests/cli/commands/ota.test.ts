/**
 * `fleetgate ota images|sessions|rollout ...` against a live gateway serving two images packaged
 * with `fleetgate keys init` and `fleetgate firmware package`, with devices downloading and
 * reporting results: tables, --json, progress and failure rates, the exit codes of refusals.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fleetgate, startLiveGateway, type LiveDevice, type LiveGateway } from '../live.ts';

let live: LiveGateway;
let devices: LiveDevice[];

test.before(async () => {
  live = await startLiveGateway(async ({ keysDir, firmwareDir }) => {
    const keys = await fleetgate(['keys', 'init', '--keys-dir', keysDir]);
    if (keys.code !== 0) throw new Error(keys.stderr);
    for (const [version, counter] of [['1.0.5', '1'], ['1.0.6', '2']] as const) {
      const bin = join(keysDir, '..', `app-${version}.bin`);
      await writeFile(bin, randomBytes(40_000));
      // 1 KiB chunks (the default is 4 KiB): the tables below count 40 of them.
      const r = await fleetgate(['firmware', 'package', bin, '--version', version, '--security-counter', counter, '--chunk-size', '1024', '--notes', `build ${version}`, '--keys-dir', keysDir, '--firmware-dir', firmwareDir]);
      if (r.code !== 0) throw new Error(r.stderr);
    }
  });
  devices = [];
  for (const id of ['lab-1', 'lab-2', 'lab-3']) devices.push(await live.device(id));
});
test.after(async () => {
  await live.gw.kill();
});

test('ota images: versions, counters, sizes, who is offered each', async () => {
  const lines = (await live.ok(['ota', 'images'])).trimEnd().split('\n');
  assert.match(lines[0]!, /^VERSION\s+COUNTER\s+SIZE\s+CHUNKS\s+OFFERED TO\s+CREATED\s+NOTES$/);
  assert.match(lines[1]!, /^1\.0\.5\s+1\s+39\.1 KiB\s+40 × 1024\s+everyone\s+\S+Z\s+build 1\.0\.5$/);
  assert.match(lines[2]!, /^1\.0\.6\s+2\s+39\.1 KiB\s+40 × 1024\s+everyone\s+\S+Z\s+build 1\.0\.6$/);
  const json = JSON.parse(await live.ok(['ota', 'images', '--json'])) as { images: { version: string }[]; problems: unknown[] };
  assert.equal(json.images.map((i) => i.version), ['1.0.5', '1.0.6']);
  assert.equal(json.problems, []);
});

test('ota rollout create / list / show / pause / resume / update', async () => {
  const created = await live.ok(['ota', 'rollout', 'create', '1.0.6', '--devices', 'lab-1,lab-2', '--failure-threshold', '0.4', '--min-results', '2', '--notes', 'bench first']);
  const id = /^rollout\s+(ro_[0-9a-f]+)$/m.exec(created)?.[1];
  assert.ok(id, created);
  assert.match(created, /^devices\s+lab-1 lab-2$/m);
  assert.match(created, /^percent\s+100% \(2 of 3 devices\)$/m);
  assert.match(created, /^auto-pause\s+failure rate above 40% after 2 results$/m);
  assert.match(created, /^notes\s+bench first$/m);
  // Held: only the rollout offers 1.0.6 now.
  assert.match(await live.ok(['ota', 'images']), /^1\.0\.6\s.*\srollout only\s/m);

  // lab-1 reports a failure: 1 of 1 result (below min_results, no pause yet), then lab-2 another.
  for (const dev of devices.slice(0, 2)) {
    const r = await dev.request('POST', `/ota/complete/${dev.id}`, { version: '1.0.6', success: false, error: 'flash write' });
    assert.is(r.status, 200, JSON.stringify(r.json));
  }
  const list = (await live.ok(['ota', 'rollout', 'list'])).trimEnd().split('\n');
  assert.match(list[0]!, /^ROLLOUT\s+VERSION\s+STATUS\s+PERCENT\s+DEVICES\s+OK\s+FAILED\s+FAILURE RATE\s+CREATED$/);
  assert.match(list[1]!, new RegExp(`^${id}\\s+1\\.0\\.6\\s+paused \\(failure_threshold\\)\\s+100%\\s+2/3\\s+0\\s+2\\s+100% of max 40%\\s+\\S+Z$`));

  const resumed = await live.ok(['ota', 'rollout', 'resume', id!]);
  assert.match(resumed, /^status\s+active$/m);
  assert.match(resumed, /^since resume\s+0 ok, 0 failed \(0%\)$/m);
  assert.match(await live.ok(['ota', 'rollout', 'pause', id!]), /^status\s+paused \(manual, \S+Z\)$/m);
  const updated = await live.ok(['ota', 'rollout', 'update', id!, '--devices', 'all', '--percent', '50']);
  assert.match(updated, /^devices\s+all$/m);
  assert.match(updated, /^percent\s+50% \(\d of 3 devices\)$/m);
  const shown = JSON.parse(await live.ok(['ota', 'rollout', 'show', id!, '--json'])) as { id: string; percent: number; status: string; results: { failures: number } };
  assert.equal([shown.id, shown.percent, shown.status, shown.results.failures], [id, 50, 'paused', 2]);
  assert.is((JSON.parse(await live.ok(['ota', 'rollout', 'list', '--json'])) as unknown[]).length, 1);

  const cases: [string[], number, RegExp][] = [
    [['ota', 'rollout', 'create', '9.9.9'], 4, /^fleetgate: gateway answered 404 firmware_not_found/],
    [['ota', 'rollout', 'create', '1.0.5', '--devices', 'nobody'], 4, /^fleetgate: gateway answered 404 unknown_device/],
    [['ota', 'rollout', 'create', '1.0.5', '--percent', '101'], 2, /^fleetgate: --percent must be a number 0\.\.100/],
    [['ota', 'rollout', 'create', '1.0.5', '--devices', ','], 2, /^fleetgate: --devices must be "all" or device ids/],
    [['ota', 'rollout', 'update', id!], 2, /^fleetgate: give --percent or --devices/],
    [['ota', 'rollout', 'show', 'ro_nope'], 4, /^fleetgate: gateway answered 404 rollout_not_found/],
  ];
  for (const [args, code, message] of cases) {
    const r = await live.run(args);
    assert.is(r.code, code, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('ota sessions: active downloads with progress, and one device in full', async () => {
  const dev = devices[2]!;
  const init = await dev.request<{ total_chunks: number }>('POST', '/ota/initiate/lab-3', { firmware_version: '1.0.5' });
  assert.is(init.status, 200, JSON.stringify(init.json));
  for (const chunk of [0, 1, 2, 3]) {
    const r = await dev.request('GET', `/ota/chunk/lab-3?version=1.0.5&chunk=${chunk}`);
    assert.is(r.status, 200);
  }
  const lines = (await live.ok(['ota', 'sessions'])).trimEnd().split('\n');
  assert.match(lines[0]!, /^DEVICE\s+VERSION\s+STATUS\s+PROGRESS\s+CHUNKS\s+REFETCHES\s+SERVED\s+LAST ACTIVITY\s+ROLLOUT$/);
  assert.match(lines[1]!, /^lab-3\s+1\.0\.5\s+active\s+10%\s+4\/40\s+0\s+4\.0 KiB\s+\d+s ago\s+-$/);
  const one = await live.ok(['ota', 'sessions', 'lab-3']);
  assert.match(one, /^device\s+lab-3$/m);
  assert.match(one, /^lab-3\s+1\.0\.5\s+active\s+10%/m);
  const json = JSON.parse(await live.ok(['ota', 'sessions', '--json'])) as { device_id: string; next_chunk: number }[];
  assert.equal(json.map((s) => [s.device_id, s.next_chunk]), [['lab-3', 4]]);
  assert.match(await live.ok(['status']), /^ota\s+2 images, 1 downloads active; 0 updates completed, 2 failed; \S+ KiB served$/m);
});

test.run();
