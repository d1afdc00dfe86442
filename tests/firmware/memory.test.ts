/**
 * The OTA's RAM on the device build of the core, measured, not estimated: fleetgate-mem-report
 * runs a whole format 2 update (manifest, every hash page with its proof, every chunk, flash
 * read-back, both RSA-PSS checks) and counts every heap allocation — the buffers the app
 * allocates and everything mbedTLS allocates (firmware/host/bench/fleetgate_mem_report.c). The
 * peak must stay ≤ 48 KiB with no allocation above 16 KiB whatever the image size: checked here
 * for 1 MiB and 16 MiB images (4 KiB chunks) and for the largest chunks a device accepts (16 KiB).
 * The figures are printed; firmware/README.md quotes them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashPages } from '../../server/ota/hash-tree.ts';
import { signingKeysFrom } from '../../server/ota/keys.ts';
import { packageBuffer } from '../../server/ota/package.ts';
import { ROOT, runProcess } from '../helpers/process.ts';

const REPORT = join(ROOT, 'firmware', 'host', 'build', 'fleetgate-mem-report');
const KiB = 1024;
const MiB = 1024 * KiB;
const PEAK_BUDGET = 48 * KiB;
const LARGEST_BUDGET = 16 * KiB;

let dir = '';
const results: Record<string, any> = {};

test.before(async () => {
  const build = await runProcess('bash', [join(ROOT, 'scripts', 'setup-firmware.sh'), '--no-test'], { timeoutMs: 15 * 60_000 });
  assert.is(build.code, 0, `setup-firmware.sh --no-test failed:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);
  dir = await mkdtemp(join(tmpdir(), 'fleetgate-mem-'));
});

test.after(async () => {
  console.log(JSON.stringify(results, null, 1));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function measure(name: string, size: number, chunkSize: number): Promise<any> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const aes = randomBytes(32);
  const keys = signingKeysFrom(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), aes);
  const firmware = randomBytes(size);
  const { manifest, encrypted, chunkTable } = packageBuffer(firmware, keys, { version: '3.0.0', chunkSize });
  const tree = new HashPages(chunkTable, 64);
  const files = {
    manifest: join(dir, `${name}.json`),
    image: join(dir, `${name}.bin`),
    pages: join(dir, `${name}.pages`),
    pubkey: join(dir, `${name}.der`),
    aes: join(dir, `${name}.aes`),
  };
  await writeFile(files.manifest, JSON.stringify(manifest));
  await writeFile(files.image, encrypted);
  await writeFile(files.pages, Buffer.concat(Array.from({ length: tree.totalPages }, (_, p) => tree.answer(p))));
  await writeFile(files.pubkey, publicKey.export({ type: 'spki', format: 'der' }));
  await writeFile(files.aes, aes);
  const r = await runProcess(REPORT, ['--manifest', files.manifest, '--image', files.image, '--pages', files.pages, '--pubkey', files.pubkey, '--aes-key', files.aes], {
    timeoutMs: 120_000,
  });
  assert.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(r.stdout).ota;
  results[name] = report;
  assert.is(report.ok, true);
  assert.is(report.image_bytes, encrypted.length);
  assert.is(report.chunks, manifest.total_chunks);
  assert.is(report.pages_fetched, tree.totalPages, 'every page fetched once');
  assert.ok(report.heap_peak_bytes <= PEAK_BUDGET, `${name}: heap peak ${report.heap_peak_bytes} > ${PEAK_BUDGET}`);
  assert.ok(report.heap_largest_alloc_bytes <= LARGEST_BUDGET, `${name}: largest allocation ${report.heap_largest_alloc_bytes}`);
  assert.is(report.heap_leaked_bytes, 0, 'everything freed');
  assert.ok(report.heap_peak_beyond_buffers_bytes > 0, 'mbedTLS allocations are counted');
  return report;
}

test('1 MiB and 16 MiB images: the same bounded heap (≤ 48 KiB, no allocation above 16 KiB)', async () => {
  const small = await measure('1MiB_4KiB_chunks', 1 * MiB, 4 * KiB);
  const large = await measure('16MiB_4KiB_chunks', 16 * MiB, 4 * KiB);
  assert.ok(large.heap_peak_bytes <= small.heap_peak_bytes + 256, `peak grows with the image: ${small.heap_peak_bytes} → ${large.heap_peak_bytes}`);
  assert.ok(large.stack_bytes <= small.stack_bytes + 256, 'stack does not grow with the image');
});

test('the largest chunks a device accepts (16 KiB) stay within the budget', async () => {
  await measure('1MiB_16KiB_chunks', 1 * MiB, 16 * KiB);
});

test.run();
