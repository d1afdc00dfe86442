/**
 * The first-use path (register, sign, upload, read back), end to end with the real binaries: start
 * the gateway (it generates keys/admin_token), `fleetgate device add`, `fleetgate sign`, upload
 * with curl, read the samples back. Also: CLI errors are one line with a non-zero exit code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile, readFile, stat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { runProcess, startGatewayProcess } from '../helpers/process.ts';

const fleetgate = (args: string[], env: Record<string, string>, input?: string) =>
  runProcess(process.execPath, ['cli/bin.js', ...args], { env, ...(input === undefined ? {} : { input }) });

test('register → sign → curl upload → read back, admin token generated on first start', async () => {
  const dir = await tempDir();
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys') };
  const gw = await startGatewayProcess({ ...env, ADMIN_TOKEN: '' });
  const tokenFile = join(dir, 'keys', 'admin_token');
  assert.is((await stat(tokenFile)).mode & 0o777, 0o600);
  const token = (await readFile(tokenFile, 'utf8')).trim();
  assert.not.ok(gw.output().includes(token), 'token must never be logged');
  const cliEnv = { ...env, FLEETGATE_URL: gw.url, ADMIN_TOKEN: '' };

  const add = await fleetgate(['device', 'add', 'ESP32_EcoWatt_Smart'], cliEnv);
  assert.is(add.code, 0, add.stderr);
  const key = /hmac_key ([0-9a-f]{64})/.exec(add.stdout)?.[1];
  assert.ok(key, add.stdout);

  const samplesFile = join(dir, 'samples.json');
  await writeFile(samplesFile, JSON.stringify([{ voltage: 230.1, current: 2.5, power: 575, timestamp: 1_763_000_000 }]));
  for (const [nonce, method] of [
    ['1', undefined],
    ['2', 'smart'],
  ] as const) {
    const signed = await fleetgate(
      ['sign', '--device', 'ESP32_EcoWatt_Smart', '--key', key!, '--nonce', nonce, '--file', samplesFile, ...(method ? ['--method', method] : [])],
      cliEnv,
    );
    assert.is(signed.code, 0, signed.stderr);
    const curl = await runProcess('curl', ['-sS', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '@-', `${gw.url}/aggregated/ESP32_EcoWatt_Smart`], {
      input: signed.stdout,
    });
    assert.equal(JSON.parse(curl.stdout), { success: true, samples: 1 });
  }

  const read = await runProcess('curl', ['-sS', '-H', `Authorization: Bearer ${token}`, `${gw.url}/telemetry/ESP32_EcoWatt_Smart`]);
  const back = JSON.parse(read.stdout) as { count: number; samples: { voltage: number; method: string }[] };
  assert.is(back.count, 2);
  assert.equal(back.samples.map((s) => [s.voltage, s.method]), [
    [230.1, 'plain'],
    [230.1, 'smart'],
  ]);

  const list = await fleetgate(['device', 'list'], cliEnv);
  assert.match(list.stdout, /^ESP32_EcoWatt_Smart\s+active\s+derived\/v1\s+\d+s ago\s+2\s/m);
  const rotate = await fleetgate(['device', 'rotate-key', 'ESP32_EcoWatt_Smart'], cliEnv);
  assert.match(rotate.stdout, /hmac_key [0-9a-f]{64}/);
  const revoke = await fleetgate(['device', 'revoke', 'ESP32_EcoWatt_Smart'], cliEnv);
  assert.is(revoke.code, 0);
  await gw.kill();
  await rm(dir, { recursive: true, force: true });
});

test('CLI errors are one line on stderr with a meaningful exit code', async () => {
  const dir = await tempDir();
  const cases: [string[], number, RegExp][] = [
    [['sign', '--device', 'd', '--key', 'zz', '--nonce', '1', '--file', 'x'], 2, /--key/],
    [['sign', '--device', 'd', '--key', 'a'.repeat(64), '--nonce', '-3', '--file', 'x'], 2, /--nonce/],
    [['sign', '--device', 'd', '--key', 'a'.repeat(64), '--nonce', '1', '--file', join(dir, 'missing.json')], 3, /cannot read/],
    [['pack', '--file', join(dir, 'missing.json')], 3, /cannot read/],
    [['device', 'add', 'bad id'], 2, /invalid device id/],
    [['device', 'list', '--url', 'http://127.0.0.1:9', '--token', 'x'.repeat(20)], 4, /cannot reach/],
    [['nonsense'], 2, /unknown command/],
  ];
  for (const [args, code, message] of cases) {
    const r = await fleetgate(args, { KEYS_DIR: join(dir, 'keys') });
    assert.is(r.code, code, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const bad = join(dir, 'bad.json');
  await writeFile(bad, JSON.stringify({ compressed_data: 'AAAA', method: 66, original_size: 3, compressed_size: 3, crc32: '00000000' }));
  const unpack = await fleetgate(['unpack', '--file', bad], {});
  assert.is(unpack.code, 1);
  assert.match(unpack.stderr, /^fleetgate: unknown_method/);
  await rm(dir, { recursive: true, force: true });
});

test('pack | unpack round trip through the CLI', async () => {
  const dir = await tempDir();
  const file = join(dir, 's.csv');
  await writeFile(file, 'timestamp;voltage;power\n100;230.5;4.216\n160;230.75;4.2\n');
  const packed = await fleetgate(['pack', '--file', file, '--method', '0xDE'], {});
  assert.is(packed.code, 0, packed.stderr);
  assert.is(JSON.parse(packed.stdout).method, 0xde);
  const batchFile = join(dir, 'b.json');
  await writeFile(batchFile, packed.stdout);
  const unpacked = await fleetgate(['unpack', '--file', batchFile], {});
  assert.equal(JSON.parse(unpacked.stdout).aggregated_data, [
    { timestamp: 100, voltage: 230.5, power: 4.216 },
    { timestamp: 160, voltage: 230.75, power: 4.2 },
  ]);
  await rm(dir, { recursive: true, force: true });
});

test.run();
