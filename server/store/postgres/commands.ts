/**
 * The command queues on PostgreSQL (table `commands`, 0002_control_plane.sql). Each method is one
 * transaction that reads the rows it decides on under row locks, applies the shared delivery rules
 * (commands/delivery.ts) and writes back what they changed:
 *  - poll locks the device's open commands (FOR UPDATE, in creation order). A second poll of the
 *    same device on any gateway waits for the first to commit and then sees its delivery, exactly
 *    as in one process: it is handed the next command, never the same one in the same delivery.
 *    (SKIP LOCKED would let it skip the locked rows, and a device whose first poll holds all of
 *    its open commands would then be told its queue is empty.) A poll of an empty queue — most
 *    polls — is one indexed read and no transaction.
 *  - create holds the device's command-creation lock (fg_lock_device_commands) while it counts the
 *    open commands and inserts, so two gateways never both fill the last place of a queue.
 *  - the fleet-wide expiry sweep takes only rows no poll holds (SKIP LOCKED): the poll holding them
 *    expires them itself, and the sweep never waits on, or deadlocks with, a device's poll.
 */
import { expireDue, planCancel, planFinish, planPoll } from '../../commands/delivery.ts';
import type { CancelOutcome, CommandRepo, DeliveryRules, FinishOutcome, PollOutcome } from '../../commands/repo.ts';
import type { CommandRecord, CommandStatus } from '../../commands/types.ts';
import type { Sql, Tx } from './connect.ts';

function toRecord(r: CommandRecord): CommandRecord {
  return { ...r, result: r.result ?? null };
}

/** Writes back the fields the delivery rules change (one statement for any number of commands). */
async function writeBack(tx: Tx, changed: readonly CommandRecord[]): Promise<void> {
  if (changed.length === 0) return;
  const rows = changed.map((c) => ({
    command_id: c.command_id,
    status: c.status,
    attempts: c.attempts,
    first_sent_at: c.first_sent_at,
    last_sent_at: c.last_sent_at,
    sent_nonce: c.sent_nonce,
    finished_at: c.finished_at,
    status_reason: c.status_reason,
    result: c.result === null || c.result === undefined ? null : JSON.stringify(c.result),
    result_nonce: c.result_nonce,
  }));
  await tx`
    UPDATE commands c
    SET status = v.status, attempts = v.attempts, first_sent_at = v.first_sent_at, last_sent_at = v.last_sent_at,
        sent_nonce = v.sent_nonce, finished_at = v.finished_at, status_reason = v.status_reason,
        result = v.result::json, result_nonce = v.result_nonce
    FROM json_to_recordset(${JSON.stringify(rows)}::text::json) AS v(
      command_id text, status text, attempts integer, first_sent_at bigint, last_sent_at bigint, sent_nonce bigint,
      finished_at bigint, status_reason text, result text, result_nonce bigint)
    WHERE c.command_id = v.command_id`;
}

export class PgCommandRepo implements CommandRepo {
  constructor(private readonly sql: Sql) {}

  async get(commandId: string): Promise<CommandRecord | undefined> {
    const [row] = await this.sql<CommandRecord[]>`SELECT * FROM commands WHERE command_id = ${commandId}`;
    return row && toRecord(row);
  }

  async list(deviceId: string, status?: CommandStatus): Promise<CommandRecord[]> {
    const rows = await this.sql<CommandRecord[]>`
      SELECT * FROM commands WHERE device_id = ${deviceId} ${status === undefined ? this.sql`` : this.sql`AND status = ${status}`} ORDER BY seq`;
    return rows.map(toRecord);
  }

  async openCount(deviceId: string): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM commands WHERE device_id = ${deviceId} AND status IN ('pending', 'sent')`;
    return row!.n;
  }

  async openCounts(): Promise<ReadonlyMap<string, { pending: number; sent: number }>> {
    // The partial index commands_open holds exactly these rows.
    const rows = await this.sql<{ device_id: string; pending: number; sent: number }[]>`
      SELECT device_id, count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'sent')::int AS sent
      FROM commands WHERE status IN ('pending', 'sent') GROUP BY device_id`;
    return new Map(rows.map((r) => [r.device_id, { pending: r.pending, sent: r.sent }]));
  }

  async create(record: CommandRecord, openLimit: number): Promise<'created' | 'queue_full'> {
    const c = record;
    return this.sql.begin(async (tx) => {
      // Sent together; the server runs them in order, so the count sees every insert committed
      // before the lock was granted.
      const [, inserted] = await Promise.all([
        tx`SELECT fg_lock_device_commands(${c.device_id})`,
        tx`
          INSERT INTO commands (command_id, device_id, command_type, parameters, status, created_at, created_by, expires_at,
                                attempts, first_sent_at, last_sent_at, sent_nonce, finished_at, status_reason, result, result_nonce)
          SELECT ${c.command_id}, ${c.device_id}, ${c.command_type}, ${JSON.stringify(c.parameters)}::text::json, ${c.status}, ${c.created_at},
                 ${c.created_by}, ${c.expires_at}, ${c.attempts}, ${c.first_sent_at}, ${c.last_sent_at}, ${c.sent_nonce}, ${c.finished_at},
                 ${c.status_reason}, ${c.result === null || c.result === undefined ? null : JSON.stringify(c.result)}::text::json, ${c.result_nonce}
          WHERE (SELECT count(*) FROM commands WHERE device_id = ${c.device_id} AND status IN ('pending', 'sent')) < ${openLimit}
          RETURNING command_id`,
      ]);
      return inserted.length > 0 ? 'created' : 'queue_full';
    });
  }

  async poll(deviceId: string, nonce: number, now: number, rules: DeliveryRules): Promise<PollOutcome> {
    const [any] = await this.sql`SELECT 1 FROM commands WHERE device_id = ${deviceId} AND status IN ('pending', 'sent') LIMIT 1`;
    if (!any) return { repeated: false, expired: [] };
    return this.sql.begin(async (tx) => {
      const open = await tx<CommandRecord[]>`
        SELECT * FROM commands WHERE device_id = ${deviceId} AND status IN ('pending', 'sent') ORDER BY seq FOR UPDATE`;
      const { changes, ...outcome } = planPoll(open.map(toRecord), nonce, now, rules);
      await writeBack(tx, changes);
      return outcome;
    });
  }

  async finish(deviceId: string, commandId: string, status: 'completed' | 'failed', result: unknown, nonce: number, now: number): Promise<FinishOutcome> {
    return this.change(commandId, (c) => planFinish(c, deviceId, status, result, nonce, now));
  }

  async cancel(commandId: string, now: number, by: string): Promise<CancelOutcome> {
    return this.change(commandId, (c) => planCancel(c, now, by));
  }

  /** One command read under a row lock, decided on, and written back: one transaction. */
  private change<T>(commandId: string, decide: (c: CommandRecord | undefined) => { outcome: T; next?: CommandRecord }): Promise<T> {
    return this.sql.begin(async (tx) => {
      const [row] = await tx<CommandRecord[]>`SELECT * FROM commands WHERE command_id = ${commandId} FOR UPDATE`;
      const { outcome, next } = decide(row && toRecord(row));
      if (next) await writeBack(tx, [next]);
      return outcome;
    });
  }

  async expireDue(now: number, rules: DeliveryRules): Promise<CommandRecord[]> {
    return this.sql.begin(async (tx) => {
      // The WHERE clause is expiryReason (delivery.ts) spelled for the indexes; the rule itself
      // decides on the rows it finds.
      const due = await tx<CommandRecord[]>`
        SELECT * FROM commands
        WHERE (status IN ('pending', 'sent') AND expires_at <= ${now})
           OR (status = 'sent' AND last_sent_at <= ${now - rules.ackTimeoutMs} AND attempts >= ${rules.maxAttempts})
        ORDER BY seq
        FOR UPDATE SKIP LOCKED`;
      const expiredNow = expireDue(due.map(toRecord), now, rules);
      await writeBack(tx, expiredNow);
      return expiredNow;
    });
  }

  async prune(before: number): Promise<number> {
    const res = await this.sql`
      DELETE FROM commands WHERE status IN ('completed', 'failed', 'expired', 'cancelled') AND finished_at < ${before}`;
    return res.count;
  }
}
