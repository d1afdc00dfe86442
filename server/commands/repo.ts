/**
 * Storage of the command queues, as an interface every store implements (server/store/): each
 * method is one atomic read-modify-write (poll = "expire what is due, then claim the oldest
 * deliverable row" in one transaction, so two gateways polling for one device never both deliver
 * the same command). The delivery rules themselves are in delivery.ts, shared by every store.
 */
import type { CommandRecord, CommandStatus } from './types.ts';

export interface DeliveryRules {
  ackTimeoutMs: number;
  maxAttempts: number;
}

export interface PollOutcome {
  delivered?: CommandRecord;
  /** True when `delivered` is the command an earlier poll with the same nonce got (no new delivery). */
  repeated: boolean;
  expired: CommandRecord[];
}

export type FinishOutcome =
  | { outcome: 'finished'; command: CommandRecord }
  /** The same result message (same nonce) re-sent after a crash lost its nonce: already applied. */
  | { outcome: 'repeated'; command: CommandRecord }
  | { outcome: 'unknown' }
  | { outcome: 'foreign' }
  | { outcome: 'not_sent'; command: CommandRecord }
  | { outcome: 'already_final'; command: CommandRecord };

export type CancelOutcome = { outcome: 'cancelled'; command: CommandRecord } | { outcome: 'unknown' } | { outcome: 'not_pending'; command: CommandRecord };

export interface CommandRepo {
  get(commandId: string): Promise<CommandRecord | undefined>;
  /** A device's commands, oldest first, optionally of one status. */
  list(deviceId: string, status?: CommandStatus): Promise<CommandRecord[]>;
  /** How many open (pending/sent) commands a device has. */
  openCount(deviceId: string): Promise<number>;
  /** Open commands of every device that has any, by status (the fleet view; one read, not one per device). */
  openCounts(): Promise<ReadonlyMap<string, { pending: number; sent: number }>>;
  /** Inserts a pending command unless the device already has `openLimit` open ones. */
  create(record: CommandRecord, openLimit: number): Promise<'created' | 'queue_full'>;
  /** Expires what is due, then marks the oldest deliverable command sent. */
  poll(deviceId: string, nonce: number, now: number, rules: DeliveryRules): Promise<PollOutcome>;
  /** Records a device's result for one of its commands in status `sent`. */
  finish(deviceId: string, commandId: string, status: 'completed' | 'failed', result: unknown, nonce: number, now: number): Promise<FinishOutcome>;
  /** Cancels a pending command. */
  cancel(commandId: string, now: number, by: string): Promise<CancelOutcome>;
  /** Expires every open command that is due, fleet-wide. */
  expireDue(now: number, rules: DeliveryRules): Promise<CommandRecord[]>;
  /** Forgets finished commands that finished before `before`. */
  prune(before: number): Promise<number>;
}
