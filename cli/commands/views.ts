/**
 * The shapes of the admin API's answers, as the CLI reads them: the gateway modules' own view
 * types where they have one (type-only imports: nothing of the server is loaded at run time).
 */
import type { commandView } from '../../server/commands/types.ts';
import type { DeviceView } from '../../server/devices/registry.ts';
import type { DeviceEvent } from '../../server/events/rules.ts';
import type { AuditEntry } from '../../server/audit/log.ts';
import type { rolloutView } from '../../server/ota/rollouts.ts';
import type { sessionView } from '../../server/ota/sessions.ts';

export type Answer<T = Record<string, unknown>> = { success: true } & T;
export type { AuditEntry, DeviceView };
export type EventView = DeviceEvent;
export type CommandView = ReturnType<typeof commandView>;
export type RolloutView = ReturnType<typeof rolloutView>;
export type SessionView = ReturnType<typeof sessionView>;
