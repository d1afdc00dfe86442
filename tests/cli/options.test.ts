/** cli/options.ts: key=value arguments, relative time bounds, number flags. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CliError } from '../../cli/errors.ts';
import { keyValueArgs, parseNumberFlag, parseUintFlag, timeBound } from '../../cli/options.ts';

test('keyValueArgs: JSON values where they parse, strings otherwise; = inside a value is kept', () => {
  assert.equal(keyValueArgs(['power=50%', 'value=7', 'on=true', 'list=["a","b"]', 'none=null', 'expr=a=b', 'empty='], 'x'), {
    power: '50%',
    value: 7,
    on: true,
    list: ['a', 'b'],
    none: null,
    expr: 'a=b',
    empty: '',
  });
});

test('keyValueArgs: "__proto__=..." is an ordinary key (sent to the gateway, which refuses it), never a prototype', () => {
  const out = keyValueArgs(['__proto__={"polluted":1}'], 'x');
  assert.is(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(JSON.parse(JSON.stringify(out)), JSON.parse('{"__proto__":{"polluted":1}}'));
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('keyValueArgs: no key is a usage error naming the argument', () => {
  for (const bad of ['power', '=5']) {
    try {
      keyValueArgs([bad], 'a parameter');
      assert.unreachable();
    } catch (err) {
      assert.instance(err, CliError);
      assert.is((err as CliError).exitCode, 2);
      assert.match((err as Error).message, `a parameter must be key=value, got "${bad}"`);
    }
  }
});

test('timeBound: 30s / 15m / 2h / 7d / 1w ago as ISO-8601; anything else passed on as it is', () => {
  const now = Date.parse('2025-01-10T12:00:00Z');
  assert.is(timeBound('2h', now), '2025-01-10T10:00:00.000Z');
  assert.is(timeBound('7d', now), '2025-01-03T12:00:00.000Z');
  assert.is(timeBound('1w', now), '2025-01-03T12:00:00.000Z');
  assert.is(timeBound('30s', now), '2025-01-10T11:59:30.000Z');
  assert.is(timeBound('1763000000', now), '1763000000');
  assert.is(timeBound('2025-01-01', now), '2025-01-01');
  assert.is(timeBound(undefined, now), undefined);
});

test('number flags: ranges and integers enforced with the flag named', () => {
  assert.is(parseUintFlag('42', '--n'), 42);
  assert.is(parseNumberFlag('12.5', '--percent', 0, 100), 12.5);
  assert.throws(() => parseUintFlag('4.2', '--n'), /--n must be a non-negative integer, got "4.2"/);
  assert.throws(() => parseNumberFlag('101', '--percent', 0, 100), /--percent must be a number 0\.\.100, got "101"/);
  assert.throws(() => parseNumberFlag('', '--percent', 0, 100), /--percent must be a number/);
});

test.run();
