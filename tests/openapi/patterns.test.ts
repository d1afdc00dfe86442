/**
 * Where a check is code (a refinement, a hand-written parser), the document states it as JSON
 * Schema next to it; here both judge the same values and must agree: device ids, SemVer versions,
 * register names, time bounds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import semver from 'semver';
import { DEVICE_ID_JSON_SCHEMA, isValidDeviceId } from '../../server/devices/ids.ts';
import { timeBoundParam } from '../../server/openapi/common.ts';
import { requestSchema } from '../../server/openapi/describe.ts';
import { SEMVER_PATTERN } from '../../server/ota/service.ts';
import { isRegisterName } from '../../server/protocol/limits.ts';
import { fieldSchemas } from '../../server/remote-config/fields.ts';
import { parseTimeBound } from '../../server/telemetry/routes.ts';
import { DocumentSchemas, type Json } from './validator.ts';

const schemas = new DocumentSchemas({});

function disagreements(schema: unknown, values: readonly string[], code: (v: string) => boolean): string[] {
  return values.filter((v) => (schemas.check(schema, v) === undefined) !== code(v)).map((v) => `${JSON.stringify(v)}: code ${code(v) ? 'accepts' : 'refuses'}`);
}

test('device ids: the JSON Schema and isValidDeviceId agree', () => {
  const values = ['m1', 'A.b-c_9', 'x'.repeat(64), 'x'.repeat(65), '', '.', '..', '...', '.hidden', 'a..b', '__proto__', '__proto', 'constructor', 'a/b', 'a b', 'ü', 'toString', '-'];
  assert.equal(disagreements(DEVICE_ID_JSON_SCHEMA, values, isValidDeviceId), []);
});

test('versions: SEMVER_PATTERN and semver.valid(v) === v agree', () => {
  const values = ['1.0.0', '0.0.0', '10.20.30', '1.0.0-rc.1', '1.0.0-alpha.beta-1', '1.0.0-0A', '1.0.0-01', '01.0.0', '1.0', '1', 'v1.0.0', '1.0.0+build.5', '1.0.0-', '1.0.0-rc..1', ' 1.0.0', '1.0.0 ', '1.2.3-x-y-z.--'];
  assert.equal(disagreements({ type: 'string', pattern: SEMVER_PATTERN }, values, (v) => semver.valid(v) === v), []);
});

test('register names: the converted config schema and isRegisterName agree', () => {
  const registers = requestSchema(fieldSchemas.registers) as Json;
  const item = registers.items;
  const values = ['voltage', 'power_l1', 'a', 'a'.repeat(31), 'a'.repeat(32), 'Voltage', '1power', '_x', 'constructor', 'timestamp', 'tostring', 'toString', 'power-l1', ''];
  assert.equal(disagreements(item, values, isRegisterName), []);
  assert.ok(registers.uniqueItems, 'unique registers are stated');
  assert.ok(schemas.check(registers, ['power', 'power']), 'a repeated register is refused');
});

test('time bounds: the parameter schema and parseTimeBound agree on the form', () => {
  const values = ['2026-01-02', '2026-01-02T03:04', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05.123+02:00', '2026-01-02 03:04:05', '1700000000', '1700000000.5', '1700000000000', 'yesterday', '-5', '2026-1-2', 'now', ''];
  const code = (v: string) => {
    try {
      return parseTimeBound(v, 'since') !== undefined;
    } catch {
      return false;
    }
  };
  assert.equal(disagreements(timeBoundParam('x').schema, values, code), []);
});

test.run();
