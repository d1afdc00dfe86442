/**
 * OpenAPI descriptions of the command routes (routes.ts beside this file). The create bodies are
 * built from the same zod schemas the service parses with: one alternative per command type,
 * with that type's parameters.
 */
import { z } from 'zod';
import { targetSchema } from '../devices/tags.ts';
import { isoTime, keyed, success } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import { createCommandSchema, MAX_RESULT_BYTES, parameterSchemas, resultSchema } from './schemas.ts';
import { COMMAND_STATUSES, PUBLIC_COMMAND_TYPES, type commandView, type deliveryView } from './types.ts';

/** `{command_type, parameters, expires_in?}`, one alternative per type (reboot's parameters may be left out). */
function createBody(extra: z.ZodRawShape = {}) {
  const [first, ...rest] = PUBLIC_COMMAND_TYPES.map((type) =>
    z.strictObject({
      ...extra,
      command_type: z.literal(type),
      parameters: type === 'reboot' ? parameterSchemas.reboot.optional() : parameterSchemas[type],
      expires_in: createCommandSchema.shape.expires_in.describe('Seconds until a command not yet completed expires.'),
    }),
  );
  return z.discriminatedUnion('command_type', [first!, ...rest]);
}

const commandType = z.enum([...PUBLIC_COMMAND_TYPES, 'simulate_fault']);
const commandId = z.string().describe('A UUID.');

const commandViewSchema = z.object({
  command_id: commandId,
  device_id: z.string(),
  command_type: commandType,
  parameters: keyed(z.unknown()),
  status: z.enum(COMMAND_STATUSES),
  attempts: z.number().int().min(0).describe('Deliveries so far.'),
  created_at: isoTime,
  created_by: z.string(),
  expires_at: isoTime.nullable(),
  first_sent_at: isoTime.nullable(),
  last_sent_at: isoTime.nullable(),
  finished_at: isoTime.nullable(),
  status_reason: z.string().nullable().describe('Why it expired (`expires_in`, `max_attempts`) or who cancelled it.'),
  result: z.unknown().describe("The device's result, null until it reports one."),
});
// created_at is never null (iso() is typed for the nullable times); result is any JSON or null (`?? null` types it {}).
agrees<Agree<typeof commandViewSchema, Omit<ReturnType<typeof commandView>, 'created_at' | 'result'> & { created_at: string; result: unknown }>>();

const deliverySchema = z.object({
  command_id: commandId,
  command_type: commandType,
  parameters: keyed(z.unknown()).describe('set_config also carries the resulting `config_version`.'),
  attempt: z.number().int().min(1),
  expires_at: isoTime.nullable(),
});
agrees<Agree<typeof deliverySchema, ReturnType<typeof deliveryView>>>();

const commandIdParam = { schema: { type: 'string', minLength: 1 }, description: 'The command id.' };

export const commandDocs: RouteDocs = {
  'POST /commands': {
    summary: 'Queue a command for a target (all, tag:<tag>, or listed devices)',
    description:
      'One command per active device of the target, audited once with the count. A device whose queue is full is skipped and named (`queue_full`). A set_config that finds configuration changes busy stops there: the devices done keep their command, the rest are skipped and named (`config_busy`), so the request can be sent again to those.',
    auth: 'admin',
    body: { schema: createBody({ target: targetSchema }) },
    responses: {
      201: {
        description: 'Queued.',
        schema: success({
          queued: z.number().int().min(0),
          command_ids: z.array(commandId),
          skipped: z.array(z.object({ device_id: z.string(), reason: z.string() })),
        }),
      },
    },
    errors: { 400: ['invalid_command', 'unknown_device', 'empty_target'] },
  },
  'POST /commands/:device_id': {
    summary: 'Queue a command for one device',
    description: 'set_config stores the values as the device\'s overrides first (validated against its effective config) and sends the new config_version with them.',
    auth: 'admin',
    body: { schema: createBody() },
    responses: {
      201: { description: 'Queued.', schema: success({ command_id: commandId, status: z.literal('pending'), expires_at: isoTime.nullable() }) },
    },
    errors: { 400: ['invalid_device_id', 'invalid_command'], 404: ['unknown_device'], 409: ['queue_full'], 503: ['config_busy'] },
  },
  'GET /commands/:device_id/poll': {
    summary: 'Device: fetch the oldest deliverable command',
    description: 'It becomes `sent`; a command not completed within COMMAND_ACK_TIMEOUT_SECONDS is delivered again. A retransmitted poll gets the same answer.',
    auth: 'device',
    responses: { 200: { description: 'A command, or `null`.', schema: z.object({ command: deliverySchema.nullable() }) } },
  },
  'POST /commands/:device_id/result': {
    summary: "Device: report a command's result",
    auth: 'device',
    body: { schema: resultSchema, description: `\`result\` serialized at most ${MAX_RESULT_BYTES} bytes.` },
    responses: { 200: { description: 'Recorded (a retransmission gets the same answer).', schema: success({ command_id: commandId, status: z.enum(COMMAND_STATUSES) }) } },
    errors: { 400: ['invalid_result'], 409: ['unknown_command', 'foreign_command', 'command_not_sent', 'command_finished'] },
  },
  'GET /commands/status/:command_id': {
    summary: 'Show one command',
    auth: 'admin',
    params: { command_id: commandIdParam },
    responses: { 200: { description: 'The command.', schema: success({ command: commandViewSchema }) } },
    errors: { 404: ['unknown_command'] },
  },
  'GET /commands/:device_id': {
    summary: "List a device's commands",
    description: 'Oldest first.',
    auth: 'admin',
    query: { status: { schema: { enum: [...COMMAND_STATUSES] }, description: 'Only commands in this state.' } },
    responses: {
      200: { description: 'The commands.', schema: success({ device_id: z.string(), count: z.number().int().min(0), commands: z.array(commandViewSchema) }) },
    },
    errors: { 400: ['invalid_device_id', 'invalid_query'], 404: ['unknown_device'] },
  },
  'DELETE /commands/:command_id': {
    summary: 'Cancel a pending command',
    auth: 'admin',
    params: { command_id: commandIdParam },
    responses: { 200: { description: 'Cancelled.', schema: success({ command: commandViewSchema }) } },
    errors: { 404: ['unknown_command'], 409: ['command_not_pending'] },
  },
};
