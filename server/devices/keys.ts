/**
 * Per-device HMAC keys are derived, never stored: key = HMAC-SHA256(master secret,
 * "fleetgate/device-key/v1" ‖ 0x00 ‖ device_id ‖ 0x00 ‖ key_version as u32 BE). The master secret
 * is 32 random bytes in KEYS_DIR/device_master.key (mode 0600), so DATA_DIR holds nothing an
 * attacker could sign with. Rotating a key bumps key_version; revoking marks the record.
 */
import { readFile } from 'node:fs/promises';
import { makeDir } from '../make-dir.ts';
import { createFileExclusive } from '../store/embedded/atomic-file.ts';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hmacSha256, nonceBytes } from '../crypto/hmac.ts';

export const MASTER_KEY_FILE = 'device_master.key';
const LABEL = 'fleetgate/device-key/v1\0';

/** Reads the master secret, creating it (exclusively, 0600) on first start. */
export async function loadOrCreateMasterSecret(keysDir: string): Promise<{ secret: Uint8Array; created: boolean }> {
  const path = join(keysDir, MASTER_KEY_FILE);
  try {
    return { secret: await readMaster(path), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await makeDir(keysDir, 0o700);
  const secret = randomBytes(32);
  // Never replace an existing secret (that would change every device's key): if another process
  // created it between our read and this write, use theirs.
  if (await createFileExclusive(path, secret, 0o600)) return { secret: new Uint8Array(secret), created: true };
  return { secret: await readMaster(path), created: false };
}

async function readMaster(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path);
  if (bytes.length !== 32) throw new Error(`${path} must hold exactly 32 bytes (found ${bytes.length})`);
  return new Uint8Array(bytes);
}

export function deriveDeviceKey(master: Uint8Array, deviceId: string, keyVersion: number): Uint8Array {
  return hmacSha256(master, LABEL, deviceId, '\0', nonceBytes(keyVersion));
}

/**
 * The key of a re-flashed legacy device: HMAC-SHA256(HMAC_PSK, device id as UTF-8). It binds the
 * id, which the raw fleet key cannot (the EcoWatt MAC covers nonce and payload only).
 */
export function pskBoundKey(psk: Uint8Array, deviceId: string): Uint8Array {
  return hmacSha256(psk, deviceId);
}
