/**
 * FleetModel.seen, the upload path's tap: a first sighting moves the device from "never seen" to
 * online in the counts; later sightings only move its times (never backwards) and leave the counts
 * alone; an unknown device is ignored.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FleetModel } from '../../server/fleet/model.ts';
import { emptyRow } from '../../server/fleet/row.ts';

const record = (id: string) => ({ device_id: id, created_at: '2026-01-01T00:00:00.000Z', key_mode: 'derived' as const, key_version: 1 });

test('first sighting counts the device online; later ones move only its times', () => {
  const model = new FleetModel();
  model.put(emptyRow(record('m-1')));
  model.put(emptyRow(record('m-2')));
  assert.equal([model.counts().status.never_seen, model.counts().status.online], [2, 0]);
  model.seen('m-1', 5, 1000, true);
  assert.equal([model.counts().status.never_seen, model.counts().status.online], [1, 1]);
  model.seen('m-1', 6, 2000, false);
  model.seen('m-1', 4, 1500, true); // late: an older message does not move last_seen back
  const row = model.get('m-1')!;
  assert.equal([row.last_seen, row.last_nonce, row.last_upload], [2000, 6, 1500]);
  assert.equal([model.counts().status.never_seen, model.counts().status.online], [1, 1]);
  model.seen('ghost', 1, 3000, true);
  assert.is(model.get('ghost'), undefined);
  assert.is(model.counts().devices, 2);
});

test.run();
