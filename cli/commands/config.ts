/**
 * `fleetgate config get|set|unset|fleet|tags`: remote configuration (server/remote-config). The
 * target is a device id, `tag:<tag>` (the layer of every device carrying the tag) or `defaults`
 * (the fleet defaults every device inherits), as in the API's paths (`/config/defaults`,
 * `/config/tags/<tag>`, `/config/<device_id>`); values are JSON when they parse, else strings.
 */
import type { Command } from 'commander';
import { adminRequest, seg } from '../admin-client.ts';
import { CliError, ExitCode } from '../errors.ts';
import { adminOptions, examples, keyValueArgs, type AdminOptions } from '../options.ts';
import { ago, keyValues, shortTime, show, table } from '../output.ts';
import { checkId } from './device.ts';
import type { TagView } from '../../server/remote-config/service.ts';
import type { Answer } from './views.ts';

const DEFAULTS = 'defaults';
const TAG = 'tag:';

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
  sources: Record<string, string>;
  tags: string[];
  overrides: Record<string, unknown>;
  applied_version: number | null;
  applied_reported_at: string | null;
  behind: boolean;
}

type TagAnswer = TagView;

type Target = { kind: 'defaults' } | { kind: 'tag'; tag: string } | { kind: 'device'; id: string };

/** `defaults` (also when absent), `tag:<tag>` (the gateway checks the tag), or a device id. */
function target(raw: string | undefined): Target {
  if (raw === undefined || raw === DEFAULTS) return { kind: 'defaults' };
  if (raw.startsWith(TAG)) return { kind: 'tag', tag: raw.slice(TAG.length) };
  return { kind: 'device', id: checkId(raw) };
}

function pathOf(t: Target): string {
  if (t.kind === 'defaults') return '/config/defaults';
  return t.kind === 'tag' ? `/config/tags/${seg(t.tag)}` : `/config/${seg(t.id)}`;
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
  return `${head}\n${fieldsTable(d.config, (k) => (k in d.values ? DEFAULTS : 'built-in'))}`;
}

function describeDeviceConfig(c: DeviceConfigAnswer): string {
  const applied =
    c.applied_version === null ? 'never reported' : `${c.applied_version} (reported ${ago(c.applied_reported_at)})`;
  const head = keyValues([
    ['device', c.device_id],
    ['tags', c.tags.length ? c.tags.join(' ') : '(none)'],
    ['config version', c.config_version],
    ['applied', `${applied}${c.behind ? ', behind' : ', up to date'}`],
  ]);
  return `${head}\n\n${fieldsTable(c.config, (k) => c.sources[k] ?? '-')}`;
}

const devicesWith = (n: number) => `${n} device${n === 1 ? '' : 's'}`;

function describeTag(t: TagAnswer): string {
  const set = Object.entries(t.values);
  if (t.updated_at === null) return `tag ${t.tag}: no configuration layer (${devicesWith(t.devices)} with the tag)`;
  const head = `tag ${t.tag}: config version ${t.config_version}, priority ${t.priority}, ${devicesWith(t.devices)}, updated ${shortTime(t.updated_at)} by ${t.updated_by}`;
  if (set.length === 0) return `${head}\nsets nothing: its devices get what their other layers set`;
  return `${head}\n${table(set, [
    { header: 'FIELD', value: ([k]) => k },
    { header: 'VALUE', value: ([, v]) => v },
  ])}`;
}

async function printTarget(opts: AdminOptions, t: Target, answer?: Record<string, unknown>): Promise<void> {
  const got = answer ?? (await adminRequest<Answer<Record<string, unknown>>>(opts, 'GET', pathOf(t)));
  if (t.kind === 'defaults') return show(opts, got, () => describeDefaults(got as unknown as DefaultsAnswer));
  if (t.kind === 'tag') return show(opts, got, () => describeTag(got as unknown as TagAnswer));
  show(opts, got, () => describeDeviceConfig(got as unknown as DeviceConfigAnswer));
}

export function configCommand(program: Command): void {
  const group = program.command('config').description('remote configuration: fleet defaults, layers by device tag, per-device overrides, who is behind');
  examples(group, [
    ['fleetgate config get meter-1', 'what meter-1 should run, and where each value comes from'],
    ['fleetgate config set defaults heartbeat_interval=120', 'change the fleet default'],
    ['fleetgate config set tag:canary upload_frequency=120', 'for every device tagged canary'],
    ['fleetgate config fleet', 'devices that have not applied the latest version'],
  ]);

  const get = adminOptions(
    group
      .command('get')
      .argument('[target]', `a device id, tag:<tag>, or "${DEFAULTS}" (the default)`)
      .description('effective configuration and where each value comes from'),
  );
  examples(get, [
    ['fleetgate config get', 'the fleet defaults'],
    ['fleetgate config get meter-1', 'one device: effective values and their source (defaults, tag:<tag>, device), applied version'],
    ['fleetgate config get tag:canary', 'what the canary layer sets, and how many devices carry the tag'],
  ]);
  get.action((raw: string | undefined, opts: AdminOptions) => printTarget(opts, target(raw)));

  const set = adminOptions(
    group
      .command('set')
      .argument('<target>', `a device id, tag:<tag>, or "${DEFAULTS}"`)
      .argument('<fields...>', 'field=value; values are JSON when they parse, else strings; a tag also takes priority=<0..1000>')
      .description('set fields of the fleet defaults, of a tag\'s layer or of a device override (bumps the config version)'),
  );
  examples(set, [
    ['fleetgate config set defaults upload_frequency=300 compression_method=smart', 'for every device'],
    ['fleetgate config set tag:canary upload_frequency=120 priority=10', 'for the canaries; priority 10 wins over their other tags\' layers (0 by default)'],
    ['fleetgate config set meter-1 poll_frequency=10 registers=\'["voltage","current","power"]\'', 'one device (wins over its tags)'],
  ]);
  set.action(async (raw: string, fields: string[], opts: AdminOptions) => {
    const t = target(raw);
    const res = await adminRequest<Answer<{ changed: boolean }>>(opts, 'PUT', pathOf(t), keyValueArgs(fields, 'a field'));
    if (!opts.json && !res.changed) process.stderr.write('fleetgate: nothing changed (the values were already set)\n');
    await printTarget(opts, t, res);
  });

  const unset = adminOptions(
    group
      .command('unset')
      .argument('<target>', 'a device id or tag:<tag>')
      .argument('[fields...]', 'fields to drop; none: drop them all')
      .description("drop a device's overrides or fields of a tag's layer: what lies beneath applies again"),
  );
  examples(unset, [
    ['fleetgate config unset meter-1 poll_frequency', 'one field back to the fleet default (or its tags\' value)'],
    ['fleetgate config unset meter-1', 'all of them'],
    ['fleetgate config unset tag:canary upload_frequency', 'one field of the canary layer'],
    ['fleetgate config unset tag:canary', 'empty the canary layer (its priority too)'],
  ]);
  unset.action(async (raw: string, fields: string[], opts: AdminOptions) => {
    const t = target(raw);
    if (t.kind === 'defaults') throw new CliError('fleet defaults cannot be unset: set them to another value', ExitCode.usage);
    const res =
      fields.length === 0
        ? await adminRequest<Answer>(opts, 'DELETE', pathOf(t))
        : await adminRequest<Answer>(opts, 'PUT', pathOf(t), Object.fromEntries(fields.map((f) => [f, null])));
    await printTarget(opts, t, res);
  });

  const tags = adminOptions(group.command('tags').description('every tag layer in use: what it sets, its priority, how many devices carry the tag'));
  examples(tags, [
    ['fleetgate config tags', 'a table of the tag layers'],
    ['fleetgate config tags --json | jq ".tags[] | select(.devices == 0) | .tag"', 'layers of tags no device carries'],
  ]);
  tags.action(async (opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ tags: TagAnswer[] }>>(opts, 'GET', '/config/tags');
    show(opts, res, () =>
      res.tags.length === 0
        ? 'no tag layers'
        : table(res.tags, [
            { header: 'TAG', value: (t) => t.tag },
            { header: 'PRIORITY', value: (t) => t.priority, right: true },
            { header: 'DEVICES', value: (t) => t.devices, right: true },
            { header: 'VERSION', value: (t) => t.config_version, right: true },
            { header: 'UPDATED', value: (t) => (t.updated_at ? `${ago(t.updated_at)} by ${t.updated_by}` : '-') },
            { header: 'SETS', value: (t) => JSON.stringify(t.values) },
          ]),
    );
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
