/**
 * Store.configWrite and Store.configSnapshot, on every backend, through the domain that relies on
 * them (RemoteConfigService and the registry's tag guard, wired as the control plane wires them).
 * Two changes that are each valid but break the cross-field rule together (tag `a` poll 120 and
 * upload 300, tag `b` upload 60, one device carrying both), made at the same moment on two
 * replicas (one store for embedded): exactly one succeeds, the other is refused `invalid_config`,
 * and every device is left with a configuration it can apply — for each kind of change that is
 * checked against the fleet. The race is made, not hoped for: the first change is held just before
 * its write, after its check, until the second has either finished or is seen waiting for its turn;
 * then the first writes. Without one writer at a time the second reads the fleet the first has not
 * written yet, and both pass. Also: a change that waits too long for its turn is refused
 * `config_busy` with nothing written, and a snapshot's reads see one state.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { AuditLog } from '../../../server/audit/log.ts';
import { FakeClock } from '../../../server/clock.ts';
import { DeviceRegistry } from '../../../server/devices/registry.ts';
import { ConfigBusyError, ValidationError } from '../../../server/errors.ts';
import { crossFieldProblem } from '../../../server/remote-config/fields.ts';
import { resolve } from '../../../server/remote-config/layers.ts';
import { RemoteConfigService, type ConfigStore } from '../../../server/remote-config/service.ts';
import type { PostgresStore } from '../../../server/store/postgres/index.ts';
import type { ConfigScope, Store } from '../../../server/store/types.ts';
import { contract, eventually, type BackendName } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const ADMIN = 'token:ops' as const;

/** What a change reaches of the gateway: the config service and the registry, over one store. */
interface Gateway {
  config: RemoteConfigService;
  registry: DeviceRegistry;
}

interface Hooks {
  /** Called when a change gets its turn (its work starts). */
  entered?: () => void;
  /** Awaited before each write a change makes through its scope. */
  beforeWrite?: () => Promise<void>;
}

const WRITES = new Set(['updateDefaults', 'updateOverride', 'clearOverride', 'updateTagLayer', 'clearTagLayer', 'create', 'createMany', 'setTags', 'reinstate']);

/** `repo` with `before` awaited ahead of each of its writes. */
function pausing<R extends object>(repo: R, before: () => Promise<void>): R {
  return new Proxy(repo, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      return WRITES.has(String(key)) ? async (...args: unknown[]) => (await before(), bound(...args)) : bound;
    },
  });
}

function gateway(store: Store, hooks: Hooks = {}): Gateway {
  const clock = new FakeClock(T);
  const hooked: ConfigStore = {
    config: store.config,
    configSnapshot: (read) => store.configSnapshot(read),
    configWrite: (work) =>
      store.configWrite((scope: ConfigScope) => {
        hooks.entered?.();
        const before = hooks.beforeWrite;
        return work(before ? { config: pausing(scope.config, before), devices: pausing(scope.devices, before) } : scope);
      }),
  };
  const registry = new DeviceRegistry(store, new Uint8Array(32).fill(7), undefined, 0);
  const config = new RemoteConfigService(hooked, registry, new AuditLog(store.audit, clock, 0), clock);
  registry.tagGuard = (write) => config.guardTags(write);
  return { config, registry };
}

/**
 * Whether a change on `store` is waiting for its turn: on PostgreSQL a backend of this database
 * waiting for a lock; on the embedded store its call queued behind the change in progress (the
 * queue is joined in the very step the change is asked for, so one turn of the event loop is
 * plenty to know it did not start).
 */
async function someoneWaits(backend: BackendName, store: Store): Promise<boolean> {
  if (backend === 'embedded') return new Promise<boolean>((r) => setImmediate(() => r(true)));
  const [row] = await (store as PostgresStore).sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  return row!.n > 0;
}

type Outcome = { ok: true } | { ok: false; error: unknown };
const outcome = (p: Promise<unknown>): Promise<Outcome> => p.then(() => ({ ok: true as const }), (error: unknown) => ({ ok: false as const, error }));

/**
 * `first` on store `a`, held after its check just before its write; `second` on `b` meanwhile, let
 * run as far as it can (to its end, or to waiting for its turn); then `first` writes.
 */
async function race(backend: BackendName, a: Store, b: Store, first: (g: Gateway) => Promise<unknown>, second: (g: Gateway) => Promise<unknown>): Promise<[Outcome, Outcome]> {
  let atWrite!: () => void;
  const reached = new Promise<void>((r) => (atWrite = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const one = outcome(first(gateway(a, { beforeWrite: () => (atWrite(), released) })));
  await Promise.race([reached, one]);
  let entered = false;
  let settled = false;
  const two = outcome(second(gateway(b, { entered: () => (entered = true) }))).finally(() => (settled = true));
  await eventually(async () => entered || settled || (await someoneWaits(backend, b)), 'the second change runs or waits for its turn');
  // Ran beside the first (no turn to wait for): let it finish before the first writes.
  if (entered) await two;
  release();
  return Promise.all([one, two]);
}

/** Every active device's effective configuration passes the cross-field rule. */
async function assertFleetValid(store: Store): Promise<void> {
  for (const d of await store.devices.list()) {
    if (d.revoked_at) continue;
    const problem = crossFieldProblem(resolve(await store.config.layersOf(d.device_id)).config);
    assert.is(problem, undefined, `${d.device_id} was left with a configuration it cannot apply: ${JSON.stringify(problem)}`);
  }
}

interface RaceCase {
  title: string;
  setup(g: Gateway): Promise<unknown>;
  first(g: Gateway): Promise<unknown>;
  second(g: Gateway): Promise<unknown>;
}

const register = (g: Gateway, id: string, tags: string[] = []) => g.registry.register(id, T, 'derived', tags);

const CASES: RaceCase[] = [
  {
    title: 'two tag layers',
    setup: (g) => register(g, 'd', ['a', 'b']),
    first: (g) => g.config.updateTag('a', { poll_frequency: 120, upload_frequency: 300 }, ADMIN),
    second: (g) => g.config.updateTag('b', { upload_frequency: 60 }, ADMIN),
  },
  {
    title: 'a tag layer and a retag',
    setup: async (g) => {
      await register(g, 'd', ['a']);
      await g.config.updateTag('a', { poll_frequency: 120, upload_frequency: 300 }, ADMIN);
    },
    first: (g) => g.config.updateTag('c', { upload_frequency: 60 }, ADMIN),
    second: (g) => g.registry.setTags('d', ['a', 'c'], T),
  },
  {
    title: 'a registration with tags and a tag layer',
    setup: (g) => g.config.updateTag('a', { poll_frequency: 120, upload_frequency: 300 }, ADMIN),
    first: (g) => register(g, 'd', ['a', 'c']),
    second: (g) => g.config.updateTag('c', { upload_frequency: 60 }, ADMIN),
  },
  {
    title: 'a bulk registration with tags and a tag layer',
    setup: (g) => g.config.updateTag('a', { poll_frequency: 120, upload_frequency: 300 }, ADMIN),
    first: (g) => g.config.updateTag('c', { upload_frequency: 60 }, ADMIN),
    second: (g) => g.registry.registerMany([{ device_id: 'e', mode: 'derived' }, { device_id: 'd', mode: 'derived', tags: ['a', 'c'] }], T),
  },
  {
    title: "a device's overrides and a tag layer",
    setup: async (g) => {
      await register(g, 'd', ['a', 'b']);
      await g.config.updateTag('a', { upload_frequency: 300 }, ADMIN);
    },
    first: (g) => g.config.updateDevice('d', { poll_frequency: 200 }, ADMIN),
    second: (g) => g.config.updateTag('b', { upload_frequency: 100, priority: 5 }, ADMIN),
  },
  {
    title: "clearing a device's overrides and a tag layer",
    setup: async (g) => {
      await register(g, 'd', ['a', 'b']);
      await g.config.updateDevice('d', { upload_frequency: 300 }, ADMIN);
      await g.config.updateTag('a', { poll_frequency: 120, upload_frequency: 300 }, ADMIN);
    },
    first: (g) => g.config.clearDevice('d', ADMIN),
    second: (g) => g.config.updateTag('b', { upload_frequency: 60 }, ADMIN),
  },
  {
    title: 'the fleet defaults and a tag layer',
    setup: (g) => register(g, 'd', ['a']),
    first: (g) => g.config.updateTag('a', { upload_frequency: 60 }, ADMIN),
    second: (g) => g.config.updateDefaults({ poll_frequency: 100, upload_frequency: 100 }, ADMIN),
  },
  {
    title: 'clearing a tag layer and a tag layer',
    setup: async (g) => {
      await register(g, 'd', ['a', 'b', 'c']);
      await g.config.updateTag('a', { poll_frequency: 100, upload_frequency: 100 }, ADMIN);
      await g.config.updateTag('c', { upload_frequency: 120, priority: 10 }, ADMIN);
    },
    first: (g) => g.config.clearTag('c', ADMIN),
    second: (g) => g.config.updateTag('b', { upload_frequency: 60 }, ADMIN),
  },
  {
    title: 'a reinstatement and a tag layer',
    setup: async (g) => {
      await register(g, 'd', ['a']);
      await g.config.updateDevice('d', { upload_frequency: 100 }, ADMIN);
      await g.registry.revoke('d', T);
    },
    first: (g) => g.registry.reinstate('d', T),
    second: (g) => g.config.updateTag('a', { poll_frequency: 110, upload_frequency: 110 }, ADMIN),
  },
];

for (const c of CASES) {
  contract(`two changes at once that break the cross-field rule together (${c.title}): exactly one succeeds, the fleet stays valid`, async (a, { backend, replica }) => {
    const b = await replica();
    await c.setup(gateway(a));
    const [one, two] = await race(backend, a, b, c.first, c.second);
    assert.ok(one.ok, `the first change, alone, is valid: ${one.ok ? '' : String(one.error)}`);
    assert.ok(!two.ok, 'the second change was checked against the first and refused');
    const error = (two as { error: unknown }).error;
    assert.instance(error, ValidationError, String(error));
    assert.equal([(error as ValidationError).code, (error as ValidationError).details?.['device_id']], ['invalid_config', 'd']);
    await assertFleetValid(a);
  });
}

contract(
  'a change waiting longer than its bound for the one in progress is refused config_busy, having written nothing',
  async (a, { replica }) => {
    const b = await replica();
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const first = a.configWrite(async () => {
      holding();
      await released;
    });
    await held;
    const version = await a.config.latestVersion();
    const refused = await b.configWrite(({ config }) => config.updateTagLayer('a', { upload_frequency: 120 }, T, ADMIN, () => undefined)).then(
      () => undefined,
      (e: unknown) => e,
    );
    release();
    await first;
    assert.instance(refused, ConfigBusyError, String(refused));
    assert.equal([(refused as ConfigBusyError).status, (refused as ConfigBusyError).code], [503, 'config_busy']);
    assert.is(await a.config.tagLayer('a'), undefined, 'nothing written');
    assert.is(await a.config.latestVersion(), version);
    assert.is((await b.configWrite(({ config }) => config.updateTagLayer('a', { upload_frequency: 120 }, T, ADMIN, () => undefined))).changed, true, 'the next change goes through');
  },
  { open: { configWriteWaitMs: 150 } },
);

contract('a change refused by its check writes nothing, and the next one gets its turn at once', async (a) => {
  const refused = await a
    .configWrite(async ({ config }) => {
      await config.tagLayers();
      throw new ValidationError('refused', 'invalid_config');
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.instance(refused, ValidationError);
  assert.is(await a.config.latestVersion(), 1);
  assert.is((await a.configWrite(({ config }) => config.updateTagLayer('b', { upload_frequency: 90 }, T, ADMIN, () => undefined))).layer.version, 2);
});

contract('a snapshot reads one state: a change committed while it reads is not half seen', async (a, { backend, replica }) => {
  const b = await replica();
  await a.devices.create({ device_id: 'd', created_at: new Date(T).toISOString(), key_mode: 'derived', key_version: 1, tags: ['a'] });
  await a.config.updateTagLayer('a', { upload_frequency: 120 }, T, ADMIN, () => undefined); // v2
  let change: Promise<unknown> | undefined;
  const seen = await a.configSnapshot(async ({ config, devices }) => {
    const before = await config.latestVersion();
    let done = false;
    change = b
      .configWrite(async (s) => {
        await s.config.updateTagLayer('a', { upload_frequency: 240 }, T, ADMIN, () => undefined);
        await s.devices.setTags('d', ['a', 'b'], T);
      })
      .finally(() => (done = true));
    // PostgreSQL: the change commits meanwhile (a snapshot takes no lock). Embedded: it waits for its turn.
    await eventually(async () => done || (await someoneWaits(backend, b)), 'the change commits or waits');
    const [after, layers, list] = await Promise.all([config.latestVersion(), config.tagLayers(), devices.list()]);
    return { before, after, upload: layers.get('a')?.values.upload_frequency, tags: list[0]?.tags };
  });
  await change;
  assert.equal(seen, { before: 2, after: 2, upload: 120, tags: ['a'] });
  assert.equal([await a.config.latestVersion(), (await a.devices.get('d'))?.tags], [3, ['a', 'b']], 'the change landed after');
});

test.run();
