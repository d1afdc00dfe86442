/** OpenAPI descriptions of the remote configuration routes (routes.ts beside this file). */
import { z } from 'zod';
import { isoTime, success } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import { TAG_PATTERN } from '../devices/tags.ts';
import { CONFIG_FIELDS, defaultsPatchSchema, fieldSchemas, overridePatchSchema, tagLayerPatchSchema, TAG_PRIORITY, type ConfigValues, type DeviceConfig } from './fields.ts';
import type { LagEntry, RemoteConfigService, TagView } from './service.ts';

const version = z.number().int().min(0);
const configSchema = z
  .object(fieldSchemas)
  .describe("The effective configuration: built-in defaults ⊕ fleet defaults ⊕ the device's tag layers (by priority, then tag name) ⊕ its overrides.");
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

const tag = z.string().regex(TAG_PATTERN);
const priority = z.number().int().min(TAG_PRIORITY.min).max(TAG_PRIORITY.max);
const source = z.union([z.enum(['built-in', 'defaults', 'device']), z.templateLiteral(['tag:', z.string()])]);
const sourcesSchema = z
  .object(Object.fromEntries(CONFIG_FIELDS.map((f) => [f, source])) as Record<keyof typeof fieldSchemas, typeof source>)
  .describe('Where each effective value comes from: built-in, defaults, tag:<tag> or device.');

const deviceViewSchema = z.object({
  device_id: z.string(),
  config_version: version,
  config: configSchema,
  sources: sourcesSchema,
  tags: z.array(tag).describe("The device's tags."),
  tag_layers: z
    .array(z.object({ tag, priority, config_version: version, values: valuesSchema }))
    .describe("The device's tag layers that set something, in the order applied (a later one wins a field)."),
  overrides: valuesSchema.describe("This device's own values."),
  applied_version: version.nullable().describe('What the device last reported having applied (its diagnostics), or null.'),
  applied_reported_at: isoTime.nullable(),
  behind: z.boolean(),
});
agrees<Agree<typeof deviceViewSchema, Awaited<ReturnType<RemoteConfigService['deviceView']>>>>();

const tagViewSchema = z.object({
  tag,
  priority,
  values: valuesSchema.describe("The values the tag's layer sets."),
  config_version: version.describe('The version at which the layer last changed; 0 if it was never set.'),
  updated_at: isoTime.nullable(),
  updated_by: z.string().nullable(),
  devices: z.number().int().min(0).describe('Active devices carrying the tag.'),
});
agrees<Agree<typeof tagViewSchema, TagView>>();

const tagParams = { tag: { schema: { type: 'string', pattern: TAG_PATTERN.source }, description: 'A device tag.' } };

const changed = z.boolean().describe('False when the values were already so (the version is not bumped).');
const deviceErrors = { 400: ['invalid_device_id'], 404: ['unknown_device'] };
/** Every change checked against the fleet waits for the one before it (Store.configWrite), boundedly. */
const busy = { 503: ['config_busy'] };

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
    errors: { 400: ['invalid_config'], ...busy },
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
    // The embedded store reads it between two config changes.
    errors: busy,
  },
  'GET /config/tags': {
    summary: 'Every tag layer in use',
    description: 'The layers that set a field or a priority (emptied ones are left out), by tag, each with the number of active devices carrying the tag.',
    auth: 'admin',
    responses: { 200: { description: 'The tag layers.', schema: success({ tags: z.array(tagViewSchema) }) } },
  },
  'GET /config/tags/:tag': {
    summary: "A tag's configuration layer",
    auth: 'admin',
    params: tagParams,
    responses: { 200: { description: 'The layer (empty if it was never set).', schema: success(tagViewSchema.shape) } },
    errors: { 400: ['invalid_tag'] },
  },
  'PUT /config/tags/:tag': {
    summary: "Change a tag's configuration layer",
    description:
      "Merges the fields sent into the layer of every device carrying the tag, between the fleet defaults and each device's own overrides; `null` drops a field. " +
      '`priority` (default 0) decides among the tag layers of one device: the higher wins a field both set, equal priorities go by tag name (the later wins). ' +
      'The layer over the fleet defaults, and the effective configuration of every device carrying the tag, must satisfy the cross-field rules (400 invalid_config naming the first device otherwise). Bumps the version: every device with the tag re-fetches.',
    auth: 'admin',
    params: tagParams,
    body: { schema: tagLayerPatchSchema },
    responses: { 200: { description: 'The layer after the change.', schema: success({ changed, ...tagViewSchema.shape }) } },
    errors: { 400: ['invalid_tag', 'invalid_config'], ...busy },
  },
  'DELETE /config/tags/:tag': {
    summary: "Empty a tag's configuration layer",
    description:
      'Drops every field and the priority (a new version, so the devices with the tag re-fetch). Refused (400 invalid_config) if the layer masked a conflict between the other layers of a device carrying the tag.',
    auth: 'admin',
    params: tagParams,
    responses: { 200: { description: 'The layer after the change.', schema: success({ changed, ...tagViewSchema.shape }) } },
    errors: { 400: ['invalid_tag', 'invalid_config'], ...busy },
  },
  'GET /config/:device_id': {
    summary: "A device's configuration, where each value comes from, and its applied version",
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
    errors: { ...deviceErrors, 400: [...deviceErrors[400], 'invalid_config'], ...busy },
  },
  'DELETE /config/:device_id': {
    summary: "Drop all of a device's overrides",
    description: "Refused (400 invalid_config) if the overrides masked a conflict between the device's layers.",
    auth: 'admin',
    responses: { 200: { description: 'The device view after the change.', schema: success({ changed, ...deviceViewSchema.shape }) } },
    errors: { ...deviceErrors, 400: [...deviceErrors[400], 'invalid_config'], ...busy },
  },
};
