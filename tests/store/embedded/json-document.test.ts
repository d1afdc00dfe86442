/**
 * JsonDocument: each mutate resolves once its change is on disk; changes made while a write is in
 * flight share the next write, and the document is serialised once for that write, not once per
 * change (a whole-document JSON.stringify per OTA check was 8 ms of CPU at 10,000 devices) — so a
 * write that fails fails for every change that shared it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonDocument } from '../../../server/store/embedded/json-document.ts';
import { tempDir } from '../../helpers/gateway.ts';

type Doc = { items: Record<string, number> };

test('200 changes at once: each durable when it resolves, the document serialised at most twice', async () => {
  const path = join(await tempDir(), 'doc.json');
  const doc = await JsonDocument.open<Doc>(path, { items: {} });
  const stringify = JSON.stringify;
  let serialised = 0;
  JSON.stringify = ((value: unknown, ...rest: []) => {
    if (value === doc.data) serialised++;
    return stringify(value, ...rest);
  }) as typeof JSON.stringify;
  try {
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        await doc.mutate((d) => (d.items[`k${i}`] = i));
        const disk = JSON.parse(await readFile(path, 'utf8')) as Doc;
        assert.is(disk.items[`k${i}`], i, `change ${i} on disk when its mutate resolved`);
      }),
    );
  } finally {
    JSON.stringify = stringify;
  }
  assert.ok(serialised <= 2, `serialised ${serialised} times`);
  assert.is(Object.keys((JSON.parse(await readFile(path, 'utf8')) as Doc).items).length, 200);
});

test('a write that fails rejects every change waiting for it; the next write carries them all', async () => {
  const path = join(await tempDir(), 'doc.json');
  const doc = await JsonDocument.open<Doc & { bad?: bigint }>(path, { items: {} });
  const inFlight = doc.mutate((d) => (d.items.a = 1));
  // Two changes queue behind the write in flight and share the next write; one of them holds a
  // value JSON cannot serialise, so that write fails (as a full disk would) for both.
  const bad = doc.mutate((d) => (d.bad = 1n));
  const innocent = doc.mutate((d) => (d.items.b = 2));
  await inFlight;
  for (const p of [bad, innocent]) {
    await p.then(
      () => assert.unreachable('the shared write failed'),
      (err: unknown) => assert.instance(err, TypeError),
    );
  }
  assert.equal((JSON.parse(await readFile(path, 'utf8')) as Doc).items, { a: 1 }, 'the failed write left the file as it was');
  await doc.mutate((d) => {
    delete d.bad;
    d.items.c = 3;
  });
  assert.equal((JSON.parse(await readFile(path, 'utf8')) as Doc).items, { a: 1, b: 2, c: 3 }, 'the next write carries every change');
});

test.run();
