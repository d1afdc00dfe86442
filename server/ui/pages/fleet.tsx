/**
 * The fleet page (/ui/): the fleet's counts, then its devices — searchable, filtered by status,
 * tag, firmware or config lag, sorted by any column, a page at a time — all from the fleet read
 * model, the same one `GET /devices?limit=&cursor=` answers from.
 */
import type { FC } from 'hono/jsx';
import { byVersionDesc, UNKNOWN_VERSION, type FleetCounts } from '../../fleet/model.ts';
import { parseFleetQuery, type FleetQuery, type SortKey } from '../../fleet/query.ts';
import { CONNECTION_STATUSES, firmwareOf, statusOf, type ConnectionStatus, type FleetRow } from '../../fleet/row.ts';
import { Badge, Cli, Empty, Select, StatusBadge, Time, statusLabel } from '../components.tsx';
import { queryString, type UiEnv } from '../env.ts';
import { count } from '../format.ts';

export const FLEET_PAGE_SIZES = [25, 50, 100, 200];

export function parseFleetPageQuery(get: (name: string) => string | undefined): FleetQuery {
  return parseFleetQuery(get, { limit: 50 });
}

type Params = Record<string, string | number | boolean | undefined>;

function paramsOf(q: FleetQuery): Params {
  return { q: q.q, status: q.status, tag: q.tag, firmware: q.firmware, behind: q.behind ? 1 : undefined, sort: q.sort === 'id' ? undefined : q.sort, order: q.order === 'asc' ? undefined : q.order, limit: q.limit === 50 ? undefined : q.limit };
}

const url = (p: Params) => `/ui/${queryString(p)}`;

const Counts: FC<{ counts: FleetCounts }> = ({ counts }) => {
  const card = (label: string, value: number, href: string, tone: string, note?: string) => (
    <a class={`count count-${tone}`} href={href}>
      <span class="count-value">{count(value)}</span>
      <span class="count-label">{label}</span>
      {note ? <span class="count-note">{note}</span> : null}
    </a>
  );
  const latest = counts.latest.version;
  return (
    <div class="counts">
      {card('Devices', counts.devices, '/ui/', 'info')}
      {card('Online', counts.status.online, url({ status: 'online' }), 'good')}
      {card('Offline', counts.status.offline, url({ status: 'offline' }), 'bad')}
      {card('Never seen', counts.status.never_seen, url({ status: 'never_seen' }), 'muted')}
      {card('Revoked', counts.status.revoked, url({ status: 'revoked' }), 'warn')}
      {card('Behind on config', counts.behind, url({ behind: 1 }), counts.behind > 0 ? 'warn' : 'good')}
      {latest === null
        ? card('On latest firmware', 0, '/ui/firmware', 'muted', 'no image in the catalog')
        : card('On latest firmware', counts.latest.devices, url({ firmware: latest }), 'info', latest)}
    </div>
  );
};

const COLUMNS: { key: SortKey | null; label: string; numeric?: boolean }[] = [
  { key: 'id', label: 'Device' },
  { key: 'status', label: 'Status' },
  { key: 'last_seen', label: 'Last seen' },
  { key: 'last_upload', label: 'Last upload' },
  { key: 'firmware', label: 'Firmware' },
  { key: 'config', label: 'Config' },
  { key: 'uploads_24h', label: 'Uploads 24 h', numeric: true },
  { key: 'rejected_24h', label: 'Rejected 24 h', numeric: true },
  { key: null, label: 'Tags' },
];

const SOURCE_LABEL = { diagnostics: 'reported in diagnostics', ota_check: 'reported at its last OTA check', ota_install: 'installed by OTA (pending its next report)' } as const;

const Row: FC<{ env: UiEnv; row: FleetRow }> = ({ env, row }) => {
  const fw = firmwareOf(row);
  const day = env.fleet.model.activity.last24h(row.device_id, env.now);
  const status = statusOf(row);
  return (
    <tr>
      <th scope="row">
        <a href={`/ui/devices/${encodeURIComponent(row.device_id)}`}>{row.device_id}</a>
      </th>
      <td>
        <StatusBadge status={status} />
      </td>
      <td>
        <Time ms={row.last_seen} now={env.now} />
      </td>
      <td>
        <Time ms={row.last_upload} now={env.now} />
      </td>
      <td>{fw ? <span title={SOURCE_LABEL[fw.source]}>{fw.version}</span> : <span class="muted">unknown</span>}</td>
      <td>
        {status === 'revoked' ? (
          <span class="muted">–</span>
        ) : row.config_behind ? (
          <Badge tone="warn" title="applied version → effective version">
            {row.config_applied === null ? 'none' : `v${row.config_applied}`}
            {row.config_version !== null ? ` → v${row.config_version}` : ''} behind
          </Badge>
        ) : (
          <span title="applied the effective version">v{row.config_applied} ✓</span>
        )}
      </td>
      <td class="num">{count(day.uploads)}</td>
      <td class={`num ${day.rejected > 0 ? 'text-bad' : ''}`}>{count(day.rejected)}</td>
      <td>
        {(row.record.tags ?? []).map((t) => (
          <a class="tag" href={url({ tag: t })}>
            {t}
          </a>
        ))}
      </td>
    </tr>
  );
};

export const FleetPage: FC<{ env: UiEnv; query: FleetQuery; tags: string[] }> = ({ env, query, tags }) => {
  const { model } = env.fleet;
  const counts = model.counts();
  const page = model.query(query, env.now);
  const base = paramsOf(query);
  const versions = [...counts.versions.keys()].sort(byVersionDesc);
  const first = page.rows.length === 0 ? 0 : (query.cursor ? null : 1);
  return (
    <>
      <div class="page-head">
        <h1>Fleet</h1>
      </div>
      <section aria-label="Fleet counts" id="fleet-counts" data-live="">
        <Counts counts={counts} />
      </section>
      <form class="filters" method="get" action="/ui/" role="search" aria-label="Filter devices">
        <label>
          <span>Search</span>
          <input type="search" name="q" value={query.q ?? ''} placeholder="device id" maxlength={64} />
        </label>
        <Select label="Status" name="status" value={query.status} options={CONNECTION_STATUSES.map((s: ConnectionStatus) => [s, statusLabel(s)])} />
        <Select label="Tag" name="tag" value={query.tag} options={tags.map((t) => [t, t])} />
        <Select label="Firmware" name="firmware" value={query.firmware} options={versions.map((v) => [v, v === UNKNOWN_VERSION ? 'unknown' : v])} />
        <label class="check">
          <input type="checkbox" name="behind" value="1" checked={query.behind === true} />
          <span>Behind on config</span>
        </label>
        <label>
          <span>Per page</span>
          <select name="limit">
            {FLEET_PAGE_SIZES.map((n) => (
              <option value={String(n)} selected={query.limit === n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <input type="hidden" name="sort" value={query.sort} />
        <input type="hidden" name="order" value={query.order} />
        <div class="filter-actions">
          <button type="submit">Apply</button>
          <a href="/ui/">Reset</a>
        </div>
      </form>
      <section class="card" aria-labelledby="devices-title">
        <header class="card-head">
          <h2 id="devices-title">Devices</h2>
        </header>
        <div id="fleet-table" data-live="">
          <p class="table-summary" role="status">
            {page.total === 0
              ? 'No device matches.'
              : first === 1
                ? `Showing 1–${page.rows.length} of ${count(page.total)}`
                : `Showing ${page.rows.length} of ${count(page.total)}`}
          </p>
          {page.rows.length === 0 ? (
            <Empty>{counts.devices === 0 ? 'No device is registered yet. Register one with the CLI (below).' : 'Nothing matches these filters.'}</Empty>
          ) : (
            <div class="table-wrap">
              <table class="table" aria-describedby="devices-title">
                <thead>
                  <tr>
                    {COLUMNS.map((c) => {
                      if (!c.key) return <th scope="col">{c.label}</th>;
                      const active = query.sort === c.key;
                      const order = active && query.order === 'asc' ? 'desc' : 'asc';
                      return (
                        <th scope="col" class={c.numeric ? 'num' : undefined} aria-sort={active ? (query.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                          <a href={url({ ...base, sort: c.key === 'id' ? undefined : c.key, order: order === 'asc' ? undefined : order })}>
                            {c.label}
                            <span class="sort-mark" aria-hidden="true">
                              {active ? (query.order === 'asc' ? ' ▲' : ' ▼') : ''}
                            </span>
                          </a>
                        </th>
                      );
                    })}
                  </tr>
                </thead>
                <tbody>
                  {page.rows.map((row) => (
                    <Row env={env} row={row} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <nav class="pager" aria-label="Pages">
            {page.prev_cursor ? <a href={url({ ...base, cursor: page.prev_cursor })}>← Previous</a> : <span class="muted">← Previous</span>}
            {query.cursor ? <a href={url(base)}>First page</a> : null}
            {page.next_cursor ? <a href={url({ ...base, cursor: page.next_cursor })}>Next →</a> : <span class="muted">Next →</span>}
          </nav>
        </div>
      </section>
      <Cli
        lines={[
          'fleetgate device add <device-id> --tag site:lyon      # register (the key is shown once)',
          'fleetgate device list --tag site:lyon',
          'fleetgate status                                      # this overview in a terminal',
          `curl -H "Authorization: Bearer $TOKEN" "$GW/devices${queryString({ limit: query.limit, status: query.status, tag: query.tag, q: query.q })}"`,
        ]}
      />
    </>
  );
};
