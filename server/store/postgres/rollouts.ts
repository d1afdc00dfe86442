/**
 * Rollouts on PostgreSQL (`ota_rollouts`, `ota_rollout_devices`; 0003_ota.sql, 0008). Every change
 * reads the row under its lock, applies a pure rule of server/ota/rollouts.ts and writes it back in
 * one transaction: results reported to any replica are all counted, a failure threshold tripped
 * by results arriving at two replicas at once pauses the rollout exactly once, and an admin's pause
 * and the steering job's advance never overwrite each other.
 *
 * A device's stage is one upsert whose WHERE clause is the stage rule (rollout-progress.ts
 * STAGE_FROM). `list()` runs on every /ota/check, so each replica keeps the list in memory
 * (ListenedCache on `fleetgate_rollouts`): a pause on one replica stops the offers of all within
 * milliseconds. `get()` always reads the row.
 */
import type { RolloutRepo } from '../../ota/rollouts-repo.ts';
import { STAGE_FROM, type DeviceStage, type RolloutDeviceProgress } from '../../ota/rollout-progress.ts';
import { afterResult, currentPercent, type Rollout, type RolloutChange } from '../../ota/rollouts.ts';
import type { Sql } from './connect.ts';
import { ListenedCache } from './listened-cache.ts';
import type { NotificationWatch } from './notification-watch.ts';

export const ROLLOUTS_CHANNEL = 'fleetgate_rollouts';

/** A rollout as stored: its fields as columns, each of its three result counts as two. */
type Row = Omit<Rollout, 'results' | 'window' | 'step_results'> & {
  results_successes: number;
  results_failures: number;
  window_successes: number;
  window_failures: number;
  step_successes: number;
  step_failures: number;
};

function toRollout(r: Row): Rollout {
  return {
    id: r.id,
    version: r.version,
    target: r.target,
    steps: r.steps,
    step: r.step,
    steps_started: r.steps_started,
    status: r.status,
    paused_reason: r.paused_reason,
    failure_threshold: r.failure_threshold,
    min_results: r.min_results,
    device_deadline_seconds: r.device_deadline_seconds,
    results: { successes: r.results_successes, failures: r.results_failures },
    window: { successes: r.window_successes, failures: r.window_failures },
    step_results: { successes: r.step_successes, failures: r.step_failures },
    notes: r.notes,
    created_at: r.created_at,
    updated_at: r.updated_at,
    paused_at: r.paused_at,
    finished_at: r.finished_at,
    finish_reason: r.finish_reason,
  };
}

function columns(sql: Sql, r: Rollout) {
  return {
    version: r.version,
    target: sql.json(r.target),
    steps: sql.json(r.steps as never),
    step: r.step,
    steps_started: sql.json(r.steps_started),
    percent: currentPercent(r),
    status: r.status,
    paused_reason: r.paused_reason,
    failure_threshold: r.failure_threshold,
    min_results: r.min_results,
    device_deadline_seconds: r.device_deadline_seconds,
    results_successes: r.results.successes,
    results_failures: r.results.failures,
    window_successes: r.window.successes,
    window_failures: r.window.failures,
    step_successes: r.step_results.successes,
    step_failures: r.step_results.failures,
    notes: r.notes,
    created_at: r.created_at,
    updated_at: r.updated_at,
    paused_at: r.paused_at,
    finished_at: r.finished_at,
    finish_reason: r.finish_reason,
  };
}


/** Moves one device's stage if STAGE_FROM allows it from where it is (one statement). */
async function upsertStage(tx: Sql, id: string, deviceId: string, stage: DeviceStage, error: string | null, now: number): Promise<void> {
  const from = STAGE_FROM[stage].filter((s) => s !== 'none') as string[];
  await tx`
    INSERT INTO ota_rollout_devices AS p (rollout_id, device_id, stage, error, updated_at)
    VALUES (${id}, ${deviceId}, ${stage}, ${stage === 'failed' ? error : null}, ${now})
    ON CONFLICT (rollout_id, device_id) DO UPDATE SET stage = EXCLUDED.stage, error = EXCLUDED.error, updated_at = EXCLUDED.updated_at
    WHERE p.stage = ANY(${from}::text[])`;
}

export class PgRolloutRepo implements RolloutRepo {
  private readonly cache: ListenedCache<Rollout[]>;

  constructor(
    private readonly sql: Sql,
    watch: NotificationWatch,
  ) {
    this.cache = new ListenedCache(sql, ROLLOUTS_CHANNEL, watch.channel(), async () => (await sql<Row[]>`SELECT * FROM ota_rollouts ORDER BY seq`).map(toRollout));
  }

  listen(): Promise<void> {
    return this.cache.listen();
  }

  close(): Promise<void> {
    return this.cache.close();
  }

  list(): Promise<Rollout[]> {
    return this.cache.get();
  }

  async get(id: string): Promise<Rollout | undefined> {
    const [row] = await this.sql<Row[]>`SELECT * FROM ota_rollouts WHERE id = ${id}`;
    return row && toRollout(row);
  }

  async create(rollout: Rollout): Promise<Rollout> {
    await this.sql.begin(async (tx) => {
      await tx`INSERT INTO ota_rollouts ${tx({ id: rollout.id, ...columns(tx as unknown as Sql, rollout) })}`;
      await tx`SELECT pg_notify(${ROLLOUTS_CHANNEL}, ${rollout.id})`;
    });
    this.cache.drop();
    return rollout;
  }

  async change(id: string, rule: (r: Rollout) => RolloutChange): Promise<RolloutChange | undefined> {
    return this.locked(id, async (_tx, r) => rule(r));
  }

  async recordResult(id: string, deviceId: string, report: { success: boolean; error: string | null }, now: number) {
    const out = await this.locked(id, async (tx, r) => {
      await upsertStage(tx, id, deviceId, report.success ? 'succeeded' : 'failed', report.error, now);
      return afterResult(r, report.success, now);
    });
    return out && { rollout: out.rollout, paused: out.paused };
  }

  async noteStage(id: string, deviceId: string, stage: Extract<DeviceStage, 'offered' | 'downloading'>, now: number): Promise<void> {
    try {
      await upsertStage(this.sql, id, deviceId, stage, null, now);
    } catch (err) {
      // The rollout was deleted meanwhile (foreign key): nothing to record.
      if ((err as { code?: string }).code !== '23503') throw err;
    }
  }

  async progress(id: string): Promise<RolloutDeviceProgress[]> {
    return [...(await this.sql<RolloutDeviceProgress[]>`SELECT rollout_id, device_id, stage, error, updated_at FROM ota_rollout_devices WHERE rollout_id = ${id} ORDER BY device_id`)];
  }

  async deviceProgress(deviceId: string): Promise<RolloutDeviceProgress[]> {
    return [...(await this.sql<RolloutDeviceProgress[]>`SELECT rollout_id, device_id, stage, error, updated_at FROM ota_rollout_devices WHERE device_id = ${deviceId}`)];
  }

  async delete(id: string): Promise<'deleted' | 'started' | undefined> {
    const out = await this.sql.begin(async (tx) => {
      // The row lock waits for a stage insert in flight (its foreign key check holds a key-share lock).
      const [row] = await tx<Row[]>`SELECT * FROM ota_rollouts WHERE id = ${id} FOR UPDATE`;
      if (!row) return undefined;
      const [started] = await tx`SELECT 1 FROM ota_rollout_devices WHERE rollout_id = ${id} AND stage <> 'offered' LIMIT 1`;
      if (started || row.results_successes + row.results_failures > 0) return 'started' as const;
      await tx`DELETE FROM ota_rollouts WHERE id = ${id}`;
      await tx`SELECT pg_notify(${ROLLOUTS_CHANNEL}, ${id})`;
      return 'deleted' as const;
    });
    if (out === 'deleted') this.cache.drop();
    return out;
  }

  /** Reads the rollout under its row lock, applies `rule`, writes the result back and notifies, in one transaction. */
  private async locked<C extends RolloutChange>(id: string, rule: (tx: Sql, r: Rollout) => Promise<C>): Promise<C | undefined> {
    const out = await this.sql.begin(async (tx) => {
      // NO KEY UPDATE: serialises the rollout's writers without blocking the foreign-key checks of
      // stage inserts (a stage insert and a result for the same device would deadlock otherwise).
      const [row] = await tx<Row[]>`SELECT * FROM ota_rollouts WHERE id = ${id} FOR NO KEY UPDATE`;
      if (!row) return undefined;
      const next = await rule(tx as unknown as Sql, toRollout(row));
      if (!next.changed) return next;
      await tx`UPDATE ota_rollouts SET ${tx(columns(tx as unknown as Sql, next.rollout))} WHERE id = ${id}`;
      await tx`SELECT pg_notify(${ROLLOUTS_CHANNEL}, ${id})`;
      return next;
    });
    if (out?.changed) this.cache.drop();
    return out;
  }
}
