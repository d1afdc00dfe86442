/**
 * `fleetgate device ...` and `fleetgate status` against a live gateway: tables and --json, the
 * token rules (FLEETGATE_TOKEN, --token, the local admin_token file for loopback URLs only) and the
 * exit codes of gateway failures.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signEnvelope } from '../../../server/protocol/envelope.ts';
import { fleetgate, startLiveGateway, TOKEN, type LiveGateway } from '../live.ts';

let live: LiveGateway;

test.before(async () => {
  live = await startLiveGateway();
});
test.after(async () => {
  await live.gw.kill();
});

test('device add / list / show / rotate-key / revoke, as tables and as JSON', async () => {
  const add = await live.ok(['device', 'add', 'meter-1']);
  assert.match(add, /^device meter-1 registered\nhmac_key [0-9a-f]{64}\n$/);
  const m2 = JSON.parse(await live.ok(['device', 'add', 'meter-2', '--json'])) as Record<string, unknown>;
  assert.equal(Object.keys(m2).sort(), ['device_id', 'hmac_key', 'key_mode', 'key_version'], 'no "success" envelope in --json');
  const dev = await live.device('meter-3');
  await dev.upload([{ timestamp: 1_763_000_000, power: 575 }]);

  const table = (await live.ok(['device', 'list'])).trimEnd().split('\n');
  assert.match(table[0]!, /^DEVICE\s+STATUS\s+KEY\s+LAST SEEN\s+LAST NONCE\s+CREATED$/);
  // Most recently seen first, then by id; columns aligned under the header.
  assert.equal(table.slice(1).map((l) => l.split(/\s+/)[0]), ['meter-3', 'meter-1', 'meter-2']);
  assert.match(table[1]!, /^meter-3\s+active\s+derived\/v1\s+\d+s ago\s+1\s+\S+Z$/);
  const col = table[0]!.indexOf('STATUS');
  for (const line of table.slice(1)) assert.is(line.slice(col, col + 6), 'active', line);

  const json = JSON.parse(await live.ok(['device', 'list', '--json'])) as { device_id: string; last_nonce: number | null }[];
  assert.equal(json.map((d) => [d.device_id, d.last_nonce]), [['meter-3', 1], ['meter-1', null], ['meter-2', null]]);

  const rotated = await live.ok(['device', 'rotate-key', 'meter-1']);
  assert.match(rotated, /^hmac_key [0-9a-f]{64}\nkey_version 2\nprevious key valid until \S+Z\n$/);
  assert.match(await live.ok(['device', 'revoke', 'meter-2']), /^device meter-2 revoked\n$/);
  assert.equal((JSON.parse(await live.ok(['device', 'list', '--status', 'revoked', '--json'])) as { device_id: string }[]).map((d) => d.device_id), ['meter-2']);

  const show = await live.ok(['device', 'show', 'meter-3']);
  assert.match(show, /^device\s+meter-3$/m);
  assert.match(show, /^last seen\s+\d+s ago \(\S+\), nonce 1$/m);
  assert.match(show, /^security\s+1 messages: 1 accepted/m);
  const picture = JSON.parse(await live.ok(['device', 'show', 'meter-3', '--json'])) as Record<string, { device_id?: string; config_version?: number } | null>;
  assert.equal(Object.keys(picture).sort(), ['config', 'device', 'diagnostics', 'events', 'open_commands', 'ota', 'security']);
  assert.is(picture.device!.device_id, 'meter-3');
  assert.is(picture.config!.config_version, 1);
});

test('gateway refusals are one line with exit 4; bad input exit 2 before any request', async () => {
  const cases: [string[], number, RegExp][] = [
    [['device', 'show', 'nobody'], 4, /^fleetgate: gateway answered 404 unknown_device: /],
    [['device', 'add', 'meter-3'], 4, /^fleetgate: gateway answered 409 /],
    [['device', 'add', 'bad id'], 2, /^fleetgate: invalid device id "bad id"/],
    [['device', 'list', '--status', 'gone'], 2, /^fleetgate: --status must be active or revoked/],
    [['device', 'list', '--token', 'wrong-token-0123456789'], 4, /refused the admin token \(401 unauthorized\)/],
    [['device', 'list', '--url', 'ftp://x'], 2, /--url must be an http/],
  ];
  for (const [args, code, message] of cases) {
    const r = await live.run(args);
    assert.is(r.code, code, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.is(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.is(r.stdout, '');
  }
  const down = await fleetgate(['status', '--url', 'http://127.0.0.1:9', '--token', TOKEN]);
  assert.is(down.code, 4);
  assert.match(down.stderr, /^fleetgate: cannot reach the gateway at http:\/\/127\.0\.0\.1:9: ECONNREFUSED\n$/);
});

test('token: --token beats FLEETGATE_TOKEN; admin_token file only for a loopback URL; ADMIN_TOKEN is not read', async () => {
  const keys = join(live.dir, 'cli-keys');
  await mkdir(keys, { recursive: true });
  await writeFile(join(keys, 'admin_token'), `${TOKEN}\n`);
  // No FLEETGATE_TOKEN: the local file is used for 127.0.0.1 and for localhost.
  let r = await fleetgate(['device', 'list', '--url', live.gw.url, '--keys-dir', keys]);
  assert.is(r.code, 0, r.stderr);
  r = await fleetgate(['device', 'list'], { FLEETGATE_URL: live.gw.url.replace('127.0.0.1', 'localhost'), KEYS_DIR: keys });
  assert.is(r.code, 0, r.stderr);
  // --token wins over a wrong FLEETGATE_TOKEN.
  r = await fleetgate(['device', 'list', '--url', live.gw.url, '--token', TOKEN], { FLEETGATE_TOKEN: 'wrong-wrong-wrong-wrong' });
  assert.is(r.code, 0, r.stderr);
  // ADMIN_TOKEN configures the gateway, not the client.
  r = await fleetgate(['device', 'list', '--url', live.gw.url, '--keys-dir', join(live.dir, 'none')], { ADMIN_TOKEN: TOKEN });
  assert.is(r.code, 2);
  assert.match(r.stderr, /^fleetgate: no admin token for http:\/\/127\.0\.0\.1:\d+: pass --token or set FLEETGATE_TOKEN \(no ADMIN_TOKEN in \.\/\.env, no admin_token in /);
  // Another host never gets the local file (refused before any connection is made).
  r = await fleetgate(['device', 'list', '--url', 'http://192.0.2.1:5001', '--keys-dir', keys]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^fleetgate: no admin token for http:\/\/192\.0\.2\.1:5001: pass --token or set FLEETGATE_TOKEN\n$/);
});

test('status: the fleet overview as a table and as JSON', async () => {
  const d = await live.device('meter-4');
  await d.upload([{ timestamp: 1_763_000_100, power: 1 }]);
  const diag = await d.request('POST', '/diagnostics/meter-4', { firmware_version: '1.2.0', uptime_seconds: 5, boot_id: 'b1', reset_reason: 'poweron' });
  assert.is(diag.status, 200);
  const text = await live.ok(['status']);
  assert.match(text, /^gateway http:\/\/127\.0\.0\.1:\d+\n\nAREA\s+STATE\n/);
  // meter-1..4 exist, meter-2 revoked, meter-3/4 heard from, meter-1 never.
  assert.match(text, /^devices\s+4 registered: 2 online, 0 offline, 1 never seen, 1 revoked \(online: heard within 180 s\)$/m);
  assert.match(text, /^config\s+latest version 1: 0 up to date, 3 behind$/m);
  assert.match(text, /^firmware\s+1\.2\.0 on 1, not reported on 2$/m);
  assert.match(text, /^ota\s+0 images, 0 downloads active/m);
  assert.match(text, /^security\s+3 signed messages since \S+Z, 100% ok; 0 replays/m);
  const st = JSON.parse(await live.ok(['status', '--json'])) as { devices: Record<string, number>; firmware: { versions: Record<string, number> } };
  assert.equal(st.devices, { total: 4, online: 2, offline: 0, never_seen: 1, revoked: 1, online_within_seconds: 180 });
  assert.equal(st.firmware.versions, { '1.2.0': 1 });
});

test('rotate-key --immediate kills the old key at once; reinstate re-keys a revoked device; --shared-key asks for a shared device', async () => {
  const dev = await live.device('meter-9');
  await dev.upload([{ timestamp: 1_763_000_000, power: 1 }]);
  const rotated = JSON.parse(await live.ok(['device', 'rotate-key', 'meter-9', '--immediate', '--json'])) as { key_version: number; previous_key_valid_until: string | null };
  assert.equal([rotated.key_version, rotated.previous_key_valid_until], [2, null]);
  const refused = await fetch(`${live.gw.url}/aggregated/meter-9`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signEnvelope(dev.key, 'meter-9', 2, { aggregated_data: [{ timestamp: 1_763_000_060, power: 2 }] })) });
  assert.is(refused.status, 401, 'the old key is dead at once');

  assert.match(await live.ok(['device', 'revoke', 'meter-9']), /revoked/);
  assert.match(await live.ok(['device', 'reinstate', 'meter-9']), /^device meter-9 reinstated\nhmac_key [0-9a-f]{64}\nkey_version 3\n$/);
  const again = await live.run(['device', 'reinstate', 'meter-9']);
  assert.is(again.code, 4);
  assert.match(again.stderr, /409 device_not_revoked/);

  // This gateway has no HMAC_PSK: the CLI asked for a shared device, and the gateway says why not.
  const shared = await live.run(['device', 'add', 'ecowatt-1', '--shared-key']);
  assert.is(shared.code, 4);
  assert.match(shared.stderr, /409 shared_key_unavailable/);
});

test('--provisioning-dir is made and checked before anything is registered (single and --file)', async () => {
  const file = join(live.dir, 'afile');
  await writeFile(file, 'x');
  const batch = join(live.dir, 'batch.csv');
  await writeFile(batch, 'batch-3\nbatch-4\n');
  const taken = join(live.dir, 'prov-taken');
  await mkdir(taken);
  await writeFile(join(taken, 'batch-4.csv'), 'another key');
  const cases: [string[], RegExp][] = [
    [['device', 'add', 'prov-1', '--provisioning-dir', join(file, 'sub')], /^fleetgate: \S+\/afile\/sub: \S+\/afile is not a directory\n$/],
    [['device', 'add', '--file', batch, '--provisioning-dir', file], /^fleetgate: \S+\/afile: not a directory \(a file is in the way\)\n$/],
    [['device', 'add', '--file', batch, '--provisioning-dir', '/proc/nope'], /^fleetgate: \/proc\/nope: cannot create directories in \/proc\n$/],
    [['device', 'add', '--file', batch, '--provisioning-dir', taken], /^fleetgate: \S+\/prov-taken\/batch-4\.csv exists: not replaced/],
  ];
  for (const [args, message] of cases) {
    const r = await live.run(args);
    assert.is(r.code, 3, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.is(r.stdout, '');
  }
  const ids = (JSON.parse(await live.ok(['device', 'list', '--json'])) as { device_id: string }[]).map((d) => d.device_id);
  for (const id of ['prov-1', 'batch-3', 'batch-4']) assert.not.ok(ids.includes(id), `${id} was registered although its key had nowhere to go`);
  assert.is(await readFile(join(taken, 'batch-4.csv'), 'utf8'), 'another key');

  // A usable folder (missing parents made, 0700): one 0600 NVS CSV per device.
  const out = join(live.dir, 'prov', 'factory');
  const ok = await live.run(['device', 'add', '--file', batch, '--provisioning-dir', out]);
  assert.is(ok.code, 0, ok.stderr);
  assert.equal((await readdir(out)).sort(), ['batch-3.csv', 'batch-4.csv']);
  assert.is((await stat(out)).mode & 0o777, 0o700);
  assert.is((await stat(join(out, 'batch-3.csv'))).mode & 0o777, 0o600);
  assert.match(await readFile(join(out, 'batch-3.csv'), 'utf8'), /^device_id,data,string,batch-3\ndevice_key,data,hex2bin,[0-9a-f]{64}$/m);
});

test('the .env that `fleetgate serve` reads in this folder finds its gateway (PORT) and admin token (ADMIN_TOKEN, or KEYS_DIR/admin_token)', async () => {
  const port = new URL(live.gw.url).port;
  const withToken = join(live.dir, 'site-a');
  await mkdir(withToken);
  await writeFile(join(withToken, '.env'), `PORT=${port}\nHOST=0.0.0.0\nADMIN_TOKEN=${TOKEN}\n`);
  let r = await fleetgate(['status', '--json'], {}, undefined, { cwd: withToken });
  assert.is(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).devices, r.stdout);
  // With --url naming that gateway, the token still comes from .env.
  r = await fleetgate(['device', 'list', '--url', `http://127.0.0.1:${port}`], {}, undefined, { cwd: withToken });
  assert.is(r.code, 0, r.stderr);

  // No ADMIN_TOKEN: the gateway wrote KEYS_DIR/admin_token, and KEYS_DIR is .env's.
  const withKeysDir = join(live.dir, 'site-b');
  await mkdir(join(withKeysDir, 'gw-keys'), { recursive: true });
  await writeFile(join(withKeysDir, 'gw-keys', 'admin_token'), `${TOKEN}\n`);
  await writeFile(join(withKeysDir, '.env'), `PORT=${port}\nKEYS_DIR=gw-keys\n`);
  r = await fleetgate(['device', 'list', '--json'], { KEYS_DIR: undefined as unknown as string }, undefined, { cwd: withKeysDir });
  assert.is(r.code, 0, r.stderr);

  // The environment wins over .env, and .env's token never goes to another host.
  r = await fleetgate(['device', 'list'], { FLEETGATE_URL: 'http://192.0.2.1:5001' }, undefined, { cwd: withToken });
  assert.is(r.code, 2);
  assert.match(r.stderr, /^fleetgate: no admin token for http:\/\/192\.0\.2\.1:5001: pass --token or set FLEETGATE_TOKEN\n$/);
});

// A .env's HOST counted as "this machine": the token went to whatever host the file named (a
// deployment's .env copied to a workstation), and its FLEETGATE_URL redirected the shell's token.
test('.env never sends a token off this machine: not to the HOST it names, and its FLEETGATE_* are not read', async () => {
  const port = new URL(live.gw.url).port;
  const remote = join(live.dir, 'copied-from-prod');
  await mkdir(remote);
  await writeFile(join(remote, '.env'), `PORT=${port}\nHOST=gw.prod.example.com\nADMIN_TOKEN=${TOKEN}\n`);
  let r = await fleetgate(['device', 'list'], {}, undefined, { cwd: remote });
  assert.equal([r.code, r.stderr], [2, `fleetgate: no admin token for http://gw.prod.example.com:${port}: pass --token or set FLEETGATE_TOKEN\n`]);

  const planted = join(live.dir, 'planted');
  await mkdir(planted);
  await writeFile(join(planted, '.env'), `PORT=${port}\nFLEETGATE_URL=http://127.0.0.1:9\n`);
  r = await fleetgate(['device', 'list', '--json'], { FLEETGATE_TOKEN: TOKEN }, undefined, { cwd: planted });
  assert.is(r.code, 0, `the shell's token went to .env's PORT on this machine, not to its FLEETGATE_URL: ${r.stderr}`);
});

test('a .env the CLI cannot use: unreadable is named and ignored (--version still works); a bad PORT is a usage error naming it', async () => {
  const dir = join(live.dir, 'odd-env');
  await mkdir(join(dir, '.env'), { recursive: true }); // a directory
  let r = await fleetgate(['--version'], {}, undefined, { cwd: dir });
  assert.equal([r.code, r.stderr], [0, 'fleetgate: ignoring ./.env: cannot be read (it is a directory)\n']);
  const bad = join(live.dir, 'bad-port');
  await mkdir(bad);
  await writeFile(join(bad, '.env'), 'PORT=abc\n');
  r = await fleetgate(['device', 'list', '--url', 'http://192.0.2.1:5001'], {}, undefined, { cwd: bad });
  assert.equal([r.code, r.stderr], [2, 'fleetgate: no admin token for http://192.0.2.1:5001: pass --token or set FLEETGATE_TOKEN\n'], 'not asked: --url given');
  r = await fleetgate(['device', 'list'], {}, undefined, { cwd: bad });
  assert.equal([r.code, r.stderr], [2, 'fleetgate: ./.env: PORT must be a port number, got "abc"\n']);
});

test.run();
