/**
 * The firmware page (/ui/firmware): the builds the gateway holds, their release state and who can
 * get each, the rollouts with their step, progress and failure rate against the auto-pause
 * threshold, the OTA sessions in progress, and how many devices run each version. Images, rollouts
 * and sessions are the OTA service's own admin views (`GET /ota/images`, `/ota/rollouts`,
 * `/ota/stats`).
 */
import type { FC } from 'hono/jsx';
import { byVersionDesc, UNKNOWN_VERSION } from '../../fleet/model.ts';
import { Badge, Card, Cli, Empty, Progress, Table, Time, type Tone } from '../components.tsx';
import { queryString, type UiEnv } from '../env.ts';
import { bytes, count, percent, plural } from '../format.ts';

type Images = Awaited<ReturnType<UiEnv['ota']['images']>>;
type Rollouts = Awaited<ReturnType<UiEnv['ota']['rollouts']['list']>>;
type Stats = Awaited<ReturnType<UiEnv['ota']['stats']>>;

export interface FirmwarePageData {
  images: Images;
  rollouts: Rollouts;
  stats: Stats;
}

export async function firmwarePageData(env: UiEnv): Promise<FirmwarePageData> {
  const [images, rollouts, stats] = await Promise.all([env.ota.images(), env.ota.rollouts.list(), env.ota.stats()]);
  return { images, rollouts, stats };
}

/** Rollout states: a tone each, the state's own name as the label. */
const ROLLOUT_TONE: Record<string, Tone> = { active: 'good', paused: 'warn', completed: 'info', cancelled: 'muted' };
const RELEASE_TONE: Record<string, Tone> = { draft: 'muted', published: 'good', yanked: 'bad' };
const PAUSE_TEXT: Record<NonNullable<Rollouts[number]['paused_reason']>, string> = {
  manual: 'by an admin',
  failure_threshold: 'failure threshold',
  step_success_rate: 'step success rate too low',
};

function targetText(t: Rollouts[number]['target']): string {
  return t === 'all' ? 'the fleet' : Array.isArray(t) ? `${t.length} listed devices` : t;
}

/** Who an image reaches (server/ota/offers.ts): general releases everyone, others their rollouts. */
function whoCanGet(image: Images['images'][number], rollouts: Rollouts): { text: string; tone: Tone; rollouts: string[] } {
  if (image.state === 'draft') return { text: 'nobody: a draft (fleetgate ota publish)', tone: 'muted', rollouts: [] };
  if (image.state === 'yanked') return { text: 'nobody: yanked', tone: 'bad', rollouts: [] };
  const offering = rollouts
    .filter((r) => r.version === image.version && (r.status === 'active' || r.status === 'completed'))
    .map((r) => `rollout ${r.id}: ${r.percent} % of ${targetText(r.target)} (${count(r.covered_devices ?? 0)} devices)`);
  if (image.general) return { text: 'every device on an older version (a general release)', tone: 'good', rollouts: offering };
  if (offering.length === 0) return { text: 'nobody yet: published, no rollout offers it', tone: 'warn', rollouts: [] };
  return { text: `${offering.length === 1 ? 'a rollout' : `${offering.length} rollouts`}`, tone: 'info', rollouts: offering };
}

const ImagesCard: FC<{ env: UiEnv; data: FirmwarePageData }> = ({ env, data }) => {
  const imgs = data.images.images;
  return (
    <Card title="Images" id="images" live>
      {imgs.length === 0 ? (
        <Empty>No image in the catalog ({data.images.dir}). Package one on the build machine and upload it with the CLI (below).</Empty>
      ) : (
        <Table columns={['Version', 'Release', { label: 'Size', numeric: true }, { label: 'Security counter', numeric: true }, 'Created', 'Who can get it']}>
          {[...imgs].reverse().map((i) => {
            const who = whoCanGet(i, data.rollouts);
            return (
              <tr>
                <th scope="row">
                  {i.version}
                  {i.release_notes ? <div class="muted small">{i.release_notes}</div> : null}
                </th>
                <td>
                  <Badge tone={RELEASE_TONE[i.state] ?? 'muted'}>{i.state}</Badge>
                  {i.release?.published_by ? <div class="muted small">by {i.release.yanked_by ?? i.release.published_by}</div> : null}
                </td>
                <td class="num" title={`${count(i.encrypted_size)} bytes encrypted, ${i.total_chunks} chunks of ${bytes(i.chunk_size)}`}>
                  {bytes(i.original_size)}
                </td>
                <td class="num">{i.security_counter}</td>
                <td>
                  <Time ms={Date.parse(i.created_at)} now={env.now} />
                </td>
                <td>
                  <Badge tone={who.tone}>{who.text}</Badge>
                  {who.rollouts.map((r) => (
                    <div class="muted small">{r}</div>
                  ))}
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      {data.images.problems.length > 0 ? (
        <div class="notice notice-warn" role="note">
          <strong>Not served:</strong>
          <ul>
            {data.images.problems.map((p) => (
              <li>
                <code>{p.file}</code>: {p.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </Card>
  );
};

const RolloutsCard: FC<{ env: UiEnv; rollouts: Rollouts }> = ({ env, rollouts }) => (
  <Card title="Rollouts" id="rollouts" live>
    {rollouts.length === 0 ? (
      <Empty>No rollout. A published release reaches devices through a rollout, or every device when it is general.</Empty>
    ) : (
      <Table columns={['Rollout', 'State', 'Progress', 'Failure rate', 'Updated']}>
        {[...rollouts].reverse().map((r) => {
          const covered = r.covered_devices ?? 0;
          const rate = r.window.failure_rate;
          const over = r.window.total >= r.min_results && rate > r.failure_threshold;
          const phase = r.step.of > 1 ? `step ${r.step.index + 1} of ${r.step.of}${r.step.waiting_for.length ? `, waiting for ${r.step.waiting_for.join(', ')}` : ''}` : null;
          return (
            <tr>
              <th scope="row">
                <code>{r.id}</code> → {r.version}
                <div class="muted small">
                  {r.percent} % of {targetText(r.target)}
                  {r.notes ? ` — ${r.notes}` : ''}
                </div>
              </th>
              <td>
                <Badge tone={ROLLOUT_TONE[r.status] ?? 'muted'}>{r.status === 'paused' ? `paused (${PAUSE_TEXT[r.paused_reason ?? 'manual']})` : r.status}</Badge>
                {phase ? <div class="muted small">{phase}</div> : null}
              </td>
              <td>
                <Progress
                  value={r.results.successes}
                  max={covered}
                  tone={r.results.failures > 0 ? 'warn' : 'good'}
                  label={`${count(r.results.successes)} of ${count(covered)} devices updated, ${count(r.results.failures)} failed`}
                />
              </td>
              <td>
                <span class={over ? 'text-bad' : undefined}>{percent(rate)}</span> <span class="muted small">of {count(r.window.total)} results; pauses above {percent(r.failure_threshold)} after {r.min_results}</span>
              </td>
              <td>
                <Time ms={Date.parse(r.updated_at)} now={env.now} />
              </td>
            </tr>
          );
        })}
      </Table>
    )}
  </Card>
);

const SessionsCard: FC<{ env: UiEnv; stats: Stats }> = ({ env, stats }) => (
  <Card title="Downloads in progress" id="sessions" live>
    <p class="muted small">
      {plural(stats.totals.sessions_started, 'session')} started, {plural(stats.totals.successes, 'update')} installed, {count(stats.totals.failures)} failed; {bytes(stats.totals.bytes_served)} served.
    </p>
    {stats.active_sessions.length === 0 ? (
      <Empty>No device is downloading firmware.</Empty>
    ) : (
      <Table columns={['Device', 'Version', 'Progress', 'Last activity']}>
        {stats.active_sessions.map((s) => (
          <tr>
            <th scope="row">
              <a href={`/ui/devices/${encodeURIComponent(s.device_id)}`}>{s.device_id}</a>
            </th>
            <td>
              {s.version}
              {s.rollout_id ? <div class="muted small">{s.rollout_id}</div> : null}
            </td>
            <td>
              <Progress value={s.next_chunk} max={s.total_chunks} tone={s.stale ? 'warn' : undefined} label={`${s.progress_percent} % (${s.next_chunk}/${s.total_chunks} chunks)${s.stale ? ', stale' : ''}`} />
            </td>
            <td>
              <Time ms={Date.parse(s.last_activity_at)} now={env.now} />
            </td>
          </tr>
        ))}
      </Table>
    )}
  </Card>
);

const VersionsCard: FC<{ env: UiEnv }> = ({ env }) => {
  const counts = env.fleet.model.counts();
  const versions = [...counts.versions].sort(([a], [b]) => byVersionDesc(a, b));
  const active = counts.devices - counts.status.revoked;
  return (
    <Card title="Devices per version" id="versions" live>
      {versions.length === 0 ? (
        <Empty>No active device.</Empty>
      ) : (
        <ul class="bars">
          {versions.map(([v, n]) => (
            <li>
              <a href={`/ui/${queryString({ firmware: v })}`}>{v === UNKNOWN_VERSION ? 'unknown' : v}</a>
              <Progress value={n} max={active} label={`${count(n)} device${n === 1 ? '' : 's'}`} tone={v === counts.latest.version ? 'good' : undefined} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
};

export const FirmwarePage: FC<{ env: UiEnv; data: FirmwarePageData }> = ({ env, data }) => {
  const newest = data.images.images.at(-1)?.version ?? '1.0.2';
  return (
    <>
      <div class="page-head">
        <h1>Firmware</h1>
      </div>
      <div class="grid">
        <div class="wide">
          <ImagesCard env={env} data={data} />
        </div>
        <div class="wide">
          <RolloutsCard env={env} rollouts={data.rollouts} />
        </div>
        <SessionsCard env={env} stats={data.stats} />
        <VersionsCard env={env} />
      </div>
      <Cli
        lines={[
          'fleetgate firmware package build/fleetgate.bin --version 1.0.2 --firmware-dir out   # on the build machine',
          'fleetgate ota upload out/firmware_1.0.2_manifest.json && fleetgate ota publish 1.0.2',
          `fleetgate rollout create ${newest} --steps '[{"target":"tag:canary"},{"percent":100,"min_results":5}]'`,
          ...data.rollouts.filter((r) => r.status === 'active' || r.status === 'paused').slice(-1).map((r) => (r.status === 'active' ? `fleetgate rollout pause ${r.id}` : `fleetgate rollout resume ${r.id}`)),
          'fleetgate ota sessions',
        ]}
      />
    </>
  );
};
