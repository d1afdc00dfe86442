/**
 * The gateway's router: Hono's TrieRouter behind a bounded cache of match results per
 * (method, path). A fleet sends the same few thousand paths all day (`/aggregated/<device>`,
 * `/commands/<device>/poll`), and walking the trie for every request was ~4 % of an upload's CPU
 * under load; a cache hit is one Map lookup.
 *
 * Not RegExpRouter (Hono's fast default): our table has order-dependent overlaps it refuses, e.g.
 * `/commands/status/:command_id` vs `/commands/:device_id/poll` and `/config/fleet` vs
 * `/config/:device_id`. Match results are read-only to Hono, so sharing one between requests is safe.
 */
import type { Result, Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';

export class CachedRouter<T> implements Router<T> {
  readonly name = 'CachedRouter(TrieRouter)';
  private readonly trie = new TrieRouter<T>();
  private readonly cache = new Map<string, Result<T>>();

  /** `limit`: cached paths; on overflow the cache starts over (a scan of random paths cannot grow it). */
  constructor(private readonly limit = 10_000) {}

  add(method: string, path: string, handler: T): void {
    this.cache.clear();
    this.trie.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    let result = this.cache.get(key);
    if (result === undefined) {
      result = this.trie.match(method, path);
      if (this.cache.size >= this.limit) this.cache.clear();
      this.cache.set(key, result);
    }
    return result;
  }

  /** Cached paths right now (for tests). */
  get size(): number {
    return this.cache.size;
  }
}
