/**
 * multipart/form-data as the upload route reads it and the CLI writes it (server/http/multipart.ts):
 * what the writer produces reads back identically however the stream is cut (one byte at a time,
 * a delimiter split across pieces, data that contains the boundary's prefix); a part's bytes arrive
 * in pieces, never needing the whole part; curl's framing (preamble, padding) reads too; truncated
 * or malformed bodies are 400 invalid_multipart; the header block is bounded.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../server/errors.ts';
import { boundaryOf, collect, readMultipart, writeMultipart } from '../../server/http/multipart.ts';

async function* cut(bytes: Buffer, sizes: (i: number) => number): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes(i));
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function bodyOf(parts: Parameters<typeof writeMultipart>[0], boundary?: string) {
  const m = writeMultipart(parts, boundary);
  const pieces: Uint8Array[] = [];
  for await (const p of m.bytes()) pieces.push(p);
  const bytes = Buffer.concat(pieces);
  assert.is(bytes.length, m.length, 'the length the writer announces');
  return { bytes, boundary: boundaryOf(m.contentType)! };
}

async function readAll(source: AsyncIterable<Uint8Array>, boundary: string) {
  const out: { name: string; filename: string | undefined; data: Buffer; pieces: number }[] = [];
  for await (const part of readMultipart(source, boundary)) {
    let pieces = 0;
    const chunks: Buffer[] = [];
    for await (const p of part.body) {
      pieces++;
      chunks.push(p);
    }
    out.push({ name: part.name, filename: part.filename, data: Buffer.concat(chunks), pieces });
  }
  return out;
}

test('written parts read back byte for byte, however the stream is cut', async () => {
  const image = randomBytes(200_000);
  const tricky = Buffer.from('\r\n--not-the-boundary\r\n--fleetgate-\r\n-');
  const { bytes, boundary } = await bodyOf([
    { name: 'manifest', filename: 'm.json', length: 7, body: Buffer.from('{"a":1}') },
    { name: 'empty', length: 0, body: Buffer.alloc(0) },
    { name: 'tricky', length: tricky.length, body: tricky },
    { name: 'image', length: image.length, body: image },
  ]);
  for (const sizes of [() => bytes.length, () => 1, (i: number) => (i % 7) + 1, () => 65_536, (i: number) => [3, 100, 4096, 1][i % 4]!]) {
    const parts = await readAll(cut(bytes, sizes), boundary);
    assert.equal(parts.map((p) => [p.name, p.filename]), [['manifest', 'm.json'], ['empty', undefined], ['tricky', undefined], ['image', undefined]]);
    assert.equal(parts[0]!.data.toString(), '{"a":1}');
    assert.is(parts[1]!.data.length, 0);
    assert.ok(parts[2]!.data.equals(tricky));
    assert.ok(parts[3]!.data.equals(image));
  }
  const streamed = await readAll(cut(bytes, () => 65_536), boundary);
  assert.ok(streamed[3]!.pieces >= 3, 'a large part arrives in pieces');
});

test("curl's framing: a preamble, a quoted boundary, transport padding, an epilogue", async () => {
  const text =
    'preamble to ignore\r\n--abc  \r\nContent-Disposition: form-data; name="manifest"; filename="x.json"\r\nContent-Type: application/json\r\n\r\n{}\r\n--abc\r\n' +
    'content-disposition: FORM-DATA; NAME="image"\r\n\r\nbytes\r\n--abc--\r\nepilogue';
  assert.is(boundaryOf('multipart/form-data; boundary="abc"'), 'abc');
  assert.is(boundaryOf('Multipart/Form-Data;boundary=abc'), 'abc');
  assert.is(boundaryOf('application/json'), undefined);
  assert.is(boundaryOf('multipart/form-data'), undefined);
  const parts = await readAll(cut(Buffer.from(text), () => 5), 'abc');
  assert.equal(parts.map((p) => [p.name, p.filename, p.data.toString()]), [['manifest', 'x.json', '{}'], ['image', undefined, 'bytes']]);
});

test('truncated or malformed bodies are 400 invalid_multipart; part headers are bounded', async () => {
  const { bytes, boundary } = await bodyOf([{ name: 'image', length: 1000, body: randomBytes(1000) }]);
  const bad = async (source: Buffer, b = boundary) => {
    try {
      await readAll(cut(source, () => 100), b);
      assert.unreachable('read a bad body');
    } catch (err) {
      assert.instance(err, ValidationError);
      assert.is((err as ValidationError).code, 'invalid_multipart');
    }
  };
  await bad(bytes.subarray(0, bytes.length - 10));
  await bad(bytes.subarray(0, 50));
  await bad(Buffer.alloc(0));
  await bad(Buffer.from(`--${boundary}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${boundary}--`));
  await bad(Buffer.from(`--${boundary}xx\r\n`));
  try {
    await readAll(cut(Buffer.from(`--${boundary}\r\nX: ${'a'.repeat(10_000)}\r\n\r\n`), () => 1000), boundary);
    assert.unreachable('an unbounded header block');
  } catch (err) {
    assert.is((err as { status?: number }).status, 413);
  }
});

test('collect stops past its limit (413) without holding more', async () => {
  try {
    await collect(cut(Buffer.alloc(10_000), () => 1000), 4096, 'the manifest');
    assert.unreachable('collected past the limit');
  } catch (err) {
    assert.is((err as { status?: number }).status, 413);
  }
  assert.is((await collect(cut(Buffer.alloc(4096), () => 1000), 4096, 'x')).length, 4096);
});

test.run();
