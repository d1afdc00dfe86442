/**
 * The working directory's `.env` as the CLI uses it (server/dotenv.ts reads the file, for the
 * gateway too). Only what configures the CLI's own commands is taken from it: KEYS_DIR,
 * FIRMWARE_DIR, DATA_DIR and DATABASE_URL become defaults, and PORT, HOST and ADMIN_TOKEN find a
 * gateway on this machine (admin-client.ts). Never FLEETGATE_*: a `.env` in whatever folder the
 * admin stands in must not redirect the token they exported. A file that cannot be read is named
 * once on stderr and ignored, so no command (`--version` included) fails for it.
 */
import { readDotEnv } from '../server/dotenv.ts';

/** The variables a `.env` sets for the CLI's commands, where the environment does not. */
export const CLI_DOTENV_KEYS = ['KEYS_DIR', 'FIRMWARE_DIR', 'DATA_DIR', 'DATABASE_URL'] as const;

let values: Readonly<Record<string, string>> | undefined;

/** The file's values; {} when there is none or it cannot be read (said once on stderr). */
export function cliDotEnv(): Readonly<Record<string, string>> {
  if (values) return values;
  try {
    values = readDotEnv();
  } catch (err) {
    process.stderr.write(`fleetgate: ignoring ${(err as Error).message}\n`);
    values = {};
  }
  return values;
}

/** Puts CLI_DOTENV_KEYS from the file into process.env where they are not set already. */
export function loadCliDotEnv(): void {
  const found = cliDotEnv();
  for (const key of CLI_DOTENV_KEYS) if (process.env[key] === undefined && found[key] !== undefined) process.env[key] = found[key];
}
