/**
 * Storage of device events, as an interface every store implements (server/store/): per-device
 * derivation state and the events themselves. `transition` is the one read-modify-write: it
 * derives from the current state (rules.ts) and stores the new state and its events atomically,
 * so two observations — or two gateways — never derive the same event twice. Event ids are
 * deterministic, so an event re-derived after a crash is stored (or read) once.
 */
import type { DeviceEvent, DeviceEventState, EventType, Transition } from './rules.ts';

export interface EventQuery {
  sinceMs?: number;
  limit: number;
  deviceId?: string;
  type?: EventType;
}

export interface EventRepo {
  state(deviceId: string): Promise<DeviceEventState | undefined>;
  /** Every device's derivation state (the offline sweep walks the fleet with it). */
  states(): Promise<ReadonlyMap<string, DeviceEventState>>;
  /**
   * Devices currently offline, kept in memory so the seen hook of every device message can ask
   * without I/O (a store shared by several gateways keeps it current across them).
   */
  isOffline(deviceId: string): boolean;
  /** One gateway's transitions for a device derive in the order they were called (whoever stores them). */
  transition(deviceId: string, derive: (state: DeviceEventState | undefined) => Transition | null): Promise<DeviceEvent[]>;
  /** Chronological; with `sinceMs` the first `limit` from then, without it the last `limit`. */
  query(q: EventQuery): Promise<DeviceEvent[]>;
  prune(now: number): Promise<number>;
}
