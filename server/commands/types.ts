/**
 * The command record and its lifecycle: pending → sent → completed | failed | expired | cancelled.
 * `sent` may repeat (redelivery after the ack timeout, `attempts` counting deliveries); the four
 * final states never change again. Times are epoch ms in storage and ISO-8601 in every view.
 */
import { iso } from '../control-plane/validate.ts';

export const COMMAND_STATUSES = ['pending', 'sent', 'completed', 'failed', 'expired', 'cancelled'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
export const FINAL_STATUSES: ReadonlySet<CommandStatus> = new Set(['completed', 'failed', 'expired', 'cancelled']);

export const PUBLIC_COMMAND_TYPES = ['set_power', 'write_register', 'set_relay', 'reboot', 'set_config'] as const;
/** `simulate_fault` is only queued by fault injection (modbus_timeout, buffer_overflow). */
export type CommandType = (typeof PUBLIC_COMMAND_TYPES)[number] | 'simulate_fault';

export interface CommandRecord {
  command_id: string;
  device_id: string;
  command_type: CommandType;
  parameters: Record<string, unknown>;
  status: CommandStatus;
  /** Creation order, for "oldest first" among commands created in the same millisecond. */
  seq: number;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  /** Deliveries so far. */
  attempts: number;
  first_sent_at: number | null;
  last_sent_at: number | null;
  /** Nonce of the poll that last delivered it: a re-sent poll (same nonce) gets the same command back. */
  sent_nonce: number | null;
  finished_at: number | null;
  /** Why a command expired (`expires_in` or `max_attempts`), or who cancelled it. */
  status_reason: string | null;
  result: unknown;
  /** Nonce of the result message: the same message re-sent after a crash is answered, not refused. */
  result_nonce: number | null;
}

/** A command as created: pending, never delivered (`seq` is the store's to assign). */
export function newCommand(
  fields: Pick<CommandRecord, 'command_id' | 'device_id' | 'command_type' | 'parameters' | 'created_at' | 'created_by' | 'expires_at'>,
): CommandRecord {
  return {
    ...fields,
    status: 'pending',
    seq: 0,
    attempts: 0,
    first_sent_at: null,
    last_sent_at: null,
    sent_nonce: null,
    finished_at: null,
    status_reason: null,
    result: null,
    result_nonce: null,
  };
}

export function isFinal(c: CommandRecord): boolean {
  return FINAL_STATUSES.has(c.status);
}

/** What admins see. */
export function commandView(c: CommandRecord) {
  return {
    command_id: c.command_id,
    device_id: c.device_id,
    command_type: c.command_type,
    parameters: c.parameters,
    status: c.status,
    attempts: c.attempts,
    created_at: iso(c.created_at),
    created_by: c.created_by,
    expires_at: iso(c.expires_at),
    first_sent_at: iso(c.first_sent_at),
    last_sent_at: iso(c.last_sent_at),
    finished_at: iso(c.finished_at),
    status_reason: c.status_reason,
    result: c.result ?? null,
  };
}

/** What the device gets from a poll. */
export function deliveryView(c: CommandRecord) {
  return {
    command_id: c.command_id,
    command_type: c.command_type,
    parameters: c.parameters,
    attempt: c.attempts,
    expires_at: iso(c.expires_at),
  };
}
