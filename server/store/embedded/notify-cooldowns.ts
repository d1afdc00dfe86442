/**
 * Notification cooldowns of the embedded store: in memory. One gateway owns a DATA_DIR, so the
 * cooldown is already the fleet's; a restart forgets it, as it forgets notifications not yet
 * delivered (the events themselves are stored).
 */
import { admitEvent, type CooldownState, type HeldEvents, type NotifyCooldownRepo } from '../../notify/cooldowns.ts';
import type { DeviceEvent } from '../../events/rules.ts';

export class MemoryNotifyCooldowns implements NotifyCooldownRepo {
  private readonly states = new Map<string, CooldownState>();

  async admit(event: DeviceEvent, now: number, cooldownMs: number): Promise<'send' | 'held'> {
    const { decision, next } = admitEvent(this.states.get(event.device_id), event, now, cooldownMs);
    this.states.set(event.device_id, next);
    return decision;
  }

  async takeDue(now: number, cooldownMs: number, limit: number): Promise<HeldEvents[]> {
    const out: HeldEvents[] = [];
    for (const [device_id, s] of this.states) {
      if (out.length >= limit) break;
      if (s.count === 0 || now - s.last_sent_at < cooldownMs) continue;
      out.push({ device_id, events: s.events, count: s.count });
      this.states.set(device_id, { last_sent_at: now, count: 0, events: [] });
    }
    return out;
  }
}
