/**
 * A release for an image packaged a moment ago: FIRMWARE_DIR is re-checked at most once a second
 * on OTA requests, so `fleetgate firmware package` followed at once by publishing it and creating
 * a rollout (a release script, the OTA reference's example) answered 404 firmware_not_found for an
 * image on disk. An admin naming a version the catalog lacks rescans the directory first.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { otaFixture, otaGateway } from './routes-helpers.ts';

test('publishing and rolling out an image packaged right after another OTA request works, not 404', async () => {
  const fx = await otaFixture([{ version: '1.0.0' }]);
  const gw = await otaGateway(fx);
  try {
    // An OTA request: the catalog was just checked, so the next check is throttled for a second.
    assert.is((await gw.admin('GET', '/ota/images')).status, 200);
    await fx.addImage({ version: '1.0.1' });
    const published = await gw.admin('POST', '/ota/images/1.0.1/publish');
    assert.is(published.status, 200, await published.clone().text());
    const res = await gw.admin('POST', '/ota/rollouts', { version: '1.0.1', target: 'all', percent: 10 });
    assert.is(res.status, 201, await res.clone().text());
    // A version that is on no disk is still a 404.
    for (const [path, body] of [
      ['/ota/images/9.9.9/publish', undefined],
      ['/ota/rollouts', { version: '9.9.9', target: 'all' }],
    ] as const) {
      const missing = await gw.admin('POST', path, body);
      assert.is(missing.status, 404);
      assert.is(((await missing.json()) as { error: { code: string } }).error.code, 'firmware_not_found');
    }
  } finally {
    await gw.destroy();
    await rm(fx.dir, { recursive: true, force: true });
  }
});

test.run();
