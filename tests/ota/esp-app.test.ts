/**
 * Packaging an ESP-IDF app image: the manifest's security_counter is the app descriptor's
 * secure_version (ESP-IDF's eFuse anti-rollback value), an explicit --security-counter must agree,
 * and a --version other than the app's own PROJECT_VER is refused (SPEC.md §12). Images that are
 * not ESP-IDF apps (no descriptor magic) keep the flag's value or 0.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESP_APP_DESC_MAGIC, ESP_APP_DESC_OFFSET, parseEspAppDescriptor } from '../../server/ota/esp-app.ts';
import { cliOk, runCli } from './cli-harness.ts';

function espImage(version: string, secureVersion: number): Buffer {
  const b = Buffer.alloc(4096, 0x5a);
  b[0] = 0xe9; // esp_image_header_t magic
  b.writeUInt32LE(ESP_APP_DESC_MAGIC, ESP_APP_DESC_OFFSET);
  b.writeUInt32LE(secureVersion, ESP_APP_DESC_OFFSET + 4);
  b.fill(0, ESP_APP_DESC_OFFSET + 16, ESP_APP_DESC_OFFSET + 48);
  b.write(version, ESP_APP_DESC_OFFSET + 16, 'ascii');
  return b;
}

test('the descriptor is found only in an ESP-IDF app image', () => {
  assert.equal(parseEspAppDescriptor(espImage('4.0.0', 7)), { secureVersion: 7, version: '4.0.0' });
  const plain = espImage('4.0.0', 7);
  plain.writeUInt32LE(0, ESP_APP_DESC_OFFSET);
  assert.is(parseEspAppDescriptor(plain), undefined);
  assert.is(parseEspAppDescriptor(Buffer.alloc(10)), undefined);
});

test('fleetgate firmware package takes secure_version as the security counter and refuses disagreements', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-espapp-'));
  try {
    const keys = join(dir, 'keys');
    await cliOk(['keys', 'init', '--dir', keys]);
    const app = join(dir, 'app.bin');
    await writeFile(app, espImage('4.0.0', 7));
    await cliOk(['firmware', 'package', app, '--version', '4.0.0', '--keys', keys, '--out', join(dir, 'out')]);
    const m = JSON.parse(await readFile(join(dir, 'out', 'firmware_4.0.0_manifest.json'), 'utf8'));
    assert.is(m.security_counter, 7);
    const mismatch = await runCli(['firmware', 'package', app, '--version', '4.0.0', '--security-counter', '6', '--keys', keys, '--out', join(dir, 'o2')]);
    assert.match(mismatch.error?.message ?? '', /secure_version 7/);
    const wrongVersion = await runCli(['firmware', 'package', app, '--version', '4.0.1', '--keys', keys, '--out', join(dir, 'o3')]);
    assert.match(wrongVersion.error?.message ?? '', /PROJECT_VER/);
    await cliOk(['firmware', 'package', app, '--version', '4.0.0', '--security-counter', '7', '--keys', keys, '--out', join(dir, 'o4')]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
