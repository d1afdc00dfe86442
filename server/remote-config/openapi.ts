/** OpenAPI descriptions of the remote configuration routes (routes.ts beside this file). */
import { z } from 'zod';
import { isoTime, success } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import { defaultsPatchSchema, fieldSchemas, overridePatchSchema, type ConfigValues, type DeviceConfig } from './fields.ts';
import type { LagEntry, RemoteConfigService } from './service.ts';

const version = z.number().int().min(0);
const configSchema = z.object(fieldSchemas).describe('The effective configuration: built-in defaults ⊕ fleet defaults ⊕ the device\'s overrides.');
const valuesSchema = z.object(fieldSchemas).partial();
agrees<Agree<typeof configSchema, DeviceConfig>>();
agrees<Agree<typeof valuesSchema, ConfigValues>>();

const defaultsSchema = z.object({
  config_version: version,
  config: configSchema,
  values: valuesSchema.describe('The fleet defaults set explicitly.'),
  updated_at: isoTime,
});
agrees<Agree<typeof defaultsSchema, Awaited<ReturnType<RemoteConfigService['defaults']>>>>();

const lagEntrySchema = z.object({ device_id: z.string(), config_version: version, applied_version: version.nullable() });
agrees<Agree<typeof lagEntrySchema, LagEntry>>();

const deviceViewSchema = z.object({
  device_id: z.string(),
  config_version: version,
  config: configSchema,
  overrides: valuesSchema.describe("This device's own values."),
  applied_version: version.nullable().describe('What the device last reported having applied (its diagnostics), or null.'),
  applied_reported_at: isoTime.nullable(),
  behind: z.boolean(),
});
agrees<Agree<typeof deviceViewSchema, Awaited<ReturnType<RemoteConfigService['deviceView']>>>>();

const changed = z.boolean().describe('False when the values were already so (the version is not bumped).');
const deviceErrors = { 400: ['invalid_device_id'], 404: ['unknown_device'] };

export const remoteConfigDocs: RouteDocs = {
  'GET /config': {
    summary: 'Device: its effective configuration',
    auth: 'device',
    responses: { 200: { description: 'The configuration and its version.', schema: success({ config_version: version, config: configSchema }) } },
  },
  'GET /config/defaults': {
    summary: 'Fleet defaults',
    auth: 'admin',
    responses: { 200: { description: 'The defaults.', schema: success(defaultsSchema.shape) } },
  },
  'PUT /config/defaults': {
    summary: 'Change fleet defaults',
    description: 'Merges the fields sent (at least one) and bumps the version. The result must satisfy the cross-field rules (upload_frequency ≥ poll_frequency).',
    auth: 'admin',
    body: { schema: defaultsPatchSchema },
    responses: { 200: { description: 'The defaults after the change.', schema: success({ changed, ...defaultsSchema.shape }) } },
    errors: { 400: ['invalid_config'] },
  },
  'GET /config/fleet': {
    summary: 'Devices still on an old configuration version',
    auth: 'admin',
    responses: {
      200: {
        description: 'Active devices counted; those behind listed.',
        schema: success({ latest_version: version, devices: z.number().int().min(0), up_to_date: z.number().int().min(0), behind: z.array(lagEntrySchema) }),
      },
    },
  },
  'GET /config/:device_id': {
    summary: "A device's configuration, overrides and applied version",
    auth: 'admin',
    responses: { 200: { description: 'The device view.', schema: success(deviceViewSchema.shape) } },
    errors: deviceErrors,
  },
  'PUT /config/:device_id': {
    summary: "Change a device's overrides",
    description: 'Merges the fields sent (at least one); `null` drops an override (back to the fleet default). Bumps the version.',
    auth: 'admin',
    body: { schema: overridePatchSchema },
    responses: { 200: { description: 'The device view after the change.', schema: success({ changed, ...deviceViewSchema.shape }) } },
    errors: { ...deviceErrors, 400: [...deviceErrors[400], 'invalid_config'] },
  },
  'DELETE /config/:device_id': {
    summary: "Drop all of a device's overrides",
    auth: 'admin',
    responses: { 200: { description: 'The device view after the change.', schema: success({ changed, ...deviceViewSchema.shape }) } },
    errors: deviceErrors,
  },
};
