/**
 * Every feature's route docs, in the order the document lists them. A new feature folder with
 * routes adds its `openapi.ts` here; a new route adds its entry to its folder's `openapi.ts`.
 */
import { auditDocs } from '../audit/openapi.ts';
import { tokenDocs } from '../auth/openapi.ts';
import { commandDocs } from '../commands/openapi.ts';
import { deviceDocs } from '../devices/openapi.ts';
import { diagnosticsDocs } from '../diagnostics/openapi.ts';
import { eventDocs } from '../events/openapi.ts';
import { faultDocs } from '../faults/openapi.ts';
import { notifyDocs } from '../notify/openapi.ts';
import { observabilityDocs } from '../observability/openapi.ts';
import { otaDocs } from '../ota/openapi.ts';
import { remoteConfigDocs } from '../remote-config/openapi.ts';
import { securityDocs } from '../security/openapi.ts';
import { telemetryDocs } from '../telemetry/openapi.ts';
import { uploadDocs } from '../uploads/openapi.ts';
import { consoleDocs } from '../ui/openapi.ts';
import type { Area } from './document.ts';
import { openApiDocs } from './openapi.ts';

export const AREAS: readonly Area[] = [
  { tag: 'devices', description: 'The device registry: registration, keys, tags, revocation (server/devices/).', docs: deviceDocs },
  { tag: 'uploads', description: 'Telemetry uploads in the signed EcoWatt envelope (server/uploads/).', docs: uploadDocs },
  { tag: 'telemetry', description: 'Stored samples read back (server/telemetry/).', docs: telemetryDocs },
  { tag: 'commands', description: 'The command queue: admins queue, devices poll and report (server/commands/).', docs: commandDocs },
  { tag: 'config', description: 'Remote configuration: fleet defaults, per-device overrides, lag (server/remote-config/).', docs: remoteConfigDocs },
  { tag: 'diagnostics', description: 'Device diagnostics reports (server/diagnostics/).', docs: diagnosticsDocs },
  { tag: 'events', description: 'Derived device events: offline, online, power loss, reboot (server/events/).', docs: eventDocs },
  { tag: 'ota', description: 'Firmware updates: offers, sessions, downloads, rollouts (server/ota/).', docs: otaDocs },
  { tag: 'security', description: 'Authentication counters and nonce resets (server/security/).', docs: securityDocs },
  { tag: 'tokens', description: 'Admin tokens and their roles (server/auth/).', docs: tokenDocs },
  { tag: 'audit', description: 'The audit log (server/audit/).', docs: auditDocs },
  { tag: 'notify', description: 'Webhook notifications (server/notify/).', docs: notifyDocs },
  { tag: 'faults', description: 'Fault injection on test fleets, FAULTS_ENABLED=1 only (server/faults/).', docs: faultDocs },
  { tag: 'observability', description: 'Health and metrics (server/observability/).', docs: observabilityDocs },
  { tag: 'openapi', description: 'This document (server/openapi/).', docs: openApiDocs },
  { tag: 'console', description: 'The operator console: HTML pages and forms for a browser, with a session cookie (server/ui/).', docs: consoleDocs },
];
