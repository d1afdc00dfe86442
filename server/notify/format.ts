/**
 * What a notification says. NOTIFY_FORMAT=json posts the event itself plus a `text` line;
 * NOTIFY_FORMAT=telegram posts Telegram's sendMessage body `{"chat_id"?, "text"}` (point
 * NOTIFY_WEBHOOK_URL at https://api.telegram.org/bot<token>/sendMessage). A digest stands for the
 * events of one device held back during its cooldown.
 */
import type { DeviceEvent } from '../events/rules.ts';

export type NotifyFormat = 'json' | 'telegram';

export interface Digest {
  device_id: string;
  at: string;
  /** Events held back, oldest first (the last few kept if there were many). */
  events: DeviceEvent[];
  count: number;
}

function duration(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return 'an unknown time';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${r}s` : `${r}s`;
}

export function eventText(e: DeviceEvent): string {
  const d = e.details;
  switch (e.type) {
    case 'offline':
      return `🔴 ${e.device_id} is offline: silent for ${duration(d['silent_seconds'])} (last seen ${String(d['last_seen'])})`;
    case 'online':
      return `🟢 ${e.device_id} is back online after ${duration(d['offline_seconds'])}`;
    case 'power_loss':
      return `⚡ ${e.device_id} lost power (reset: ${String(d['reset_reason'])})${d['offline_since'] ? `; offline since ${String(d['offline_since'])}` : ''}`;
    case 'power_restored':
      return `🔌 ${e.device_id}: power restored at ${String(d['restored_at'])}`;
    case 'reboot':
      return `🔄 ${e.device_id} rebooted (reset: ${String(d['reset_reason'])}) at ${String(d['booted_at'])}`;
  }
}

export function digestText(d: Digest): string {
  const counts = new Map<string, number>();
  for (const e of d.events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const summary = [...counts].map(([t, n]) => `${t} ×${n}`).join(', ');
  const last = d.events[d.events.length - 1];
  return `🔕 ${d.device_id}: ${d.count} more event${d.count === 1 ? '' : 's'} during the cooldown (${summary})${last ? `; latest: ${eventText(last)}` : ''}`;
}

export function eventBody(e: DeviceEvent, format: NotifyFormat, chatId?: string): Record<string, unknown> {
  const text = eventText(e);
  if (format === 'telegram') return { ...(chatId ? { chat_id: chatId } : {}), text };
  return { ...e, text };
}

export function digestBody(d: Digest, format: NotifyFormat, chatId?: string): Record<string, unknown> {
  const text = digestText(d);
  if (format === 'telegram') return { ...(chatId ? { chat_id: chatId } : {}), text };
  return { type: 'digest', device_id: d.device_id, at: d.at, count: d.count, events: d.events, text };
}
