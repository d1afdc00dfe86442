/**
 * Rollouts on PostgreSQL (`ota_rollouts`, 0003_ota.sql). Every change reads the row under its
 * lock, applies the pure rule of server/ota/rollouts.ts (applyPatch, afterResult) and writes it
 * back in one transaction: results reported to any replica are all counted, and a failure
 * threshold tripped by results arriving at two replicas at once pauses the rollout exactly once
 * (the second result finds it paused already).
 *
 * `list()` runs on every /ota/check, and a rollout may target thousands of devices, so each replica
 * keeps the list in memory; every change NOTIFYs `fleetgate_rollouts` in its transaction and every
 * replica LISTENs and drops its copy (on a reconnect too: notifications may have been missed), so a
 * pause on one replica stops the offers of all within milliseconds. `get()` always reads the row.
 */
import { NotFoundError } from '../../errors.ts';
import type { RolloutRepo } from '../../ota/rollouts-repo.ts';
import { afterResult, applyPatch, type PauseReason, type Rollout, type RolloutPatch, type RolloutStatus } from '../../ota/rollouts.ts';
import type { Sql } from './connect.ts';

export const ROLLOUTS_CHANNEL = 'fleetgate_rollouts';

interface Row {
  id: string;
  version: string;
  target: 'all' | string[];
  percent: number;
  status: RolloutStatus;
  paused_reason: PauseReason | null;
  failure_threshold: number;
  min_results: number;
  results_successes: number;
  results_failures: number;
  window_successes: number;
  window_failures: number;
  notes: string;
  created_at: number;
  updated_at: number;
  paused_at: number | null;
}

function toRollout(r: Row): Rollout {
  return {
    id: r.id,
    version: r.version,
    target: r.target,
    percent: r.percent,
    status: r.status,
    paused_reason: r.paused_reason,
    failure_threshold: r.failure_threshold,
    min_results: r.min_results,
    results: { successes: r.results_successes, failures: r.results_failures },
    window: { successes: r.window_successes, failures: r.window_failures },
    notes: r.notes,
    created_at: r.created_at,
    updated_at: r.updated_at,
    paused_at: r.paused_at,
  };
}

function columns(sql: Sql, r: Rollout) {
  return {
    version: r.version,
    target: sql.json(r.target),
    percent: r.percent,
    status: r.status,
    paused_reason: r.paused_reason,
    failure_threshold: r.failure_threshold,
    min_results: r.min_results,
    results_successes: r.results.successes,
    results_failures: r.results.failures,
    window_successes: r.window.successes,
    window_failures: r.window.failures,
    notes: r.notes,
    created_at: r.created_at,
    updated_at: r.updated_at,
    paused_at: r.paused_at,
  };
}

export class PgRolloutRepo implements RolloutRepo {
  private cached: Rollout[] | undefined;
  /** Bumped by every invalidation: a load that started before one must not install its result. */
  private generation = 0;
  private listening: { unlisten(): Promise<void> } | undefined;

  constructor(private readonly sql: Sql) {}

  /** Starts listening for changes made by any replica (resolves once listening). */
  async listen(): Promise<void> {
    this.listening = await this.sql.listen(ROLLOUTS_CHANNEL, () => this.invalidate(), () => this.invalidate());
  }

  async close(): Promise<void> {
    await this.listening?.unlisten().catch(() => undefined);
  }

  async list(): Promise<Rollout[]> {
    if (this.cached) return this.cached;
    const generation = this.generation;
    const list = (await this.sql<Row[]>`SELECT * FROM ota_rollouts ORDER BY seq`).map(toRollout);
    if (generation === this.generation) this.cached = list;
    return list;
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
    this.invalidate();
    return rollout;
  }

  async update(id: string, patch: RolloutPatch, now: number): Promise<Rollout> {
    const next = await this.change(id, (r) => ({ rollout: applyPatch(r, patch, now), paused: false }));
    if (!next) throw new NotFoundError(`rollout ${id} not found`, 'rollout_not_found');
    return next.rollout;
  }

  async recordResult(id: string, success: boolean, now: number): Promise<{ rollout: Rollout; paused: boolean } | undefined> {
    return this.change(id, (r) => afterResult(r, success, now));
  }

  /** Reads the rollout under its row lock, applies `rule`, writes the result back and notifies, in one transaction. */
  private async change(id: string, rule: (r: Rollout) => { rollout: Rollout; paused: boolean }): Promise<{ rollout: Rollout; paused: boolean } | undefined> {
    const out = await this.sql.begin(async (tx) => {
      const [row] = await tx<Row[]>`SELECT * FROM ota_rollouts WHERE id = ${id} FOR UPDATE`;
      if (!row) return undefined;
      const next = rule(toRollout(row));
      await tx`UPDATE ota_rollouts SET ${tx(columns(tx as unknown as Sql, next.rollout))} WHERE id = ${id}`;
      await tx`SELECT pg_notify(${ROLLOUTS_CHANNEL}, ${id})`;
      return next;
    });
    this.invalidate();
    return out;
  }

  private invalidate(): void {
    this.generation++;
    this.cached = undefined;
  }
}
