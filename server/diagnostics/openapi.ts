/** OpenAPI descriptions of the diagnostics routes (routes.ts beside this file). */
import { z } from 'zod';
import type { Config } from '../config.ts';
import { isoTime, keyed, limitParam, success } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import { DIAGNOSTICS_LIMIT } from './routes.ts';
import { diagnosticsSchema, type DiagnosticsRecord } from './schema.ts';

const count = z.number().int().min(0);
const version = z.number().int().min(0);

/** A stored report: as sent (boot_id as a string), with when it arrived and its nonce. */
const recordSchema = z.object({
  ...diagnosticsSchema.shape,
  boot_id: z.string(),
  at: isoTime.describe('When the gateway stored it.'),
  nonce: z.number().int().min(0),
});
agrees<Agree<typeof recordSchema, DiagnosticsRecord>>();

export function diagnosticsDocs(config: Config): RouteDocs {
  return {
    'POST /diagnostics/:device_id': {
      summary: 'Device: report diagnostics',
      description: 'Boot identity (boot_id, reset_reason, uptime_seconds) drives the reboot / power-loss events; `config_version` is what the device has applied. The answer names the version it should run.',
      auth: 'device',
      body: { schema: diagnosticsSchema, description: `\`extra\` serialized at most DIAGNOSTICS_EXTRA_MAX_BYTES (${config.DIAGNOSTICS_EXTRA_MAX_BYTES}) bytes.` },
      responses: { 200: { description: 'Stored.', schema: success({ config_version: version.describe("The device's effective configuration version.") }) } },
      errors: { 400: ['invalid_diagnostics'] },
    },
    'GET /diagnostics/summary': {
      summary: 'Fleet diagnostics overview',
      auth: 'admin',
      responses: {
        200: {
          description: 'Counts, firmware versions and reset reasons of the latest reports, configuration lag.',
          schema: success({
            retention_days: count,
            devices: count.describe('Devices that reported.'),
            entries: count,
            firmware_versions: keyed(count).describe('Latest reports per firmware version.'),
            reset_reasons: keyed(count),
            config_lag: z.object({
              latest_version: version,
              devices: count,
              up_to_date: count,
              behind: z.array(z.object({ device_id: z.string(), config_version: version, applied_version: version.nullable() })),
            }),
            latest: keyed(recordSchema.nullable()).describe('Each reporting device\'s latest report, by id.'),
          }),
        },
      },
      // The configuration lag is read between configuration changes (Store.configSnapshot): on the
      // embedded store it waits for one in progress, boundedly, as GET /config/fleet does.
      errors: { 503: ['config_busy'] },
    },
    'GET /diagnostics/:device_id': {
      summary: "A device's reports",
      description: 'Newest first.',
      auth: 'admin',
      query: { limit: limitParam(DIAGNOSTICS_LIMIT, 'reports') },
      responses: { 200: { description: 'The reports.', schema: success({ device_id: z.string(), count, entries: z.array(recordSchema) }) } },
      errors: { 400: ['invalid_device_id', 'invalid_query'], 404: ['unknown_device'] },
    },
  };
}
