/**
 * The embedded RolloutRepo: the rollouts in one lowdb document, DATA_DIR/ota-rollouts.json (few
 * records; rollouts an older gateway wrote are upgraded as they are read), and each device's
 * progress in a journaled map (ota-rollout-devices.jsonl/.json): with 10,000 devices a stage change
 * is one appended line, not a rewrite of every record. An index by rollout keeps the figures of
 * one rollout from walking every record.
 */
import { join } from 'node:path';
import type { RolloutRepo } from '../../ota/rollouts-repo.ts';
import { hasStarted, nextProgress, type DeviceStage, type RolloutDeviceProgress } from '../../ota/rollout-progress.ts';
import { afterResult, upgradeRollout, type Rollout, type RolloutChange } from '../../ota/rollouts.ts';
import type { AppendWriter } from './append-writer.ts';
import { JournaledMap } from './journaled-map.ts';
import { JsonDocument } from './json-document.ts';

interface RolloutDoc {
  rollouts: Rollout[];
}

const keyOf = (rolloutId: string, deviceId: string) => `${rolloutId}\n${deviceId}`;

export class LowdbRolloutRepo implements RolloutRepo {
  /**
   * rollout id → ids of the devices with a record in it. Ids only: the records are read from the
   * journaled map, which takes back a change whose write failed; a copy here would keep it. May
   * hold ids whose record is gone (skipped when read).
   */
  private readonly byRollout = new Map<string, Set<string>>();

  private constructor(
    private readonly doc: JsonDocument<RolloutDoc>,
    private readonly devices: JournaledMap<RolloutDeviceProgress>,
  ) {
    doc.data.rollouts = doc.data.rollouts.map((r) => upgradeRollout(r));
    for (const p of devices.values()) this.index(p.rollout_id, p.device_id);
  }

  static async open(dataDir: string, writer: AppendWriter): Promise<LowdbRolloutRepo> {
    const [doc, devices] = await Promise.all([
      JsonDocument.open<RolloutDoc>(join(dataDir, 'ota-rollouts.json'), { rollouts: [] }),
      JournaledMap.open<RolloutDeviceProgress>(dataDir, 'ota-rollout-devices', writer),
    ]);
    return new LowdbRolloutRepo(doc, devices);
  }

  /** Journals what a failed write took back (JournaledMap.close); before the writer closes. */
  close(): Promise<void> {
    return this.devices.close();
  }

  async list(): Promise<Rollout[]> {
    return this.doc.data.rollouts;
  }

  async get(id: string): Promise<Rollout | undefined> {
    return this.doc.data.rollouts.find((r) => r.id === id);
  }

  create(rollout: Rollout): Promise<Rollout> {
    return this.doc.mutate((d) => {
      d.rollouts.push(rollout);
      return rollout;
    });
  }

  async change(id: string, rule: (r: Rollout) => RolloutChange): Promise<RolloutChange | undefined> {
    const i = this.doc.data.rollouts.findIndex((r) => r.id === id);
    if (i < 0) return undefined;
    const out = rule(this.doc.data.rollouts[i]!); // throws before anything is written
    if (!out.changed) return out;
    return this.doc.mutate((d) => {
      d.rollouts[i] = out.rollout;
      return out;
    });
  }

  async recordResult(id: string, deviceId: string, report: { success: boolean; error: string | null }, now: number) {
    const i = this.doc.data.rollouts.findIndex((r) => r.id === id);
    if (i < 0) return undefined;
    const out = afterResult(this.doc.data.rollouts[i]!, report.success, now);
    const stage: DeviceStage = report.success ? 'succeeded' : 'failed';
    const progress = this.advance(id, deviceId, stage, report.error, now);
    const saved = this.doc.mutate((d) => {
      d.rollouts[i] = out.rollout;
    });
    await Promise.all([saved, progress]);
    return { rollout: out.rollout, paused: out.paused };
  }

  async noteStage(id: string, deviceId: string, stage: Extract<DeviceStage, 'offered' | 'downloading'>, now: number): Promise<void> {
    if (!this.doc.data.rollouts.some((r) => r.id === id)) return;
    await this.advance(id, deviceId, stage, null, now);
  }

  async progress(id: string): Promise<RolloutDeviceProgress[]> {
    return this.records(id);
  }

  private records(id: string): RolloutDeviceProgress[] {
    const out: RolloutDeviceProgress[] = [];
    for (const deviceId of this.byRollout.get(id) ?? []) {
      const p = this.devices.get(keyOf(id, deviceId));
      if (p) out.push(p);
    }
    return out;
  }

  async deviceProgress(deviceId: string): Promise<RolloutDeviceProgress[]> {
    const out: RolloutDeviceProgress[] = [];
    for (const [id, deviceIds] of this.byRollout) {
      const p = deviceIds.has(deviceId) ? this.devices.get(keyOf(id, deviceId)) : undefined;
      if (p) out.push(p);
    }
    return out;
  }

  async delete(id: string): Promise<'deleted' | 'started' | undefined> {
    const r = this.doc.data.rollouts.find((x) => x.id === id);
    if (!r) return undefined;
    for (;;) {
      if (r.results.successes + r.results.failures > 0 || this.records(id).some(hasStarted)) return 'started';
      // The index goes once the removal is durable: a failed one leaves the records in the map.
      await this.devices.prune((p) => p.rollout_id === id);
      // A device's report that came while the removal was written added a record the removal did
      // not select: look again (it may have started; if not, it goes too).
      if (this.records(id).length === 0) break;
    }
    this.byRollout.delete(id);
    await this.doc.mutate((d) => {
      d.rollouts = d.rollouts.filter((x) => x.id !== id);
    });
    return 'deleted';
  }

  /** Applies a stage change in memory now (so concurrent requests see it) and resolves once durable. */
  private async advance(id: string, deviceId: string, stage: DeviceStage, error: string | null, now: number): Promise<void> {
    const next = nextProgress(this.devices.get(keyOf(id, deviceId)), { rollout_id: id, device_id: deviceId, stage, error }, now);
    if (!next) return;
    this.index(id, deviceId);
    await this.devices.put([[keyOf(id, deviceId), next]]);
  }

  private index(rolloutId: string, deviceId: string): void {
    let deviceIds = this.byRollout.get(rolloutId);
    if (!deviceIds) this.byRollout.set(rolloutId, (deviceIds = new Set()));
    deviceIds.add(deviceId);
  }
}
