/**
 * The binary header of SPEC.md §3 in isolation: encode/parse round trip and the strict parser
 * rejecting every non-canonical or inconsistent byte with `header_format`; plus the packaging
 * input validators. No keys needed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FirmwareCheckError } from '../../server/ota/checks.ts';
import { ValidationError } from '../../server/errors.ts';
import {
  HEADER_SIZE,
  HeaderOffset,
  encodeHeader,
  encryptedSizeFor,
  parseHeader,
  totalChunksFor,
  validateChunkSize,
  validateVersion,
  type HeaderFields,
} from '../../server/ota/manifest.ts';

const fields: HeaderFields = {
  formatVersion: 1,
  version: '1.2.3-rc.1',
  securityCounter: 0xfffffffe,
  originalSize: 3000,
  encryptedSize: 3008,
  chunkSize: 1024,
  totalChunks: 3,
  keyId: '0011223344556677',
  aesKeyId: '8899aabbccddeeff',
  iv: Uint8Array.from({ length: 16 }, (_, i) => i),
  firmwareSha256: new Uint8Array(32).fill(0xab),
  root: new Uint8Array(32).fill(0xcd),
  pageEntries: 0,
  totalPages: 0,
};

test('encode → parse round trip; layout as specified (LE, offsets)', () => {
  const bytes = encodeHeader(fields);
  assert.is(bytes.length, HEADER_SIZE);
  assert.is(bytes.subarray(0, 4).toString('latin1'), 'FGOM');
  assert.is(bytes.readUInt16LE(4), 1);
  assert.is(bytes.readUInt16LE(6), 160);
  assert.is(bytes.readUInt32LE(8), 0);
  assert.equal([...bytes.subarray(12, 16)], [0xfe, 0xff, 0xff, 0xff]);
  assert.is(bytes.readUInt32LE(16), 3000);
  assert.is(bytes.subarray(32, 42).toString('latin1'), '1.2.3-rc.1');
  assert.ok(bytes.subarray(42, 64).every((b) => b === 0));
  assert.is(bytes.subarray(64, 72).toString('hex'), fields.keyId);
  const h = parseHeader(bytes);
  assert.equal({ ...h, iv: [...h.iv], firmwareSha256: [...h.firmwareSha256], root: [...h.root] }, {
    ...fields,
    iv: [...fields.iv],
    firmwareSha256: [...fields.firmwareSha256],
    root: [...fields.root],
  });
});

const corruptions: [string, (b: Buffer) => void][] = [
  ['short', () => {}],
  ['magic', (b) => (b[1] = 0)],
  ['format version 2', (b) => b.writeUInt16LE(2, HeaderOffset.formatVersion)],
  ['header size 161', (b) => b.writeUInt16LE(161, HeaderOffset.headerSize)],
  ['flags', (b) => b.writeUInt32LE(1, HeaderOffset.flags)],
  ['garbage after version NUL', (b) => (b[HeaderOffset.version + 20] = 0x41)],
  ['empty version', (b) => b.fill(0, HeaderOffset.version, HeaderOffset.version + 32)],
  ['32-char version without NUL', (b) => b.fill(0x31, HeaderOffset.version, HeaderOffset.version + 32)],
  ['control char in version', (b) => (b[HeaderOffset.version] = 0x0a)],
  ['zero original size', (b) => b.writeUInt32LE(0, HeaderOffset.originalSize)],
  ['encrypted size not original+pad', (b) => b.writeUInt32LE(3024, HeaderOffset.encryptedSize)],
  ['chunk size not multiple of 16', (b) => b.writeUInt32LE(1000, HeaderOffset.chunkSize)],
  ['chunk size too small', (b) => b.writeUInt32LE(128, HeaderOffset.chunkSize)],
  ['total chunks wrong', (b) => b.writeUInt32LE(4, HeaderOffset.totalChunks)],
];

for (const [name, corrupt] of corruptions) {
  test(`parse rejects: ${name}`, () => {
    let bytes = encodeHeader(fields);
    if (name === 'short') bytes = bytes.subarray(0, 159);
    else corrupt(bytes);
    try {
      parseHeader(bytes);
      assert.unreachable('parsed');
    } catch (err) {
      assert.instance(err, FirmwareCheckError);
      assert.is((err as FirmwareCheckError).check, 'header_format');
    }
  });
}

test('size arithmetic: PKCS#7 always pads; chunk count rounds up', () => {
  assert.is(encryptedSizeFor(1), 16);
  assert.is(encryptedSizeFor(15), 16);
  assert.is(encryptedSizeFor(16), 32);
  assert.is(encryptedSizeFor(3000), 3008);
  assert.is(totalChunksFor(3008, 1024), 3);
  assert.is(totalChunksFor(4096, 1024), 4);
});

test('validators: chunk size and version', () => {
  for (const ok of [256, 1024, 65536, 4096 + 16]) validateChunkSize(ok);
  for (const bad of [0, 240, 1000, 65552, 1024.5, NaN]) assert.throws(() => validateChunkSize(bad), (e: unknown) => e instanceof ValidationError && e.code === 'invalid_chunk_size');
  for (const ok of ['0.0.1', '1.0.5', '10.20.30-beta.2']) validateVersion(ok);
  for (const bad of ['1.0', 'v1.0.0', '1.0.0+b', ' 1.0.0', '1.0.0-' + 'a'.repeat(30)]) assert.throws(() => validateVersion(bad), (e: unknown) => e instanceof ValidationError && e.code === 'invalid_version');
});

test.run();
