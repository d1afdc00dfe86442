/**
 * The store contract suites run every test against each backend: a fresh embedded store in a
 * temp DATA_DIR, and a fresh PostgreSQL store in a database of its own on the run's shared
 * cluster (tests/helpers/postgres.ts). `contract(title, body)` registers one uvu test per backend,
 * named "<backend>: <title>"; the body gets an open store (closed afterwards) and a way to open
 * another one on the same state — a second replica, or a restart after a crash.
 */
import { test } from 'uvu';
import { testConfig, tempDir } from '../../helpers/gateway.ts';
import { freshDatabase } from '../../helpers/postgres.ts';
import { openStore, type OpenOptions } from '../../../server/store/index.ts';
import type { Store } from '../../../server/store/types.ts';

export type BackendName = 'embedded' | 'postgres';

export interface ContractContext {
  backend: BackendName;
  /** Opens another store on the same state (a second replica for postgres; for embedded only after the first is closed). */
  reopen(env?: Record<string, string>): Promise<Store>;
  /**
   * A second store on the same state, open at the same time: another replica on PostgreSQL; the
   * same store for embedded (one process owns a DATA_DIR). Concurrency cases race the two.
   */
  replica(): Promise<Store>;
}

export const BACKENDS: readonly BackendName[] = ['embedded', 'postgres'];

async function openOn(backend: BackendName, dir: string, url: string | undefined, env: Record<string, string> = {}, options: OpenOptions = {}): Promise<Store> {
  const config = testConfig(dir, { ...(url ? { DATABASE_URL: url } : {}), ...env });
  return openStore(config, options);
}

export function contract(
  title: string,
  body: (store: Store, ctx: ContractContext) => Promise<void>,
  options: { env?: Record<string, string>; now?: number; only?: BackendName[]; open?: Omit<OpenOptions, 'now'> } = {},
): void {
  for (const backend of options.only ?? BACKENDS) {
    test(`${backend}: ${title}`, async () => {
      const dir = await tempDir();
      const url = backend === 'postgres' ? await freshDatabase() : undefined;
      const opened: Store[] = [];
      const open = async (env?: Record<string, string>) => {
        const s = await openOn(backend, dir, url, { ...options.env, ...env }, { ...options.open, ...(options.now === undefined ? {} : { now: options.now }) });
        // Closing twice (a body that restarts a store, then this cleanup) is harmless.
        const close = s.close.bind(s);
        let closing: Promise<void> | undefined;
        s.close = () => (closing ??= close());
        opened.push(s);
        return s;
      };
      const store = await open();
      try {
        await body(store, { backend, reopen: open, replica: async () => (backend === 'postgres' ? open() : store) });
      } finally {
        for (const s of opened.reverse()) await s.close().catch(() => undefined);
      }
    });
  }
}


/** Resolves once `check` holds (polled every 10 ms); fails after `ms` — a generous deadline, not a timing. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
