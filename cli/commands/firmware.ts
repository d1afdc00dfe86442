/**
 * `fleetgate firmware package|verify|list`: package a firmware binary into an encrypted image and
 * signed manifest, verify a packaged image exactly as a device would (naming the failed check),
 * and list what FIRMWARE_DIR holds. Directories resolve at run time: --keys-dir, else $KEYS_DIR,
 * else `keys`; --firmware-dir, else $FIRMWARE_DIR, else `firmware-images`. The logic lives in
 * server/ota/{package,verify,catalog}.ts, loaded only when a firmware command runs; this module
 * only parses flags and prints.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError, ExitCode, cliAction } from '../errors.ts';
import { examples, firmwareDir, firmwareDirOption, keysDir, keysDirOption, parseUintFlag } from '../options.ts';
import { bytes, stdoutLine, table, type CliOut } from '../output.ts';
import { requireKeyFiles } from './keys.ts';

/**
 * The manifest defaults (chunk size, format, hash-page entries), written out here so that
 * registering the command does not load the OTA modules; a test keeps them equal to manifest.ts.
 */
export const CHUNK_SIZE_HELP = 4096;
export const FORMAT_HELP = 2;
export const PAGE_ENTRIES_HELP = 64;

interface PackageFlags {
  version: string;
  securityCounter?: string;
  chunkSize?: string;
  manifestFormat?: string;
  pageEntries?: string;
  notes?: string;
  keysDir?: string;
  firmwareDir?: string;
  force?: boolean;
}

interface VerifyFlags {
  image?: string;
  hashes?: string;
  keysDir?: string;
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

export function firmwareCommand(program: Command, out: CliOut = stdoutLine): Command {
  // `package --version <semver>` collides with a root `-V, --version` flag, which commander would
  // otherwise also recognise after the subcommand and print the CLI's own version instead.
  // Positional options make root flags count only before the subcommand name.
  program.enablePositionalOptions();
  const fw = program.command('firmware').description('package, verify and list OTA firmware images (local files; `fleetgate ota` for the gateway)');
  examples(fw, [
    ['fleetgate firmware package build/app.bin --version 1.0.5 --security-counter 1', 'encrypt and sign an image'],
    ['fleetgate firmware list', 'what firmware-images/ holds'],
  ]);

  const pkg = fw
    .command('package')
    .description('encrypt and sign a firmware binary into FIRMWARE_DIR')
    .argument('<firmware>', 'plain firmware binary (.bin)')
    .requiredOption('--version <semver>', 'firmware version, e.g. 1.0.5')
    .option('--security-counter <n>', "anti-rollback counter (u32); devices refuse lower values (default: an ESP-IDF app's secure_version, else 0)")
    .option('--chunk-size <bytes>', `download chunk size: multiple of 16, 256..65536 (default: ${CHUNK_SIZE_HELP})`)
    .option('--manifest-format <n>', `manifest format: 2 (compact, hash pages) or 1 (full chunk list, for devices that predate 2) (default: ${FORMAT_HELP})`)
    .option('--page-entries <n>', `format 2: chunk hashes per hash page, a power of two in 16..128 (default: ${PAGE_ENTRIES_HELP})`)
    .option('--notes <text>', 'release notes (shown to operators; not signed)')
    .option('--force', 'replace an already packaged image of the same version');
  keysDirOption(pkg, 'key directory', ['--keys']);
  firmwareDirOption(pkg, 'where the image and manifest go', ['--out']);
  examples(pkg, [
    ['fleetgate firmware package build/app.bin --version 1.0.5 --security-counter 1 --notes "first"', 'into ./firmware-images'],
    ['fleetgate firmware package app.bin --version 1.0.6 --chunk-size 4096 --firmware-dir /srv/images', 'larger chunks, elsewhere'],
  ]);
  pkg.action((file: string, opts: PackageFlags) =>
    cliAction(async () => {
      const { DEFAULT_CHUNK_SIZE, DEFAULT_FORMAT_VERSION, DEFAULT_PAGE_ENTRIES } = await import('../../server/ota/manifest.ts');
      const { readEspAppDescriptor, packagingCounter } = await import('../../server/ota/esp-app.ts');
      const chunkSize = opts.chunkSize === undefined ? DEFAULT_CHUNK_SIZE : parseUintFlag(opts.chunkSize, '--chunk-size');
      const formatVersion = opts.manifestFormat === undefined ? DEFAULT_FORMAT_VERSION : parseUintFlag(opts.manifestFormat, '--manifest-format');
      const pageEntries = opts.pageEntries === undefined ? DEFAULT_PAGE_ENTRIES : parseUintFlag(opts.pageEntries, '--page-entries');
      const explicit = opts.securityCounter === undefined ? undefined : parseUintFlag(opts.securityCounter, '--security-counter');
      const app = await readEspAppDescriptor(file).catch(() => undefined); // unreadable: packageFirmware reports it
      const securityCounter = packagingCounter(app, explicit, opts.version);
      const { loadSigningKeys } = await import('../../server/ota/keys.ts');
      const { packageFirmware } = await import('../../server/ota/package.ts');
      await requireKeyFiles(keysDir(opts.keysDir), 'sign');
      const keys = await loadSigningKeys(keysDir(opts.keysDir));
      const outDir = firmwareDir(opts.firmwareDir); // made by packageFirmware (makeDir: no /proc spin)
      const started = performance.now();
      const result = await packageFirmware(file, keys, {
        version: opts.version,
        securityCounter,
        chunkSize,
        formatVersion,
        pageEntries,
        releaseNotes: opts.notes ?? '',
        outDir,
        force: opts.force ?? false,
      });
      const m = result.manifest;
      out(
        `packaged ${m.version} (counter ${m.security_counter}): ${bytes(m.original_size)} -> ${m.encrypted_size} bytes encrypted, ` +
          `${m.total_chunks} chunks of ${m.chunk_size}, key ${m.key_id}, ${((performance.now() - started) / 1000).toFixed(2)} s`,
      );
      out(`  image:    ${result.imagePath}`);
      if (result.hashesPath) out(`  hashes:   ${result.hashesPath}`);
      out(`  manifest: ${result.manifestPath} (format ${m.format_version})`);
    }),
  );

  const verify = fw
    .command('verify')
    .description('verify a packaged image as a device would; exit 1 naming the failed check')
    .argument('<manifest>', 'firmware_<version>_manifest.json')
    .option('--image <file>', 'encrypted image (default: firmware_<version>_encrypted.bin next to the manifest)')
    .option('--hashes <file>', 'format 2 chunk-hash table (default: firmware_<version>_hashes.bin next to the manifest)')
    .option('--min-counter <n>', 'anti-rollback: reject security_counter below n');
  keysDirOption(verify, 'key directory holding server_public_key.pem and aes_firmware_key.bin', ['--keys']);
  examples(verify, [
    ['fleetgate firmware verify firmware-images/firmware_1.0.5_manifest.json', 'the packaged image next to it'],
    ['fleetgate firmware verify m.json --image fw.bin --min-counter 2', 'a downloaded copy, with an anti-rollback floor'],
  ]);
  verify.action((manifestPath: string, opts: VerifyFlags) =>
    cliAction(async () => {
      const minCounter = opts.minCounter === undefined ? 0 : parseUintFlag(opts.minCounter, '--min-counter');
      const json = await readManifestFile(manifestPath);
      const { hashesFileName, imageFileName, parseManifest } = await import('../../server/ota/manifest.ts');
      const { loadVerifyKeys } = await import('../../server/ota/keys.ts');
      const { verifyImageFile } = await import('../../server/ota/verify.ts');
      const manifest = parseManifest(json); // for the default image name; the verifier re-checks everything
      await requireKeyFiles(keysDir(opts.keysDir), 'verify');
      const keys = await loadVerifyKeys(keysDir(opts.keysDir));
      const imagePath = opts.image ?? join(dirname(manifestPath), imageFileName(manifest.version));
      const hashesPath = opts.hashes ?? join(dirname(manifestPath), hashesFileName(manifest.version));
      const r = await verifyImageFile(json, imagePath, keys, { minCounter, hashesPath });
      out(
        `OK ${r.version} (counter ${r.securityCounter}): ${r.originalSize} bytes, ${r.totalChunks} chunks of ${r.chunkSize}, ` +
          `sha256 ${r.firmwareSha256}, key ${r.keyId}, format ${r.formatVersion}`,
      );
    }),
  );

  const list = fw.command('list').description('list packaged images by version');
  firmwareDirOption(list, 'firmware directory', ['--dir']);
  // No default here: without it the signatures are not checked.
  keysDirOption(list, 'also check each manifest signature with the keys in this directory', ['--keys'], false);
  examples(list, [
    ['fleetgate firmware list', 'images in ./firmware-images'],
    ['fleetgate firmware list --firmware-dir /srv/images --keys-dir keys', 'and check their signatures'],
  ]);
  list.action((opts: { firmwareDir?: string; keysDir?: string }) =>
    cliAction(async () => {
      const dir = firmwareDir(opts.firmwareDir);
      const { loadVerifyKeys } = await import('../../server/ota/keys.ts');
      const { FirmwareCatalog } = await import('../../server/ota/catalog.ts');
      if (opts.keysDir !== undefined) await requireKeyFiles(opts.keysDir, 'verify');
      const verifyKeys = opts.keysDir === undefined ? undefined : await loadVerifyKeys(opts.keysDir);
      const catalog = await FirmwareCatalog.load(dir, verifyKeys ? { verifyKeys } : {});
      const images = catalog.listImages().map((i) => i.manifest);
      if (images.length === 0) out(`no firmware images in ${dir}`);
      else {
        const text = table(images, [
          { header: 'VERSION', value: (m) => m.version },
          { header: 'COUNTER', value: (m) => m.security_counter, right: true },
          { header: 'SIZE', value: (m) => m.original_size, right: true },
          { header: 'ENCRYPTED', value: (m) => m.encrypted_size, right: true },
          { header: 'CHUNKS', value: (m) => m.total_chunks, right: true },
          { header: 'CREATED', value: (m) => m.created_at },
        ]);
        for (const line of text.split('\n')) out(line);
      }
      for (const p of catalog.problems) out(`skipped ${p.file}: ${p.reason}`);
    }),
  );

  return fw;
}
