/**
 * `fleetgate unpack` given something that is not a packed batch (a sample array, other JSON): one
 * line saying so, exit 2 (usage) — exit 1 means a batch failed verification. A real batch from
 * `fleetgate pack` round-trips.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/gateway.ts';
import { fleetgate } from '../live.ts';

test('unpack: samples and other JSON are not a packed batch (exit 2); a packed batch unpacks', async () => {
  const dir = await tempDir();
  const samples = join(dir, 'samples.json');
  await writeFile(samples, JSON.stringify([{ timestamp: 1_763_000_000, power: 575 }]));
  const other = join(dir, 'other.json');
  await writeFile(other, '{"hello": 1}');
  let r = await fleetgate(['unpack', '--file', samples]);
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr, `fleetgate: ${samples} holds samples, not a packed batch: pack them with \`fleetgate pack --file ${samples}\`\n`);
  r = await fleetgate(['unpack', '--file', other]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /^fleetgate: \S+other\.json is not a packed batch: expected \{"compressed_data", /);

  const packed = await fleetgate(['pack', '--file', samples]);
  assert.is(packed.code, 0, packed.stderr);
  const batch = join(dir, 'batch.json');
  await writeFile(batch, packed.stdout);
  r = await fleetgate(['unpack', '--file', batch]);
  assert.is(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { aggregated_data: unknown }).aggregated_data, [{ timestamp: 1_763_000_000, power: 575 }]);
});

test.run();
