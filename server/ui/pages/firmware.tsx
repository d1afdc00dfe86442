/**
 * The firmware page (/ui/firmware): the images the gateway serves and who can get each, the
 * rollouts with their progress and failure rate against the auto-pause threshold, the OTA
 * sessions in progress, and how many devices run each version. Images, rollouts and sessions are
 * the OTA service's own admin views (`GET /ota/images`, `/ota/rollouts`, `/ota/stats`); release
 * states and rollout phases, when the service reports them, show in the columns kept for them.
 */
import type { FC } from 'hono/jsx';
import { byVersionDesc, UNKNOWN_VERSION } from '../../fleet/model.ts';
import { Badge, Card, Cli, Empty, Progress, Table, Time, type Tone } from '../components.tsx';
import { queryString, type UiEnv } from '../env.ts';
import { bytes, count, percent, plural } from '../format.ts';

type Images = Awaited<ReturnType<UiEnv['ota']['images']>>;
type Rollouts = Awaited<ReturnType<UiEnv['ota']['listRollouts']>>;
type Stats = Awaited<ReturnType<UiEnv['ota']['stats']>>;

export interface FirmwarePageData {
  images: Images;
  rollouts: Rollouts;
  stats: Stats;
}

export async function firmwarePageData(env: UiEnv): Promise<FirmwarePageData> {
  const [images, rollouts, stats] = await Promise.all([env.ota.images(), env.ota.listRollouts(), env.ota.stats()]);
  return { images, rollouts, stats };
}

/** A field the OTA service may add (release state, rollout phase): shown when present. */
function optional(o: object, key: string): string | null {
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : null;
}

/** Rollout states (more may come: completed, cancelled): a tone each, the state's own name as the label. */
const ROLLOUT_TONE: Record<string, Tone> = { active: 'good', paused: 'warn', completed: 'info', cancelled: 'muted' };

function whoCanGet(image: Images['images'][number], newestFree: string | undefined, rollouts: Rollouts): { text: string; tone: Tone } {
  const holding = rollouts.filter((r) => r.version === image.version);
  if (holding.length > 0) {
    const active = holding.filter((r) => r.status === 'active');
    if (active.length === 0) return { text: `nobody: its rollout${holding.length > 1 ? 's are' : ' is'} paused`, tone: 'warn' };
    return {
      text: active.map((r) => `rollout ${r.id}: ${r.percent} % of ${r.devices === 'all' ? 'the fleet' : `${r.devices.length} listed devices`} (${count(r.covered_devices ?? 0)} devices)`).join('; '),
      tone: 'info',
    };
  }
  if (image.version === newestFree) return { text: 'every device on an older version (the newest image no rollout holds)', tone: 'good' };
  return { text: `nobody new: ${newestFree ?? 'a newer image'} is offered instead`, tone: 'muted' };
}

const ImagesCard: FC<{ env: UiEnv; data: FirmwarePageData }> = ({ env, data }) => {
  const imgs = data.images.images;
  const newestFree = imgs.filter((i) => !i.held_by_rollout).at(-1)?.version;
  return (
    <Card title="Images" id="images" live>
      {imgs.length === 0 ? (
        <Empty>No image in the catalog ({data.images.dir}). Package one with the CLI (below).</Empty>
      ) : (
        <Table columns={['Version', 'Release', { label: 'Size', numeric: true }, { label: 'Security counter', numeric: true }, 'Created', 'Who can get it']}>
          {[...imgs].reverse().map((i) => {
            const who = whoCanGet(i, newestFree, data.rollouts);
            return (
              <tr>
                <th scope="row">
                  {i.version}
                  {i.release_notes ? <div class="muted small">{i.release_notes}</div> : null}
                </th>
                <td>{optional(i, 'state') ?? <span class="muted">–</span>}</td>
                <td class="num" title={`${count(i.encrypted_size)} bytes encrypted, ${i.total_chunks} chunks of ${bytes(i.chunk_size)}`}>
                  {bytes(i.original_size)}
                </td>
                <td class="num">{i.security_counter}</td>
                <td>
                  <Time ms={Date.parse(i.created_at)} now={env.now} />
                </td>
                <td>
                  <Badge tone={who.tone}>{who.text}</Badge>
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
      <Empty>No rollout. Without one, the newest image goes to every device.</Empty>
    ) : (
      <Table columns={['Rollout', 'State', 'Progress', 'Failure rate', 'Updated']}>
        {[...rollouts].reverse().map((r) => {
          const covered = r.covered_devices ?? 0;
          const rate = r.window.failure_rate;
          const over = r.window.total >= r.min_results && rate > r.failure_threshold;
          const phase = optional(r, 'phase') ?? optional(r, 'state');
          return (
            <tr>
              <th scope="row">
                <code>{r.id}</code> → {r.version}
                <div class="muted small">
                  {r.percent} % of {r.devices === 'all' ? 'the fleet' : `${r.devices.length} listed devices`}
                  {r.notes ? ` — ${r.notes}` : ''}
                </div>
              </th>
              <td>
                <Badge tone={ROLLOUT_TONE[r.status] ?? 'muted'}>{r.status === 'paused' ? `paused${r.paused_reason === 'failure_threshold' ? ' (failure threshold)' : ' (by an admin)'}` : r.status}</Badge>
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
          'fleetgate firmware package build/fleetgate.bin --version 1.0.2 --security-counter 1',
          `fleetgate ota rollout create ${newest} --percent 10`,
          ...data.rollouts.filter((r) => r.status === 'active').slice(-1).map((r) => `fleetgate ota rollout update ${r.id} --percent 50`),
          ...data.rollouts.slice(-1).map((r) => (r.status === 'active' ? `fleetgate ota rollout pause ${r.id}` : `fleetgate ota rollout resume ${r.id}`)),
          'fleetgate ota sessions',
        ]}
      />
    </>
  );
};
