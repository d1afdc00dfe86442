/**
 * The embedded FleetActivityRepo: hourly counts in one lowdb document, `fleet-activity.json`,
 * rewritten when the fleet read model adds what it counted (every few seconds, and at shutdown).
 * It holds at most a day of device hours (pruned hourly) and a week of fleet hours.
 */
import { join } from 'node:path';
import type { Activity, EpochHour, FleetActivityRepo } from '../../fleet/activity-repo.ts';
import type { Outcome } from '../../security/stats.ts';
import { idTable } from './id-table.ts';
import { JsonDocument } from './json-document.ts';

interface ActivityDoc {
  /** device id → hour → [uploads, rejected]. */
  devices: Record<string, Record<string, [number, number]>>;
  /** hour → outcome → count. */
  fleet: Record<string, Partial<Record<Outcome, number>>>;
  /** device id → epoch ms. */
  last_upload: Record<string, number>;
}

export class LowdbFleetActivityRepo implements FleetActivityRepo {
  private constructor(private readonly doc: JsonDocument<ActivityDoc>) {
    doc.data.devices = idTable(doc.data.devices);
    doc.data.last_upload = idTable(doc.data.last_upload);
    doc.data.fleet = idTable(doc.data.fleet);
  }

  static async open(dataDir: string): Promise<LowdbFleetActivityRepo> {
    return new LowdbFleetActivityRepo(await JsonDocument.open<ActivityDoc>(join(dataDir, 'fleet-activity.json'), { devices: {}, fleet: {}, last_upload: {} }));
  }

  async add(delta: Activity): Promise<void> {
    if (delta.devices.length + delta.fleet.length + delta.last_uploads.length === 0) return;
    await this.doc.mutate((d) => {
      for (const h of delta.devices) {
        const hours = (d.devices[h.device_id] ??= idTable());
        const into = (hours[h.hour] ??= [0, 0]);
        into[0] += h.uploads;
        into[1] += h.rejected;
      }
      for (const f of delta.fleet) {
        const into = (d.fleet[f.hour] ??= {});
        into[f.outcome] = (into[f.outcome] ?? 0) + f.count;
      }
      for (const u of delta.last_uploads) d.last_upload[u.device_id] = Math.max(d.last_upload[u.device_id] ?? 0, u.at);
    });
  }

  async load(deviceSince: EpochHour, fleetSince: EpochHour): Promise<Activity> {
    const d = this.doc.data;
    const out: Activity = { devices: [], fleet: [], last_uploads: [] };
    for (const [device_id, hours] of Object.entries(d.devices)) {
      for (const [hour, [uploads, rejected]] of Object.entries(hours)) {
        if (Number(hour) >= deviceSince) out.devices.push({ device_id, hour: Number(hour), uploads, rejected });
      }
    }
    for (const [hour, outcomes] of Object.entries(d.fleet)) {
      if (Number(hour) < fleetSince) continue;
      for (const [outcome, count] of Object.entries(outcomes)) out.fleet.push({ hour: Number(hour), outcome: outcome as Outcome, count: count! });
    }
    for (const [device_id, at] of Object.entries(d.last_upload)) out.last_uploads.push({ device_id, at });
    return out;
  }

  async prune(deviceBefore: EpochHour, fleetBefore: EpochHour): Promise<number> {
    const d = this.doc.data;
    let gone = 0;
    for (const hours of Object.values(d.devices)) gone += Object.keys(hours).filter((h) => Number(h) < deviceBefore).length;
    gone += Object.keys(d.fleet).filter((h) => Number(h) < fleetBefore).length;
    if (gone === 0) return 0;
    await this.doc.mutate((doc) => {
      for (const [id, hours] of Object.entries(doc.devices)) {
        for (const h of Object.keys(hours)) if (Number(h) < deviceBefore) delete hours[h];
        if (Object.keys(hours).length === 0) delete doc.devices[id];
      }
      for (const h of Object.keys(doc.fleet)) if (Number(h) < fleetBefore) delete doc.fleet[h];
    });
    return gone;
  }
}
