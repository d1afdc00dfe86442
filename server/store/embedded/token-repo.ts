/**
 * The embedded TokenRepo: admin token records (never a token: its SHA-256) in one lowdb document,
 * `tokens.json`, keyed by name in a null-prototype table.
 */
import { join } from 'node:path';
import type { TokenRecord, TokenRepo } from '../../auth/tokens.ts';
import { idTable } from './id-table.ts';
import { JsonDocument } from './json-document.ts';

interface TokensDoc {
  tokens: Record<string, TokenRecord>;
}

export class LowdbTokenRepo implements TokenRepo {
  private constructor(private readonly doc: JsonDocument<TokensDoc>) {
    doc.data.tokens = idTable(doc.data.tokens);
  }

  static async open(dataDir: string): Promise<LowdbTokenRepo> {
    return new LowdbTokenRepo(await JsonDocument.open<TokensDoc>(join(dataDir, 'tokens.json'), { tokens: {} }));
  }

  async create(record: TokenRecord): Promise<boolean> {
    if (this.doc.data.tokens[record.name]) return false;
    await this.doc.mutate((d) => {
      d.tokens[record.name] = record;
    });
    return true;
  }

  async byHash(hash: string): Promise<TokenRecord | undefined> {
    return Object.values(this.doc.data.tokens).find((t) => t.hash === hash && !t.revoked_at);
  }

  async list(): Promise<TokenRecord[]> {
    return Object.values(this.doc.data.tokens).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async revoke(name: string, now: number, by: string): Promise<{ outcome: 'revoked' | 'already'; record: TokenRecord } | undefined> {
    const current = this.doc.data.tokens[name];
    if (!current) return undefined;
    if (current.revoked_at) return { outcome: 'already', record: current };
    const record = await this.doc.mutate((d) => (d.tokens[name] = { ...current, revoked_at: new Date(now).toISOString(), revoked_by: by }));
    return { outcome: 'revoked', record };
  }
}
