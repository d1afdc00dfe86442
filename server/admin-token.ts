/**
 * The admin token: ADMIN_TOKEN from the environment, else KEYS_DIR/admin_token, else a fresh
 * random one written there with mode 0600. The token itself is never logged — only where it is.
 */
import { readFile } from 'node:fs/promises';
import { createFileExclusive } from './store/embedded/atomic-file.ts';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError } from './errors.ts';
import { makeDir } from './make-dir.ts';

export const ADMIN_TOKEN_FILE = 'admin_token';

export async function readAdminTokenFile(keysDir: string): Promise<string | undefined> {
  try {
    const token = (await readFile(join(keysDir, ADMIN_TOKEN_FILE), 'utf8')).trim();
    return token.length > 0 ? token : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function resolveAdminToken(
  fromEnv: string | undefined,
  keysDir: string,
): Promise<{ token: string; generatedAt?: string }> {
  if (fromEnv) return { token: fromEnv };
  const existing = await readAdminTokenFile(keysDir);
  if (existing) {
    if (existing.length < 16) throw new ConfigError(`${join(keysDir, ADMIN_TOKEN_FILE)} holds a token shorter than 16 characters`);
    return { token: existing };
  }
  await makeDir(keysDir, 0o700);
  const token = randomBytes(32).toString('hex');
  const path = join(keysDir, ADMIN_TOKEN_FILE);
  if (!(await createFileExclusive(path, Buffer.from(token + '\n'), 0o600))) {
    return { token: (await readAdminTokenFile(keysDir)) ?? token }; // another process just created it
  }
  return { token, generatedAt: path };
}
