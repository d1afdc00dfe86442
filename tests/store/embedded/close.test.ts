/**
 * Closing the embedded store closes every part even when one fails: a device journal that cannot
 * be written at shutdown still lets the OTA state fold its journal into its snapshot (which a
 * downgrade reads alone) and the writer close last, and the failure is reported.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openEmbeddedStore } from '../../../server/store/embedded/index.ts';
import { tempDir } from '../../helpers/gateway.ts';

test('a part that fails to close does not keep the others from closing', async () => {
  const dir = await tempDir();
  const store = await openEmbeddedStore(dir, { fsync: true });
  await store.otaState.noteCheck('m', { version: '1.0.0', counter: 1 }, Date.UTC(2026, 0, 1));
  store.devices.close = () => Promise.reject(new Error('device journal: disk full'));
  const outcome = await store.close().then(
    () => 'closed',
    (err: Error) => err.message,
  );
  assert.is(outcome, 'device journal: disk full', 'the failure is reported');
  const snapshot = JSON.parse(await readFile(join(dir, 'ota-state.json'), 'utf8')) as { devices: Record<string, { current_version: string }> };
  assert.is(snapshot.devices.m?.current_version, '1.0.0', 'the OTA state was still folded into its snapshot');
  const writerAfter = await store.writer.append(join(dir, 'probe.jsonl'), 'x\n').then(
    () => 'open',
    () => 'closed',
  );
  assert.is(writerAfter, 'closed', 'and the writer, last of all, was closed');
});

test.run();
