/**
 * `fleetgate config get|set|unset|fleet`: remote configuration (server/remote-config). The target
 * is a device id or `defaults` (the fleet defaults every device inherits), as in the API's paths
 * (`/config/defaults`, `/config/<device_id>`); values are JSON when they parse, else strings.
 */
import type { Command } from 'commander';
import { adminRequest, seg } from '../admin-client.ts';
import { CliError, ExitCode } from '../errors.ts';
import { adminOptions, examples, keyValueArgs, type AdminOptions } from '../options.ts';
import { ago, keyValues, shortTime, show, table } from '../output.ts';
import { checkId } from './device.ts';
import type { Answer } from './views.ts';

const DEFAULTS = 'defaults';

interface DefaultsAnswer {
  config_version: number;
  config: Record<string, unknown>;
  values: Record<string, unknown>;
  updated_at: string;
}

interface DeviceConfigAnswer {
  device_id: string;
  config_version: number;
  config: Record<string, unknown>;
  overrides: Record<string, unknown>;
  applied_version: number | null;
  applied_reported_at: string | null;
  behind: boolean;
}

function target(raw: string | undefined): string {
  return raw === undefined || raw === DEFAULTS ? DEFAULTS : checkId(raw);
}

/** FIELD VALUE SOURCE, where the source is the layer that set the value. */
function fieldsTable(config: Record<string, unknown>, source: (field: string) => string): string {
  return table(Object.entries(config), [
    { header: 'FIELD', value: ([k]) => k },
    { header: 'VALUE', value: ([, v]) => v },
    { header: 'SOURCE', value: ([k]) => source(k) },
  ]);
}

function describeDefaults(d: DefaultsAnswer): string {
  const head = `fleet defaults, config version ${d.config_version}${d.updated_at ? `, updated ${shortTime(d.updated_at)}` : ''}`;
  return `${head}\n${fieldsTable(d.config, (k) => (k in d.values ? 'fleet' : 'built-in'))}`;
}

function describeDeviceConfig(c: DeviceConfigAnswer, d: DefaultsAnswer): string {
  const applied =
    c.applied_version === null ? 'never reported' : `${c.applied_version} (reported ${ago(c.applied_reported_at)})`;
  const head = keyValues([
    ['device', c.device_id],
    ['config version', c.config_version],
    ['applied', `${applied}${c.behind ? ', behind' : ', up to date'}`],
  ]);
  return `${head}\n\n${fieldsTable(c.config, (k) => (k in c.overrides ? 'device' : k in d.values ? 'fleet' : 'built-in'))}`;
}

async function printTarget(opts: AdminOptions, t: string, answer?: Record<string, unknown>): Promise<void> {
  if (t === DEFAULTS) {
    const d = (answer as DefaultsAnswer | undefined) ?? (await adminRequest<Answer<DefaultsAnswer>>(opts, 'GET', '/config/defaults'));
    return show(opts, d, () => describeDefaults(d));
  }
  const [c, d] = await Promise.all([
    answer ? Promise.resolve(answer as unknown as DeviceConfigAnswer) : adminRequest<Answer<DeviceConfigAnswer>>(opts, 'GET', `/config/${seg(t)}`),
    adminRequest<Answer<DefaultsAnswer>>(opts, 'GET', '/config/defaults'),
  ]);
  show(opts, c, () => describeDeviceConfig(c, d));
}

export function configCommand(program: Command): void {
  const group = program.command('config').description('remote configuration: fleet defaults, per-device overrides, who is behind');
  examples(group, [
    ['fleetgate config get meter-1', 'what meter-1 should run, and where each value comes from'],
    ['fleetgate config set defaults heartbeat_interval=120', 'change the fleet default'],
    ['fleetgate config fleet', 'devices that have not applied the latest version'],
  ]);

  const get = adminOptions(
    group.command('get').argument('[target]', `a device id, or "${DEFAULTS}" (the default)`).description('effective configuration and where each value comes from'),
  );
  examples(get, [
    ['fleetgate config get', 'the fleet defaults'],
    ['fleetgate config get meter-1', 'one device: effective values, its overrides, applied version'],
  ]);
  get.action((raw: string | undefined, opts: AdminOptions) => printTarget(opts, target(raw)));

  const set = adminOptions(
    group
      .command('set')
      .argument('<target>', `a device id, or "${DEFAULTS}"`)
      .argument('<fields...>', 'field=value; values are JSON when they parse, else strings')
      .description('set fields of the fleet defaults or of a device override (bumps the config version)'),
  );
  examples(set, [
    ['fleetgate config set defaults upload_frequency=300 compression_method=smart', 'for every device'],
    ['fleetgate config set meter-1 poll_frequency=10 registers=\'["voltage","current","power"]\'', 'one device'],
  ]);
  set.action(async (raw: string, fields: string[], opts: AdminOptions) => {
    const t = target(raw);
    const res = await adminRequest<Answer<{ changed: boolean }>>(opts, 'PUT', `/config/${seg(t)}`, keyValueArgs(fields, 'a field'));
    if (!opts.json && !res.changed) process.stderr.write('fleetgate: nothing changed (the values were already set)\n');
    await printTarget(opts, t, res);
  });

  const unset = adminOptions(
    group
      .command('unset')
      .argument('<device_id>')
      .argument('[fields...]', 'fields to drop; none: drop every override of the device')
      .description("drop a device's overrides: it goes back to the fleet defaults"),
  );
  examples(unset, [
    ['fleetgate config unset meter-1 poll_frequency', 'one field back to the fleet default'],
    ['fleetgate config unset meter-1', 'all of them'],
  ]);
  unset.action(async (raw: string, fields: string[], opts: AdminOptions) => {
    if (raw === DEFAULTS) throw new CliError('fleet defaults cannot be unset: set them to another value', ExitCode.usage);
    const id = checkId(raw);
    const res =
      fields.length === 0
        ? await adminRequest<Answer>(opts, 'DELETE', `/config/${seg(id)}`)
        : await adminRequest<Answer>(opts, 'PUT', `/config/${seg(id)}`, Object.fromEntries(fields.map((f) => [f, null])));
    await printTarget(opts, id, res);
  });

  const fleet = adminOptions(group.command('fleet').description('how many devices run the latest configuration; those behind'));
  examples(fleet, [
    ['fleetgate config fleet', 'a table of the devices behind'],
    ['fleetgate config fleet --json | jq ".behind | length"', 'how many, for a script'],
  ]);
  fleet.action(async (opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ latest_version: number; devices: number; up_to_date: number; behind: { device_id: string; config_version: number; applied_version: number | null }[] }>>(
      opts,
      'GET',
      '/config/fleet',
    );
    show(opts, res, () => {
      const head = `latest config version ${res.latest_version}: ${res.up_to_date} of ${res.devices} active devices up to date, ${res.behind.length} behind`;
      if (res.behind.length === 0) return head;
      return `${head}\n\n${table(res.behind, [
        { header: 'DEVICE', value: (b) => b.device_id },
        { header: 'CONFIG VERSION', value: (b) => b.config_version, right: true },
        { header: 'APPLIED', value: (b) => b.applied_version ?? 'never reported', right: true },
      ])}`;
    });
  });
}
