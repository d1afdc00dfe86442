/**
 * In-process gateways on PostgreSQL: `startTestGateway` with DATABASE_URL set. Repositories that
 * are not on PostgreSQL yet (server/store/postgres/pending.ts answers every call with an error,
 * and the control plane calls some at start) are taken from an embedded store in the gateway's
 * own DATA_DIR, so suites of the parts that are on PostgreSQL (OTA) run against it meanwhile. Once
 * pending.ts is empty nothing is replaced and this is exactly startTestGateway with DATABASE_URL.
 */
import { isProxy } from 'node:util/types';
import type { Clock } from '../../server/clock.ts';
import { openEmbeddedStore } from '../../server/store/embedded/index.ts';
import { openStore } from '../../server/store/index.ts';
import type { Store } from '../../server/store/types.ts';
import { startTestGateway, type TestGateway } from './gateway.ts';

type Repos = Omit<Store, 'backend' | 'location' | 'exclusive' | 'close'>;

export async function startPostgresTestGateway(
  databaseUrl: string,
  options: { env?: Record<string, string>; clock?: Clock; dir?: string } = {},
): Promise<TestGateway> {
  return startTestGateway({
    ...options,
    env: { ...options.env, DATABASE_URL: databaseUrl },
    store: async (config) => {
      const store = await openStore(config);
      const pending = (Object.keys(store) as (keyof Repos)[]).filter((k) => isProxy(store[k]));
      if (pending.length === 0) return store;
      const embedded = await openEmbeddedStore(config.DATA_DIR, { fsync: false, firmwareDir: config.FIRMWARE_DIR });
      return {
        ...store,
        ...Object.fromEntries(pending.map((k) => [k, embedded[k]])),
        close: async () => {
          await store.close();
          await embedded.close();
        },
      };
    },
  });
}
