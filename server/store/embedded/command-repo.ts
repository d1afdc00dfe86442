/**
 * The embedded CommandRepo: every command in a JournaledMap (`commands.json` + `commands.jsonl`)
 * with an in-memory index of each device's open commands, so a poll of an empty queue is a map
 * lookup and never touches the disk.
 */
import { expireDue, planCancel, planFinish, planPoll } from '../../commands/delivery.ts';
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

  /** Journals what a failed write took back (JournaledMap.close); before the writer closes. */
  close(): Promise<void> {
    return this.map.close();
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

  /** Every command kept, finished ones included, in creation order (db import reads them). */
  all(): CommandRecord[] {
    return [...this.map.values()].sort((a, b) => a.seq - b.seq);
  }

  async openCount(deviceId: string): Promise<number> {
    return this.openOf(deviceId).length;
  }

  async openCounts(): Promise<ReadonlyMap<string, { pending: number; sent: number }>> {
    const out = new Map<string, { pending: number; sent: number }>();
    for (const deviceId of [...this.open.keys()]) {
      const open = this.openOf(deviceId);
      if (open.length > 0) out.set(deviceId, { pending: open.filter((c) => c.status === 'pending').length, sent: open.filter((c) => c.status === 'sent').length });
    }
    return out;
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
    const { changes, ...outcome } = planPoll(open, nonce, now, rules);
    await this.map.put(changes.map((c) => [c.command_id, c]));
    return outcome;
  }

  async finish(
    deviceId: string,
    commandId: string,
    status: 'completed' | 'failed',
    result: unknown,
    nonce: number,
    now: number,
  ): Promise<FinishOutcome> {
    const { outcome, next } = planFinish(this.map.get(commandId), deviceId, status, result, nonce, now);
    if (next) await this.map.put([[commandId, next]]);
    return outcome;
  }

  async cancel(commandId: string, now: number, by: string): Promise<CancelOutcome> {
    const { outcome, next } = planCancel(this.map.get(commandId), now, by);
    if (next) await this.map.put([[commandId, next]]);
    return outcome;
  }

  async expireDue(now: number, rules: DeliveryRules): Promise<CommandRecord[]> {
    const due = [...this.open.keys()].flatMap((deviceId) => expireDue(this.openOf(deviceId), now, rules));
    await this.map.put(due.map((c) => [c.command_id, c]));
    return due;
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
