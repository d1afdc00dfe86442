/** OpenAPI descriptions of the device registry routes (routes.ts beside this file). */
import { z } from 'zod';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import { deviceIdParam, isoTime, success } from '../openapi/common.ts';
import type { DeviceView } from './registry.ts';
import { BULK_MAX_DEVICES, bulkDevicesSchema, createDeviceSchema, rotateKeySchema, type issued } from './routes.ts';
import { TAG_PATTERN, tagsSchema } from './tags.ts';
import { fleetColumns, fleetListParams } from '../fleet/openapi.ts';
import { DEFAULT_PAGE } from '../fleet/query.ts';
import type { FleetDeviceView } from '../fleet/views.ts';

const keyMode = z.enum(['derived', 'shared']);

export const deviceViewSchema = z.object({
  device_id: z.string(),
  key_mode: keyMode,
  key_version: z.number().int().min(0),
  status: z.enum(['active', 'revoked']),
  created_at: isoTime,
  rotated_at: isoTime.nullable(),
  previous_key_expires_at: isoTime.nullable().describe('Until then the key before the last rotation is still accepted.'),
  revoked_at: isoTime.nullable(),
  reinstated_at: isoTime.nullable(),
  psk_bound: z.boolean().nullable().describe('Shared-key devices: whether it signs with its id-bound key (the raw fleet key is then refused); null for derived keys.'),
  tags: z.array(z.string()),
  last_seen: isoTime.nullable(),
  last_nonce: z.number().int().min(0).nullable(),
});
agrees<Agree<typeof deviceViewSchema, DeviceView>>();

const fleetDeviceSchema = deviceViewSchema.extend(fleetColumns);
agrees<Agree<typeof fleetDeviceSchema, FleetDeviceView>>();

const issuedSchema = z.object({
  device_id: z.string(),
  key_mode: keyMode,
  hmac_key: z.string().regex(/^[0-9a-f]{64}$/).describe('The key the device signs with, lowercase hex: shown only in this answer.'),
  key_version: z.number().int().min(0),
});
agrees<Agree<typeof issuedSchema, ReturnType<typeof issued>>>();

const oneDevice = success({ device: deviceViewSchema });

export const deviceDocs: RouteDocs = {
  'POST /devices': {
    summary: 'Register a device',
    description: 'Derived key by default; `shared_key: true` lists a legacy device that signs with the fleet key (needs HMAC_PSK). The key is returned once.',
    auth: 'admin',
    body: { schema: createDeviceSchema },
    responses: { 201: { description: 'Registered; `hmac_key` is shown only here.', schema: success(issuedSchema.shape) } },
    errors: { 400: ['invalid_device_id', 'invalid_config'], 409: ['device_exists', 'shared_key_unavailable'], 503: ['config_busy'] },
  },
  'POST /devices/bulk': {
    summary: 'Register many devices at once (all or none)',
    description: `1..${BULK_MAX_DEVICES} devices; if any id exists nothing is registered (409 naming them).`,
    auth: 'admin',
    body: { schema: bulkDevicesSchema },
    responses: { 201: { description: 'All registered, with their keys.', schema: success({ created: z.number().int().min(1), devices: z.array(issuedSchema) }) } },
    errors: { 400: ['invalid_device_id', 'invalid_config'], 409: ['device_exists', 'shared_key_unavailable'], 503: ['config_busy'] },
  },
  'GET /devices': {
    summary: 'List devices (all, or a page)',
    description:
      'Without list parameters: every device (revoked ones included), by id. With any of limit, cursor, q, status, firmware, behind, sort, order: one page of the fleet read model (server/fleet/README.md), each device with the fleet view\'s columns; walk the pages with next_cursor / prev_cursor.',
    auth: 'admin',
    query: { tag: { schema: { type: 'string', pattern: TAG_PATTERN.source }, description: 'Only devices with this tag.' }, ...fleetListParams(DEFAULT_PAGE) },
    responses: {
      200: {
        description: 'Every device, or a page of them.',
        schema: z.union([
          success({ count: z.number().int().min(0), devices: z.array(deviceViewSchema) }),
          success({
            total: z.number().int().min(0).describe('Devices matching the filters, on every page.'),
            count: z.number().int().min(0).describe('Devices on this page.'),
            devices: z.array(fleetDeviceSchema),
            next_cursor: z.string().nullable(),
            prev_cursor: z.string().nullable(),
          }),
        ]),
      },
    },
    errors: { 400: ['invalid_query'] },
  },
  'PUT /devices/:device_id/tags': {
    summary: "Replace a device's tags",
    auth: 'admin',
    params: { device_id: deviceIdParam },
    body: { schema: tagsSchema, description: 'The new tags (kept sorted and unique).' },
    responses: { 200: { description: 'The device with its new tags.', schema: oneDevice } },
    errors: { 400: ['invalid_device_id', 'invalid_tags', 'invalid_config'], 404: ['unknown_device'], 503: ['config_busy'] },
  },
  'GET /devices/:device_id': {
    summary: 'Show a device',
    auth: 'admin',
    responses: { 200: { description: 'The device.', schema: oneDevice } },
    errors: { 400: ['invalid_device_id'], 404: ['unknown_device'] },
  },
  'DELETE /devices/:device_id': {
    summary: 'Revoke a device',
    description: 'Every message it signs is refused from now on; reinstate it to give it a new key.',
    auth: 'admin',
    responses: { 200: { description: 'The revoked device.', schema: oneDevice } },
    errors: { 400: ['invalid_device_id'], 404: ['unknown_device'] },
  },
  'POST /devices/:device_id/rotate-key': {
    summary: "Rotate a device's key",
    description: 'Issues the next key version. The old key keeps working for KEY_ROTATION_GRACE_SECONDS, or not at all with `immediate: true`. The body may be empty.',
    auth: 'admin',
    body: { schema: rotateKeySchema, required: false },
    responses: {
      200: {
        description: 'The new key (shown only here).',
        schema: success({ ...issuedSchema.shape, previous_key_valid_until: isoTime.nullable() }),
      },
    },
    errors: { 400: ['invalid_device_id', 'invalid_request'], 404: ['unknown_device'], 409: ['device_revoked'] },
  },
  'POST /devices/:device_id/reinstate': {
    summary: 'Reinstate a revoked device with a new key',
    auth: 'admin',
    responses: { 201: { description: 'Back in service; the new key is shown only here.', schema: success(issuedSchema.shape) } },
    errors: { 400: ['invalid_device_id', 'invalid_config'], 404: ['unknown_device'], 409: ['device_not_revoked'], 503: ['config_busy'] },
  },
};
