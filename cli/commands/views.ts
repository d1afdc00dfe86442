/**
 * The shapes of the admin API's answers, as the CLI reads them: the gateway modules' own view
 * types where they have one (type-only imports: nothing of the server is loaded at run time).
 */
import type { commandView } from '../../server/commands/types.ts';
import type { DeviceView } from '../../server/devices/registry.ts';
import type { DeviceEvent } from '../../server/events/rules.ts';
import type { AuditEntry } from '../../server/audit/log.ts';
import type { ReleaseService } from '../../server/ota/release-service.ts';
import type { RolloutService } from '../../server/ota/rollout-service.ts';
import type { sessionView } from '../../server/ota/sessions.ts';

export type Answer<T = Record<string, unknown>> = { success: true } & T;
export type { AuditEntry, DeviceView };
export type EventView = DeviceEvent;
export type CommandView = ReturnType<typeof commandView>;
export type RolloutView = ReturnType<RolloutService['view']>;
/** One rollout with its figures (GET /ota/rollouts/:id). */
export type RolloutDetail = Awaited<ReturnType<RolloutService['show']>>;
/** GET /ota/images. */
export type ImagesAnswer = Awaited<ReturnType<ReleaseService['images']>>;
export type SessionView = ReturnType<typeof sessionView>;
