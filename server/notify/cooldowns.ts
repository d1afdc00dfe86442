/**
 * Notification cooldowns, as a repository every store implements (server/store/): after a
 * notification for a device, its further events within the cooldown are held and later sent as
 * one digest. With several replicas the cooldown is the fleet's, not each replica's: a device
 * whose events are derived on two replicas still costs one message per cooldown. `admit` is one
 * atomic decision per event; `takeDue` hands each digest to exactly one caller (the notifier runs it
 * under the store's 'notify-digests' lease).
 */
import type { DeviceEvent } from '../events/rules.ts';

/** Events kept per digest (the latest ones; `count` says how many there were). */
export const DIGEST_KEEP = 20;

export interface HeldEvents {
  device_id: string;
  /** Oldest first, at most DIGEST_KEEP. */
  events: DeviceEvent[];
  count: number;
}

export interface NotifyCooldownRepo {
  /**
   * 'send' when the device's last notification is at least `cooldownMs` old (or there was none,
   * and nothing is held): a new cooldown starts at `now`. Otherwise the event is held for the
   * device's digest: 'held'.
   */
  admit(event: DeviceEvent, now: number, cooldownMs: number): Promise<'send' | 'held'>;
  /**
   * Devices whose cooldown has ended with events held: their held events, removed, and a new
   * cooldown started at `now` (the digest is a notification). At most `limit`.
   */
  takeDue(now: number, cooldownMs: number, limit: number): Promise<HeldEvents[]>;
}

/** One device's cooldown state, as both stores keep it. */
export interface CooldownState {
  last_sent_at: number;
  count: number;
  events: DeviceEvent[];
}

/** The rule of `admit`, applied by every store to the state it read under its lock. */
export function admitEvent(state: CooldownState | undefined, event: DeviceEvent, now: number, cooldownMs: number): { decision: 'send' | 'held'; next: CooldownState } {
  if (!state || (state.count === 0 && now - state.last_sent_at >= cooldownMs)) {
    return { decision: 'send', next: { last_sent_at: now, count: 0, events: [] } };
  }
  const events = [...state.events, event].slice(-DIGEST_KEEP);
  return { decision: 'held', next: { last_sent_at: state.last_sent_at, count: state.count + 1, events } };
}
