/**
 * How the fleet read model learns what changed without any domain module knowing it exists: the
 * store's repositories are tapped — each write method is wrapped so that, after it succeeded, its
 * result (the new record, the derived events, the stored report, …) is handed to the read model.
 * Everything this gateway records goes through these repositories, whichever route, fast path or
 * background job made the change, so nothing is missed and nothing is polled. A tap never fails or
 * delays the write: it runs after the write resolved, and an error in it is logged and dropped.
 * A configuration change (`Store.configWrite`) may write through repositories of its own — on
 * PostgreSQL bound to its transaction — which are tapped alike; what they report is passed on once
 * the change has committed, so the model never reads back a state not yet there (and a change
 * rolled back reports nothing). Changes made by another gateway sharing the store are picked up
 * by the model's periodic resync.
 */
import type { DiagnosticsRecord } from '../diagnostics/schema.ts';
import type { DeviceEvent } from '../events/rules.ts';
import type { Logger } from '../logger.ts';
import type { OtaSession } from '../ota/sessions.ts';
import type { DeviceOtaState } from '../ota/state.ts';
import type { StatsDelta } from '../security/stats.ts';
import type { ConfigRepo } from '../remote-config/repo.ts';
import type { DeviceRecord, DeviceRepo, Store } from '../store/types.ts';

/** What the read model is told. */
export interface FleetChanges {
  record(record: DeviceRecord): void;
  /** A fresh signed message (nonce claimed) or an accepted upload. */
  seen(deviceId: string, nonce: number, at: number, upload: boolean): void;
  noncesReset(deviceId: string | undefined): void;
  events(events: readonly DeviceEvent[]): void;
  diagnostics(deviceId: string, record: DiagnosticsRecord): void;
  ota(state: DeviceOtaState): void;
  session(session: OtaSession): void;
  bytesServed(kind: 'chunk' | 'download', bytes: number): void;
  commands(deviceIds: Iterable<string>): void;
  config(): void;
  rollouts(): void;
  security(delta: StatsDelta): void;
}

// The repositories' methods are called with every argument type there is; the wrapper passes them on untouched.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => unknown;
type MethodOf<T> = { [K in keyof T]: T[K] extends AnyFn ? K : never }[keyof T];

/**
 * Wraps `target[name]` (an own property shadowing the prototype's method, `this` kept) so `after`
 * sees each successful call's result and arguments. A synchronous method stays synchronous.
 */
export function tap<T extends object, K extends MethodOf<T>>(
  target: T,
  name: K,
  after: (result: Awaited<ReturnType<Extract<T[K], AnyFn>>>, ...args: Parameters<Extract<T[K], AnyFn>>) => void,
  logger: Logger,
): void {
  const original = (target[name] as AnyFn).bind(target);
  const safely = (result: unknown, args: unknown[]) => {
    try {
      (after as AnyFn)(result, ...args);
    } catch (err) {
      logger.error({ err, method: String(name) }, 'fleet view: could not apply a change');
    }
  };
  const wrapped = (...args: unknown[]) => {
    const result = original(...args);
    if (result instanceof Promise) {
      return result.then((r: unknown) => {
        safely(r, args);
        return r;
      });
    }
    safely(result, args);
    return result;
  };
  Object.defineProperty(target, name, { value: wrapped, configurable: true, writable: true, enumerable: false });
}

/**
 * The write methods of a repository class, by name: the ones named, and any other whose name says
 * it changes something (update…, clear…, set…, …) — so a write a repository grows later (config
 * layers, rollout phases) is seen too. Private helpers that read (a cache refill) must not match:
 * a read reported as a change would make the model re-read on every read.
 */
const WRITE_NAME = /^(update|clear|set|put|delete|remove|create|add|record|pause|resume|advance|publish|yank)(?:[A-Z]|$)/;

function writeMethods(target: object, known: readonly string[]): string[] {
  const proto = Object.getPrototypeOf(target) as object | null;
  const names = proto && proto !== Object.prototype ? Object.getOwnPropertyNames(proto) : [];
  return [...new Set([...known, ...names.filter((n) => WRITE_NAME.test(n))])].filter((n) => typeof (target as Record<string, unknown>)[n] === 'function');
}

export function observeStore(store: Store, to: FleetChanges, logger: Logger): void {
  const t = <T extends object, K extends MethodOf<T>>(
    target: T,
    name: K,
    after: (result: Awaited<ReturnType<Extract<T[K], AnyFn>>>, ...args: Parameters<Extract<T[K], AnyFn>>) => void,
  ) => tap(target, name, after, logger);

  const { nonces, events, diagnostics, otaState, commands, rollouts, securityStats } = store;
  observeDevices(store.devices, to, logger);
  observeConfig(store.config, to, logger);
  observeConfigWrites(store, to, logger);

  t(nonces, 'claim', (claim, deviceId, nonce, _mac, now) => claim.outcome === 'fresh' && to.seen(deviceId, nonce, now, false));
  t(nonces, 'acceptUpload', (out, deviceId, nonce, _mac, now) => out.outcome === 'accepted' && to.seen(deviceId, nonce, now, true));
  t(nonces, 'reset', (_n, deviceId) => to.noncesReset(deviceId));

  t(events, 'transition', (derived) => derived.length > 0 && to.events(derived));
  t(diagnostics, 'append', (_r, deviceId, record) => to.diagnostics(deviceId, record));

  t(otaState, 'noteCheck', (state) => to.ota(state));
  t(otaState, 'openSession', (out) => {
    if (out.replaced) to.session(out.replaced);
    to.session(out.session);
  });
  t(otaState, 'recordChunk', (session, _id, _v, _root, _index, bytes) => {
    to.bytesServed('chunk', bytes);
    to.session(session);
  });
  t(otaState, 'abandonSilent', (closed) => closed.forEach((s) => to.session(s)));
  t(otaState, 'recordDownload', (_r, _version, bytes) => to.bytesServed('download', bytes));
  t(otaState, 'complete', (out) => {
    to.ota(out.device);
    if (out.session) to.session(out.session);
  });

  t(commands, 'create', (out, record) => out === 'created' && to.commands([record.device_id]));
  t(commands, 'poll', (out, deviceId) => ((out.delivered && !out.repeated) || out.expired.length > 0) && to.commands([deviceId]));
  t(commands, 'finish', (out, deviceId) => out.outcome === 'finished' && to.commands([deviceId]));
  t(commands, 'cancel', (out) => out.outcome === 'cancelled' && to.commands([out.command.device_id]));
  t(commands, 'expireDue', (expired) => expired.length > 0 && to.commands(new Set(expired.map((c) => c.device_id))));

  for (const name of writeMethods(rollouts, ['create', 'update', 'recordResult'])) {
    tap(rollouts as unknown as Record<string, AnyFn>, name, () => to.rollouts(), logger);
  }
  t(securityStats, 'add', (_r, delta) => to.security(delta));
}

function observeDevices(devices: DeviceRepo, to: FleetChanges, logger: Logger): void {
  tap(devices, 'create', (created, record) => created && to.record(record), logger);
  tap(devices, 'createMany', (existing, records) => existing.length === 0 && records.forEach((r) => to.record(r)), logger);
  tap(devices, 'rotateKey', (out) => out.outcome === 'rotated' && to.record(out.device), logger);
  tap(devices, 'revoke', (record) => record && to.record(record), logger);
  tap(devices, 'reinstate', (out) => out.outcome === 'reinstated' && to.record(out.device), logger);
  tap(devices, 'setTags', (change) => change && to.record(change.record), logger);
}

function observeConfig(repo: ConfigRepo, to: FleetChanges, logger: Logger): void {
  // Any write to the configuration (whatever layers it grows) may move any device's effective version.
  const config = repo as unknown as Record<string, AnyFn>;
  for (const name of writeMethods(config, ['updateDefaults', 'updateOverride', 'clearOverride'])) {
    tap(config, name, () => to.config(), logger);
  }
}

/** Taps the repositories each configuration change writes through, where they are not the store's own (tapped already). */
function observeConfigWrites(store: Store, to: FleetChanges, logger: Logger): void {
  const configWrite = store.configWrite.bind(store);
  store.configWrite = async (work) => {
    const held: (() => void)[] = [];
    // Told once the change has committed, in the order it wrote.
    const later = new Proxy(to, { get: (target, name) => (...args: unknown[]) => held.push(() => (Reflect.get(target, name) as AnyFn).apply(target, args)) });
    const result = await configWrite((scope) => {
      if (scope.devices !== store.devices) observeDevices(scope.devices, later, logger);
      if (scope.config !== store.config) observeConfig(scope.config, later, logger);
      return work(scope);
    });
    for (const tell of held) {
      try {
        tell();
      } catch (err) {
        logger.error({ err }, 'fleet view: could not apply a change');
      }
    }
    return result;
  };
}
