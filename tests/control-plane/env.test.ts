import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../server/config.ts';
import { ConfigError } from '../../server/errors.ts';

test('control-plane settings have sane defaults', () => {
  const c = parseConfig({});
  assert.equal(
    [c.COMMAND_ACK_TIMEOUT_SECONDS, c.DIAGNOSTICS_RETENTION_DAYS, c.NOTIFY_FORMAT, c.NOTIFY_COOLDOWN_SECONDS, c.FAULTS_ENABLED, c.NOTIFY_WEBHOOK_URL],
    [60, 120, 'json', 300, false, undefined],
  );
  const on = parseConfig({ FAULTS_ENABLED: '1', NOTIFY_WEBHOOK_URL: 'https://api.telegram.org/bot1:abc/sendMessage', NOTIFY_FORMAT: 'telegram' });
  assert.equal([on.FAULTS_ENABLED, on.NOTIFY_FORMAT], [true, 'telegram']);
});

test('bad control-plane settings fail at start naming the variable', () => {
  for (const [name, value] of [
    ['NOTIFY_WEBHOOK_URL', 'ftp://example.com/hook'],
    ['NOTIFY_WEBHOOK_URL', 'not a url'],
    ['NOTIFY_FORMAT', 'slack'],
    ['COMMAND_ACK_TIMEOUT_SECONDS', '0'],
    ['DIAGNOSTICS_RETENTION_DAYS', 'forever'],
    ['FAULTS_ENABLED', 'maybe'],
    ['OFFLINE_HEARTBEAT_MULTIPLIER', '1'],
  ]) {
    try {
      parseConfig({ [name!]: value });
      assert.unreachable(`${name}=${value} was accepted`);
    } catch (err) {
      assert.instance(err, ConfigError);
      assert.match((err as Error).message, new RegExp(`^invalid ${name}`));
    }
  }
});

test.run();
