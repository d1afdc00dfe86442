/**
 * `fleetgate ota images|upload|publish|yank|sessions` and `fleetgate rollout ...` against a live
 * gateway: 1.0.5 packaged into its FIRMWARE_DIR before it started (published to everyone), 1.0.6
 * packaged on a "build machine" directory and uploaded, published and rolled out from the CLI,
 * with devices downloading and reporting results: tables, --json, states and who changed them,
 * progress and failure rates, the exit codes of refusals.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fleetgate, startLiveGateway, type LiveDevice, type LiveGateway } from '../live.ts';

let live: LiveGateway;
let devices: LiveDevice[];

let build: string;

test.before(async () => {
  live = await startLiveGateway(async ({ keysDir, firmwareDir }) => {
    const keys = await fleetgate(['keys', 'init', '--keys-dir', keysDir]);
    if (keys.code !== 0) throw new Error(keys.stderr);
    build = join(keysDir, '..', 'build');
    for (const [version, counter, out] of [['1.0.5', '1', firmwareDir], ['1.0.6', '2', build]] as const) {
      const bin = join(keysDir, '..', `app-${version}.bin`);
      await writeFile(bin, randomBytes(40_000));
      // 1 KiB chunks (the default is 4 KiB): the tables below count 40 of them.
      const r = await fleetgate(['firmware', 'package', bin, '--version', version, '--security-counter', counter, '--chunk-size', '1024', '--notes', `build ${version}`, '--keys-dir', keysDir, '--firmware-dir', out]);
      if (r.code !== 0) throw new Error(r.stderr);
    }
  });
  devices = [];
  for (const id of ['lab-1', 'lab-2', 'lab-3']) devices.push(await live.device(id));
});
test.after(async () => {
  await live.gw.kill();
});

test('ota upload / publish / images / yank: a draft, then released, who did it and when', async () => {
  const uploaded = await live.ok(['ota', 'upload', join(build, 'firmware_1.0.6_manifest.json')]);
  assert.match(uploaded, /^uploaded$/m);
  assert.match(uploaded, /^state\s+draft$/m);
  assert.match(uploaded, /^recorded\s+\S+Z by token:bootstrap \(upload\)$/m);
  let lines = (await live.ok(['ota', 'images'])).trimEnd().split('\n');
  assert.match(lines[0]!, /^VERSION\s+BUILD\s+STATE\s+OFFERED TO\s+COUNTER\s+SIZE\s+SIGNATURE\s+CHANGED$/);
  assert.match(lines[1]!, /^1\.0\.5\s+[0-9a-f]{12}\s+published \(general\)\s+everyone\s+1\s+39\.1 KiB\s+valid\s+published by system \S+Z$/);
  assert.match(lines[2]!, /^1\.0\.6\s+[0-9a-f]{12}\s+draft\s+nobody\s+2\s+39\.1 KiB\s+valid\s+recorded by token:bootstrap \S+Z$/);
  const again = await live.ok(['ota', 'upload', join(build, 'firmware_1.0.6_manifest.json'), '--image', join(build, 'firmware_1.0.6_encrypted.bin')]);
  assert.match(again, /^unchanged$/m);
  const published = await live.ok(['ota', 'publish', '1.0.6']);
  assert.match(published, /^state\s+published$/m);
  assert.match(published, /^published\s+\S+Z by token:bootstrap$/m);
  lines = (await live.ok(['ota', 'images'])).trimEnd().split('\n');
  assert.match(lines[2]!, /^1\.0\.6\s+\S+\s+published\s+nobody yet \(no rollout\)\s+/);
  const json = JSON.parse(await live.ok(['ota', 'images', '--json'])) as { images: { version: string; state: string }[]; problems: unknown[] };
  assert.equal(json.images.map((i) => [i.version, i.state]), [['1.0.5', 'published'], ['1.0.6', 'published']]);
  assert.equal(json.problems, []);
  const cases: [string[], number, RegExp][] = [
    [['ota', 'publish', '9.9.9'], 4, /^fleetgate: gateway answered 404 firmware_not_found/],
    [['ota', 'yank', '1.0.6', '--json', '--url', 'ftp://x'], 2, /^fleetgate: --url must be an http/],
    [['ota', 'upload', join(build, 'nope.json')], 3, /nope\.json: no such file or directory$/m],
    [['ota', 'upload', join(build, 'firmware_1.0.6_encrypted.bin')], 2, /not a manifest/],
  ];
  for (const [args, code, message] of cases) {
    const r = await live.run(args);
    assert.is(r.code, code, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('rollout create / list / show / pause / resume / update / cancel / delete (also as ota rollout)', async () => {
  const created = await live.ok(['rollout', 'create', '1.0.6', '--target', 'lab-1,lab-2', '--failure-threshold', '0.4', '--min-results', '2', '--notes', 'bench first']);
  const id = /^rollout\s+(ro_[0-9a-f]+)$/m.exec(created)?.[1];
  assert.ok(id, created);
  assert.match(created, /^target\s+lab-1 lab-2$/m);
  assert.match(created, /^percent\s+100% \(2 of 3 devices\)$/m);
  assert.match(created, /^auto-pause\s+failure rate above 40% after 2 results$/m);
  assert.match(created, /^notes\s+bench first$/m);
  assert.match(await live.ok(['ota', 'images']), /^1\.0\.6\s.*\srollouts\s/m);

  // lab-1 reports a failure: 1 of 1 result (below min_results, no pause yet), then lab-2 another.
  for (const dev of devices.slice(0, 2)) {
    const r = await dev.request('POST', `/ota/complete/${dev.id}`, { version: '1.0.6', success: false, error: 'rolled_back: flash write' });
    assert.is(r.status, 200, JSON.stringify(r.json));
  }
  const list = (await live.ok(['rollout', 'list'])).trimEnd().split('\n');
  assert.match(list[0]!, /^ROLLOUT\s+VERSION\s+TARGET\s+STATUS\s+STEP\s+PERCENT\s+DEVICES\s+OK\s+FAILED\s+FAILURE RATE\s+CREATED$/);
  assert.match(list[1]!, new RegExp(`^${id}\\s+1\\.0\\.6\\s+lab-1 lab-2\\s+paused \\(failure_threshold\\)\\s+1/1\\s+100%\\s+2/3\\s+0\\s+2\\s+100% of max 40%\\s+\\S+Z$`));
  const shownText = await live.ok(['rollout', 'show', id!]);
  assert.match(shownText, /^devices\s+2 targeted: 0 offered, 0 downloading, 0 succeeded, 2 failed$/m);
  assert.match(shownText, /^failures\s+rolled_back 2$/m);

  const resumed = await live.ok(['ota', 'rollout', 'resume', id!]);
  assert.match(resumed, /^status\s+active$/m);
  assert.match(resumed, /^since resume\s+0 ok, 0 failed \(0%\)$/m);
  assert.match(await live.ok(['rollout', 'pause', id!]), /^status\s+paused \(manual, \S+Z\)$/m);
  const updated = await live.ok(['rollout', 'update', id!, '--devices', 'all', '--percent', '100']);
  assert.match(updated, /^target\s+all$/m);
  assert.match(updated, /^percent\s+100% \(3 of 3 devices\)$/m);
  const shown = JSON.parse(await live.ok(['rollout', 'show', id!, '--json'])) as { id: string; percent: number; status: string; results: { failures: number }; figures: { targeted: number } };
  assert.equal([shown.id, shown.percent, shown.status, shown.results.failures, shown.figures.targeted], [id, 100, 'paused', 2, 3]);
  assert.is((JSON.parse(await live.ok(['rollout', 'list', '--json'])) as unknown[]).length, 1);
  const refused = await live.run(['rollout', 'delete', id!]);
  assert.equal([refused.code, refused.stderr.trim()], [4, `fleetgate: gateway answered 409 rollout_started: devices have started on rollout ${id}: it stays in the history (cancel it to stop it)`]);
  assert.match(await live.ok(['rollout', 'cancel', id!]), /^status\s+cancelled \(cancelled, \S+Z\)$/m);
  const spare = /^rollout\s+(ro_[0-9a-f]+)$/m.exec(await live.ok(['rollout', 'create', '1.0.6', '--target', 'tag:nobody', '--steps', '[{"percent":10},{"percent":100,"soak_seconds":60}]']))?.[1];
  assert.match(await live.ok(['rollout', 'show', spare!]), /^next step\s+100% \(after soak 60s\); waiting for 5 more results, \d+ s more soak$/m);
  assert.is((await live.ok(['rollout', 'delete', spare!])).trim(), `deleted ${spare}`);

  const cases: [string[], number, RegExp][] = [
    [['rollout', 'create', '9.9.9'], 4, /^fleetgate: gateway answered 404 firmware_not_found/],
    [['rollout', 'create', '1.0.5', '--target', 'nobody'], 4, /^fleetgate: gateway answered 404 unknown_device/],
    [['rollout', 'create', '1.0.5', '--percent', '101'], 2, /^fleetgate: --percent must be a number 0\.\.100/],
    [['rollout', 'create', '1.0.5', '--target', ','], 2, /^fleetgate: --target must be "all", "tag:<tag>" or device ids/],
    [['rollout', 'create', '1.0.5', '--steps', '{'], 2, /^fleetgate: --steps must be a JSON array/],
    [['rollout', 'create', '1.0.5', '--steps', '[]'], 4, /^fleetgate: gateway answered 400 invalid_request: steps/],
    [['rollout', 'update', id!], 2, /^fleetgate: give --percent or --target/],
    [['rollout', 'show', 'ro_nope'], 4, /^fleetgate: gateway answered 404 rollout_not_found/],
  ];
  for (const [args, code, message] of cases) {
    const r = await live.run(args);
    assert.is(r.code, code, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.match(await live.ok(['ota', 'yank', '1.0.6', '--reason', 'bench says no']), /^yanked\s+\S+Z by token:bootstrap: bench says no$/m);
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
