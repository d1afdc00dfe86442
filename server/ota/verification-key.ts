/**
 * The gateway's firmware verification key (KEYS_DIR/server_public_key.pem), as it is *now*: every
 * use stats the file and reloads it when its identity changed (inode, size or mtime — a file
 * replaced by a rename, or rewritten in place), so `fleetgate keys init` run again, or a public key
 * copied over, takes effect at the next publish without a restart. A missing or unreadable key is
 * "no key" (publishing refuses); the reason is kept for the error message and logged once.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import { KEY_FILES, loadPublicKeys, type PublicKeys } from './keys.ts';

export type KeyLookup = { keys: PublicKeys; problem?: undefined } | { keys?: undefined; problem: string };

export class VerificationKey {
  private seen: string | undefined;
  private loaded: KeyLookup = { problem: 'not loaded yet' };
  private loading: Promise<KeyLookup> | undefined;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  get path(): string {
    return join(this.dir, KEY_FILES.publicKey);
  }

  /** The key as the file holds it now (reloaded if the file changed since the last call). */
  current(): Promise<KeyLookup> {
    this.loading ??= this.check().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async check(): Promise<KeyLookup> {
    const st = await stat(this.path).catch(() => undefined);
    const identity = st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : 'absent';
    if (identity === this.seen) return this.loaded;
    const first = this.seen === undefined;
    this.seen = identity;
    if (!st) {
      this.loaded = { problem: `${this.path} does not exist (fleetgate keys init --public-only <the build machine's public key>)` };
    } else {
      try {
        this.loaded = { keys: await loadPublicKeys(this.dir) };
      } catch (err) {
        this.loaded = { problem: (err as Error).message };
      }
    }
    if (this.loaded.keys) {
      this.logger.info({ path: this.path, key_id: this.loaded.keys.keyId }, first ? 'firmware verification key loaded' : 'firmware verification key changed: reloaded');
    } else if (!first || st) {
      this.logger.warn({ path: this.path, problem: this.loaded.problem }, 'no usable firmware verification key: releases cannot be published');
    }
    return this.loaded;
  }
}
