/**
 * ESP-IDF application images, as far as packaging needs them: an image starts with the 24-byte
 * esp_image_header_t (magic 0xE9) and its first segment's 8-byte header, and that segment begins
 * with esp_app_desc_t (ESP-IDF v5 components/esp_app_format/include/esp_app_desc.h: magic_word
 * 0xABCD5432, secure_version, reserv1[2], version[32], ...), so the descriptor sits at offset 32.
 * Its `secure_version` is what ESP-IDF's eFuse anti-rollback (CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK)
 * compares, and `version` is what the device reports as its running version. The packager takes
 * the manifest's security_counter from secure_version and refuses a --version that differs from
 * the app's own, so the two anti-rollback mechanisms and the reported version always agree
 * (SPEC.md §12, firmware/README.md).
 */
import { open } from 'node:fs/promises';
import { ValidationError } from '../errors.ts';

export const ESP_IMAGE_MAGIC = 0xe9;
export const ESP_APP_DESC_MAGIC = 0xabcd5432;
export const ESP_APP_DESC_OFFSET = 32;
const DESC_BYTES = 48; // magic, secure_version, reserv1[2], version[32]

export interface EspAppDescriptor {
  secureVersion: number;
  version: string;
}

/** The descriptor of an ESP-IDF app image, or undefined when `head` is not one. */
export function parseEspAppDescriptor(head: Uint8Array): EspAppDescriptor | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < ESP_APP_DESC_OFFSET + DESC_BYTES || b[0] !== ESP_IMAGE_MAGIC) return undefined;
  if (b.readUInt32LE(ESP_APP_DESC_OFFSET) !== ESP_APP_DESC_MAGIC) return undefined;
  const field = b.subarray(ESP_APP_DESC_OFFSET + 16, ESP_APP_DESC_OFFSET + 48);
  const nul = field.indexOf(0);
  return { secureVersion: b.readUInt32LE(ESP_APP_DESC_OFFSET + 4), version: field.subarray(0, nul < 0 ? 32 : nul).toString('latin1') };
}

export async function readEspAppDescriptor(path: string): Promise<EspAppDescriptor | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(ESP_APP_DESC_OFFSET + DESC_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return parseEspAppDescriptor(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * The security counter to package with: an ESP-IDF app's secure_version (an explicit counter must
 * equal it), else the explicit counter, else 0. Also refuses a version other than the app's own.
 */
export function packagingCounter(desc: EspAppDescriptor | undefined, explicit: number | undefined, version: string): number {
  if (!desc) return explicit ?? 0;
  if (desc.version !== version) {
    throw new ValidationError(`the ESP-IDF app says version "${desc.version}" (PROJECT_VER), not "${version}": the device would report the wrong version`, 'version_mismatch');
  }
  if (explicit !== undefined && explicit !== desc.secureVersion) {
    throw new ValidationError(
      `--security-counter ${explicit} differs from the app's secure_version ${desc.secureVersion} (CONFIG_BOOTLOADER_APP_SECURE_VERSION): they must agree`,
      'security_counter_mismatch',
    );
  }
  return desc.secureVersion;
}
