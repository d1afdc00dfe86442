/**
 * Every repository of the Store has an importer in server/store/import (IMPORTERS): a repository
 * added to the Store — releases, console sessions, fleet activity, … — fails this test, by name,
 * until `fleetgate db import` copies it (or declares, as for notification cooldowns, why there is
 * nothing to copy). The repositories are read off both stores as opened: the members both
 * implementations have that are objects (what only one has — its writer, its pool — is not state).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../../server/store/index.ts';
import { IMPORTERS } from '../../../server/store/import/index.ts';
import type { Store } from '../../../server/store/types.ts';
import { tempDir, testConfig } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';

function objectMembers(store: Store): string[] {
  return Object.entries(store)
    .filter(([, v]) => typeof v === 'object' && v !== null)
    .map(([k]) => k);
}

test('every Store repository has exactly one importer', async () => {
  const dir = await tempDir();
  const embedded = await openStore(testConfig(dir));
  const pg = await openStore(testConfig(dir, { DATABASE_URL: await freshDatabase() }));
  try {
    const onPg = new Set(objectMembers(pg));
    const repositories = objectMembers(embedded).filter((k) => onPg.has(k)).sort();
    assert.ok(repositories.length >= 15 && repositories.includes('devices') && repositories.includes('telemetry'), repositories.join(', '));
    const covered = IMPORTERS.map((i) => i.repository as string);
    const missing = repositories.filter((r) => !covered.includes(r));
    assert.equal(missing, [], `Store repositories that fleetgate db import does not copy (add an importer to IMPORTERS in server/store/import/index.ts): ${missing.join(', ')}`);
    assert.equal(covered.filter((r) => !repositories.includes(r)), [], 'importers for no repository of the Store');
    assert.is(new Set(covered).size, covered.length, 'one importer per repository');
  } finally {
    await embedded.close();
    await pg.close();
  }
});

test.run();
