/**
 * JsonDocument.mutate's `after`: a change depending on another document's write must not reach
 * disk before that write is durable — through its own write or through any other write of the
 * document, which serializes the whole in-memory document, the dependent change included. A failed
 * dependency fails its own mutate but does not hold back later writes forever.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { JsonDocument } from '../../../server/store/embedded/json-document.ts';
import { tempDir } from '../../helpers/gateway.ts';

interface Doc {
  devices: Record<string, string>;
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The document and its file as on disk (null before the first write). */
async function open(): Promise<{ doc: JsonDocument<Doc>; onDisk: () => Promise<Doc | null> }> {
  const path = join(await tempDir(), 'devices.json');
  const doc = await JsonDocument.open<Doc>(path, { devices: {} });
  const onDisk = async () => (existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as Doc) : null);
  return { doc, onDisk };
}

/** Sets one device's entry through `mutate`. */
const set = (doc: JsonDocument<Doc>, id: string, value: string, after?: Promise<void>) =>
  doc.mutate((d) => {
    d.devices[id] = value;
  }, after);

/** 'written' if `p` resolves within 200 ms (far longer than one small fsynced write), else 'waiting'. */
const within = (p: Promise<unknown>) => Promise.race([p.then(() => 'written'), delay(200).then(() => 'waiting')]);

test('a mutate without `after` waits for an earlier mutate’s pending `after`: nothing reaches disk before it', async () => {
  const { doc, onDisk } = await open();
  await set(doc, 'a', 'before');
  const stamp = deferred();
  const dependent = set(doc, 'a', 'retagged', stamp.promise);
  const other = set(doc, 'b', 'registered');
  assert.is(await within(other), 'waiting');
  assert.equal(await onDisk(), { devices: { a: 'before' } }, 'neither change is on disk while the stamp is not durable');
  stamp.resolve();
  await Promise.all([dependent, other]);
  assert.equal(await onDisk(), { devices: { a: 'retagged', b: 'registered' } });
});

test('a dependency registered while a write waits holds that write back too', async () => {
  const { doc, onDisk } = await open();
  const first = deferred();
  const second = deferred();
  const one = set(doc, 'a', 'one', first.promise);
  const other = set(doc, 'b', 'other');
  const two = set(doc, 'c', 'two', second.promise);
  first.resolve();
  assert.is(await within(other), 'waiting', 'the document now holds the second change, not durable yet');
  assert.is(await onDisk(), null, 'nothing was written');
  second.resolve();
  await Promise.all([one, other, two]);
  assert.equal(await onDisk(), { devices: { a: 'one', b: 'other', c: 'two' } });
});

test('a rejected `after` fails its own mutate, not the writes after it', async () => {
  const { doc, onDisk } = await open();
  const stamp = deferred();
  const dependent = set(doc, 'a', 'retagged', stamp.promise);
  const other = set(doc, 'b', 'registered');
  stamp.reject(new Error('config write failed'));
  try {
    await dependent;
    assert.unreachable('the dependent mutate must fail');
  } catch (err) {
    assert.is((err as Error).message, 'config write failed');
  }
  await other;
  await set(doc, 'c', 'later');
  // The failed change stays in memory (no undo) and is persisted by the later writes.
  assert.equal(await onDisk(), { devices: { a: 'retagged', b: 'registered', c: 'later' } });
});

test.run();
