/**
 * `fleetgate keys init|show`: create the OTA key directory (RSA signing key pair, firmware AES
 * key, device master key, keys.h for the ESP32 build) and describe it without printing secrets.
 * The work is done by server/ota/keys.ts, loaded only when a keys command runs (it brings the AES
 * and RSA code); this module parses flags, picks the directory (--keys-dir, else $KEYS_DIR, else
 * `keys`) and turns domain errors into one-line CliErrors.
 */
import type { Command } from 'commander';
import type { KeysSummary, RsaBits } from '../../server/ota/keys.ts';
import { CliError, ExitCode, cliAction } from '../errors.ts';
import { examples, jsonOption, keysDir, keysDirOption, parseUintFlag } from '../options.ts';
import { json, stdoutLine, type CliOut } from '../output.ts';

/**
 * Written out here so that registering the command does not load the key module; a test keeps it
 * equal to SUPPORTED_RSA_BITS.
 */
export const RSA_BITS_HELP = '2048 or 3072';

function printSummary(s: KeysSummary, out: CliOut): void {
  out(`keys in ${s.dir}`);
  out(`  signing key: RSA-${s.rsaBits}, key id ${s.keyId}`);
  out(`  public key SHA-256 (SPKI DER): ${s.publicKeySha256}`);
  out(s.aesKeyId ? `  firmware AES key: AES-256, key id ${s.aesKeyId}` : '  firmware AES key: none here (a gateway verifies signatures only; devices and the build machine hold it)');
  for (const f of s.files) {
    const mode = f.mode.toString(8).padStart(4, '0');
    const secret = f.name !== 'server_public_key.pem';
    const warn = secret && (f.mode & 0o077) !== 0 ? '  WARNING: readable by group/others, chmod 600' : '';
    out(`  ${f.name.padEnd(24)} ${String(f.size).padStart(6)} bytes  mode ${mode}${warn}`);
  }
}

/** What a command needs a keys directory for; each names the files it reads (server/ota/keys.ts loaders). */
export type KeysPurpose = 'sign' | 'verify' | 'describe';

/**
 * Before loading keys: the files `purpose` needs, or one line saying what to do — on the right
 * machine. Signing keys are made on the build machine only; a gateway's KEYS_DIR holds the public
 * key alone, so verifying an image (which needs the AES key too) is the build machine's job, and
 * no advice here ever says to create signing keys on a gateway host.
 */
export async function requireKeyFiles(dir: string, purpose: KeysPurpose): Promise<void> {
  const { KEY_FILES, MISSING_KEY_HINT } = await import('../../server/ota/keys.ts');
  const { stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const needed = { sign: [KEY_FILES.privateKey, KEY_FILES.publicKey, KEY_FILES.aesKey], verify: [KEY_FILES.publicKey, KEY_FILES.aesKey], describe: [KEY_FILES.publicKey] }[purpose];
  const missing: string[] = [];
  for (const name of needed) if (!(await stat(join(dir, name)).then((s) => s.isFile(), () => false))) missing.push(name);
  if (missing.length === 0) return;
  const has = `${dir} has no ${missing.join(', ')}`;
  const publicOnly = !missing.includes(KEY_FILES.publicKey);
  const advice = {
    sign: MISSING_KEY_HINT.signing(dir),
    verify: publicOnly
      ? "it looks like a gateway's KEYS_DIR (public key only); checking an image needs the AES key too: verify on the build machine, --keys-dir naming its keys directory"
      : "pass --keys-dir the build machine's keys directory (the one `fleetgate keys init` made)",
    describe: `not a keys directory (build machine: \`fleetgate keys init --keys-dir ${dir}\`; gateway: \`fleetgate keys init --public-only <public key> --keys-dir ${dir}\`)`,
  }[purpose];
  throw new CliError(`${has}: ${advice}`, ExitCode.io);
}

export function keysCommand(program: Command, out: CliOut = stdoutLine): Command {
  const keys = program.command('keys').description('manage OTA signing and encryption keys');
  examples(keys, [
    ['fleetgate keys init', 'once per fleet: the keys images are signed and encrypted with'],
    ['fleetgate keys show', 'key ids and fingerprints'],
  ]);

  const init = keys
    .command('init')
    .description('create server_private_key.pem, server_public_key.pem, aes_firmware_key.bin, device_master.key and keys.h')
    .option('--bits <bits>', `RSA key size: ${RSA_BITS_HELP}`, '2048')
    .option('--force', 'replace existing OTA keys (devices holding the old keys reject new images); device_master.key is always kept')
    .option('--public-only <public_key>', "a gateway's KEYS_DIR: only the fleet's public key (server_public_key.pem from the build machine), no signing or AES key");
  keysDirOption(init, 'key directory', ['--dir']);
  jsonOption(init);
  examples(init, [
    ['fleetgate keys init', 'create ./keys (or $KEYS_DIR)'],
    ['fleetgate keys init --keys-dir /etc/fleetgate/keys --bits 3072', 'somewhere else, a larger RSA key'],
    ['fleetgate keys init --public-only build-keys/server_public_key.pem --keys-dir /etc/fleetgate/keys', 'on the gateway host: verify only, sign nothing'],
  ]);
  init.action((opts: { keysDir?: string; bits: string; force?: boolean; json?: boolean; publicOnly?: string }) =>
    cliAction(async () => {
      if (opts.publicOnly !== undefined) {
        const { initPublicKeys } = await import('../../server/ota/keys.ts');
        const { readFile } = await import('node:fs/promises');
        const pem = await readFile(opts.publicOnly, 'utf8');
        const dir = keysDir(opts.keysDir);
        const r = await initPublicKeys(dir, pem, { force: opts.force ?? false });
        const facts = { dir, keyId: r.keyId, deviceMasterCreated: r.deviceMasterCreated };
        if (opts.json) return out(json(facts));
        out(`gateway keys in ${dir}: public key ${r.keyId} (verify only; the signing and AES keys stay on the build machine)`);
        if (r.deviceMasterCreated) out('  created device_master.key (the gateway derives device HMAC keys from it; back it up)');
        return;
      }
      const { SUPPORTED_RSA_BITS, initKeys } = await import('../../server/ota/keys.ts');
      const bits = parseUintFlag(opts.bits, '--bits');
      if (!(SUPPORTED_RSA_BITS as readonly number[]).includes(bits)) {
        throw new CliError(`--bits must be ${SUPPORTED_RSA_BITS.join(' or ')}, got ${bits}`, ExitCode.usage);
      }
      const summary = await initKeys(keysDir(opts.keysDir), { bits: bits as RsaBits, force: opts.force ?? false });
      if (opts.json) return out(json(summary));
      out(`created new keys`);
      printSummary(summary, out);
      if (!summary.deviceMasterCreated) out('  device_master.key already existed and was kept (device HMAC keys derive from it)');
    }),
  );

  const show = keys.command('show').description('print key ids, fingerprints and file sizes (never key material)');
  keysDirOption(show, 'key directory', ['--dir']);
  jsonOption(show);
  examples(show, [
    ['fleetgate keys show', 'describe ./keys'],
    ['fleetgate keys show --keys-dir /etc/fleetgate/keys --json', 'as JSON'],
  ]);
  show.action((opts: { keysDir?: string; json?: boolean }) =>
    cliAction(async () => {
      const { describeKeys } = await import('../../server/ota/keys.ts');
      await requireKeyFiles(keysDir(opts.keysDir), 'describe');
      const summary = await describeKeys(keysDir(opts.keysDir));
      if (opts.json) out(json(summary));
      else printSummary(summary, out);
    }),
  );

  return keys;
}
