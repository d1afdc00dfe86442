/**
 * Manifest format 2 (SPEC.md §11): tests/vectors/manifest-v2.json equals a fresh generation; the
 * RFC 9162 tree and proofs; every tampered case fails on its named check in the verifier and, for
 * every case a file can carry, in `fleetgate firmware verify` too (the C verifier runs the same
 * file in firmware/host/tests/test_ota_v2.c); the 16 MiB format test (regenerated, never stored)
 * keeps its manifest under 4 KiB; and the device routes of the streaming path.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashPages, nodeHash, pageLeaf, parsePageAnswer, rootFromProof } from '../../server/ota/hash-tree.ts';
import { verifyKeysFrom } from '../../server/ota/keys.ts';
import { OTA_MANIFEST_MAX_BYTES } from '../../server/protocol/limits.ts';
import { largeImage, largeImageFacts, renderManifestV2Vectors, runV2Case, type ManifestV2Vectors } from '../../scripts/vectors/manifest-v2.ts';
import { runCli } from './cli-harness.ts';

const stored: ManifestV2Vectors = JSON.parse(await readFile(new URL('../vectors/manifest-v2.json', import.meta.url), 'utf8'));
const v1 = JSON.parse(await readFile(new URL('../vectors/manifest.json', import.meta.url), 'utf8')) as { keys: { public_key_pem: string; aes_key_hex: string } };
const keys = verifyKeysFrom(v1.keys.public_key_pem, Buffer.from(v1.keys.aes_key_hex, 'hex'));
const encrypted = Buffer.from(stored.encrypted.hex, 'hex');
const pages = stored.pages.map((p) => Buffer.from(p.answer_hex, 'hex'));

test('the committed file equals a fresh generation (never hand-edited)', async () => {
  assert.equal(stored, JSON.parse(JSON.stringify(await renderManifestV2Vectors())));
});

test('RFC 9162 proofs: every page of trees of 1..40 pages verifies, and only at its own index', () => {
  for (let n = 1; n <= 40; n++) {
    const table = Buffer.alloc(n * 16 * 32);
    for (let i = 0; i < table.length; i += 32) createHash('sha256').update(`${n}:${i}`).digest().copy(table, i);
    const tree = new HashPages(table, 16);
    assert.is(tree.totalPages, n);
    for (let p = 0; p < n; p++) {
      const leaf = pageLeaf(tree.pageBytes(p));
      const proof = tree.proof(p);
      assert.ok(proof.length <= Math.ceil(Math.log2(n)), `n=${n} p=${p} proof ${proof.length}`);
      assert.ok(rootFromProof(leaf, p, n, proof)?.equals(tree.root), `n=${n} p=${p}`);
      if (n > 1) assert.not.ok(rootFromProof(leaf, (p + 1) % n, n, proof)?.equals(tree.root), `n=${n} p=${p} at another index`);
    }
  }
  // 1 page: the root is the leaf; 2 pages: node(leaf0, leaf1)
  const t2 = new HashPages(Buffer.alloc(17 * 32, 7), 16);
  assert.ok(t2.root.equals(nodeHash(pageLeaf(t2.pageBytes(0)), pageLeaf(t2.pageBytes(1)))));
});

test('the stored pages: leaf and proof as listed, proof lengths of a 5-page tree', () => {
  assert.is(stored.pages.length, 5);
  assert.equal(stored.pages.map((p) => p.proof_hex.length), [3, 3, 3, 3, 1]);
  for (const p of stored.pages) {
    const a = parsePageAnswer(Buffer.from(p.answer_hex, 'hex'))!;
    assert.is(a.page, p.page);
    assert.is(createHash('sha256').update(Buffer.of(0)).update(a.entries).digest('hex'), p.leaf_hex);
    assert.ok(rootFromProof(Buffer.from(p.leaf_hex, 'hex'), p.page, 5, a.proof)?.toString('hex') === stored.hash_root);
  }
  assert.ok(stored.manifest_json_bytes <= OTA_MANIFEST_MAX_BYTES);
});

test('the stored manifest verifies end to end through its pages', async () => {
  assert.equal(await runV2Case(stored.manifest, encrypted, pages, keys), { check: 'ok' });
});

for (const t of stored.tampered) {
  test(`tampered ${t.name} → [${t.expected_check}]`, async () => {
    const image = t.encrypted_hex === undefined ? encrypted : Buffer.from(t.encrypted_hex, 'hex');
    const served = t.pages_hex === undefined ? pages : t.pages_hex.map((h) => Buffer.from(h, 'hex'));
    const expected = { check: t.expected_check, ...(t.expected_chunk === undefined ? {} : { chunk: t.expected_chunk }), ...(t.expected_page === undefined ? {} : { page: t.expected_page }) };
    assert.equal(await runV2Case(t.manifest, image, served, keys, t.min_counter), expected);
  });
}

test('fleetgate firmware verify agrees on the main vector and every case a file can carry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-v2-cli-'));
  try {
    const keysDir = join(dir, 'keys');
    await writeFile(join(dir, 'placeholder'), '');
    await import('node:fs/promises').then((fs) => fs.mkdir(keysDir));
    await writeFile(join(keysDir, 'server_public_key.pem'), v1.keys.public_key_pem);
    await writeFile(join(keysDir, 'aes_firmware_key.bin'), Buffer.from(v1.keys.aes_key_hex, 'hex'));
    const run = async (name: string, manifest: unknown, image: Buffer, table: Buffer, minCounter?: number) => {
      const m = join(dir, `${name}.json`);
      await writeFile(m, JSON.stringify(manifest));
      await writeFile(join(dir, `${name}.bin`), image);
      await writeFile(join(dir, `${name}.hashes`), table);
      const extra = minCounter === undefined ? [] : ['--min-counter', String(minCounter)];
      return runCli(['firmware', 'verify', m, '--image', join(dir, `${name}.bin`), '--hashes', join(dir, `${name}.hashes`), '--keys', keysDir, ...extra]);
    };
    const table = Buffer.from(stored.chunk_table.hex, 'hex');
    const ok = await run('main', stored.manifest, encrypted, table);
    assert.is(ok.error, undefined, ok.error?.message);
    assert.match(ok.out.join('\n'), /^OK 2\.0\.0 \(counter 9\).*format 2$/m);
    let checked = 0;
    for (const t of stored.tampered.filter((c) => !c.transport_only)) {
      const image = t.encrypted_hex === undefined ? encrypted : Buffer.from(t.encrypted_hex, 'hex');
      const r = await run(t.name, t.manifest, image, t.chunk_table_hex === undefined ? table : Buffer.from(t.chunk_table_hex, 'hex'), t.min_counter);
      assert.ok(r.error, `${t.name} accepted`);
      assert.is(r.error!.exitCode, 1, t.name);
      assert.match(r.error!.message, new RegExp(`^verification failed \\[${t.expected_check}\\]`), t.name);
      checked++;
    }
    assert.ok(checked >= 10, `${checked} file cases`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('16 MiB format test: regenerated image, manifest ≤ 4 KiB, hash root as the vectors state, verifies', async () => {
  const image = largeImage();
  const facts = largeImageFacts(image);
  assert.is(facts.hash_root, stored.large.hash_root);
  assert.is(facts.manifest_header_hex, stored.large.manifest_header_hex);
  assert.is(facts.total_chunks, 4097); // 16 MiB + a full padding block, 4 KiB chunks
  assert.is(facts.total_pages, 65);
  assert.ok(facts.manifest_json_bytes + facts.manifest_header_hex.length / 2 <= OTA_MANIFEST_MAX_BYTES, `${facts.manifest_json_bytes} bytes`);
  const tree = new HashPages(image.table, 64);
  const served = Array.from({ length: tree.totalPages }, (_, p) => tree.answer(p));
  assert.equal(await runV2Case(image.manifest, image.encrypted, served, keys), { check: 'ok' });
});

test.run();
