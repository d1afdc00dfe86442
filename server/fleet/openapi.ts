/**
 * OpenAPI pieces of the fleet read model's list (query.ts, views.ts), for the routes that answer
 * from it: `GET /devices` with list parameters (server/devices/openapi.ts) and the console's fleet
 * page (server/ui/openapi.ts).
 */
import { z } from 'zod';
import { isoTime } from '../openapi/common.ts';
import type { ParamDoc } from '../openapi/describe.ts';
import { MAX_PAGE, SORT_KEYS } from './query.ts';
import { CONNECTION_STATUSES } from './row.ts';

/** The list parameters (any of them asks `GET /devices` for a page); `limit`'s default is the caller's. */
export function fleetListParams(defaultLimit: number): Record<string, ParamDoc> {
  return {
    limit: { schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: defaultLimit }, description: `Rows per page (1..${MAX_PAGE}).` },
    cursor: { schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,512}$' }, description: 'next_cursor or prev_cursor of the previous page, as is; it must come with the same sort and order.' },
    q: { schema: { type: 'string', maxLength: 64 }, description: 'A substring of the device id, any case.' },
    status: { schema: { enum: [...CONNECTION_STATUSES] }, description: 'Only devices with this status.' },
    firmware: { schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,64}$' }, description: 'Only devices running this version (`unknown`: none known yet).' },
    behind: { schema: { enum: ['1', '0', 'true', 'false'] }, description: 'Only devices behind on config (1), or up to date (0).' },
    sort: { schema: { enum: [...SORT_KEYS], default: 'id' }, description: 'Sort key; unknown values sort last either way, ties by id.' },
    order: { schema: { enum: ['asc', 'desc'], default: 'asc' }, description: 'Sort order.' },
  };
}

/** The fleet view's columns a page row adds to the registry's device view. */
export const fleetColumns = {
  connection: z.enum(CONNECTION_STATUSES).describe('online/offline from device events; never_seen: never heard from; revoked.'),
  last_upload: isoTime.nullable(),
  firmware: z
    .object({ version: z.string(), source: z.enum(['diagnostics', 'ota_check', 'ota_install']), at: isoTime })
    .nullable()
    .describe('The newer of its latest diagnostics report and what OTA saw (its last check, or an install it reported).'),
  config: z.object({
    applied_version: z.number().int().min(0).nullable(),
    behind: z.boolean(),
    target_version: z.number().int().min(0).nullable().describe('Its effective version while it is behind.'),
  }),
  uploads_24h: z.number().int().min(0),
  rejected_24h: z.number().int().min(0),
  commands: z.object({ pending: z.number().int().min(0), sent: z.number().int().min(0) }),
};
