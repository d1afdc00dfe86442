/**
 * The embedded SecurityStatsRepo: the totals in one lowdb document, `security-stats.json`,
 * rewritten when SecurityStats adds a few seconds' worth of counts.
 */
import { join } from 'node:path';
import { addCounters, MAX_TRACKED_DEVICES, zeroCounters, type Counters, type SecurityStatsRepo, type StatsDelta, type StoredStats } from '../../security/stats.ts';
import { idTable } from './id-table.ts';
import { JsonDocument } from './json-document.ts';

interface StatsDoc {
  since: string | null;
  fleet: Counters;
  devices: Record<string, Counters>;
}

export class FileSecurityStatsRepo implements SecurityStatsRepo {
  private constructor(private readonly doc: JsonDocument<StatsDoc>) {
    doc.data.devices = idTable(doc.data.devices);
  }

  static async open(dataDir: string): Promise<FileSecurityStatsRepo> {
    return new FileSecurityStatsRepo(await JsonDocument.open<StatsDoc>(join(dataDir, 'security-stats.json'), { since: null, fleet: zeroCounters(), devices: {} }));
  }

  async load(now: number): Promise<StoredStats> {
    const d = this.doc.data;
    if (d.since === null) await this.doc.mutate((doc) => (doc.since = new Date(now).toISOString()));
    return { since: d.since!, fleet: d.fleet, devices: new Map(Object.entries(d.devices)) };
  }

  async add(delta: StatsDelta): Promise<void> {
    await this.doc.mutate((d) => {
      d.since ??= new Date().toISOString();
      addCounters(d.fleet, delta.fleet);
      let tracked = Object.keys(d.devices).length;
      for (const [id, c] of delta.devices) {
        let into = d.devices[id];
        if (!into) {
          if (tracked >= MAX_TRACKED_DEVICES) continue;
          into = d.devices[id] = zeroCounters();
          tracked++;
        }
        addCounters(into, c);
      }
    });
  }
}
