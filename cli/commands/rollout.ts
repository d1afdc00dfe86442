/**
 * `fleetgate rollout create|list|show|pause|resume|cancel|delete|update` (also under
 * `fleetgate ota rollout`, its older place): a published release offered to a target ("all",
 * "tag:<tag>" or device ids) step by step, steered by the gateway's steering job and by hand.
 */
import { Option, type Command } from 'commander';
import { adminRequest, seg } from '../admin-client.ts';
import { CliError, ExitCode } from '../errors.ts';
import { adminOptions, examples, parseNumberFlag, parseUintFlag, withAliases, type AdminOptions } from '../options.ts';
import { keyValues, percent, shortTime, show, table } from '../output.ts';
import type { Answer, RolloutDetail, RolloutView } from './views.ts';

function describeTarget(t: RolloutView['target']): string {
  return Array.isArray(t) ? t.join(' ') : t;
}

function status(r: RolloutView): string {
  if (r.paused_reason) return `${r.status} (${r.paused_reason})`;
  if (r.finish_reason && r.finish_reason !== 'cancelled' && r.finish_reason !== 'all_devices_done') return `${r.status} (${r.finish_reason})`;
  return r.status;
}

export function rolloutsTable(rollouts: readonly RolloutView[]): string {
  return table(rollouts, [
    { header: 'ROLLOUT', value: (r) => r.id },
    { header: 'VERSION', value: (r) => r.version },
    { header: 'TARGET', value: (r) => describeTarget(r.target) },
    { header: 'STATUS', value: status },
    { header: 'STEP', value: (r) => `${r.step.index + 1}/${r.step.of}`, right: true },
    { header: 'PERCENT', value: (r) => `${r.percent}%`, right: true },
    { header: 'DEVICES', value: (r) => (r.covered_devices === undefined ? '-' : `${r.covered_devices}/${r.fleet_devices}`), right: true },
    { header: 'OK', value: (r) => r.results.successes, right: true },
    { header: 'FAILED', value: (r) => r.results.failures, right: true },
    { header: 'FAILURE RATE', value: (r) => `${percent(r.window.failure_rate)} of max ${percent(r.failure_threshold)}`, right: true },
    { header: 'CREATED', value: (r) => shortTime(r.created_at) },
  ]);
}

function describeStep(s: RolloutView['steps'][number]): string {
  const what = s.percent !== undefined ? `${s.percent}%` : describeTarget(s.target!);
  const gates = [
    s.after_success !== undefined ? `success ≥ ${percent(s.after_success)}` : '',
    s.min_results !== undefined ? `${s.min_results} results` : '',
    s.soak_seconds !== undefined ? `soak ${s.soak_seconds}s` : '',
  ].filter((g) => g);
  return gates.length ? `${what} (after ${gates.join(', ')})` : what;
}

export function describeRollout(r: RolloutView | RolloutDetail): string {
  const f = 'figures' in r ? r.figures : undefined;
  const next = r.step.next;
  return keyValues([
    ['rollout', r.id],
    ['version', r.version],
    ['status', r.paused_reason ? `${r.status} (${r.paused_reason}, ${shortTime(r.paused_at)})` : r.finished_at ? `${r.status} (${r.finish_reason}, ${shortTime(r.finished_at)})` : r.status],
    ['target', describeTarget(r.target)],
    ['steps', r.steps.map((s, i) => `${i === r.step.index ? '▶ ' : ''}${describeStep(s)}`).join('  →  ')],
    ['step', `${r.step.index + 1} of ${r.step.of} since ${shortTime(r.step.started_at)}: ${r.step.results.successes} ok, ${r.step.results.failures} failed`],
    ['next step', next ? `${describeStep(next)}; waiting for ${r.step.waiting_for.length ? r.step.waiting_for.join(', ') : 'the steering job'}` : undefined],
    ['percent', `${r.percent}%${r.covered_devices === undefined ? '' : ` (${r.covered_devices} of ${r.fleet_devices} devices)`}`],
    ['devices', f ? `${f.targeted} targeted: ${f.offered} offered, ${f.downloading} downloading, ${f.succeeded} succeeded, ${f.failed} failed` : undefined],
    ['failures', f && f.failed > 0 ? Object.entries(f.failed_by_error).map(([e, n]) => `${e} ${n}`).join(', ') : undefined],
    ['completion', f ? `${f.done} done, ${f.pending} pending, ${f.past_deadline} past the ${r.device_deadline_seconds}s deadline` : undefined],
    ['results', `${r.results.successes} ok, ${r.results.failures} failed (${percent(r.results.failure_rate)})`],
    ['since resume', `${r.window.successes} ok, ${r.window.failures} failed (${percent(r.window.failure_rate)})`],
    ['auto-pause', `failure rate above ${percent(r.failure_threshold)} after ${r.min_results} results`],
    ['notes', r.notes],
    ['created', shortTime(r.created_at)],
    ['updated', shortTime(r.updated_at)],
  ]);
}

/** `all`, `tag:<tag>`, or device ids separated by commas. */
export function targetFlag(value: string): 'all' | `tag:${string}` | string[] {
  if (value === 'all') return 'all';
  if (value.startsWith('tag:')) return value as `tag:${string}`;
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length === 0) throw new CliError(`--target must be "all", "tag:<tag>" or device ids separated by commas`, ExitCode.usage);
  return ids;
}

function stepsFlag(value: string): unknown {
  try {
    const steps: unknown = JSON.parse(value);
    if (Array.isArray(steps)) return steps;
  } catch {
    // the message below
  }
  throw new CliError(`--steps must be a JSON array like '[{"target":"tag:canary"},{"percent":10,"min_results":5},{"percent":100}]'`, ExitCode.usage);
}

/** Registers the rollout commands under `parent` (the program, or `fleetgate ota`). */
export function rolloutCommands(parent: Command, name = 'rollout', hidden = false): void {
  // Examples name the command as registered: `fleetgate rollout …` or `fleetgate ota rollout …`.
  const cmd = parent.parent ? `fleetgate ${parent.name()} ${name}` : `fleetgate ${name}`;
  const rollout = parent.command(name, { hidden }).description('rollouts: a published release to a target, step by step, steered by the gateway');
  examples(rollout, [
    [`${cmd} create 1.0.6 --target tag:canary`, 'every canary device'],
    [`${cmd} list`, 'progress of every rollout'],
    [`${cmd} show ro_1a2b3c`, 'figures: targeted, downloading, succeeded, failed by error'],
  ]);
  const answer = async (opts: AdminOptions, method: string, path: string, body?: unknown) => {
    const res = await adminRequest<Answer<{ rollout: RolloutView }>>(opts, method, path, body);
    show(opts, res.rollout, () => describeRollout(res.rollout));
  };

  const create = adminOptions(
    rollout
      .command('create')
      .argument('<version>', 'a published release (fleetgate ota images)')
      .description('start offering a release to a target, at once or step by step')
      .option('--percent <p>', 'one step: this share of the target, 0..100 (two decimals; raise it later with update)')
      .option('--steps <json>', 'a plan: a JSON array of steps ({"percent"} or {"target"}, with after_success, min_results, soak_seconds)')
      .option('--failure-threshold <ratio>', 'pause by itself when the failure rate goes above this (0..1; gateway default)')
      .option('--min-results <n>', 'results needed before the failure rate counts (gateway default)')
      .option('--deadline <seconds>', 'a device not done this long after it was first covered no longer holds up completion')
      .option('--notes <text>', 'a note for operators'),
  );
  withAliases(create, new Option('--target <target>', '"all", "tag:<tag>" or device ids separated by commas').default('all'), ['--devices']);
  examples(create, [
    [`${cmd} create 1.0.6 --target tag:canary`, 'the canaries, at once'],
    [`${cmd} create 1.0.6 --percent 10`, '10 % of the fleet'],
    [
      `${cmd} create 1.0.6 --steps '[{"target":"tag:canary"},{"percent":10,"min_results":5,"soak_seconds":3600},{"percent":100}]'`,
      'canaries, then 10 % once 5 results succeeded and an hour passed, then everyone',
    ],
  ]);
  create.action(
    (
      version: string,
      opts: AdminOptions & { target: string; percent?: string; steps?: string; failureThreshold?: string; minResults?: string; deadline?: string; notes?: string },
    ) => {
      const body: Record<string, unknown> = { version, target: targetFlag(opts.target) };
      if (opts.percent !== undefined && opts.steps !== undefined) throw new CliError('give --percent or --steps, not both', ExitCode.usage);
      if (opts.percent !== undefined) body.percent = parseNumberFlag(opts.percent, '--percent', 0, 100);
      if (opts.steps !== undefined) body.steps = stepsFlag(opts.steps);
      if (opts.failureThreshold !== undefined) body.failure_threshold = parseNumberFlag(opts.failureThreshold, '--failure-threshold', 0, 1);
      if (opts.minResults !== undefined) body.min_results = parseUintFlag(opts.minResults, '--min-results');
      if (opts.deadline !== undefined) body.device_deadline_seconds = parseUintFlag(opts.deadline, '--deadline');
      if (opts.notes !== undefined) body.notes = opts.notes;
      return answer(opts, 'POST', '/ota/rollouts', body);
    },
  );

  const list = adminOptions(rollout.command('list').description('every rollout, finished ones too, with its progress and failure rate'));
  examples(list, [[`${cmd} list`, 'a table']]);
  list.action(async (opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ rollouts: RolloutView[] }>>(opts, 'GET', '/ota/rollouts');
    show(opts, res.rollouts, () => (res.rollouts.length === 0 ? 'no rollouts' : rolloutsTable(res.rollouts)));
  });

  const showCmd = adminOptions(rollout.command('show').argument('<rollout_id>').description('one rollout in full, with its figures'));
  examples(showCmd, [[`${cmd} show ro_1a2b3c`, 'steps, devices by stage, failures by error, completion']]);
  showCmd.action(async (id: string, opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ rollout: RolloutDetail }>>(opts, 'GET', `/ota/rollouts/${seg(id)}`);
    show(opts, res.rollout, () => describeRollout(res.rollout));
  });

  const steer: [string, string, string][] = [
    ['pause', 'stop offering the version (downloads under way may finish)', 'hold it'],
    ['resume', 'offer it again; the failure window and the current step start over', 'after fixing what paused it'],
    ['cancel', 'stop it for good; it stays in the history (downloads under way may finish)', 'give up on it'],
  ];
  for (const [verb, what, example] of steer) {
    const sub = adminOptions(rollout.command(verb).argument('<rollout_id>').description(what));
    examples(sub, [[`${cmd} ${verb} ro_1a2b3c`, example]]);
    sub.action((id: string, opts: AdminOptions) => answer(opts, 'POST', `/ota/rollouts/${seg(id)}/${verb}`));
  }

  const del = adminOptions(rollout.command('delete').argument('<rollout_id>').description('remove a rollout no device has started (else cancel it)'));
  examples(del, [[`${cmd} delete ro_1a2b3c`, 'a rollout created by mistake']]);
  del.action(async (id: string, opts: AdminOptions) => {
    const res = await adminRequest<Answer<{ deleted: string }>>(opts, 'DELETE', `/ota/rollouts/${seg(id)}`);
    show(opts, res, () => `deleted ${res.deleted}`);
  });

  const update = adminOptions(
    rollout
      .command('update')
      .argument('<rollout_id>')
      .description('widen a one-step rollout, or change its target')
      .option('--percent <p>', 'a higher share, 0..100 (coverage only grows)'),
  );
  withAliases(update, new Option('--target <target>', '"all", "tag:<tag>" or device ids separated by commas'), ['--devices']);
  examples(update, [
    [`${cmd} update ro_1a2b3c --percent 50`, 'half the fleet (keeps the first share)'],
    [`${cmd} update ro_1a2b3c --target all --percent 100`, 'everyone'],
  ]);
  update.action((id: string, opts: AdminOptions & { percent?: string; target?: string }) => {
    const body: Record<string, unknown> = {};
    if (opts.percent !== undefined) body.percent = parseNumberFlag(opts.percent, '--percent', 0, 100);
    if (opts.target !== undefined) body.target = targetFlag(opts.target);
    if (Object.keys(body).length === 0) throw new CliError('give --percent or --target', ExitCode.usage);
    return answer(opts, 'PATCH', `/ota/rollouts/${seg(id)}`, body);
  });
}
