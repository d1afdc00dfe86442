/**
 * Operator-console sessions: an admin token of any role, presented once in the login form, opens
 * a session; the browser then holds only a random session id in a signed, HttpOnly, SameSite=Strict
 * cookie. The store keeps the id's SHA-256 and the token's SHA-256 (sessions-repo.ts), so every
 * gateway replica honours the session, and every request re-checks that the token is still live:
 * revoking the token (or changing the bootstrap token) ends its sessions at their next request,
 * on every replica. Sessions expire CONSOLE_SESSION_TTL_SECONDS after login.
 *
 * CSRF: the cookie is SameSite=Strict (no cross-site request carries it) and every form that
 * changes something (logout) carries a token bound to the session — HMAC(key, session id) — that
 * a cross-site page cannot read; the login form carries one bound to a short-lived pre-login
 * cookie. The routes also refuse POSTs whose Origin is another site.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { AdminTokens } from '../auth/tokens.ts';
import { tokenHash } from '../auth/tokens.ts';
import type { Role } from '../auth/roles.ts';
import type { Clock } from '../clock.ts';
import { constantTimeEqual, sha256Bytes, bytesToHex, utf8 } from '../crypto/hmac.ts';
import type { ConsoleSession, ConsoleSessionRepo } from './sessions-repo.ts';

/** The session cookie (a signed session id) and the pre-login cookie the login form's CSRF token is bound to. */
export const SESSION_COOKIE = 'fleetgate_console';
export const LOGIN_COOKIE = 'fleetgate_login';

export interface ConsoleUser {
  name: string;
  role: Role;
}

export interface OpenSession {
  user: ConsoleUser;
  /** For forms: the session's CSRF token. */
  csrf: string;
  expiresAt: number;
}

/** The cookie-signing key: derived from the device master secret, so every replica has the same one. */
export function consoleKey(masterSecret: Uint8Array): Uint8Array {
  return createHmac('sha256', masterSecret).update('fleetgate operator console cookies v1').digest();
}

const idHash = (id: string) => bytesToHex(sha256Bytes(utf8(id)));

export class ConsoleSessions {
  constructor(
    private readonly repo: ConsoleSessionRepo,
    private readonly tokens: AdminTokens,
    readonly key: Uint8Array,
    private readonly clock: Clock,
    readonly ttlMs: number,
  ) {}

  /** Opens a session for a valid token; undefined for a wrong or revoked one. Returns the new session id. */
  async open(token: string, source: string): Promise<{ id: string; user: ConsoleUser } | undefined> {
    const who = await this.tokens.identify(token);
    if (!who) return undefined;
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const session: ConsoleSession = {
      id_hash: idHash(id),
      token_hash: tokenHash(token),
      token_name: who.name,
      role: who.role,
      source,
      created_at: now,
      expires_at: now + this.ttlMs,
    };
    await this.repo.create(session);
    return { id, user: who };
  }

  /** The live session with this id: not expired, its token not revoked. An ended one is forgotten. */
  async resolve(id: string): Promise<OpenSession | undefined> {
    const hash = idHash(id);
    const s = await this.repo.get(hash);
    if (!s) return undefined;
    if (s.expires_at <= this.clock.now()) {
      await this.repo.delete(hash);
      return undefined;
    }
    const who = await this.tokens.identifyHash(s.token_hash);
    if (!who) {
      // The token was revoked: end every session it opened, here and for every replica.
      await this.repo.deleteByToken(s.token_hash);
      return undefined;
    }
    return { user: who, csrf: this.csrf('session', id), expiresAt: s.expires_at };
  }

  async end(id: string): Promise<void> {
    await this.repo.delete(idHash(id));
  }

  prune(): Promise<number> {
    return this.repo.prune(this.clock.now());
  }

  /** A form token bound to a session id (`session`) or to a pre-login cookie (`login`). */
  csrf(purpose: 'session' | 'login', bound: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\0${bound}`).digest('base64url');
  }

  checkCsrf(purpose: 'session' | 'login', bound: string, presented: string | undefined): boolean {
    if (!presented) return false;
    return constantTimeEqual(utf8(presented), utf8(this.csrf(purpose, bound)));
  }
}
