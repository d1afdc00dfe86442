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
  /** method → path → result: two lookups of strings we already have, no key to build per request. */
  private readonly cache = new Map<string, Map<string, Result<T>>>();
  private cached = 0;
  /**
   * The result of the latest match. Hono matches synchronously at the start of its dispatch, so
   * right after `app.fetch` returns (before any other request can run) this is that request's:
   * request metrics read their route label from it instead of matching the path a second time.
   */
  lastMatch: Result<T> | undefined;

  /** `limit`: cached paths; on overflow the cache starts over (a scan of random paths cannot grow it). */
  constructor(private readonly limit = 10_000) {}

  add(method: string, path: string, handler: T): void {
    this.cache.clear();
    this.cached = 0;
    this.trie.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    let byPath = this.cache.get(method);
    if (!byPath) this.cache.set(method, (byPath = new Map()));
    let result = byPath.get(path);
    if (result === undefined) {
      result = this.trie.match(method, path);
      if (this.cached >= this.limit) {
        for (const paths of this.cache.values()) paths.clear();
        this.cached = 0;
      }
      byPath.set(path, result);
      this.cached++;
    }
    this.lastMatch = result;
    return result;
  }

  /**
   * The methods among `methods` that have a route handler (not only middleware: Hono registers
   * `use` as method ALL) for `path`, so a wrong method can be answered 405 with Allow. Bypasses the
   * cache and leaves `lastMatch` alone (it still names the request being answered).
   */
  methodsWithRoute(path: string, methods: readonly string[]): string[] {
    return methods.filter((m) => (this.trie.match(m, path)[0] as unknown as [[unknown, { method: string }], unknown][]).some(([[, route]]) => route.method !== 'ALL'));
  }

  /** Cached paths right now (for tests). */
  get size(): number {
    return this.cached;
  }
}
