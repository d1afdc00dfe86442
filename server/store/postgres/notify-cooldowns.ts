/**
 * Notification cooldowns on PostgreSQL (0009_notify_cooldowns.sql): each admission reads the
 * device's row under its lock and applies the rule of server/notify/cooldowns.ts, so two replicas
 * deriving events of one device at once send one notification and hold the other. Digests are
 * taken with SKIP LOCKED and cleared in the same statement: each is handed out once.
 */
import { admitEvent, type CooldownState, type HeldEvents, type NotifyCooldownRepo } from '../../notify/cooldowns.ts';
import type { DeviceEvent } from '../../events/rules.ts';
import type { Sql } from './connect.ts';

interface Row {
  last_sent_at: number;
  held_count: number;
  held: DeviceEvent[];
}

export class PgNotifyCooldowns implements NotifyCooldownRepo {
  constructor(private readonly sql: Sql) {}

  admit(event: DeviceEvent, now: number, cooldownMs: number): Promise<'send' | 'held'> {
    return this.sql.begin(async (tx) => {
      // The row exists before it is locked: two replicas admitting a device's first event both
      // lock it (the second insert waits for the first's commit), instead of both finding none.
      await tx`INSERT INTO notify_cooldowns (device_id, last_sent_at) VALUES (${event.device_id}, 0) ON CONFLICT (device_id) DO NOTHING`;
      const [row] = await tx<Row[]>`SELECT last_sent_at, held_count, held FROM notify_cooldowns WHERE device_id = ${event.device_id} FOR UPDATE`;
      const state: CooldownState | undefined = row!.last_sent_at === 0 ? undefined : { last_sent_at: row!.last_sent_at, count: row!.held_count, events: row!.held };
      const { decision, next } = admitEvent(state, event, now, cooldownMs);
      await tx`UPDATE notify_cooldowns SET last_sent_at = ${next.last_sent_at}, held_count = ${next.count},
                 held = ${JSON.stringify(next.events)}::text::json WHERE device_id = ${event.device_id}`;
      return decision;
    });
  }

  async takeDue(now: number, cooldownMs: number, limit: number): Promise<HeldEvents[]> {
    const rows = await this.sql<{ device_id: string; held_count: number; held: DeviceEvent[] }[]>`
      WITH due AS (
        SELECT device_id, held_count, held FROM notify_cooldowns
        WHERE held_count > 0 AND last_sent_at <= ${now - cooldownMs}
        ORDER BY last_sent_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE notify_cooldowns c SET last_sent_at = ${now}, held_count = 0, held = '[]'
      FROM due WHERE c.device_id = due.device_id
      RETURNING due.device_id, due.held_count, due.held`;
    return rows.map((r) => ({ device_id: r.device_id, count: r.held_count, events: r.held }));
  }
}
