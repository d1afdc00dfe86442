/**
 * `fleetgate keys init|show`: create the OTA key directory (RSA signing key pair, firmware AES
 * key, device master key, keys.h for the ESP32 build) and describe it without printing secrets.
 * The work is done by server/ota/keys.ts; this module parses flags, picks the directory
 * (--dir, else $KEYS_DIR, else `keys`) and turns domain errors into one-line CliErrors. It also
 * exports the small helpers the firmware commands share (error mapping, integer flags, output).
 */
import type { Command } from 'commander';
import { ConfigError, ConflictError, ValidationError } from '../../server/errors.ts';
import { isFirmwareCheckError } from '../../server/ota/checks.ts';
import { SUPPORTED_RSA_BITS, describeKeys, initKeys, type KeysSummary, type RsaBits } from '../../server/ota/keys.ts';
import { CliError, ExitCode } from '../errors.ts';

/** Where command output goes; tests pass a collector. */
export type CliOut = (line: string) => void;
export const stdoutLine: CliOut = (line) => {
  process.stdout.write(line + '\n');
};

/** Resolved at run time, not registration time, so the environment of the run applies. */
export function keysDir(flag: string | undefined): string {
  return flag ?? process.env.KEYS_DIR ?? 'keys';
}

/** A non-negative integer flag, or a usage error naming the flag. */
export function parseUintFlag(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CliError(`${flag} must be a non-negative integer, got "${value}"`, ExitCode.usage);
  }
  return Number(value);
}

/** Map what the OTA modules throw onto exit codes; unknown errors stay bugs (exit 70). */
export function toCliError(err: unknown): unknown {
  if (err instanceof CliError) return err;
  if (isFirmwareCheckError(err)) return new CliError(`verification failed [${err.check}]: ${err.message}`, ExitCode.verificationFailed);
  if (err instanceof ValidationError || err instanceof ConflictError) return new CliError(err.message, ExitCode.usage);
  if (err instanceof ConfigError) return new CliError(err.message, ExitCode.io);
  const errno = err as NodeJS.ErrnoException;
  if (errno && typeof errno.code === 'string' && typeof errno.syscall === 'string') {
    const what = ERRNO_TEXT[errno.code] ?? `${errno.code} (${errno.syscall})`;
    return new CliError(errno.path ? `${errno.path}: ${what}` : `${errno.syscall}: ${what}`, ExitCode.io);
  }
  return err;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
};

/** Run an action body and rethrow its failure as a CliError where one applies. */
export async function cliAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    throw toCliError(err);
  }
}

function printSummary(s: KeysSummary, out: CliOut): void {
  out(`keys in ${s.dir}`);
  out(`  signing key: RSA-${s.rsaBits}, key id ${s.keyId}`);
  out(`  public key SHA-256 (SPKI DER): ${s.publicKeySha256}`);
  out(`  firmware AES key: AES-256, key id ${s.aesKeyId}`);
  for (const f of s.files) {
    const mode = f.mode.toString(8).padStart(4, '0');
    const secret = f.name !== 'server_public_key.pem';
    const warn = secret && (f.mode & 0o077) !== 0 ? '  WARNING: readable by group/others, chmod 600' : '';
    out(`  ${f.name.padEnd(24)} ${String(f.size).padStart(6)} bytes  mode ${mode}${warn}`);
  }
}

export function keysCommand(program: Command, out: CliOut = stdoutLine): Command {
  const keys = program.command('keys').description('manage OTA signing and encryption keys');

  keys
    .command('init')
    .description('create server_private_key.pem, server_public_key.pem, aes_firmware_key.bin, device_master.key and keys.h')
    .option('--dir <dir>', 'key directory (default: $KEYS_DIR or "keys")')
    .option('--bits <bits>', `RSA key size: ${SUPPORTED_RSA_BITS.join(' or ')}`, '2048')
    .option('--force', 'replace existing OTA keys (devices holding the old keys reject new images); device_master.key is always kept')
    .action((opts: { dir?: string; bits: string; force?: boolean }) =>
      cliAction(async () => {
        const bits = parseUintFlag(opts.bits, '--bits');
        if (!(SUPPORTED_RSA_BITS as readonly number[]).includes(bits)) {
          throw new CliError(`--bits must be ${SUPPORTED_RSA_BITS.join(' or ')}, got ${bits}`, ExitCode.usage);
        }
        const summary = await initKeys(keysDir(opts.dir), { bits: bits as RsaBits, force: opts.force ?? false });
        out(`created new keys`);
        printSummary(summary, out);
        if (!summary.deviceMasterCreated) out('  device_master.key already existed and was kept (device HMAC keys derive from it)');
      }),
    );

  keys
    .command('show')
    .description('print key ids, fingerprints and file sizes (never key material)')
    .option('--dir <dir>', 'key directory (default: $KEYS_DIR or "keys")')
    .action((opts: { dir?: string }) =>
      cliAction(async () => {
        printSummary(await describeKeys(keysDir(opts.dir)), out);
      }),
    );

  return keys;
}
