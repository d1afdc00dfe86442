/**
 * `fleetgate ota images|sessions|rollout ...`: the gateway's OTA side (server/ota): which images
 * it serves, who is downloading what, and staged rollouts (create, list, show, pause, resume,
 * update the percentage or the devices). Packaging images is `fleetgate firmware`, a local step.
 */
import type { Command } from 'commander';
import { adminRequest, seg } from '../admin-client.ts';
import { CliError, ExitCode } from '../errors.ts';
import { adminOptions, examples, parseNumberFlag, parseUintFlag, type AdminOptions } from '../options.ts';
import { ago, bytes, keyValues, percent, shortTime, show, table } from '../output.ts';
import { checkId } from './device.ts';
import type { Answer, RolloutView, SessionView } from './views.ts';

interface ImageView {
  version: string;
  security_counter: number;
  original_size: number;
  encrypted_size: number;
  total_chunks: number;
  chunk_size: number;
  created_at: string;
  release_notes: string;
  held_by_rollout: boolean;
  cached: boolean;
}

export function rolloutsTable(rollouts: readonly RolloutView[]): string {
  return table(rollouts, [
    { header: 'ROLLOUT', value: (r) => r.id },
    { header: 'VERSION', value: (r) => r.version },
    { header: 'STATUS', value: (r) => (r.paused_reason ? `${r.status} (${r.paused_reason})` : r.status) },
    { header: 'PERCENT', value: (r) => `${r.percent}%`, right: true },
    { header: 'DEVICES', value: (r) => (r.covered_devices === undefined ? '-' : `${r.covered_devices}/${r.fleet_devices}`), right: true },
    { header: 'OK', value: (r) => r.results.successes, right: true },
    { header: 'FAILED', value: (r) => r.results.failures, right: true },
    { header: 'FAILURE RATE', value: (r) => `${percent(r.window.failure_rate)} of max ${percent(r.failure_threshold)}`, right: true },
    { header: 'CREATED', value: (r) => shortTime(r.created_at) },
  ]);
}

function describeRollout(r: RolloutView): string {
  return keyValues([
    ['rollout', r.id],
    ['version', r.version],
    ['status', r.paused_reason ? `${r.status} (${r.paused_reason}, ${shortTime(r.paused_at)})` : r.status],
    ['devices', r.devices === 'all' ? 'all' : r.devices.join(' ')],
    ['percent', `${r.percent}%${r.covered_devices === undefined ? '' : ` (${r.covered_devices} of ${r.fleet_devices} devices)`}`],
    ['results', `${r.results.successes} ok, ${r.results.failures} failed (${percent(r.results.failure_rate)})`],
    ['since resume', `${r.window.successes} ok, ${r.window.failures} failed (${percent(r.window.failure_rate)})`],
    ['auto-pause', `failure rate above ${percent(r.failure_threshold)} after ${r.min_results} results`],
    ['notes', r.notes],
    ['created', shortTime(r.created_at)],
    ['updated', shortTime(r.updated_at)],
  ]);
}

export function sessionsTable(sessions: readonly SessionView[], now = Date.now()): string {
  return table(sessions, [
    { header: 'DEVICE', value: (s) => s.device_id },
    { header: 'VERSION', value: (s) => s.version },
    { header: 'STATUS', value: (s) => (s.stale ? `${s.status} (stale)` : s.status) },
    { header: 'PROGRESS', value: (s) => `${s.progress_percent}%`, right: true },
    { header: 'CHUNKS', value: (s) => `${s.next_chunk}/${s.total_chunks}`, right: true },
    { header: 'REFETCHES', value: (s) => s.refetches, right: true },
    { header: 'SERVED', value: (s) => bytes(s.bytes_served), right: true },
    { header: 'LAST ACTIVITY', value: (s) => ago(s.last_activity_at, now) },
    { header: 'ROLLOUT', value: (s) => s.rollout_id },
  ]);
}

/** `all` or a comma-separated list of device ids. */
function devicesFlag(value: string): 'all' | string[] {
  if (value === 'all') return 'all';
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw new CliError('--devices must be "all" or device ids separated by commas', ExitCode.usage);
  return ids;
}

export function otaCommand(program: Command): void {
  const ota = program.command('ota').description("the gateway's OTA: images it serves, download sessions, staged rollouts");
  examples(ota, [
    ['fleetgate ota images', 'what the gateway offers'],
    ['fleetgate ota rollout create 1.0.6 --percent 10', 'start a staged rollout'],
    ['fleetgate ota sessions', 'downloads in progress'],
  ]);

  const images = adminOptions(ota.command('images').description("the images in the gateway's FIRMWARE_DIR"));
  examples(images, [['fleetgate ota images', 'versions, sizes, which are held for a rollout']]);
  images.action(async (opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ dir: string; images: ImageView[]; problems: { file: string; reason: string }[] }>>(opts, 'GET', '/ota/images');
    show(opts, res, () => {
      const lines = [
        res.images.length === 0
          ? `no firmware images in the gateway's ${res.dir}`
          : table(res.images, [
              { header: 'VERSION', value: (i) => i.version },
              { header: 'COUNTER', value: (i) => i.security_counter, right: true },
              { header: 'SIZE', value: (i) => bytes(i.original_size), right: true },
              { header: 'CHUNKS', value: (i) => `${i.total_chunks} × ${i.chunk_size}`, right: true },
              { header: 'OFFERED TO', value: (i) => (i.held_by_rollout ? 'rollout only' : 'everyone') },
              { header: 'CREATED', value: (i) => shortTime(i.created_at) },
              { header: 'NOTES', value: (i) => i.release_notes },
            ]),
      ];
      for (const p of res.problems) lines.push(`skipped ${p.file}: ${p.reason}`);
      return lines.join('\n');
    });
  });

  const sessions = adminOptions(
    ota.command('sessions').argument('[device_id]', 'one device: its OTA state and session').description('download sessions in progress (or one device\'s OTA state)'),
  );
  examples(sessions, [
    ['fleetgate ota sessions', 'every active download'],
    ['fleetgate ota sessions meter-1', 'what meter-1 runs, is offered, and is downloading'],
  ]);
  sessions.action(async (device: string | undefined, opts: AdminOptions) => {
    if (device !== undefined) {
      const s = await adminRequest<Answer<Record<string, unknown> & { session: SessionView | null }>>(opts, 'GET', `/ota/status/${seg(checkId(device))}`);
      return show(opts, s, () => {
        const head = keyValues([
          ['device', s.device_id],
          ['current version', s.current_version ?? 'unknown'],
          ['offered version', s.offered_version ?? 'none'],
          ['update available', s.update_available ? 'yes' : 'no'],
          ['rollout', s.rollout_id],
          ['security counter floor', s.security_counter_floor],
          ['results', `${s.successes} ok, ${s.failures} failed`],
          ['last check', ago(s.last_check_at as string | null)],
        ]);
        return s.session ? `${head}\n\n${sessionsTable([s.session])}` : `${head}\n\nno download session`;
      });
    }
    const res = await adminRequest<Answer<{ active_sessions: SessionView[] }>>(opts, 'GET', '/ota/stats');
    show(opts, res.active_sessions, () => (res.active_sessions.length === 0 ? 'no active download sessions' : sessionsTable(res.active_sessions)));
  });

  rolloutCommands(ota);
}

function rolloutCommands(ota: Command): void {
  const rollout = ota.command('rollout').description('staged rollouts: a version to a share of the fleet or to listed devices');
  examples(rollout, [
    ['fleetgate ota rollout create 1.0.6 --percent 10', '10 % of the fleet'],
    ['fleetgate ota rollout list', 'progress of every rollout'],
    ['fleetgate ota rollout update ro_1a2b3c --percent 50', 'widen it'],
  ]);
  const answer = async (opts: AdminOptions, method: string, path: string, body?: unknown) => {
    const res = await adminRequest<Answer<{ rollout: RolloutView }>>(opts, method, path, body);
    show(opts, res.rollout, () => describeRollout(res.rollout));
  };

  const create = adminOptions(
    rollout
      .command('create')
      .argument('<version>', 'an image the gateway serves (fleetgate ota images)')
      .description('start offering a version to some devices; it is held back from all others')
      .option('--devices <list>', '"all" or device ids separated by commas', 'all')
      .option('--percent <p>', 'share of --devices, 0..100 (two decimals); raise it later with update', '100')
      .option('--failure-threshold <ratio>', 'pause by itself when the failure rate goes above this (0..1; gateway default)')
      .option('--min-results <n>', 'results needed before the failure rate counts (gateway default)')
      .option('--notes <text>', 'a note for operators'),
  );
  examples(create, [
    ['fleetgate ota rollout create 1.0.6 --percent 10', 'a canary'],
    ['fleetgate ota rollout create 1.0.6 --devices lab-1,lab-2 --notes "bench first"', 'named devices'],
    ['fleetgate ota rollout create 1.0.6 --percent 25 --failure-threshold 0.05 --min-results 20', 'stricter auto-pause'],
  ]);
  create.action(
    (version: string, opts: AdminOptions & { devices: string; percent: string; failureThreshold?: string; minResults?: string; notes?: string }) => {
      const body: Record<string, unknown> = {
        version,
        devices: devicesFlag(opts.devices),
        percent: parseNumberFlag(opts.percent, '--percent', 0, 100),
      };
      if (opts.failureThreshold !== undefined) body.failure_threshold = parseNumberFlag(opts.failureThreshold, '--failure-threshold', 0, 1);
      if (opts.minResults !== undefined) body.min_results = parseUintFlag(opts.minResults, '--min-results');
      if (opts.notes !== undefined) body.notes = opts.notes;
      return answer(opts, 'POST', '/ota/rollouts', body);
    },
  );

  const list = adminOptions(rollout.command('list').description('every rollout with its progress and failure rate'));
  examples(list, [['fleetgate ota rollout list', 'a table']]);
  list.action(async (opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ rollouts: RolloutView[] }>>(opts, 'GET', '/ota/rollouts');
    show(opts, res.rollouts, () => (res.rollouts.length === 0 ? 'no rollouts' : rolloutsTable(res.rollouts)));
  });

  const showCmd = adminOptions(rollout.command('show').argument('<rollout_id>').description('one rollout in full'));
  examples(showCmd, [['fleetgate ota rollout show ro_1a2b3c', 'results, window since the last resume, auto-pause rule']]);
  showCmd.action((id: string, opts: AdminOptions) => answer(opts, 'GET', `/ota/rollouts/${seg(id)}`));

  const pause = adminOptions(rollout.command('pause').argument('<rollout_id>').description('stop offering the version (downloads under way may finish)'));
  examples(pause, [['fleetgate ota rollout pause ro_1a2b3c', 'hold it']]);
  pause.action((id: string, opts: AdminOptions) => answer(opts, 'POST', `/ota/rollouts/${seg(id)}/pause`));

  const resume = adminOptions(rollout.command('resume').argument('<rollout_id>').description('offer it again; the failure rate starts a new window'));
  examples(resume, [['fleetgate ota rollout resume ro_1a2b3c', 'after fixing what paused it']]);
  resume.action((id: string, opts: AdminOptions) => answer(opts, 'POST', `/ota/rollouts/${seg(id)}/resume`));

  const update = adminOptions(
    rollout
      .command('update')
      .argument('<rollout_id>')
      .description('change the percentage or the devices of a rollout')
      .option('--percent <p>', 'new share, 0..100 (raising it only adds devices)')
      .option('--devices <list>', '"all" or device ids separated by commas'),
  );
  examples(update, [
    ['fleetgate ota rollout update ro_1a2b3c --percent 50', 'half the fleet'],
    ['fleetgate ota rollout update ro_1a2b3c --devices all --percent 100', 'everyone'],
  ]);
  update.action((id: string, opts: AdminOptions & { percent?: string; devices?: string }) => {
    const body: Record<string, unknown> = {};
    if (opts.percent !== undefined) body.percent = parseNumberFlag(opts.percent, '--percent', 0, 100);
    if (opts.devices !== undefined) body.devices = devicesFlag(opts.devices);
    if (Object.keys(body).length === 0) throw new CliError('give --percent or --devices', ExitCode.usage);
    return answer(opts, 'PATCH', `/ota/rollouts/${seg(id)}`, body);
  });
}
