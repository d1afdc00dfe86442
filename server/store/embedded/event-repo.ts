/**
 * The embedded EventRepo: per-device derivation state in a lowdb document (`events-state.json`,
 * written only on transitions) and the events themselves as append-only JSONL per UTC day
 * (`DATA_DIR/events/`). `transition` applies the new state in memory at once (so a concurrent
 * observation sees it and cannot derive the same event twice), appends the events durably, then
 * saves the state. Readers drop repeated event ids (an event re-derived after a crash between
 * those two writes).
 */
import { join } from 'node:path';
import { getOwn, setOwn } from '../../control-plane/own.ts';
import type { EventQuery, EventRepo } from '../../events/repo.ts';
import type { DeviceEvent, DeviceEventState, Transition } from '../../events/rules.ts';
import type { AppendWriter } from './append-writer.ts';
import { DAY_MS, appendByDay, pruneDays, readDays, readRange } from './day-files.ts';
import { JsonDocument } from './json-document.ts';

interface StateDoc {
  devices: Record<string, DeviceEventState>;
}

export class FileEventRepo implements EventRepo {
  private readonly live = new Map<string, DeviceEventState>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly dir: string;

  private constructor(
    private readonly doc: JsonDocument<StateDoc>,
    dataDir: string,
    private readonly writer: AppendWriter,
    private readonly retentionDays: number,
  ) {
    this.dir = join(dataDir, 'events');
  }

  static async open(dataDir: string, writer: AppendWriter, retentionDays: number): Promise<FileEventRepo> {
    const doc = await JsonDocument.open<StateDoc>(join(dataDir, 'events-state.json'), { devices: {} });
    return new FileEventRepo(doc, dataDir, writer, retentionDays);
  }

  async state(deviceId: string): Promise<DeviceEventState | undefined> {
    return this.peek(deviceId);
  }

  private peek(deviceId: string): DeviceEventState | undefined {
    return this.live.get(deviceId) ?? getOwn(this.doc.data.devices, deviceId);
  }

  async states(): Promise<ReadonlyMap<string, DeviceEventState>> {
    const out = new Map(Object.entries(this.doc.data.devices));
    for (const [id, s] of this.live) out.set(id, s);
    return out;
  }

  isOffline(deviceId: string): boolean {
    return this.peek(deviceId)?.status === 'offline';
  }

  async transition(deviceId: string, derive: (state: DeviceEventState | undefined) => Transition | null): Promise<DeviceEvent[]> {
    const t = derive(this.peek(deviceId));
    if (!t) return [];
    this.live.set(deviceId, t.next);
    // Writes for one device run one after another, so a later state is never overwritten by an earlier one.
    const write = (this.writes.get(deviceId) ?? Promise.resolve()).then(async () => {
      await appendByDay(this.writer, this.dir, t.events, (e) => Date.parse(e.at));
      await this.doc.mutate((d) => setOwn(d.devices, deviceId, t.next));
    });
    const settled = write.catch(() => undefined);
    this.writes.set(deviceId, settled);
    try {
      await write;
    } catch (err) {
      // Drop back to the saved state, so the observation can derive again.
      if (this.live.get(deviceId) === t.next) this.live.delete(deviceId);
      throw err;
    } finally {
      if (this.writes.get(deviceId) === settled) this.writes.delete(deviceId);
    }
    if (this.live.get(deviceId) === t.next) this.live.delete(deviceId);
    return t.events;
  }

  async query(q: EventQuery): Promise<DeviceEvent[]> {
    const seen = new Set<string>();
    const rows = await readRange<DeviceEvent>(this.dir, {
      ...(q.sinceMs !== undefined ? { sinceMs: q.sinceMs } : {}),
      limit: q.limit,
      order: q.sinceMs !== undefined ? 'asc' : 'desc',
      timeOf: (e) => Date.parse(e.at),
      accept: (e) => {
        if ((q.deviceId !== undefined && e.device_id !== q.deviceId) || (q.type !== undefined && e.type !== q.type)) return false;
        if (seen.has(e.event_id)) return false;
        seen.add(e.event_id);
        return true;
      },
    });
    return q.sinceMs !== undefined ? rows : rows.reverse();
  }

  prune(now: number): Promise<number> {
    return pruneDays(this.dir, now - this.retentionDays * DAY_MS, this.writer);
  }

  /** Every stored event, a day at a time, oldest first, repeats included (db import reads it). */
  days(): AsyncIterable<{ day: string; rows: DeviceEvent[] }> {
    return readDays<DeviceEvent>(this.dir);
  }
}
