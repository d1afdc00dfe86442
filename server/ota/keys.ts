/**
 * OTA key material: creating a key directory (`fleetgate keys init`), loading it for signing
 * (packager) or verifying (device simulator, tests), describing it without secrets, and rendering
 * the `keys.h` C header the ESP32 build compiles in. RSA keys come from `node:crypto`
 * (generateKeyPair is native OpenSSL: milliseconds, where node-forge's pure-JS 3072-bit keygen
 * takes seconds). Key ids are the first 8 bytes of SHA-256 over the SPKI DER (RSA) or over the raw
 * 32 key bytes (AES), in hex; SPEC.md §2. All files are written atomically; secrets are mode 0600.
 * device_master.key (the gateway's per-device HMAC root) is created here if missing, never replaced.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, ConflictError, ValidationError } from '../errors.ts';
import { makeDir } from '../make-dir.ts';
import { createFileExclusive, writeFilesAtomic } from '../store/embedded/atomic-file.ts';
import { AES_KEY_LENGTH, keyIdOf, sha256 } from './crypto.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export const KEY_FILES = {
  privateKey: 'server_private_key.pem',
  publicKey: 'server_public_key.pem',
  aesKey: 'aes_firmware_key.bin',
  deviceMaster: 'device_master.key',
  cHeader: 'keys.h',
} as const;

/** The files `keys init` (re)creates; device_master.key is handled apart, see initKeys. */
const OTA_KEY_FILES = [KEY_FILES.privateKey, KEY_FILES.publicKey, KEY_FILES.aesKey, KEY_FILES.cHeader] as const;

export const DEVICE_MASTER_KEY_LENGTH = 32;
export const SUPPORTED_RSA_BITS = [2048, 3072] as const;
export type RsaBits = (typeof SUPPORTED_RSA_BITS)[number];

const SECRET_MODE = 0o600;
const PUBLIC_MODE = 0o644;

export interface InitKeysOptions {
  bits?: RsaBits;
  /** Replace existing key files. Without it, any existing target file makes init refuse. */
  force?: boolean;
}

/** Everything the packager needs. */
export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyDer: Buffer;
  keyId: string;
  rsaBits: number;
  aesKey: Buffer;
  aesKeyId: string;
}

/**
 * What the gateway holds: the public verification key only. It checks manifest signatures and
 * serves ciphertext; it never needs the signing key, nor the AES key (devices, and `fleetgate
 * firmware verify` on a machine that holds it, check the plaintext signature).
 */
export interface PublicKeys {
  publicKey: KeyObject;
  keyId: string;
}

/** Everything a device (or the verifier) holds: the public key and the shared AES key. */
export interface VerifyKeys extends PublicKeys {
  aesKey: Uint8Array;
  aesKeyId: string;
}

export interface KeyFileInfo {
  name: string;
  size: number;
  /** Permission bits, e.g. 0o600. */
  mode: number;
}

/** Public facts about a key directory: ids, fingerprints, sizes. Never key bytes. */
export interface KeysSummary {
  dir: string;
  rsaBits: number;
  keyId: string;
  /** Full SHA-256 of the SPKI DER, hex (compare with `openssl pkey -pubin -outform DER | sha256sum`). */
  publicKeySha256: string;
  /** Null when the directory holds no AES key (a gateway's, prepared with --public-only). */
  aesKeyId: string | null;
  files: KeyFileInfo[];
}

export interface InitKeysResult extends KeysSummary {
  /** False when device_master.key already existed and was kept. */
  deviceMasterCreated: boolean;
}

export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

function rsaBitsOf(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

/** Build SigningKeys from PEM text and the AES key bytes (used by the loader and the test vectors). */
export function signingKeysFrom(privateKeyPem: string, aesKey: Uint8Array): SigningKeys {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'rsa') throw new ConfigError(`private key must be RSA, got ${privateKey.asymmetricKeyType}`);
  if (rsaBitsOf(privateKey) < 2048) throw new ConfigError(`RSA key must be at least 2048 bits, got ${rsaBitsOf(privateKey)}`);
  if (aesKey.length !== AES_KEY_LENGTH) throw new ConfigError(`AES firmware key must be ${AES_KEY_LENGTH} bytes, got ${aesKey.length}`);
  const publicKey = createPublicKey(privateKey);
  const publicKeyDer = spkiDer(publicKey);
  return {
    privateKey,
    publicKey,
    publicKeyDer,
    keyId: keyIdOf(publicKeyDer),
    rsaBits: rsaBitsOf(privateKey),
    aesKey: Buffer.from(aesKey),
    aesKeyId: keyIdOf(aesKey),
  };
}

export function verifyKeysFrom(publicKeyPem: string | KeyObject, aesKey: Uint8Array): VerifyKeys {
  const publicKey = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
  if (publicKey.asymmetricKeyType !== 'rsa') throw new ConfigError(`public key must be RSA, got ${publicKey.asymmetricKeyType}`);
  if (aesKey.length !== AES_KEY_LENGTH) throw new ConfigError(`AES firmware key must be ${AES_KEY_LENGTH} bytes, got ${aesKey.length}`);
  return { publicKey, keyId: keyIdOf(spkiDer(publicKey)), aesKey: Uint8Array.from(aesKey), aesKeyId: keyIdOf(aesKey) };
}

/** What to do about a missing key file, by who needs it: only the build machine holds the signing and AES keys. */
export const MISSING_KEY_HINT = {
  signing: (dir: string) => `packaging signs and encrypts, on the build machine: create its keys there with \`fleetgate keys init --keys-dir ${dir}\``,
  gateway: (dir: string) =>
    `a gateway needs only the fleet's public key: \`fleetgate keys init --public-only <server_public_key.pem from the build machine> --keys-dir ${dir}\``,
  verify: () => "verifying decrypts with the AES key, which only the build machine's keys directory holds: verify there",
} as const;

async function readKeyFile(dir: string, name: string, needed: keyof typeof MISSING_KEY_HINT): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`cannot read ${join(dir, name)} (${code}); ${MISSING_KEY_HINT[needed](dir)}`);
  }
}

function parseKey<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}: ${err.message}`);
    throw new ConfigError(`${path}: not a valid key (${(err as Error).message})`);
  }
}

/** Load the private key, check the public key file matches it, and load the AES key. */
export async function loadSigningKeys(dir: string): Promise<SigningKeys> {
  const [privatePem, publicPem, aesKey] = await Promise.all([
    readKeyFile(dir, KEY_FILES.privateKey, 'signing'),
    readKeyFile(dir, KEY_FILES.publicKey, 'signing'),
    readKeyFile(dir, KEY_FILES.aesKey, 'signing'),
  ]);
  const keys = parseKey(join(dir, KEY_FILES.privateKey), () => signingKeysFrom(privatePem.toString('utf8'), aesKey));
  const publicDer = parseKey(join(dir, KEY_FILES.publicKey), () => spkiDer(createPublicKey(publicPem)));
  // A mismatched pair would sign images that every device rejects; catch it at load time.
  if (!publicDer.equals(keys.publicKeyDer)) {
    throw new ConfigError(`${join(dir, KEY_FILES.publicKey)} does not match ${KEY_FILES.privateKey}`);
  }
  return keys;
}

export function publicKeysFrom(publicKeyPem: string | KeyObject): PublicKeys {
  const publicKey = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
  if (publicKey.asymmetricKeyType !== 'rsa') throw new ConfigError(`public key must be RSA, got ${publicKey.asymmetricKeyType}`);
  if (rsaBitsOf(publicKey) < 2048) throw new ConfigError(`RSA key must be at least 2048 bits, got ${rsaBitsOf(publicKey)}`);
  return { publicKey, keyId: keyIdOf(spkiDer(publicKey)) };
}

/** Load what the gateway needs: server_public_key.pem alone. */
export async function loadPublicKeys(dir: string): Promise<PublicKeys> {
  const pem = await readKeyFile(dir, KEY_FILES.publicKey, 'gateway');
  return parseKey(join(dir, KEY_FILES.publicKey), () => publicKeysFrom(pem.toString('utf8')));
}

/** Secrets that do not belong on a gateway host, present in `dir` (the gateway warns at start). */
export async function gatewaySecretsIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of [KEY_FILES.privateKey, KEY_FILES.aesKey, KEY_FILES.cHeader]) if (await fileExists(join(dir, name))) found.push(name);
  return found;
}

/**
 * Prepare a gateway's KEYS_DIR from the fleet's public key alone (`fleetgate keys init
 * --public-only <public key>`): the public key, checked, plus the gateway's own device master
 * secret if absent. The signing key and the AES key stay on the build machine.
 */
export async function initPublicKeys(dir: string, publicKeyPem: string, opts: { force?: boolean } = {}): Promise<PublicKeys & { deviceMasterCreated: boolean }> {
  const keys = parseKey('the public key', () => publicKeysFrom(publicKeyPem));
  await makeDir(dir, 0o700);
  const target = join(dir, KEY_FILES.publicKey);
  if (!opts.force && (await fileExists(target))) {
    const current = await readFile(target, 'utf8');
    if (spkiDer(createPublicKey(current)).equals(spkiDer(keys.publicKey))) {
      return { ...keys, deviceMasterCreated: await createFileExclusive(join(dir, KEY_FILES.deviceMaster), randomBytes(DEVICE_MASTER_KEY_LENGTH), SECRET_MODE) };
    }
    throw new ConflictError(`${target} holds another public key; use --force to replace it (images signed with the old key then fail to publish)`, 'keys_exist');
  }
  await writeFilesAtomic([{ path: target, data: keys.publicKey.export({ type: 'spki', format: 'pem' }), mode: PUBLIC_MODE }]);
  const deviceMasterCreated = await createFileExclusive(join(dir, KEY_FILES.deviceMaster), randomBytes(DEVICE_MASTER_KEY_LENGTH), SECRET_MODE);
  return { ...keys, deviceMasterCreated };
}

/** Load what a device holds: the public key and the AES key. */
export async function loadVerifyKeys(dir: string): Promise<VerifyKeys> {
  const [publicPem, aesKey] = await Promise.all([readKeyFile(dir, KEY_FILES.publicKey, 'verify'), readKeyFile(dir, KEY_FILES.aesKey, 'verify')]);
  return parseKey(join(dir, KEY_FILES.publicKey), () => verifyKeysFrom(publicPem.toString('utf8'), aesKey));
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Create a fresh OTA key set in `dir`. Refuses (ConflictError) if any OTA key file exists, unless
 * `force`. device_master.key is created only if absent and never replaced, not even with `force`:
 * the gateway may already have created it on first start, and every registered device's HMAC key
 * is derived from it, so replacing it would silently lock out the whole fleet.
 */
export async function initKeys(dir: string, opts: InitKeysOptions = {}): Promise<InitKeysResult> {
  const bits = opts.bits ?? 2048;
  if (!SUPPORTED_RSA_BITS.includes(bits)) {
    throw new ValidationError(`RSA key size must be one of ${SUPPORTED_RSA_BITS.join(', ')}, got ${bits}`, 'invalid_key_size');
  }
  await makeDir(dir, 0o700);
  if (!opts.force) {
    const existing: string[] = [];
    for (const name of OTA_KEY_FILES) if (await fileExists(join(dir, name))) existing.push(name);
    if (existing.length > 0) {
      throw new ConflictError(`keys already exist in ${dir} (${existing.join(', ')}); use --force to replace them`, 'keys_exist');
    }
  }

  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  const aesKey = randomBytes(AES_KEY_LENGTH);
  const publicKeyDer = spkiDer(publicKey);
  const header = renderKeysHeader({ publicKeyDer, rsaBits: bits, aesKey });

  // The private key is renamed into place last: if a crash interrupts a --force re-init, the
  // surviving old private key is at worst paired with a new public key, which loadSigningKeys rejects.
  await writeFilesAtomic([
    { path: join(dir, KEY_FILES.publicKey), data: publicKey.export({ type: 'spki', format: 'pem' }), mode: PUBLIC_MODE },
    { path: join(dir, KEY_FILES.aesKey), data: aesKey, mode: SECRET_MODE },
    // keys.h embeds the AES key, so it is as secret as the key itself.
    { path: join(dir, KEY_FILES.cHeader), data: header, mode: SECRET_MODE },
    { path: join(dir, KEY_FILES.privateKey), data: privateKey.export({ type: 'pkcs8', format: 'pem' }), mode: SECRET_MODE },
  ]);
  const deviceMasterCreated = await createFileExclusive(join(dir, KEY_FILES.deviceMaster), randomBytes(DEVICE_MASTER_KEY_LENGTH), SECRET_MODE);
  return { ...(await describeKeys(dir)), deviceMasterCreated };
}

/** Ids, fingerprints, sizes and modes of the key files; reads secrets only to hash them. */
export async function describeKeys(dir: string): Promise<KeysSummary> {
  // A gateway's KEYS_DIR may hold the public key alone: then there is no AES key id to show.
  const keys: PublicKeys & { aesKeyId?: string } = (await fileExists(join(dir, KEY_FILES.aesKey))) ? await loadVerifyKeys(dir) : await loadPublicKeys(dir);
  const der = spkiDer(keys.publicKey);
  const files: KeyFileInfo[] = [];
  for (const name of Object.values(KEY_FILES)) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st) files.push({ name, size: st.size, mode: st.mode & 0o777 });
  }
  return {
    dir,
    rsaBits: rsaBitsOf(keys.publicKey),
    keyId: keys.keyId,
    publicKeySha256: sha256(der).toString('hex'),
    aesKeyId: keys.aesKeyId ?? null,
    files,
  };
}

function cBytes(bytes: Uint8Array, indent = '    '): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 12) {
    lines.push(indent + Array.from(bytes.subarray(i, i + 12), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ') + ',');
  }
  return lines.join('\n');
}

/** The C header for the ESP32 build: public key DER, AES key, key ids. */
export function renderKeysHeader(input: { publicKeyDer: Uint8Array; rsaBits: number; aesKey: Uint8Array }): string {
  const keyId = keyIdOf(input.publicKeyDer);
  const aesKeyId = keyIdOf(input.aesKey);
  const idBytes = (id: string) => cBytes(Buffer.from(id, 'hex'), '').replace(/,$/, '');
  return `/*
 * keys.h - generated by fleetgate keys init, do not edit.
 *
 * OTA verification keys for the ESP32 firmware (see server/ota/SPEC.md).
 * SECRET: this file contains the firmware AES key; keep it out of version control.
 *
 * Key id = first 8 bytes of SHA-256 over the SPKI DER public key (RSA) or over the 32 raw key
 * bytes (AES). A manifest header names both ids; reject images whose ids differ from these.
 */
#ifndef FLEETGATE_KEYS_H
#define FLEETGATE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define FLEETGATE_OTA_RSA_BITS ${input.rsaBits}
#define FLEETGATE_OTA_KEY_ID "${keyId}"
#define FLEETGATE_OTA_AES_KEY_ID "${aesKeyId}"
#define FLEETGATE_OTA_KEY_ID_LEN 8
#define FLEETGATE_OTA_AES_KEY_LEN ${input.aesKey.length}
#define FLEETGATE_OTA_PUBLIC_KEY_DER_LEN ${input.publicKeyDer.length}

/* Signing key id (binary form of FLEETGATE_OTA_KEY_ID), header offset 64. */
static const uint8_t fleetgate_ota_key_id[FLEETGATE_OTA_KEY_ID_LEN] = { ${idBytes(keyId)} };

/* AES key id (binary form of FLEETGATE_OTA_AES_KEY_ID), header offset 72. */
static const uint8_t fleetgate_ota_aes_key_id[FLEETGATE_OTA_KEY_ID_LEN] = { ${idBytes(aesKeyId)} };

/* RSA public key, SubjectPublicKeyInfo DER: pass to mbedtls_pk_parse_public_key(). */
static const uint8_t fleetgate_ota_public_key_der[FLEETGATE_OTA_PUBLIC_KEY_DER_LEN] = {
${cBytes(input.publicKeyDer)}
};
static const size_t fleetgate_ota_public_key_der_len = FLEETGATE_OTA_PUBLIC_KEY_DER_LEN;

/* AES-256-CBC firmware key. */
static const uint8_t fleetgate_ota_aes_key[FLEETGATE_OTA_AES_KEY_LEN] = {
${cBytes(input.aesKey)}
};

#endif /* FLEETGATE_KEYS_H */
`;
}
