/** `fleetgate audit`: the audit log of every change (who, what, on what, when), oldest first. */
import type { Command } from 'commander';
import { adminRequest, query } from '../admin-client.ts';
import { adminOptions, examples, windowOptions, windowQuery, type AdminOptions } from '../options.ts';
import { shortTime, showList } from '../output.ts';
import { checkId } from './device.ts';
import type { Answer, AuditEntry } from './views.ts';

export function auditCommand(program: Command): void {
  const cmd = adminOptions(
    program
      .command('audit')
      .description('the audit log: the most recent --limit entries, or the first --limit from --since on')
      .option('--device <device_id>', 'only entries about this device')
      .option('--action <action>', 'an action (command.created) or a prefix ending in "." (config.)'),
  );
  windowOptions(cmd, 'entries');
  examples(cmd, [
    ['fleetgate audit', 'the 100 most recent changes'],
    ['fleetgate audit --action config. --since 7d', "the week's configuration changes"],
    ['fleetgate audit --device meter-1 --json', 'for a script'],
  ]);
  cmd.action(async (opts: AdminOptions & { device?: string; action?: string; since?: string; limit?: string }) => {
    const q = query({
      device_id: opts.device === undefined ? undefined : checkId(opts.device),
      action: opts.action,
      ...windowQuery(opts),
    });
    const res = await adminRequest<Answer<{ entries: AuditEntry[] }>>(opts, 'GET', `/audit${q}`);
    showList(opts, res.entries, 'no audit entries', [
      { header: 'AT', value: (e) => shortTime(e.at) },
      { header: 'ACTOR', value: (e) => e.actor },
      { header: 'ACTION', value: (e) => e.action },
      { header: 'DEVICE', value: (e) => e.device_id },
      { header: 'COMMAND', value: (e) => e.command_id },
      { header: 'DETAILS', value: (e) => e.details },
    ]);
  });
}
