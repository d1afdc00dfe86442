/**
 * The one mapping from errors to HTTP answers (server/http/error-handler.ts), for the answers that
 * carry more than a status and a body: a configuration change that waited too long for the one
 * before it is 503 `config_busy` with Retry-After, its message saying nothing was changed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorAnswer } from '../../server/http/error-handler.ts';
import { silentLogger } from '../../server/logger.ts';
import { configBusy } from '../../server/remote-config/repo.ts';

const where = { path: '/config/tags/a', method: 'PUT' };

test('config_busy: 503, JSON error body, Retry-After', () => {
  const answer = errorAnswer(configBusy(10_000), silentLogger(), where);
  assert.is(answer.status, 503);
  assert.equal(answer.headers, { 'Retry-After': '1' });
  assert.equal([answer.body.success, answer.body.error.code], [false, 'config_busy']);
  assert.match(answer.body.error.message, /after 10000 ms; nothing was changed/);
});

test.run();
