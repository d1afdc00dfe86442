/**
 * The embedded CommandRepo: every command in a JournaledMap (`commands.json` + `commands.jsonl`)
 * with an in-memory index of each device's open commands, so a poll of an empty queue is a map
 * lookup and never touches the disk.
 */
import { deliverable, expiryReason } from '../../commands/delivery.ts';
import type { CancelOutcome, CommandRepo, DeliveryRules, FinishOutcome, PollOutcome } from '../../commands/repo.ts';
import { isFinal, type CommandRecord, type CommandStatus } from '../../commands/types.ts';
import type { AppendWriter } from './append-writer.ts';
import { JournaledMap } from './journaled-map.ts';

export class JournalCommandRepo implements CommandRepo {
  /** device → ids of its open (pending/sent) commands in creation order. May hold stale ids; readers skip them. */
  private readonly open = new Map<string, string[]>();
  /** device → ids of all its commands in creation order (same caveat). */
  private readonly byDevice = new Map<string, string[]>();
  private seq = 0;

  private constructor(private readonly map: JournaledMap<CommandRecord>) {
    const all = [...map.values()].sort((a, b) => a.seq - b.seq);
    for (const c of all) {
      this.index(c);
      this.seq = Math.max(this.seq, c.seq);
    }
  }

  static async open(dataDir: string, writer: AppendWriter): Promise<JournalCommandRepo> {
    return new JournalCommandRepo(await JournaledMap.open<CommandRecord>(dataDir, 'commands', writer));
  }

  private index(c: CommandRecord): void {
    push(this.byDevice, c.device_id, c.command_id);
    if (!isFinal(c)) push(this.open, c.device_id, c.command_id);
  }

  async get(commandId: string): Promise<CommandRecord | undefined> {
    return this.map.get(commandId);
  }

  async list(deviceId: string, status?: CommandStatus): Promise<CommandRecord[]> {
    const out: CommandRecord[] = [];
    for (const id of this.byDevice.get(deviceId) ?? []) {
      const c = this.map.get(id);
      if (c && c.device_id === deviceId && (status === undefined || c.status === status)) out.push(c);
    }
    return out;
  }

  /** Open commands of a device (and drops stale ids from the index while at it). */
  private openOf(deviceId: string): CommandRecord[] {
    const ids = this.open.get(deviceId);
    if (!ids) return [];
    const out: CommandRecord[] = [];
    const live: string[] = [];
    for (const id of ids) {
      const c = this.map.get(id);
      if (c && !isFinal(c)) {
        out.push(c);
        live.push(id);
      }
    }
    if (live.length === 0) this.open.delete(deviceId);
    else if (live.length !== ids.length) this.open.set(deviceId, live);
    return out;
  }

  async openCount(deviceId: string): Promise<number> {
    return this.openOf(deviceId).length;
  }

  async create(record: CommandRecord, openLimit: number): Promise<'created' | 'queue_full'> {
    if (this.openOf(record.device_id).length >= openLimit) return 'queue_full';
    const c = { ...record, seq: ++this.seq };
    this.index(c);
    await this.map.put([[c.command_id, c]]);
    return 'created';
  }

  async poll(deviceId: string, nonce: number, now: number, rules: DeliveryRules): Promise<PollOutcome> {
    const open = this.openOf(deviceId);
    if (open.length === 0) return { repeated: false, expired: [] };
    // A poll re-sent with the nonce that delivered a command (its reply was lost in a crash) gets it again.
    const again = open.find((c) => c.status === 'sent' && c.sent_nonce === nonce);
    if (again) return { delivered: again, repeated: true, expired: [] };
    const changes: [string, CommandRecord][] = [];
    const expired: CommandRecord[] = [];
    let delivered: CommandRecord | undefined;
    for (const c of open) {
      const reason = expiryReason(c, now, rules);
      if (reason) {
        const next: CommandRecord = { ...c, status: 'expired', status_reason: reason, finished_at: now };
        expired.push(next);
        changes.push([c.command_id, next]);
      } else if (!delivered && deliverable(c, now, rules)) {
        delivered = {
          ...c,
          status: 'sent',
          attempts: c.attempts + 1,
          first_sent_at: c.first_sent_at ?? now,
          last_sent_at: now,
          sent_nonce: nonce,
        };
        changes.push([c.command_id, delivered]);
      }
    }
    await this.map.put(changes);
    return { ...(delivered ? { delivered } : {}), repeated: false, expired };
  }

  async finish(
    deviceId: string,
    commandId: string,
    status: 'completed' | 'failed',
    result: unknown,
    nonce: number,
    now: number,
  ): Promise<FinishOutcome> {
    const c = this.map.get(commandId);
    if (!c) return { outcome: 'unknown' };
    if (c.device_id !== deviceId) return { outcome: 'foreign' };
    if (isFinal(c)) {
      if (c.result_nonce === nonce && c.status === status) return { outcome: 'repeated', command: c };
      return { outcome: 'already_final', command: c };
    }
    if (c.status !== 'sent') return { outcome: 'not_sent', command: c };
    const next: CommandRecord = { ...c, status, result: result ?? null, finished_at: now, result_nonce: nonce, status_reason: null };
    await this.map.put([[commandId, next]]);
    return { outcome: 'finished', command: next };
  }

  async cancel(commandId: string, now: number, by: string): Promise<CancelOutcome> {
    const c = this.map.get(commandId);
    if (!c) return { outcome: 'unknown' };
    if (c.status !== 'pending') return { outcome: 'not_pending', command: c };
    const next: CommandRecord = { ...c, status: 'cancelled', status_reason: `cancelled by ${by}`, finished_at: now };
    await this.map.put([[commandId, next]]);
    return { outcome: 'cancelled', command: next };
  }

  async expireDue(now: number, rules: DeliveryRules): Promise<CommandRecord[]> {
    const changes: [string, CommandRecord][] = [];
    for (const deviceId of [...this.open.keys()]) {
      for (const c of this.openOf(deviceId)) {
        const reason = expiryReason(c, now, rules);
        if (reason) changes.push([c.command_id, { ...c, status: 'expired', status_reason: reason, finished_at: now }]);
      }
    }
    await this.map.put(changes);
    return changes.map(([, c]) => c);
  }

  async prune(before: number): Promise<number> {
    const dropped = await this.map.prune((c) => isFinal(c) && c.finished_at !== null && c.finished_at < before);
    if (dropped > 0) {
      for (const [deviceId, ids] of [...this.byDevice]) {
        const live = ids.filter((id) => this.map.get(id) !== undefined);
        if (live.length === 0) this.byDevice.delete(deviceId);
        else this.byDevice.set(deviceId, live);
      }
    }
    return dropped;
  }
}

function push(index: Map<string, string[]>, key: string, value: string): void {
  const list = index.get(key);
  if (list) list.push(value);
  else index.set(key, [value]);
}
