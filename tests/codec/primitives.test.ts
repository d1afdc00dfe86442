/** CRC-32, varints, zigzag and bit streams: the primitives every method and the C port share. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as zlib from 'node:zlib';
import { crc32, crc32Hex } from '../../server/codec/crc32.ts';
import { ByteReader, ByteWriter, unzigzag, varintSize, zigzag } from '../../server/codec/bytes.ts';
import { BitReader, BitWriter } from '../../server/codec/bits.ts';
import { PackedDataError } from '../../server/errors.ts';
import { seededRandom } from './fixtures.ts';

const zlibCrc = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;

test('crc32 known vector "123456789" → cbf43926', () => {
  assert.is(crc32Hex(new TextEncoder().encode('123456789')), 'cbf43926');
  assert.is(crc32(new Uint8Array(0)), 0);
});

test('crc32 matches zlib.crc32 on random buffers', () => {
  if (!zlibCrc) return; // zlib.crc32 arrived in Node 20.15; the known vector above still ran.
  const rnd = seededRandom(1);
  for (let i = 0; i < 50; i++) {
    const b = Uint8Array.from({ length: Math.floor(rnd() * 3000) }, () => Math.floor(rnd() * 256));
    assert.is(crc32(b), zlibCrc(b) >>> 0);
  }
});

test('zigzag maps 0,-1,1,-2 to 0,1,2,3 and inverts over the int32 range', () => {
  assert.equal([0, -1, 1, -2, 2].map(zigzag), [0, 1, 2, 3, 4]);
  for (const v of [0, 1, -1, 2147483647, -2147483648, 123456, -98765]) assert.is(unzigzag(zigzag(v)), v);
  assert.is(zigzag(-2147483648), 4294967295);
});

test('varints round-trip with the advertised sizes', () => {
  for (const u of [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 4294967295]) {
    const w = new ByteWriter();
    w.varint(u);
    const bytes = w.finish();
    assert.is(bytes.length, varintSize(u));
    const r = new ByteReader(bytes);
    assert.is(r.varint('v'), u);
    assert.is(r.remaining, 0);
  }
});

test('varint decoder rejects overlong, non-canonical and truncated forms', () => {
  for (const hex of ['ffffffff10', '8080808080', 'ffffffffff01', '8000', '808000', '80', '']) {
    assert.throws(() => new ByteReader(Buffer.from(hex, 'hex')).varint('v'), (e: unknown) => e instanceof PackedDataError, hex);
  }
});

test('bit streams round-trip fields of every width and unary runs', () => {
  const rnd = seededRandom(2);
  const items = Array.from({ length: 500 }, () => {
    const w = Math.floor(rnd() * 33);
    return { w, v: w === 0 ? 0 : Math.floor(rnd() * 2 ** w), q: Math.floor(rnd() * 40) };
  });
  const out = new ByteWriter();
  const bw = new BitWriter(out);
  for (const { w, v, q } of items) {
    bw.write(v, w);
    bw.ones(Math.min(q, 32));
    if (q < 32) bw.write(0, 1);
  }
  bw.flush();
  const bytes = out.finish();
  const r = new ByteReader(bytes);
  const br = new BitReader(r);
  for (const { w, v, q } of items) {
    assert.is(br.read(w, 'x'), v);
    assert.is(br.unary(32, 'q'), Math.min(q, 32));
  }
  br.close('x');
  assert.is(r.pos, bytes.length);
});

test('bit reader gives back read-ahead bytes and checks pad bits', () => {
  const r = new ByteReader(Uint8Array.of(0b101, 0xaa, 0xbb));
  const br = new BitReader(r);
  assert.is(br.read(3, 'x'), 5);
  br.close('x');
  assert.is(r.pos, 1);
  const bad = new BitReader(new ByteReader(Uint8Array.of(0b1101)));
  assert.is(bad.read(3, 'x'), 5);
  assert.throws(() => bad.close('x'), (e: unknown) => e instanceof PackedDataError);
});

test.run();
