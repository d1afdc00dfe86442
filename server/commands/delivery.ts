/**
 * The delivery rules of the command queue, as pure functions every store applies inside its own
 * atomic poll and sweep: when an open command expires, and when it may be delivered (again).
 */
import type { DeliveryRules } from './repo.ts';
import type { CommandRecord } from './types.ts';

/** Why an open command should expire now, if it should. */
export function expiryReason(c: CommandRecord, now: number, rules: DeliveryRules): string | undefined {
  if (c.expires_at !== null && now >= c.expires_at) return 'expires_in';
  if (c.status === 'sent' && c.attempts >= rules.maxAttempts && c.last_sent_at !== null && now - c.last_sent_at >= rules.ackTimeoutMs) {
    return 'max_attempts';
  }
  return undefined;
}

export function deliverable(c: CommandRecord, now: number, rules: DeliveryRules): boolean {
  if (c.status === 'pending') return true;
  return c.status === 'sent' && c.last_sent_at !== null && now - c.last_sent_at >= rules.ackTimeoutMs;
}
