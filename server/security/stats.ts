/**
 * Security counters for `GET /security/stats`: every authenticated-message attempt and how it
 * ended, fleet-wide and per device. Counted in memory on the hot path and flushed to
 * `security-stats.json` every few seconds (and at shutdown), so a restart keeps the history
 * without a disk write per request.
 */
import { join } from 'node:path';
import { idTable } from '../store/id-table.ts';
import { JsonDocument } from '../store/json-document.ts';
import { PeriodicSave } from '../store/periodic-save.ts';

export const OUTCOMES = [
  'accepted',
  'duplicate',
  'bad_signature',
  'replay',
  'unknown_device',
  'crc_failure',
  'malformed',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type Counters = Record<Outcome, number> & { total: number };

interface StatsDoc {
  since: string;
  fleet: Counters;
  devices: Record<string, Counters>;
}

const zero = (): Counters => ({ total: 0, accepted: 0, duplicate: 0, bad_signature: 0, replay: 0, unknown_device: 0, crc_failure: 0, malformed: 0 });

/** Per-device entries are only kept for registered ids, so random ids cannot grow this without bound. */
const MAX_TRACKED_DEVICES = 100_000;

export class SecurityStats {
  /** Counters are saved every few seconds, not on every message (see PeriodicSave). */
  private readonly saver: PeriodicSave<StatsDoc>;
  /** Number of per-device entries, kept so recording never counts the map's keys. */
  private tracked: number;

  private constructor(
    private readonly doc: JsonDocument<StatsDoc>,
    flushMs: number,
  ) {
    doc.data.devices = idTable(doc.data.devices);
    this.tracked = Object.keys(doc.data.devices).length;
    this.saver = new PeriodicSave(doc, flushMs);
  }

  static async open(dataDir: string, now: number, flushMs = 5000): Promise<SecurityStats> {
    const doc = await JsonDocument.open<StatsDoc>(join(dataDir, 'security-stats.json'), {
      since: new Date(now).toISOString(),
      fleet: zero(),
      devices: {},
    });
    return new SecurityStats(doc, flushMs);
  }

  record(outcome: Outcome, deviceId: string | undefined, known: boolean): void {
    const data = this.doc.data;
    data.fleet.total++;
    data.fleet[outcome]++;
    if (deviceId && known) {
      let per = data.devices[deviceId];
      if (!per && this.tracked < MAX_TRACKED_DEVICES) {
        per = data.devices[deviceId] = zero();
        this.tracked++;
      }
      if (per) {
        per.total++;
        per[outcome]++;
      }
    }
    this.saver.markDirty();
  }

  snapshot(): { since: string; fleet: Counters & { success_rate: number }; devices: Record<string, Counters & { success_rate: number }> } {
    const rate = (c: Counters) => (c.total === 0 ? 100 : Math.round(((c.accepted + c.duplicate) / c.total) * 10000) / 100);
    const data = this.doc.data;
    return {
      since: data.since,
      fleet: { ...data.fleet, success_rate: rate(data.fleet) },
      devices: idTable(Object.fromEntries(Object.entries(data.devices).map(([id, c]) => [id, { ...c, success_rate: rate(c) }]))),
    };
  }

  flush(): Promise<void> {
    return this.saver.flush();
  }

  close(): Promise<void> {
    return this.saver.close();
  }
}
