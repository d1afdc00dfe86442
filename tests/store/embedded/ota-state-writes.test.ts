/**
 * What an OTA result writes on the embedded store must not grow with the fleet: at 10,000 devices
 * with a full result history each (the bench's state, ~15 MB), a result wrote the whole state
 * durably, ~0.7–15 MB per result. Now it writes its own records (device, session, the version's
 * counters), and the snapshot is rewritten only once the journal outgrows it.
 * Bytes written are the process's own count (/proc/self/io wchar): every write(2), fsynced or not.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openEmbeddedStore } from '../../../server/store/embedded/index.ts';
import { bytesWritten, idOf, image, writeSeededOtaState } from '../../../scripts/bench/ota-state.ts';
import { tempDir } from '../../helpers/gateway.ts';

const T = Date.UTC(2026, 11, 2);
const RESULTS = 50;
/** A result's records as a journal line are ~1.7 kB here; anything near the state's size is a rewrite. */
const BYTES_PER_RESULT_LIMIT = 8 * 1024;

/** Bytes written per result, each awaited before the next (one durable write each). */
async function bytesPerResult(devices: number): Promise<number> {
  const dir = await tempDir();
  await writeSeededOtaState(dir, devices);
  const store = await openEmbeddedStore(dir, { fsync: true });
  try {
    await Promise.all(Array.from({ length: RESULTS }, (_, i) => store.otaState.openSession(idOf(i), image('1.5.0'), 'ro_1', T, 300_000, () => `ota_s${i}`)));
    const before = bytesWritten();
    for (let i = 0; i < RESULTS; i++) {
      const done = await store.otaState.complete(idOf(i), { version: '1.5.0', success: true, error: null, counter: 13 }, T + i);
      assert.is(done.session?.status, 'completed');
      const perResult = (bytesWritten() - before) / (i + 1);
      // Fail at the first result over the limit: a whole-state rewrite per result is slow to wait out.
      if (perResult > BYTES_PER_RESULT_LIMIT) assert.unreachable(`${devices} devices: ${Math.round(perResult)} bytes written per result after ${i + 1}`);
    }
    return (bytesWritten() - before) / RESULTS;
  } finally {
    await store.close();
  }
}

test(`a result writes under ${BYTES_PER_RESULT_LIMIT} bytes at 10,000 devices, about what it writes at 100`, async () => {
  const small = await bytesPerResult(100);
  const fleet = await bytesPerResult(10_000);
  assert.ok(fleet / small < 1.5, `10,000 devices: ${Math.round(fleet)} bytes per result, 100 devices: ${Math.round(small)}`);
});

test.run();
