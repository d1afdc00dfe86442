/**
 * `fleetgate command send|list|show|cancel`: queue commands for devices and follow them through
 * pending → sent → completed | failed | expired | cancelled (server/commands).
 */
import type { Command } from 'commander';
import { adminRequest, query, seg } from '../admin-client.ts';
import { adminOptions, examples, keyValueArgs, parseUintFlag, type AdminOptions } from '../options.ts';
import { ago, keyValues, shortTime, show, showList } from '../output.ts';
import { checkId } from './device.ts';
import type { Answer, CommandView } from './views.ts';

/**
 * Written out for help texts, kept equal to server/commands/types.ts by a test: importing that
 * module here would load the telemetry routes and Hono with it at every start.
 */
export const COMMAND_TYPES_HELP = 'set_power|write_register|set_relay|reboot|set_config';
export const COMMAND_STATUSES_HELP = 'pending|sent|completed|failed|expired|cancelled';

function describeCommand(c: CommandView): string {
  return keyValues([
    ['command', c.command_id],
    ['device', c.device_id],
    ['type', c.command_type],
    ['parameters', c.parameters],
    ['status', c.status_reason ? `${c.status} (${c.status_reason})` : c.status],
    ['attempts', c.attempts],
    ['created', `${shortTime(c.created_at)} by ${c.created_by}`],
    ['expires', shortTime(c.expires_at)],
    ['first sent', shortTime(c.first_sent_at)],
    ['last sent', shortTime(c.last_sent_at)],
    ['finished', shortTime(c.finished_at)],
    ['result', c.result],
  ]);
}

export function commandCommand(program: Command): void {
  const group = program.command('command').description('queue commands for devices, follow and cancel them');
  examples(group, [
    ['fleetgate command send meter-1 set_power power=50%', 'queue a command'],
    ['fleetgate command list meter-1', 'its commands'],
  ]);

  const send = adminOptions(
    group
      .command('send')
      .argument('<target>', 'a device id, tag:<tag> (every active device with the tag), or all (id:<device_id> for a device named "all")')
      .argument('<type>', COMMAND_TYPES_HELP)
      .argument('[parameters...]', 'key=value; values are JSON when they parse (7, true, ["a"]), else strings')
      .description('queue a command; the device gets it on its next poll')
      .option('--expires-in <seconds>', 'give up if not delivered and answered within this time'),
  );
  examples(send, [
    ['fleetgate command send meter-1 set_power power=50%', 'power limit'],
    ['fleetgate command send meter-1 write_register register=40001 value=1200', 'numbers are JSON'],
    ['fleetgate command send meter-1 set_relay relay=2 state=off --expires-in 300', 'must happen within 5 minutes'],
    ['fleetgate command send meter-1 set_config upload_frequency=120 registers=\'["voltage","power"]\'', 'remote config as a command'],
    ['fleetgate command send meter-1 reboot', 'no parameters'],
    ['fleetgate command send tag:canary reboot', 'every device tagged canary'],
  ]);
  send.action(async (target: string, type: string, params: string[], opts: AdminOptions & { expiresIn?: string }) => {
    const body: Record<string, unknown> = { command_type: type, parameters: keyValueArgs(params, 'a parameter') };
    if (opts.expiresIn !== undefined) body.expires_in = parseUintFlag(opts.expiresIn, '--expires-in');
    if (target === 'all' || target.startsWith('tag:')) {
      const res = await adminRequest<Answer<{ queued: number; command_ids: string[]; skipped: { device_id: string; reason: string }[] }>>(opts, 'POST', '/commands', { target, ...body });
      const skipped = res.skipped.map((s) => `${s.device_id} (${s.reason})`).join(', ');
      return show(opts, res, () => `queued ${res.queued} command${res.queued === 1 ? '' : 's'} for ${target}${skipped ? `; skipped ${skipped}` : ''}`);
    }
    const id = target.startsWith('id:') ? target.slice(3) : target;
    const res = await adminRequest<Answer<{ command_id: string; status: string; expires_at: string | null }>>(opts, 'POST', `/commands/${seg(checkId(id))}`, body);
    show(opts, res, () => `command ${res.command_id} queued for ${id} (${res.status}${res.expires_at ? `, expires ${shortTime(res.expires_at)}` : ''})`);
  });

  const list = adminOptions(
    group
      .command('list')
      .argument('<device_id>')
      .description("a device's commands, oldest first")
      .option('--status <status>', `only commands in this state: ${COMMAND_STATUSES_HELP}`),
  );
  examples(list, [
    ['fleetgate command list meter-1', 'all of them'],
    ['fleetgate command list meter-1 --status pending', 'not delivered yet'],
  ]);
  list.action(async (id: string, opts: AdminOptions & { status?: string }) => {
    const res = await adminRequest<Answer<{ commands: CommandView[] }>>(opts, 'GET', `/commands/${seg(checkId(id))}${query({ status: opts.status })}`);
    const now = Date.now();
    showList(opts, res.commands, `no commands for ${id}${opts.status ? ` in state ${opts.status}` : ''}`, [
      { header: 'COMMAND', value: (c) => c.command_id },
      { header: 'TYPE', value: (c) => c.command_type },
      { header: 'STATUS', value: (c) => c.status },
      { header: 'ATTEMPTS', value: (c) => c.attempts, right: true },
      { header: 'CREATED', value: (c) => ago(c.created_at, now) },
      { header: 'FINISHED', value: (c) => ago(c.finished_at, now) },
      { header: 'PARAMETERS', value: (c) => c.parameters },
    ]);
  });

  const showCmd = adminOptions(group.command('show').argument('<command_id>').description('one command: state, deliveries, result'));
  examples(showCmd, [['fleetgate command show 0b5c2a2e-7a4f-4c1e-9d0b-2f3e4a5b6c7d', 'what the device answered']]);
  showCmd.action(async (commandId: string, opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ command: CommandView }>>(opts, 'GET', `/commands/status/${seg(commandId)}`);
    show(opts, res.command, () => describeCommand(res.command));
  });

  const cancel = adminOptions(group.command('cancel').argument('<command_id>').description('cancel a command not yet delivered'));
  examples(cancel, [['fleetgate command cancel 0b5c2a2e-7a4f-4c1e-9d0b-2f3e4a5b6c7d', 'the device will never get it']]);
  cancel.action(async (commandId: string, opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ command: CommandView }>>(opts, 'DELETE', `/commands/${seg(commandId)}`);
    show(opts, res.command, () => `command ${res.command.command_id} ${res.command.status}`);
  });
}
