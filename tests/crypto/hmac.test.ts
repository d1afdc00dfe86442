import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex as nobleHex } from '@noble/hashes/utils.js';
import { bytesToHex, constantTimeEqual, hmacSha256, macHexEquals, nonceBytes, utf8 } from '../../server/crypto/hmac.ts';

// RFC 4231 test case 2
const KEY = utf8('Jefe');
const MAC = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';

test('HMAC-SHA256 matches RFC 4231 case 2, with the message given in parts', () => {
  assert.is(bytesToHex(hmacSha256(KEY, 'what do ya want ', utf8('for nothing?'))), MAC);
});

test('bytesToHex agrees with @noble/hashes, also for a view into a larger buffer', () => {
  const backing = new Uint8Array(64).map((_, i) => (i * 37) & 0xff);
  const view = backing.subarray(5, 41);
  assert.is(bytesToHex(view), nobleHex(view));
  assert.is(bytesToHex(new Uint8Array(0)), '');
});

test('macHexEquals: exact lowercase hex only', () => {
  const mac = hmacSha256(KEY, 'what do ya want for nothing?');
  assert.ok(macHexEquals(MAC, mac));
  assert.not.ok(macHexEquals(MAC.toUpperCase(), mac), 'callers lowercase first');
  assert.not.ok(macHexEquals(MAC.slice(0, 63), mac));
  assert.not.ok(macHexEquals(MAC + '0', mac));
  assert.not.ok(macHexEquals(MAC.slice(0, 63) + '4', mac));
  assert.not.ok(macHexEquals(MAC.slice(0, 62) + 'zz', mac));
  assert.not.ok(macHexEquals('', mac));
});

test('nonceBytes is 4 bytes big-endian and refuses non-u32 values', () => {
  assert.is(bytesToHex(nonceBytes(0x01020304)), '01020304');
  assert.is(bytesToHex(nonceBytes(0xffffffff)), 'ffffffff');
  for (const bad of [-1, 0x100000000, 1.5, NaN]) assert.throws(() => nonceBytes(bad), RangeError);
  assert.ok(constantTimeEqual(nonceBytes(7), new Uint8Array([0, 0, 0, 7])));
});

test.run();
