/**
 * The delivery rules of the command queue, as pure functions every store applies inside its own
 * atomic poll, result, cancel and sweep: when an open command expires, when it may be delivered
 * (again), and what each of those steps turns a command into. A store only reads the rows,
 * applies these, and writes back what they changed.
 */
import type { CancelOutcome, DeliveryRules, FinishOutcome, PollOutcome } from './repo.ts';
import { isFinal, type CommandRecord } from './types.ts';

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

export function expired(c: CommandRecord, reason: string, now: number): CommandRecord {
  return { ...c, status: 'expired', status_reason: reason, finished_at: now };
}

/** Open commands among `open` that are due to expire, expired. */
export function expireDue(open: readonly CommandRecord[], now: number, rules: DeliveryRules): CommandRecord[] {
  const out: CommandRecord[] = [];
  for (const c of open) {
    const reason = expiryReason(c, now, rules);
    if (reason) out.push(expired(c, reason, now));
  }
  return out;
}

export interface PollPlan extends PollOutcome {
  /** The commands the poll changed, to write back. */
  changes: CommandRecord[];
}

/**
 * A poll of a device whose open commands (oldest first) are `open`: a poll re-sent with the nonce
 * that delivered a command (its reply was lost in a crash) gets that command again; otherwise what
 * is due expires and the oldest deliverable command is marked sent.
 */
export function planPoll(open: readonly CommandRecord[], nonce: number, now: number, rules: DeliveryRules): PollPlan {
  const again = open.find((c) => c.status === 'sent' && c.sent_nonce === nonce);
  if (again) return { delivered: again, repeated: true, expired: [], changes: [] };
  const changes: CommandRecord[] = [];
  const expiredNow: CommandRecord[] = [];
  let delivered: CommandRecord | undefined;
  for (const c of open) {
    const reason = expiryReason(c, now, rules);
    if (reason) {
      const next = expired(c, reason, now);
      expiredNow.push(next);
      changes.push(next);
    } else if (!delivered && deliverable(c, now, rules)) {
      delivered = { ...c, status: 'sent', attempts: c.attempts + 1, first_sent_at: c.first_sent_at ?? now, last_sent_at: now, sent_nonce: nonce };
      changes.push(delivered);
    }
  }
  return { ...(delivered ? { delivered } : {}), repeated: false, expired: expiredNow, changes };
}

/** A device's result for command `c` (undefined: no such command), and the record to write, if any. */
export function planFinish(
  c: CommandRecord | undefined,
  deviceId: string,
  status: 'completed' | 'failed',
  result: unknown,
  nonce: number,
  now: number,
): { outcome: FinishOutcome; next?: CommandRecord } {
  if (!c) return { outcome: { outcome: 'unknown' } };
  if (c.device_id !== deviceId) return { outcome: { outcome: 'foreign' } };
  if (isFinal(c)) {
    if (c.result_nonce === nonce && c.status === status) return { outcome: { outcome: 'repeated', command: c } };
    return { outcome: { outcome: 'already_final', command: c } };
  }
  if (c.status !== 'sent') return { outcome: { outcome: 'not_sent', command: c } };
  const next: CommandRecord = { ...c, status, result: result ?? null, finished_at: now, result_nonce: nonce, status_reason: null };
  return { outcome: { outcome: 'finished', command: next }, next };
}

/** Cancelling command `c` (undefined: no such command), and the record to write, if any. */
export function planCancel(c: CommandRecord | undefined, now: number, by: string): { outcome: CancelOutcome; next?: CommandRecord } {
  if (!c) return { outcome: { outcome: 'unknown' } };
  if (c.status !== 'pending') return { outcome: { outcome: 'not_pending', command: c } };
  const next: CommandRecord = { ...c, status: 'cancelled', status_reason: `cancelled by ${by}`, finished_at: now };
  return { outcome: { outcome: 'cancelled', command: next }, next };
}
