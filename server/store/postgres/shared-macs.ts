/**
 * SharedMacRegistry on PostgreSQL (table `shared_macs`): one upsert binds a raw fleet-key MAC to
 * the first device that used it, or hands back its owner; an expired binding is taken over in the
 * same statement. Expired rows are deleted by the retention job.
 */
import type { SharedMacRegistry } from '../types.ts';
import type { Sql } from './connect.ts';

export class PgSharedMacRegistry implements SharedMacRegistry {
  constructor(
    private readonly sql: Sql,
    private readonly windowMs: number,
  ) {}

  async bind(fingerprint: string, deviceId: string, now: number): Promise<string> {
    const expired = now - this.windowMs;
    const [row] = await this.sql<{ device_id: string }[]>`
      INSERT INTO shared_macs AS s (fingerprint, device_id, bound_at) VALUES (${fingerprint}, ${deviceId}, ${now})
      ON CONFLICT (fingerprint) DO UPDATE
        SET device_id = CASE WHEN s.bound_at <= ${expired} THEN EXCLUDED.device_id ELSE s.device_id END,
            bound_at  = CASE WHEN s.bound_at <= ${expired} THEN EXCLUDED.bound_at ELSE s.bound_at END
      RETURNING device_id`;
    return row!.device_id;
  }

  async prune(now: number): Promise<number> {
    return (await this.sql`DELETE FROM shared_macs WHERE bound_at <= ${now - this.windowMs}`).count;
  }
}
