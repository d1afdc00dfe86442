/**
 * Repositories not yet on PostgreSQL: every call rejects with a clear error. Each entry goes as
 * its implementation lands (OTA state, rollouts).
 */
import type { Store } from '../types.ts';

type Pending = Pick<Store, 'otaState' | 'rollouts'>;

function pending<T>(name: string): T {
  return new Proxy({} as object, {
    get: (_target, method) => () => Promise.reject(new Error(`${name}.${String(method)} is not implemented on PostgreSQL yet`)),
  }) as T;
}

export function pendingRepos(): Pending {
  return {
    otaState: pending('otaState'),
    rollouts: pending('rollouts'),
  };
}
