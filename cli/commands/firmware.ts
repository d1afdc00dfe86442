/**
 * `fleetgate firmware package|verify|list`: package a firmware binary into an encrypted image and
 * signed manifest, verify a packaged image exactly as a device would (naming the failed check),
 * and list what FIRMWARE_DIR holds. Directories resolve at run time: --keys, else $KEYS_DIR, else
 * `keys`; --out/--dir, else $FIRMWARE_DIR, else `firmware-images`. The logic lives in
 * server/ota/{package,verify,catalog}.ts; this module only parses flags and prints.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FirmwareCatalog } from '../../server/ota/catalog.ts';
import { loadSigningKeys, loadVerifyKeys } from '../../server/ota/keys.ts';
import { DEFAULT_CHUNK_SIZE, DEFAULT_FORMAT_VERSION, DEFAULT_PAGE_ENTRIES, hashesFileName, imageFileName, parseManifest } from '../../server/ota/manifest.ts';
import { packageFirmware } from '../../server/ota/package.ts';
import { verifyImageFile } from '../../server/ota/verify.ts';
import { readEspAppDescriptor, packagingCounter } from '../../server/ota/esp-app.ts';
import { CliError, ExitCode } from '../errors.ts';
import { cliAction, keysDir, parseUintFlag, stdoutLine, type CliOut } from './keys.ts';

export function firmwareDir(flag: string | undefined): string {
  return flag ?? process.env.FIRMWARE_DIR ?? 'firmware-images';
}

interface PackageFlags {
  version: string;
  securityCounter?: string;
  chunkSize: string;
  manifestFormat: string;
  pageEntries: string;
  notes?: string;
  keys?: string;
  out?: string;
  force?: boolean;
}

interface VerifyFlags {
  image?: string;
  hashes?: string;
  keys?: string;
  minCounter?: string;
}

async function readManifestFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read manifest ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, ExitCode.io);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`verification failed [manifest_format]: ${path} is not valid JSON`, ExitCode.verificationFailed);
  }
}

function kib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export function firmwareCommand(program: Command, out: CliOut = stdoutLine): Command {
  // `package --version <semver>` collides with a root `-V, --version` flag, which commander would
  // otherwise also recognise after the subcommand and print the CLI's own version instead.
  // Positional options make root flags count only before the subcommand name.
  program.enablePositionalOptions();
  const fw = program.command('firmware').description('package, verify and list OTA firmware images');

  fw.command('package')
    .description('encrypt and sign a firmware binary into FIRMWARE_DIR')
    .argument('<firmware>', 'plain firmware binary (.bin)')
    .requiredOption('--version <semver>', 'firmware version, e.g. 1.0.5')
    .option('--security-counter <n>', 'anti-rollback counter (u32); devices refuse lower values (default: an ESP-IDF app\'s secure_version, else 0)')
    .option('--chunk-size <bytes>', 'download chunk size: multiple of 16, 256..65536', String(DEFAULT_CHUNK_SIZE))
    .option('--manifest-format <n>', 'manifest format: 2 (compact, hash pages) or 1 (full chunk list, for devices that predate 2)', String(DEFAULT_FORMAT_VERSION))
    .option('--page-entries <n>', 'format 2: chunk hashes per hash page, a power of two in 16..128', String(DEFAULT_PAGE_ENTRIES))
    .option('--notes <text>', 'release notes (shown to operators; not signed)')
    .option('--keys <dir>', 'key directory (default: $KEYS_DIR or "keys")')
    .option('--out <dir>', 'output directory (default: $FIRMWARE_DIR or "firmware-images")')
    .option('--force', 'replace an already packaged image of the same version')
    .action((file: string, opts: PackageFlags) =>
      cliAction(async () => {
        const chunkSize = parseUintFlag(opts.chunkSize, '--chunk-size');
        const formatVersion = parseUintFlag(opts.manifestFormat, '--manifest-format');
        const pageEntries = parseUintFlag(opts.pageEntries, '--page-entries');
        const explicit = opts.securityCounter === undefined ? undefined : parseUintFlag(opts.securityCounter, '--security-counter');
        const app = await readEspAppDescriptor(file).catch(() => undefined); // unreadable: packageFirmware reports it
        const securityCounter = packagingCounter(app, explicit, opts.version);
        const keys = await loadSigningKeys(keysDir(opts.keys));
        const started = performance.now();
        const result = await packageFirmware(file, keys, {
          version: opts.version,
          securityCounter,
          chunkSize,
          formatVersion,
          pageEntries,
          releaseNotes: opts.notes ?? '',
          outDir: firmwareDir(opts.out),
          force: opts.force ?? false,
        });
        const m = result.manifest;
        out(
          `packaged ${m.version} (counter ${m.security_counter}): ${kib(m.original_size)} -> ${m.encrypted_size} bytes encrypted, ` +
            `${m.total_chunks} chunks of ${m.chunk_size}, key ${m.key_id}, ${((performance.now() - started) / 1000).toFixed(2)} s`,
        );
        out(`  image:    ${result.imagePath}`);
        if (result.hashesPath) out(`  hashes:   ${result.hashesPath}`);
        out(`  manifest: ${result.manifestPath} (format ${m.format_version})`);
      }),
    );

  fw.command('verify')
    .description('verify a packaged image as a device would; exit 1 naming the failed check')
    .argument('<manifest>', 'firmware_<version>_manifest.json')
    .option('--image <file>', 'encrypted image (default: firmware_<version>_encrypted.bin next to the manifest)')
    .option('--hashes <file>', 'format 2 chunk-hash table (default: firmware_<version>_hashes.bin next to the manifest)')
    .option('--keys <dir>', 'key directory holding server_public_key.pem and aes_firmware_key.bin')
    .option('--min-counter <n>', 'anti-rollback: reject security_counter below n')
    .action((manifestPath: string, opts: VerifyFlags) =>
      cliAction(async () => {
        const minCounter = opts.minCounter === undefined ? 0 : parseUintFlag(opts.minCounter, '--min-counter');
        const json = await readManifestFile(manifestPath);
        const manifest = parseManifest(json); // for the default image name; the verifier re-checks everything
        const keys = await loadVerifyKeys(keysDir(opts.keys));
        const imagePath = opts.image ?? join(dirname(manifestPath), imageFileName(manifest.version));
        const hashesPath = opts.hashes ?? join(dirname(manifestPath), hashesFileName(manifest.version));
        const r = await verifyImageFile(json, imagePath, keys, { minCounter, hashesPath });
        out(
          `OK ${r.version} (counter ${r.securityCounter}): ${r.originalSize} bytes, ${r.totalChunks} chunks of ${r.chunkSize}, ` +
            `sha256 ${r.firmwareSha256}, key ${r.keyId}, format ${r.formatVersion}`,
        );
      }),
    );

  fw.command('list')
    .description('list packaged images by version')
    .option('--dir <dir>', 'firmware directory (default: $FIRMWARE_DIR or "firmware-images")')
    .option('--keys <dir>', 'also check each manifest signature with these keys')
    .action((opts: { dir?: string; keys?: string }) =>
      cliAction(async () => {
        const dir = firmwareDir(opts.dir);
        const verifyKeys = opts.keys === undefined ? undefined : await loadVerifyKeys(opts.keys);
        const catalog = await FirmwareCatalog.load(dir, verifyKeys ? { verifyKeys } : {});
        const images = catalog.listImages();
        if (images.length === 0) out(`no firmware images in ${dir}`);
        else {
          out(`${'VERSION'.padEnd(16)} ${'COUNTER'.padStart(8)} ${'SIZE'.padStart(10)} ${'ENCRYPTED'.padStart(10)} ${'CHUNKS'.padStart(7)}  CREATED`);
          for (const i of images) {
            const m = i.manifest;
            out(
              `${m.version.padEnd(16)} ${String(m.security_counter).padStart(8)} ${String(m.original_size).padStart(10)} ` +
                `${String(m.encrypted_size).padStart(10)} ${String(m.total_chunks).padStart(7)}  ${m.created_at}`,
            );
          }
        }
        for (const p of catalog.problems) out(`skipped ${p.file}: ${p.reason}`);
      }),
    );

  return fw;
}
