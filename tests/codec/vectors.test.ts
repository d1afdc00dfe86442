/**
 * tests/vectors/codec.json is generated, never hand-edited: it must equal a fresh
 * generateCodecVectors() (regenerate with `npm run vectors`). Also checks
 * each vector against the codec independently of the generator, that the invalid cases fail for
 * the reason their name says, and that SPEC.md's worked example matches the vectors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeFrame, unpackBatch, unpackFrame } from '../../server/codec/index.ts';
import { ByteReader } from '../../server/codec/bytes.ts';
import { readBlock } from '../../server/codec/block.ts';
import { CODER } from '../../server/codec/coder.ts';
import { PackedDataError } from '../../server/errors.ts';
import { generateCodecVectors, householdDatasetAvailable } from '../../scripts/vectors/codec.ts';

const path = fileURLToPath(new URL('../vectors/codec.json', import.meta.url));
const specPath = fileURLToPath(new URL('../../server/codec/SPEC.md', import.meta.url));
const committed = JSON.parse(readFileSync(path, 'utf8'));
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

test('committed vectors equal a fresh generateCodecVectors()', () => {
  if (!householdDatasetAvailable()) {
    console.warn('household dataset missing: skipping the regeneration comparison');
    return;
  }
  assert.equal(committed, JSON.parse(JSON.stringify(generateCodecVectors())));
});

test('every case: frame decodes to its samples; every packed form unpacks to the frame', () => {
  for (const c of committed.cases) {
    const frame = bytes(c.frame_hex);
    assert.equal(decodeFrame(frame).samples, c.samples, c.name);
    for (const [name, p] of Object.entries<any>(c.packed)) {
      assert.equal(unpackFrame(bytes(p.packed_hex), p.method, p.original_size), frame, `${c.name}/${name}`);
      assert.equal(unpackBatch(p.batch).samples, c.samples, `${c.name}/${name} batch`);
    }
  }
});

test('block vectors decode to their words', () => {
  const all = new Set<number>(Object.values(CODER));
  for (const b of committed.blocks) {
    const r = new ByteReader(bytes(b.block_hex));
    const out = new Int32Array(b.count);
    readBlock(r, out, all);
    assert.is(r.remaining, 0, b.name);
    assert.equal(Array.from(out), b.words, b.name);
  }
});

// What each invalid case must be rejected for — a different failure would mean the vector tests nothing.
const REASONS: Record<string, RegExp> = {
  empty: /truncated/, truncated_header: /truncated/, bad_magic: /magic/, bad_version: /version/,
  too_many_fields: /fields/, zero_samples: /0 samples/, bad_name_byte: /name byte/, nonzero_header_padding: /padding/,
  size_mismatch: /original_size/, truncated_body: /truncated/, trailing_byte: /trailing/, too_large: /max 1048576/,
  unknown_transform: /unknown transform/, unknown_coder: /unknown coder/, coder_not_allowed: /not allowed/,
  varint_over_32_bits: /exceeds 32 bits/, varint_non_canonical: /non-canonical varint/, rle_zero_run: /zero-length run/,
  rle_overrun: /overflows/, dict_too_many_entries: /entries for/, dict_index_out_of_range: /index 3/,
  nonzero_pad_bits: /pad bits/, bitpack_width_33: /width 33/, rice_word_over_32_bits: /exceeds 32 bits/,
  rice_non_canonical_escape: /non-canonical rice/, rice_truncated_unary: /rice quotient/, adaptive_missing_block: /block transform/,
};

test('invalid packed vectors fail with their code, for the reason their name says', () => {
  assert.equal(Object.keys(REASONS).sort(), committed.invalid_packed.map((c: any) => c.name).sort());
  for (const c of committed.invalid_packed) {
    try {
      unpackFrame(bytes(c.packed_hex), c.method, c.original_size);
      assert.unreachable(`${c.name} decoded`);
    } catch (e) {
      assert.ok(e instanceof PackedDataError, `${c.name}: ${String(e)}`);
      assert.is(e.code, c.error, c.name);
      assert.match(e.message, REASONS[c.name]!, c.name);
    }
  }
});

test('invalid batch vectors fail with their code', () => {
  for (const c of committed.invalid_batches) {
    assert.throws(() => unpackBatch(c.batch), (e: unknown) => e instanceof PackedDataError && e.code === c.error, c.name);
  }
});

test('SPEC.md worked example matches the worked_example vector', () => {
  assert.ok(existsSync(specPath), 'server/codec/SPEC.md missing');
  // The spec may wrap and space the hex, nothing else.
  const squashed = readFileSync(specPath, 'utf8').replace(/\s+/g, '');
  const c = committed.cases.find((x: any) => x.name === 'worked_example');
  for (const hex of [c.frame_hex, c.packed.delta.packed_hex, c.packed.smart.packed_hex]) {
    assert.ok(squashed.includes(hex), `SPEC.md does not contain ${hex}`);
  }
});

test.run();
