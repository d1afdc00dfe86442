/**
 * The nonce-floors file: every device's last accepted nonce, exported from a live store and
 * raised into a restored one (`fleetgate db floors export|raise`). A backup restored from before
 * the failure knows older floors than the devices have used since; every message a device sent
 * between the backup and the failure would be accepted again as new. Raising the floors from an
 * export taken later (it is small: one line per device) closes that window.
 *
 *     {"format":"fleetgate-nonce-floors","version":1,"exported_at":"<ISO-8601>","source":"<store>",
 *      "floors":[{"device_id":"<id>","nonce":<u32>,"seen_at":<epoch ms>},…]}
 *
 * Devices are in id order. `source` is for people (a directory, or a database's host/name, never
 * a password).
 */
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { isValidDeviceId } from '../devices/ids.ts';
import type { NonceSummary } from './types.ts';

export const FLOORS_FORMAT = 'fleetgate-nonce-floors';
/** More devices than any gateway holds by far; bounds what a file can make us allocate. */
export const MAX_FLOORS = 1_000_000;

const floorsFile = z.object({
  format: z.literal(FLOORS_FORMAT),
  version: z.literal(1),
  exported_at: z.string(),
  source: z.string(),
  floors: z
    .array(
      z.object({
        device_id: z.string().refine(isValidDeviceId, 'not a valid device id'),
        nonce: z.number().int().min(0).max(0xffff_ffff),
        seen_at: z.number().int().min(0),
      }),
    )
    .max(MAX_FLOORS),
});

export type FloorsFile = z.infer<typeof floorsFile>;

export function floorsDocument(floors: ReadonlyMap<string, NonceSummary>, source: string, now: Date): FloorsFile {
  return {
    format: FLOORS_FORMAT,
    version: 1,
    exported_at: now.toISOString(),
    source,
    floors: [...floors]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([device_id, s]) => ({ device_id, nonce: s.nonce, seen_at: s.seen_at })),
  };
}

/** One JSON text per device line, so a diff of two exports reads as one line per device. */
export function serializeFloors(doc: FloorsFile): string {
  const head = JSON.stringify({ ...doc, floors: [] }).slice(0, -3);
  const lines = doc.floors.map((f) => JSON.stringify(f));
  return `${head}[\n${lines.join(',\n')}\n]}\n`;
}

/** Parses and checks a floors file; the highest floor wins where a device is listed twice. */
export function parseFloors(text: string): { doc: FloorsFile; floors: Map<string, NonceSummary> } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`not a nonce-floors file: ${(err as Error).message}`, 'invalid_floors');
  }
  const parsed = floorsFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`not a nonce-floors file: ${issue.path.join('.') || 'document'}: ${issue.message}`, 'invalid_floors');
  }
  const floors = new Map<string, NonceSummary>();
  for (const f of parsed.data.floors) {
    const seen = floors.get(f.device_id);
    if (!seen || seen.nonce < f.nonce) floors.set(f.device_id, { nonce: f.nonce, seen_at: f.seen_at });
  }
  return { doc: parsed.data, floors };
}
