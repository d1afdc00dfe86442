/**
 * `fleetgate event list`: device events (offline, online, power_loss, power_restored, reboot),
 * fleet-wide or for one device, oldest first (server/events).
 */
import type { Command } from 'commander';
import { adminRequest, query, seg } from '../admin-client.ts';
import { adminOptions, examples, windowOptions, windowQuery, type AdminOptions } from '../options.ts';
import { shortTime, showList } from '../output.ts';
import { checkId } from './device.ts';
import type { Answer, EventView } from './views.ts';

/** Written out for help, kept equal to server/events/rules.ts EVENT_TYPES by a test. */
export const EVENT_TYPES_HELP = 'offline|online|power_loss|power_restored|reboot';

export function eventCommand(program: Command): void {
  const group = program.command('event').description('device events: offline/online, power loss, reboots');
  examples(group, [['fleetgate event list --since 1d', "the last day's events"]]);

  const list = adminOptions(
    group
      .command('list')
      .description('events, oldest first: the most recent --limit, or the first --limit from --since on')
      .option('--device <device_id>', 'only this device')
      .option('--type <type>', `only this type: ${EVENT_TYPES_HELP}`),
  );
  windowOptions(list, 'events');
  examples(list, [
    ['fleetgate event list', 'the 100 most recent'],
    ['fleetgate event list --device meter-1 --type power_loss', "one device's power cuts"],
    ['fleetgate event list --since 2h --json', 'for a script'],
  ]);
  list.action(async (opts: AdminOptions & { device?: string; type?: string; since?: string; limit?: string }) => {
    const q = query({ type: opts.type, ...windowQuery(opts) });
    const path = opts.device === undefined ? `/events${q}` : `/devices/${seg(checkId(opts.device))}/events${q}`;
    const res = await adminRequest<Answer<{ events: EventView[] }>>(opts, 'GET', path);
    showList(opts, res.events, 'no events', [
      { header: 'AT', value: (e) => shortTime(e.at) },
      { header: 'DEVICE', value: (e) => e.device_id },
      { header: 'TYPE', value: (e) => e.type },
      { header: 'DETAILS', value: (e) => e.details },
    ]);
  });
}
