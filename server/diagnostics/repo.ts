/**
 * Storage of diagnostics reports, as an interface every store implements (server/store/):
 * append-only reports per device, each device's latest report and the config version it last
 * reported having applied (for config lag), fleet overviews that never scan every report, and
 * retention.
 */
import type { Applied } from '../remote-config/service.ts';
import type { DiagnosticsRecord } from './schema.ts';

export type { Applied };

export interface DiagnosticsOverview {
  device_id: string;
  /** Reports kept for it. */
  entries: number;
  latest: DiagnosticsRecord | null;
}

export interface DiagnosticsRepo {
  /** Appends one report; resolves once durable. */
  append(deviceId: string, record: DiagnosticsRecord): Promise<void>;
  latest(deviceId: string): Promise<DiagnosticsRecord | undefined>;
  applied(deviceId: string): Promise<Applied | undefined>;
  appliedAll(): Promise<ReadonlyMap<string, Applied>>;
  /** Every reporting device with its report count and latest report, ordered by id. */
  overview(): Promise<DiagnosticsOverview[]>;
  /** Newest first. A report stored twice (re-sent after a crash, same nonce) is returned once. */
  recent(deviceId: string, limit: number): Promise<DiagnosticsRecord[]>;
  /** Forgets reports past the retention period; returns how many files/partitions/rows went. */
  prune(now: number): Promise<number>;
}
