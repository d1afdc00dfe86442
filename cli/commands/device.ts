/**
 * `fleetgate device list|show|add|revoke|rotate-key|reinstate`: the registry through a gateway's admin API.
 * `show` gathers one device's whole picture (registry, config, OTA, last diagnostics, security
 * counters, recent events, open commands) from the routes that hold each part.
 */
import type { Command } from 'commander';
import { isValidDeviceId } from '../../server/devices/ids.ts';
import { adminRequest, GatewayAnswerError, query, seg } from '../admin-client.ts';
import { CliError, ExitCode, toCliError } from '../errors.ts';
import { adminOptions, examples, type AdminOptions } from '../options.ts';
import { ago, keyValues, print, shortTime, show, table } from '../output.ts';
import type { Answer, CommandView, DeviceView, EventView } from './views.ts';

async function readText(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, ExitCode.io);
  }
}

export function checkId(id: string): string {
  if (!isValidDeviceId(id)) throw new CliError(`invalid device id "${id}": use 1-64 characters of A-Z a-z 0-9 _ . -`);
  return id;
}

const STATUSES = ['active', 'revoked'] as const;

export function devicesTable(devices: readonly DeviceView[], now = Date.now()): string {
  if (devices.length === 0) return 'no devices';
  return table(devices, [
    { header: 'DEVICE', value: (d) => d.device_id },
    { header: 'STATUS', value: (d) => d.status },
    { header: 'KEY', value: (d) => `${d.key_mode}/v${d.key_version}` },
    { header: 'LAST SEEN', value: (d) => ago(d.last_seen, now) },
    { header: 'LAST NONCE', value: (d) => d.last_nonce, right: true },
    { header: 'CREATED', value: (d) => shortTime(d.created_at) },
  ]);
}

export function deviceCommand(program: Command): void {
  const device = program.command('device').description('register, list, inspect and revoke devices; rotate their keys');
  examples(device, [
    ['fleetgate device list', 'every device, last seen first'],
    ['fleetgate device add meter-1', 'register one (prints its key once)'],
    ['fleetgate device show meter-1', 'everything about one device'],
  ]);

  const list = adminOptions(
    device
      .command('list')
      .description('list devices: status, key, last seen, last nonce')
      .option('--status <status>', `only devices with this status: ${STATUSES.join('|')}`)
      .option('--tag <tag>', 'only devices with this tag'),
  );
  examples(list, [
    ['fleetgate device list', 'a table'],
    ['fleetgate device list --status revoked', 'only revoked devices'],
    ['fleetgate device list --json | jq -r ".[].device_id"', 'ids for a script'],
  ]);
  list.action(async (opts: AdminOptions & { status?: string; tag?: string }) => {
    if (opts.status !== undefined && !(STATUSES as readonly string[]).includes(opts.status)) {
      throw new CliError(`--status must be ${STATUSES.join(' or ')}, got "${opts.status}"`, ExitCode.usage);
    }
    const res = await adminRequest<Answer<{ devices: DeviceView[] }>>(opts, 'GET', `/devices${query({ tag: opts.tag })}`);
    const devices = res.devices
      .filter((d) => opts.status === undefined || d.status === opts.status)
      // Most recently seen first; never-seen devices last, by id.
      .sort((a, b) => (b.last_seen ?? '').localeCompare(a.last_seen ?? '') || a.device_id.localeCompare(b.device_id));
    show(opts, devices, () => devicesTable(devices));
  });

  const showCmd = adminOptions(device.command('show').argument('<device_id>').description('one device: registry, config, OTA, diagnostics, security counters, events, commands'));
  examples(showCmd, [
    ['fleetgate device show meter-1', 'the whole picture'],
    ['fleetgate device show meter-1 --json', 'the same, as one JSON object'],
  ]);
  showCmd.action(async (id: string, opts: AdminOptions) => {
    const picture = await devicePicture(opts, checkId(id));
    show(opts, picture, () => describeDevice(picture));
  });

  const add = adminOptions(
    device
      .command('add')
      .argument('[device_id]', 'one device (or --file for many)')
      .description('register devices; prints each HMAC key (shown only once), or writes NVS provisioning files')
      .option('--shared-key', 'an EcoWatt device that signs with the fleet key HMAC_PSK (prints the id-bound key for re-flashed firmware)')
      .option('--tag <tag>', 'a device group (repeat for several: --tag canary --tag site:lyon)', (v: string, all: string[] = []) => [...all, v])
      .option('--file <path>', 'many devices in one call: a CSV of device_id[,tags] per line (tags separated by ";" or spaces)')
      .option('--provisioning-dir <dir>', 'write <dir>/<device_id>.csv, the NVS partition CSV the firmware reads (0600; holds the key)'),
  );
  examples(add, [
    ['fleetgate device add meter-1', 'prints "hmac_key <hex>": flash it into the device'],
    ['KEY=$(fleetgate device add meter-1 --json | jq -r .hmac_key)', 'keep it in a variable'],
    ['fleetgate device add meter-2 --tag canary --tag site:lyon', 'in two groups'],
    ['fleetgate device add ecowatt-7 --shared-key', 'a field device on the fleet key (the gateway needs HMAC_PSK)'],
    ['fleetgate device add --file factory-batch.csv --provisioning-dir provisioning/', 'a factory batch: one NVS CSV per board'],
  ]);
  add.action(async (id: string | undefined, opts: AdminOptions & { sharedKey?: boolean; tag?: string[]; file?: string; provisioningDir?: string }) => {
    if ((id === undefined) === (opts.file === undefined)) throw new CliError('give one <device_id> or --file <csv>', ExitCode.usage);
    const { parseDeviceList, prepareProvisioningDir, writeProvisioningFiles } = await import('../provisioning.ts');
    const listed = opts.file !== undefined ? parseDeviceList(await readText(opts.file), opts.file) : [{ device_id: checkId(id!), tags: [] as string[] }];
    const entries = listed.map((d) => ({ device_id: d.device_id, ...(opts.sharedKey ? { shared_key: true } : {}), tags: [...new Set([...(opts.tag ?? []), ...d.tags])] }));
    // Before registering: a key is shown once, so a folder that cannot take it must stop us here.
    if (opts.provisioningDir !== undefined) await prepareProvisioningDir(opts.provisioningDir, entries.map((e) => e.device_id));
    const issued =
      opts.file === undefined
        ? [await adminRequest<Answer<IssuedKeyView>>(opts, 'POST', '/devices', entries[0])]
        : (await adminRequest<Answer<{ devices: IssuedKeyView[] }>>(opts, 'POST', '/devices/bulk', { devices: entries })).devices;
    const files = opts.provisioningDir !== undefined ? await writeProvisioningFiles(opts.provisioningDir, issued).catch((err: unknown) => lostKeys(err, issued)) : [];
    if (opts.json) return show(opts, opts.file === undefined ? issued[0] : { created: issued.length, devices: issued, files }, () => '');
    for (const res of issued) print(`device ${res.device_id} registered${res.key_mode === 'shared' ? ' (shared key)' : ''}${files.length ? '' : `\nhmac_key ${res.hmac_key}`}`);
    if (files.length) print(`${files.length} provisioning file${files.length === 1 ? '' : 's'} in ${opts.provisioningDir} (they hold device keys: keep them safe, delete them once flashed)`);
  });

  const tag = adminOptions(device.command('tag').argument('<device_id>').argument('[tags...]', 'the device\'s tags after this (none: clear them)').description("replace a device's tags"));
  examples(tag, [
    ['fleetgate device tag meter-1 canary site:lyon', 'two groups'],
    ['fleetgate device tag meter-1', 'no groups'],
  ]);
  tag.action(async (id: string, tags: string[], opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ device: DeviceView }>>(opts, 'PUT', `/devices/${seg(checkId(id))}/tags`, tags);
    show(opts, res, () => `device ${id} tags: ${res.device.tags.length ? res.device.tags.join(' ') : '(none)'}`);
  });

  const revoke = adminOptions(device.command('revoke').argument('<device_id>').description('revoke a device: its messages are refused from now on'));
  examples(revoke, [['fleetgate device revoke meter-1', 'lost or stolen device']]);
  revoke.action(async (id: string, opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ device: DeviceView }>>(opts, 'DELETE', `/devices/${seg(checkId(id))}`);
    show(opts, res, () => `device ${id} revoked`);
  });

  const rotate = adminOptions(
    device
      .command('rotate-key')
      .argument('<device_id>')
      .description('issue a new key; the old one keeps working for the grace period')
      .option('--immediate', 'the old key stops working now (a leaked key)'),
  );
  examples(rotate, [
    ['fleetgate device rotate-key meter-1', 'prints the new key and until when the old one works'],
    ['fleetgate device rotate-key meter-1 --immediate', 'a compromised key: dead at once'],
  ]);
  rotate.action(async (id: string, opts: AdminOptions & { immediate?: boolean }) => {
    const res = await adminRequest<Answer<IssuedKeyView & { previous_key_valid_until: string | null }>>(
      opts,
      'POST',
      `/devices/${seg(checkId(id))}/rotate-key`,
      opts.immediate ? { immediate: true } : undefined,
    );
    show(opts, res, () => `hmac_key ${res.hmac_key}\nkey_version ${res.key_version}\nprevious key valid until ${res.previous_key_valid_until ?? '-'}`);
  });

  const reinstate = adminOptions(device.command('reinstate').argument('<device_id>').description('put a revoked device back in service with a new key (no older key works again)'));
  examples(reinstate, [['fleetgate device reinstate meter-1', 'prints its new key: flash it into the device']]);
  reinstate.action(async (id: string, opts: AdminOptions) => {
    const res = await adminRequest<Answer<IssuedKeyView>>(opts, 'POST', `/devices/${seg(checkId(id))}/reinstate`);
    show(opts, res, () => `device ${res.device_id} reinstated\nhmac_key ${res.hmac_key}\nkey_version ${res.key_version}`);
  });
}

/**
 * Writing a provisioning file failed after the gateway registered the devices (the folder was
 * checked first, so: a full disk, a file created meanwhile). Say so, and how to get keys again.
 */
async function lostKeys(err: unknown, issued: readonly IssuedKeyView[]): Promise<never> {
  const mapped = toCliError(err);
  const why = mapped instanceof Error ? mapped.message : String(err);
  const ids = issued.map((d) => d.device_id);
  throw new CliError(
    `${why}; registered already: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ` and ${ids.length - 5} more` : ''} (a key without its file: fleetgate device rotate-key <id> --immediate issues a new one)`,
    ExitCode.io,
  );
}

/** What registration, rotation and reinstatement answer: the key, shown once. */
interface IssuedKeyView {
  device_id: string;
  key_mode: DeviceView['key_mode'];
  hmac_key: string;
  key_version: number;
}

interface DevicePicture {
  device: DeviceView;
  config: Record<string, unknown> | null;
  ota: Record<string, unknown> | null;
  diagnostics: Record<string, unknown> | null;
  security: Record<string, number> | null;
  events: EventView[];
  open_commands: CommandView[];
}

/** The parts other than the registry record are best-effort: a gateway without a feature has no route for it. */
async function devicePicture(opts: AdminOptions, id: string): Promise<DevicePicture> {
  const optional = <T>(p: Promise<T>): Promise<T | null> =>
    p.catch((err: unknown) => {
      if (err instanceof GatewayAnswerError && err.status === 404 && err.code === 'not_found') return null;
      throw err;
    });
  const path = seg(id);
  const [dev, config, ota, diag, security, events, pending, sent] = await Promise.all([
    adminRequest<Answer<{ device: DeviceView }>>(opts, 'GET', `/devices/${path}`),
    optional(adminRequest<Answer>(opts, 'GET', `/config/${path}`)),
    optional(adminRequest<Answer>(opts, 'GET', `/ota/status/${path}`)),
    optional(adminRequest<Answer<{ entries: Record<string, unknown>[] }>>(opts, 'GET', `/diagnostics/${path}${query({ limit: 1 })}`)),
    optional(adminRequest<Answer<{ devices: Record<string, Record<string, number>> }>>(opts, 'GET', '/security/stats')),
    optional(adminRequest<Answer<{ events: EventView[] }>>(opts, 'GET', `/devices/${path}/events${query({ limit: 10 })}`)),
    optional(adminRequest<Answer<{ commands: CommandView[] }>>(opts, 'GET', `/commands/${path}${query({ status: 'pending' })}`)),
    optional(adminRequest<Answer<{ commands: CommandView[] }>>(opts, 'GET', `/commands/${path}${query({ status: 'sent' })}`)),
  ]);
  return {
    device: dev.device,
    config: config && strip(config),
    ota: ota && strip(ota),
    diagnostics: diag?.entries[0] ?? null,
    security: security?.devices[id] ?? null,
    events: events?.events ?? [],
    open_commands: [...(pending?.commands ?? []), ...(sent?.commands ?? [])],
  };
}

function strip(answer: Record<string, unknown>): Record<string, unknown> {
  const { success: _success, device_id: _id, ...rest } = answer;
  return rest;
}

function describeDevice(p: DevicePicture, now = Date.now()): string {
  const d = p.device;
  const c = p.config as { config_version?: number; applied_version?: number | null; behind?: boolean; overrides?: Record<string, unknown> } | null;
  const o = p.ota as { current_version?: string | null; offered_version?: string | null; update_available?: boolean; session?: { progress_percent: number; version: string; status: string } | null } | null;
  const diag = p.diagnostics as { at?: string; firmware_version?: string; reset_reason?: string; uptime_seconds?: number; free_heap?: number } | null;
  const s = p.security;
  const parts = [
    keyValues([
      ['device', d.device_id],
      ['status', d.status],
      ['key', `${d.key_mode}/v${d.key_version}${d.previous_key_expires_at ? ` (previous key valid until ${shortTime(d.previous_key_expires_at)})` : ''}`],
      ['created', shortTime(d.created_at)],
      ['last seen', d.last_seen ? `${ago(d.last_seen, now)} (${shortTime(d.last_seen)}), nonce ${d.last_nonce}` : 'never'],
      ['revoked', d.revoked_at ? shortTime(d.revoked_at) : undefined],
      ['config', c ? `version ${c.config_version}, applied ${c.applied_version ?? 'never reported'}${c.behind ? ' (behind)' : ''}` : undefined],
      ['overrides', c && c.overrides && Object.keys(c.overrides).length > 0 ? c.overrides : undefined],
      ['firmware', o ? `${o.current_version ?? diag?.firmware_version ?? 'unknown'}${o.update_available ? `, update offered: ${o.offered_version}` : ''}` : diag?.firmware_version],
      ['ota session', o?.session ? `${o.session.version} ${o.session.status} ${o.session.progress_percent}%` : undefined],
      ['diagnostics', diag ? `${ago(diag.at, now)}: reset ${diag.reset_reason ?? '-'}, uptime ${diag.uptime_seconds ?? '-'} s, free heap ${diag.free_heap ?? '-'}` : 'none'],
      ['security', s ? `${s.total} messages: ${s.accepted} accepted, ${s.duplicate} duplicate, ${s.replay} replay, ${s.bad_signature} bad signature` : undefined],
    ]),
  ];
  if (p.open_commands.length > 0) {
    parts.push('', 'open commands:', table(p.open_commands, [
      { header: 'COMMAND', value: (x) => x.command_id },
      { header: 'TYPE', value: (x) => x.command_type },
      { header: 'STATUS', value: (x) => x.status },
      { header: 'CREATED', value: (x) => ago(x.created_at, now) },
    ]));
  }
  if (p.events.length > 0) {
    parts.push('', 'recent events:', table(p.events, [
      { header: 'AT', value: (e) => shortTime(e.at) },
      { header: 'TYPE', value: (e) => e.type },
      { header: 'DETAILS', value: (e) => e.details },
    ]));
  }
  return parts.join('\n');
}
