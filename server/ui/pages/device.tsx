/**
 * The device page (/ui/devices/:id): its registry record and fleet row, a telemetry chart of one
 * field over the last hour, day or week (the samples received then, downsampled on the server),
 * its last diagnostics, its events (outage vs reboot vs power loss), its commands, its config
 * (effective, overrides, applied), its OTA state and its security counters — each from the same
 * service function the JSON API answers with.
 */
import type { Child, FC } from 'hono/jsx';
import { commandView, type CommandRecord } from '../../commands/types.ts';
import type { DiagnosticsRecord } from '../../diagnostics/schema.ts';
import type { DeviceEvent } from '../../events/rules.ts';
import type { ConfigSource } from '../../remote-config/layers.ts';
import { firmwareOf, statusOf, type FleetRow } from '../../fleet/row.ts';
import { ValidationError } from '../../errors.ts';
import { downsample, toSeconds, type Downsampled } from '../chart.ts';
import { Badge, Card, Cli, Empty, Facts, JsonData, Progress, StatusBadge, Table, Time, type Tone } from '../components.tsx';
import type { UiEnv } from '../env.ts';
import { bytes, count, utc } from '../format.ts';

export const RANGES = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;
export type RangeName = keyof typeof RANGES;
/** Samples read for one chart at most (a week of one every 6 s). */
const MAX_SAMPLES = 100_000;

export interface TelemetryView {
  range: RangeName;
  fields: string[];
  field: string | null;
  series: Downsampled;
  /** The limit cut the window short. */
  truncated: boolean;
}

export function parseRange(value: string | undefined): RangeName {
  if (value === undefined || value === '') return 'day';
  if (!Object.hasOwn(RANGES, value)) throw new ValidationError('range: must be hour, day or week', 'invalid_query', { field: 'range' });
  return value as RangeName;
}

/**
 * How long a chart is reused before its samples are read again: an open page refreshes every 5 s,
 * and a week of samples (tens of thousands, read from the store) drawn as 300 points of half an
 * hour each would look the same. An hour's chart is always fresh.
 */
const CHART_REUSE_MS: Record<RangeName, number> = { hour: 0, day: 30_000, week: 120_000 };
const CHART_CACHE_ENTRIES = 200;
/** Per gateway (a process may run several: the tests do). */
const chartCaches = new WeakMap<object, Map<string, { at: number; view: TelemetryView }>>();

/** The samples received in the range, one field of them downsampled (the field asked for, else power, else the first). */
export async function telemetryView(env: UiEnv, deviceId: string, range: RangeName, wanted: string | undefined): Promise<TelemetryView> {
  let chartCache = chartCaches.get(env.ctx);
  if (!chartCache) chartCaches.set(env.ctx, (chartCache = new Map()));
  const key = `${deviceId}\0${range}\0${wanted ?? ''}`;
  const hit = chartCache.get(key);
  if (hit && env.now - hit.at < CHART_REUSE_MS[range]) return hit.view;
  const view = await readTelemetryView(env, deviceId, range, wanted);
  chartCache.delete(key);
  if (chartCache.size >= CHART_CACHE_ENTRIES) chartCache.delete(chartCache.keys().next().value!);
  chartCache.set(key, { at: env.now, view });
  return view;
}

async function readTelemetryView(env: UiEnv, deviceId: string, range: RangeName, wanted: string | undefined): Promise<TelemetryView> {
  const samples = await env.ctx.store.telemetry.query(deviceId, { fromMs: env.now - RANGES[range], toMs: env.now, limit: MAX_SAMPLES });
  const fields = new Set<string>();
  for (const s of samples) for (const k of Object.keys(s.values)) if (fields.size < 64) fields.add(k);
  const sorted = [...fields].sort();
  const field = wanted && fields.has(wanted) ? wanted : fields.has('power') ? 'power' : (sorted[0] ?? null);
  const points = [];
  if (field !== null) {
    for (const s of samples) {
      const v = Object.hasOwn(s.values, field) ? s.values[field] : undefined;
      if (typeof v === 'number' && Number.isFinite(v)) points.push({ t: toSeconds(s.timestamp), v });
    }
  }
  return { range, fields: sorted, field, series: downsample(points), truncated: samples.length >= MAX_SAMPLES };
}

const EVENT_LABEL: Record<DeviceEvent['type'], { label: string; tone: Tone; what: string }> = {
  offline: { label: 'Offline', tone: 'bad', what: 'silent past its heartbeat threshold (network or device outage)' },
  online: { label: 'Back online', tone: 'good', what: 'heard from again' },
  power_loss: { label: 'Power loss', tone: 'bad', what: 'restarted from a power-on or brown-out reset' },
  power_restored: { label: 'Power restored', tone: 'good', what: 'booted after the power loss' },
  reboot: { label: 'Reboot', tone: 'warn', what: 'restarted with power on (watchdog, panic, software, …)' },
};

const FIRMWARE_SOURCE = { diagnostics: 'its diagnostics', ota_check: 'its last OTA check', ota_install: 'installed by OTA, not reported yet' } as const;

const COMMAND_TONE: Record<string, Tone> = { pending: 'info', sent: 'info', completed: 'good', failed: 'bad', expired: 'warn', cancelled: 'muted' };

const Telemetry: FC<{ env: UiEnv; id: string; t: TelemetryView }> = ({ env, id, t }) => (
  <Card
    title="Telemetry"
    id="telemetry"
    live
    actions={
      <form method="get" action={`/ui/devices/${encodeURIComponent(id)}`} class="inline-form" aria-label="Chart options">
        <label>
          <span class="sr-only">Field</span>
          <select name="field">
            {t.fields.map((f) => (
              <option value={f} selected={f === t.field}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="segmented">
          <legend class="sr-only">Range</legend>
          {(Object.keys(RANGES) as RangeName[]).map((r) => (
            <label>
              <input type="radio" name="range" value={r} checked={r === t.range} />
              <span>{`last ${r}`}</span>
            </label>
          ))}
        </fieldset>
        <button type="submit">Show</button>
      </form>
    }
  >
    {t.field === null || t.series.samples === 0 ? (
      <Empty>No samples received in the last {t.range}.</Empty>
    ) : (
      <>
        <figure class="chart" data-chart="telemetry" data-source="chart-telemetry" aria-label={`${t.field} over the last ${t.range}`}>
          <div class="chart-canvas"></div>
          <figcaption>
            {t.field}: {count(t.series.samples)} samples received in the last {t.range}
            {t.series.bucketSeconds > 0 ? `, ${t.series.t.length} points of min / mean / max over ${t.series.bucketSeconds} s each` : ''}, on the device's own clock
            {t.truncated ? ' (the first 100,000 only)' : ''}.
          </figcaption>
        </figure>
        <JsonData id="chart-telemetry" data={{ field: t.field, ...t.series }} />
      </>
    )}
    <p class="muted small">
      Export: <code>fleetgate telemetry {id} --csv</code> · <code>{`curl -H "Authorization: Bearer $TOKEN" "$GW/telemetry/${id}?format=csv"`}</code>
    </p>
  </Card>
);

const Diagnostics: FC<{ env: UiEnv; d: DiagnosticsRecord | undefined }> = ({ env, d }) => (
  <Card title="Last diagnostics" id="diagnostics" live>
    {!d ? (
      <Empty>No diagnostics report yet.</Empty>
    ) : (
      <Facts
        items={[
          ['Reported', <Time ms={Date.parse(d.at)} now={env.now} />],
          ['Firmware', d.firmware_version],
          ['Uptime', `${count(Math.round(d.uptime_seconds / 60))} min`],
          ['Reset reason', d.reset_reason],
          ['Boot id', <code>{d.boot_id}</code>],
          ['Free heap', d.free_heap === undefined ? '–' : bytes(d.free_heap)],
          ['Wi-Fi RSSI', d.wifi_rssi === undefined ? '–' : `${d.wifi_rssi} dBm`],
          ['Buffer usage', d.buffer_usage === undefined ? '–' : `${d.buffer_usage} %`],
          ['Last upload status', d.last_upload_status ?? '–'],
          ['Config applied', d.config_version === undefined ? '–' : `v${d.config_version}`],
          ...(d.extra ? ([['Extra', <code class="wrap">{JSON.stringify(d.extra)}</code>]] as [string, Child][]) : []),
        ]}
      />
    )}
  </Card>
);

const Events: FC<{ env: UiEnv; events: DeviceEvent[] }> = ({ env, events }) => (
  <Card title="Events" id="events" live>
    {events.length === 0 ? (
      <Empty>No events: it has not gone offline, lost power or rebooted since it was first heard from.</Empty>
    ) : (
      <ol class="timeline">
        {[...events].reverse().map((e) => {
          const l = EVENT_LABEL[e.type];
          const d = e.details as Record<string, unknown>;
          const extra =
            e.type === 'offline'
              ? `silent ${count(Number(d.silent_seconds ?? 0))} s (threshold ${count(Number(d.threshold_seconds ?? 0))} s)`
              : e.type === 'online' && d.offline_seconds != null
                ? `after ${count(Number(d.offline_seconds))} s offline`
                : e.type === 'reboot' || e.type === 'power_loss'
                  ? `reset reason ${String(d.reset_reason)}${d.was_offline ? ', was offline' : ''}`
                  : '';
          return (
            <li>
              <Badge tone={l.tone}>{l.label}</Badge> <Time ms={Date.parse(e.at)} now={env.now} /> <span class="muted">— {l.what}{extra ? `; ${extra}` : ''}</span>
            </li>
          );
        })}
      </ol>
    )}
  </Card>
);

const Commands: FC<{ env: UiEnv; commands: CommandRecord[] }> = ({ env, commands }) => (
  <Card title="Commands" id="commands" live>
    {commands.length === 0 ? (
      <Empty>No commands.</Empty>
    ) : (
      <Table columns={['Command', 'State', 'Created', { label: 'Deliveries', numeric: true }, 'Finished', 'Result']}>
        {commands.map((c) => {
          const v = commandView(c);
          return (
            <tr>
              <th scope="row">
                <code>{c.command_type}</code> <span class="muted small">{JSON.stringify(c.parameters)}</span>
                <div class="muted small">{c.command_id}</div>
              </th>
              <td>
                <Badge tone={COMMAND_TONE[c.status] ?? 'muted'}>{c.status}</Badge>
                {c.status_reason ? <div class="muted small">{c.status_reason}</div> : null}
              </td>
              <td>
                <Time ms={c.created_at} now={env.now} /> <span class="muted small">by {c.created_by}</span>
              </td>
              <td class="num">{c.attempts}</td>
              <td>
                <Time ms={c.finished_at} now={env.now} never="–" />
              </td>
              <td>{v.result === null ? <span class="muted">–</span> : <code class="wrap">{typeof v.result === 'string' ? v.result : JSON.stringify(v.result)}</code>}</td>
            </tr>
          );
        })}
      </Table>
    )}
  </Card>
);

type ConfigView = Awaited<ReturnType<UiEnv['plane']['remoteConfig']['deviceView']>>;

/** The layer an effective value comes from (remote-config/layers.ts). */
const ConfigSourceLabel: FC<{ source: ConfigSource }> = ({ source }) => {
  if (source === 'device') return <Badge tone="info">this device</Badge>;
  if (source.startsWith('tag:')) return <Badge tone="info">tag {source.slice(4)}</Badge>;
  return <span class="muted">{source === 'defaults' ? 'fleet defaults' : 'built-in'}</span>;
};

const Config: FC<{ env: UiEnv; config: ConfigView | null }> = ({ env, config }) => (
  <Card title="Configuration" id="config" live>
    {!config ? (
      <Empty>Revoked devices get no configuration.</Empty>
    ) : (
      <>
        <p>
          Effective version <strong>v{config.config_version}</strong>; applied{' '}
          {config.applied_version === null ? <strong>none reported</strong> : <strong>v{config.applied_version}</strong>}
          {config.applied_reported_at ? (
            <>
              {' '}
              (<Time ms={Date.parse(config.applied_reported_at)} now={env.now} />)
            </>
          ) : null}{' '}
          {config.behind ? <Badge tone="warn">behind</Badge> : <Badge tone="good">up to date</Badge>}
        </p>
        {config.tag_layers.length > 0 ? (
          <p>
            Tag layers, the later winning a field both set:{' '}
            {config.tag_layers.map((l, i) => (
              <>
                {i > 0 ? ', ' : ''}
                <code>{l.tag}</code>
                {l.priority !== 0 ? ` (priority ${l.priority})` : ''}
              </>
            ))}
            .
          </p>
        ) : null}
        <Table compact columns={['Field', 'Effective value', 'From']}>
          {Object.entries(config.config).map(([k, v]) => (
            <tr>
              <th scope="row">
                <code>{k}</code>
              </th>
              <td>
                <code>{JSON.stringify(v)}</code>
              </td>
              <td>
                <ConfigSourceLabel source={config.sources[k as keyof typeof config.sources]} />
              </td>
            </tr>
          ))}
        </Table>
      </>
    )}
  </Card>
);

type OtaStatus = Awaited<ReturnType<UiEnv['ota']['status']>>;

const Ota: FC<{ env: UiEnv; ota: OtaStatus }> = ({ env, ota }) => {
  const s = ota.session;
  return (
    <Card title="Firmware updates" id="ota" live>
      <Facts
        items={[
          ['Running (OTA)', ota.current_version ?? '–'],
          ['Offered now', ota.update_available && ota.offered_version ? `${ota.offered_version}${ota.rollout_id ? ` (rollout ${ota.rollout_id})` : ''}` : 'nothing newer'],
          ['Security counter floor', String(ota.security_counter_floor)],
          ['Last check', <Time ms={ota.last_check_at ? Date.parse(ota.last_check_at) : null} now={env.now} />],
          ['Updates', `${ota.successes} succeeded, ${ota.failures} failed`],
          [
            'Last result',
            ota.last_result ? (
              <>
                <Badge tone={ota.last_result.success ? 'good' : 'bad'}>{ota.last_result.success ? 'installed' : 'failed'}</Badge> {ota.last_result.version}{' '}
                <Time ms={Date.parse(ota.last_result.at)} now={env.now} />
                {ota.last_result.error ? <span class="muted"> — {ota.last_result.error}</span> : null}
              </>
            ) : (
              '–'
            ),
          ],
        ]}
      />
      {s ? (
        <p>
          Download session <code>{s.session_id}</code> for {s.version}: <Badge tone={s.status === 'active' ? (s.stale ? 'warn' : 'info') : s.status === 'completed' ? 'good' : 'bad'}>{s.stale ? 'stale' : s.status}</Badge>{' '}
          <Progress value={s.next_chunk} max={s.total_chunks} label={`${s.next_chunk} of ${s.total_chunks} chunks (${s.progress_percent} %), ${bytes(s.bytes_served)} served, ${s.refetches} refetched`} />
        </p>
      ) : (
        <p class="muted">No download session.</p>
      )}
      <h3 class="small">History</h3>
      {ota.history.length === 0 ? (
        <Empty>No update reported yet.</Empty>
      ) : (
        <Table compact columns={['Version', 'Result', 'Reported']}>
          {ota.history.map((r) => (
            <tr>
              <th scope="row">{r.version}</th>
              <td>
                <Badge tone={r.success ? 'good' : 'bad'}>{r.success ? 'installed' : 'failed'}</Badge>
                {r.error ? <span class="muted small"> {r.error}</span> : null}
              </td>
              <td>
                <Time ms={Date.parse(r.at)} now={env.now} />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
};

type SecurityCounters = { total: number; accepted: number; duplicate: number; bad_signature: number; replay: number; unknown_device: number; crc_failure: number; malformed: number; success_rate: number };

const Security: FC<{ counters: SecurityCounters | undefined; day: { uploads: number; rejected: number }; since: string }> = ({ counters, day, since }) => (
  <Card title="Security" id="security" live>
    <Facts
      items={[
        ['Uploads, last 24 h', count(day.uploads)],
        ['Rejected, last 24 h', count(day.rejected)],
        ...((counters
          ? [
              ['Messages accepted', count(counters.accepted)],
              ['Retransmissions answered', count(counters.duplicate)],
              ['Replays refused', count(counters.replay)],
              ['Bad signatures', count(counters.bad_signature)],
              ['While revoked', count(counters.unknown_device)],
              ['Corrupt or malformed', count(counters.crc_failure + counters.malformed)],
              ['Success rate', `${counters.success_rate} %`],
            ]
          : [['Messages', 'none counted']]) as [string, Child][]),
      ]}
    />
    <p class="muted small">Counted since {utc(Date.parse(since))}.</p>
  </Card>
);

export interface DevicePageData {
  row: FleetRow;
  telemetry: TelemetryView;
  diagnostics: DiagnosticsRecord | undefined;
  events: DeviceEvent[];
  commands: CommandRecord[];
  config: ConfigView | null;
  ota: OtaStatus;
  security: { counters: SecurityCounters | undefined; since: string };
}

export async function devicePageData(env: UiEnv, id: string, range: RangeName, field: string | undefined): Promise<DevicePageData | undefined> {
  await env.ctx.registry.require(id);
  const row = env.fleet.model.get(id);
  if (!row) return undefined;
  const [telemetry, diagnostics, events, commands, config, ota, stats] = await Promise.all([
    telemetryView(env, id, range, field),
    env.plane.diagnostics.latest(id),
    env.plane.events.repo.query({ deviceId: id, limit: 30 }),
    env.plane.commands.list(id),
    row.record.revoked_at ? null : env.plane.remoteConfig.deviceView(id),
    env.ota.status(id),
    env.ctx.securityStats.totals(id),
  ]);
  return { row, telemetry, diagnostics, events, commands: commands.slice(-20).reverse(), config, ota, security: { counters: stats.device, since: stats.since } };
}

export const DevicePage: FC<{ env: UiEnv; data: DevicePageData }> = ({ env, data }) => {
  const { row } = data;
  const id = row.device_id;
  const status = statusOf(row);
  const fw = firmwareOf(row);
  const r = row.record;
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/ui/">Fleet</a> <span aria-hidden="true">›</span> <span aria-current="page">{id}</span>
      </nav>
      <div class="page-head">
        <h1>{id}</h1>
        <div id="device-status" data-live="">
          <StatusBadge status={status} />
        </div>
      </div>
      <section class="card" aria-label="Summary">
        <div class="card-body" id="device-summary" data-live="">
          <Facts
            items={[
              ['Last seen', <Time ms={row.last_seen} now={env.now} />],
              ['Last upload', <Time ms={row.last_upload} now={env.now} />],
              ['Firmware', fw ? `${fw.version} (${FIRMWARE_SOURCE[fw.source]})` : 'unknown'],
              ['Key', `${r.key_mode}, version ${r.key_version}${r.previous_key_expires_at ? ` (previous valid until ${utc(Date.parse(r.previous_key_expires_at))})` : ''}`],
              ['Registered', utc(Date.parse(r.created_at))],
              ['Tags', (r.tags ?? []).length ? (r.tags ?? []).join(', ') : 'none'],
              ['Open commands', `${row.commands_pending} queued, ${row.commands_sent} awaiting a result`],
              ...(r.revoked_at ? ([['Revoked', utc(Date.parse(r.revoked_at))]] as [string, Child][]) : []),
            ]}
          />
        </div>
      </section>
      <div class="grid">
        <div class="wide">
          <Telemetry env={env} id={id} t={data.telemetry} />
        </div>
        <Diagnostics env={env} d={data.diagnostics} />
        <Events env={env} events={data.events} />
        <div class="wide">
          <Commands env={env} commands={data.commands} />
        </div>
        <Config env={env} config={data.config} />
        <Ota env={env} ota={data.ota} />
        <Security counters={data.security.counters} day={env.fleet.model.activity.last24h(id, env.now)} since={data.security.since} />
      </div>
      <Cli
        lines={[
          `fleetgate command send ${id} set_power power=50%`,
          `fleetgate config set ${id} upload_frequency=300`,
          ...(r.tags?.length ? [`fleetgate config set tag:${r.tags[0]} upload_frequency=300   # every device tagged ${r.tags[0]}`] : []),
          `fleetgate device tag ${id} site:lyon canary`,
          `fleetgate device rotate-key ${id}               # --immediate for a leaked key`,
          r.revoked_at ? `fleetgate device reinstate ${id}` : `fleetgate device revoke ${id}`,
          `fleetgate device show ${id}`,
        ]}
      />
    </>
  );
};
