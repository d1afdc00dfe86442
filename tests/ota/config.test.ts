/** OTA settings: defaults, and a cleanup threshold that would close sessions devices can still resume is refused at start. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../server/config.ts';
import { ConfigError } from '../../server/errors.ts';

test('sessions: replaced after 300 s idle, abandoned by the cleanup job after 3600 s', () => {
  const c = parseConfig({});
  assert.equal([c.OTA_SESSION_IDLE_SECONDS, c.OTA_SESSION_ABANDON_SECONDS], [300, 3600]);
  assert.is(parseConfig({ OTA_SESSION_IDLE_SECONDS: '60', OTA_SESSION_ABANDON_SECONDS: '60' }).OTA_SESSION_ABANDON_SECONDS, 60);
});

test('OTA_SESSION_ABANDON_SECONDS below OTA_SESSION_IDLE_SECONDS is refused, naming it', () => {
  assert.throws(
    () => parseConfig({ OTA_SESSION_IDLE_SECONDS: '600', OTA_SESSION_ABANDON_SECONDS: '599' }),
    (err: unknown) => err instanceof ConfigError && /^invalid OTA_SESSION_ABANDON_SECONDS: must not be below OTA_SESSION_IDLE_SECONDS$/.test((err as Error).message),
  );
});

test.run();
