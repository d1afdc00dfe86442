/**
 * Repositories not yet on PostgreSQL: every call rejects with a clear error. Each entry goes as
 * its implementation lands (commands, config, diagnostics, events, audit, security stats).
 */
import type { Store } from '../types.ts';

type Pending = Pick<Store, 'commands' | 'config' | 'diagnostics' | 'events' | 'audit' | 'securityStats'>;

function pending<T>(name: string): T {
  return new Proxy({} as object, {
    get: (_target, method) =>
      method === 'isOffline' ? () => false : () => Promise.reject(new Error(`${name}.${String(method)} is not implemented on PostgreSQL yet`)),
  }) as T;
}

export function pendingRepos(): Pending {
  return {
    commands: pending('commands'),
    config: pending('config'),
    diagnostics: pending('diagnostics'),
    events: pending('events'),
    audit: pending('audit'),
    securityStats: pending('securityStats'),
  };
}
