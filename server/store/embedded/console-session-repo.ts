/**
 * The embedded ConsoleSessionRepo: sessions in one lowdb document, `console-sessions.json`, keyed
 * by the session id's hash in a null-prototype table. A handful of operators make a handful of
 * sessions, so rewriting the document on a login or logout costs nothing worth a journal.
 */
import { join } from 'node:path';
import type { ConsoleSession, ConsoleSessionRepo } from '../../ui/sessions-repo.ts';
import { idTable } from './id-table.ts';
import { JsonDocument } from './json-document.ts';

interface SessionsDoc {
  sessions: Record<string, ConsoleSession>;
}

export class LowdbConsoleSessionRepo implements ConsoleSessionRepo {
  private constructor(private readonly doc: JsonDocument<SessionsDoc>) {
    doc.data.sessions = idTable(doc.data.sessions);
  }

  static async open(dataDir: string): Promise<LowdbConsoleSessionRepo> {
    return new LowdbConsoleSessionRepo(await JsonDocument.open<SessionsDoc>(join(dataDir, 'console-sessions.json'), { sessions: {} }));
  }

  async create(session: ConsoleSession): Promise<void> {
    await this.doc.mutate((d) => {
      d.sessions[session.id_hash] = { ...session };
    });
  }

  async get(idHash: string): Promise<ConsoleSession | undefined> {
    const s = this.doc.data.sessions[idHash];
    return s ? { ...s } : undefined;
  }

  /** Every stored session, expired ones included (db import reads them). */
  all(): ConsoleSession[] {
    return Object.values(this.doc.data.sessions).map((s) => ({ ...s }));
  }

  async delete(idHash: string): Promise<boolean> {
    if (!this.doc.data.sessions[idHash]) return false;
    await this.doc.mutate((d) => delete d.sessions[idHash]);
    return true;
  }

  async deleteByToken(tokenHash: string): Promise<number> {
    return this.deleteWhere((s) => s.token_hash === tokenHash);
  }

  async prune(now: number): Promise<number> {
    return this.deleteWhere((s) => s.expires_at <= now);
  }

  private async deleteWhere(match: (s: ConsoleSession) => boolean): Promise<number> {
    const gone = Object.values(this.doc.data.sessions).filter(match);
    if (gone.length === 0) return 0;
    await this.doc.mutate((d) => {
      for (const s of gone) delete d.sessions[s.id_hash];
    });
    return gone.length;
  }
}
