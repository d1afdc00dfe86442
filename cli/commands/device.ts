/** `fleetgate device add|list|revoke|rotate-key`: the registry through the running gateway's admin API. */
import type { Command } from 'commander';
import { addAdminOptions, adminRequest, type AdminOptions } from '../admin-client.ts';
import { isValidDeviceId } from '../../server/devices/ids.ts';
import { CliError } from '../errors.ts';

function checkId(id: string): string {
  if (!isValidDeviceId(id)) throw new CliError(`invalid device id "${id}": use 1-64 characters of A-Z a-z 0-9 _ . -`);
  return id;
}

export function deviceCommand(program: Command): void {
  const device = program.command('device').description('register, list, revoke devices and rotate their keys');

  addAdminOptions(device.command('add <device_id>').description('register a device; prints its HMAC key (shown only once)'))
    .option('--json', 'print the full JSON answer')
    .action(async (id: string, opts: AdminOptions & { json?: boolean }) => {
      const res = await adminRequest(opts, 'POST', '/devices', { device_id: checkId(id) });
      console.log(opts.json ? JSON.stringify(res, null, 2) : `device ${res.device_id} registered\nhmac_key ${res.hmac_key}`);
    });

  addAdminOptions(device.command('list').description('list devices with last-seen time and last nonce'))
    .option('--json', 'print JSON')
    .action(async (opts: AdminOptions & { json?: boolean }) => {
      const res = await adminRequest(opts, 'GET', '/devices');
      const devices = res.devices as Record<string, unknown>[];
      if (opts.json) return console.log(JSON.stringify(devices, null, 2));
      if (devices.length === 0) return console.log('no devices');
      console.log(['DEVICE', 'STATUS', 'KEY', 'LAST SEEN', 'LAST NONCE'].join('\t'));
      for (const d of devices) {
        console.log([d.device_id, d.status, `${d.key_mode}/v${d.key_version}`, d.last_seen ?? '-', d.last_nonce ?? '-'].join('\t'));
      }
    });

  addAdminOptions(device.command('revoke <device_id>').description('revoke a device: its messages are refused from now on')).action(
    async (id: string, opts: AdminOptions) => {
      await adminRequest(opts, 'DELETE', `/devices/${checkId(id)}`);
      console.log(`device ${id} revoked`);
    },
  );

  addAdminOptions(
    device.command('rotate-key <device_id>').description('issue a new key; the old one keeps working for the grace period'),
  ).action(async (id: string, opts: AdminOptions) => {
    const res = await adminRequest(opts, 'POST', `/devices/${checkId(id)}/rotate-key`);
    console.log(`hmac_key ${res.hmac_key}\nprevious key valid until ${res.previous_key_valid_until}`);
  });
}
