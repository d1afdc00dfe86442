/**
 * Admin tokens: each has a name and a role; the gateway keeps only a SHA-256 of the token (a copy
 * of the store signs in as nobody) and shows the token once, when it is created. The bootstrap
 * token (ADMIN_TOKEN, else KEYS_DIR/admin_token) is the admin named "bootstrap", so a fresh
 * gateway can create the others. Revoking a token keeps its record (who had which role, when).
 * Tokens are looked up by their hash: comparing hashes leaks nothing about the token itself; the
 * bootstrap token is compared in constant time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { bytesToHex, constantTimeEqual, sha256Bytes, utf8 } from '../crypto/hmac.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { Role } from './roles.ts';

export interface TokenRecord {
  name: string;
  role: Role;
  /** Lowercase hex SHA-256 of the token. */
  hash: string;
  created_at: string;
  /** Actor that created it (`token:<name>`). */
  created_by: string;
  revoked_at?: string;
  revoked_by?: string;
}

export interface TokenRepo {
  /** Inserts; false (nothing written) when the name exists, revoked or not. */
  create(record: TokenRecord): Promise<boolean>;
  /** The live (not revoked) token with this hash. */
  byHash(hash: string): Promise<TokenRecord | undefined>;
  /** Every token, revoked ones included, by name. */
  list(): Promise<TokenRecord[]>;
  /** Marks revoked; `already` (nothing changed) when it was; undefined if no such name. */
  revoke(name: string, now: number, by: string): Promise<{ outcome: 'revoked' | 'already'; record: TokenRecord } | undefined>;
}

export const BOOTSTRAP_TOKEN_NAME = 'bootstrap';
export const TOKEN_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The public view of a token: never its hash. */
export function tokenView(t: TokenRecord) {
  return { name: t.name, role: t.role, created_at: t.created_at, created_by: t.created_by, revoked_at: t.revoked_at ?? null, revoked_by: t.revoked_by ?? null, status: t.revoked_at ? 'revoked' : 'active' };
}

export interface Identity {
  name: string;
  role: Role;
}

export class AdminTokens {
  private readonly bootstrap: Uint8Array;

  constructor(
    private readonly repo: TokenRepo,
    bootstrapToken: string,
  ) {
    this.bootstrap = sha256Bytes(utf8(bootstrapToken));
  }

  /** Who a presented token is, or undefined. */
  async identify(token: string): Promise<Identity | undefined> {
    if (constantTimeEqual(sha256Bytes(utf8(token)), this.bootstrap)) return { name: BOOTSTRAP_TOKEN_NAME, role: 'admin' };
    const record = await this.repo.byHash(tokenHash(token));
    return record ? { name: record.name, role: record.role } : undefined;
  }

  /**
   * Who a token is, given only its SHA-256 (what an operator-console session keeps; never the
   * token): undefined once the token is revoked, or for the bootstrap token once it changed.
   */
  async identifyHash(hash: string): Promise<Identity | undefined> {
    if (constantTimeEqual(utf8(hash), utf8(bytesToHex(this.bootstrap)))) return { name: BOOTSTRAP_TOKEN_NAME, role: 'admin' };
    const record = await this.repo.byHash(hash);
    return record ? { name: record.name, role: record.role } : undefined;
  }

  /** Creates a token; returns it (the only time it is seen) with its record. */
  async create(name: string, role: Role, now: number, by: string): Promise<{ token: string; record: TokenRecord }> {
    if (!TOKEN_NAME.test(name)) throw new ValidationError('name: 1-64 characters of a-z 0-9 _ . - (starting with a letter or digit)', 'invalid_token', { field: 'name' });
    if (name === BOOTSTRAP_TOKEN_NAME) throw new ConflictError(`"${BOOTSTRAP_TOKEN_NAME}" is the bootstrap token's name`, 'token_exists');
    const token = `fgt_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = { name, role, hash: tokenHash(token), created_at: new Date(now).toISOString(), created_by: by };
    if (!(await this.repo.create(record))) throw new ConflictError(`a token named ${name} exists (revoked tokens keep their names)`, 'token_exists');
    return { token, record };
  }

  list(): Promise<TokenRecord[]> {
    return this.repo.list();
  }

  async revoke(name: string, now: number, by: string): Promise<TokenRecord> {
    if (name === BOOTSTRAP_TOKEN_NAME) throw new ConflictError('the bootstrap token is revoked by changing ADMIN_TOKEN or KEYS_DIR/admin_token', 'bootstrap_token');
    const out = await this.repo.revoke(name, now, by);
    if (!out) throw new NotFoundError(`no token named ${name}`, 'unknown_token');
    if (out.outcome === 'already') throw new ConflictError(`token ${name} was revoked at ${out.record.revoked_at}`, 'token_revoked');
    return out.record;
  }
}
