/**
 * The security page (/ui/security): how device messages ended, hour by hour (accepted, answered
 * as a retransmission, refused as a replay, a bad signature, an unknown or revoked device, corrupt
 * or malformed), the totals since counting started, and the devices with the most refused
 * messages in the last 24 h — the hourly counts from the fleet read model, the totals from the
 * security counters behind `GET /security/stats`.
 */
import type { FC } from 'hono/jsx';
import { ValidationError } from '../../errors.ts';
import { HOUR_MS } from '../../fleet/activity-repo.ts';
import { OUTCOMES } from '../../security/stats.ts';
import { Card, Cli, Empty, Facts, JsonData, StatusBadge, Table } from '../components.tsx';
import { statusOf } from '../../fleet/row.ts';
import type { UiEnv } from '../env.ts';
import { count } from '../format.ts';

export const SECURITY_RANGES = { '24h': 24, '7d': 7 * 24 } as const;
export type SecurityRange = keyof typeof SECURITY_RANGES;

export function parseSecurityRange(value: string | undefined): SecurityRange {
  if (value === undefined || value === '') return '24h';
  if (!Object.hasOwn(SECURITY_RANGES, value)) throw new ValidationError('range: must be 24h or 7d', 'invalid_query', { field: 'range' });
  return value as SecurityRange;
}

type Totals = Awaited<ReturnType<UiEnv['ctx']['securityStats']['totals']>>;

export const SecurityPage: FC<{ env: UiEnv; range: SecurityRange; stats: Totals }> = ({ env, range, stats }) => {
  const hours = env.fleet.model.activity.fleetHours(env.now, SECURITY_RANGES[range]);
  const series = { t: hours.map((h) => (h.hour * HOUR_MS) / 1000), ...Object.fromEntries(OUTCOMES.map((o) => [o, hours.map((h) => h.counts[o])])) };
  const inRange = Object.fromEntries(OUTCOMES.map((o) => [o, hours.reduce((n, h) => n + h.counts[o], 0)])) as Record<(typeof OUTCOMES)[number], number>;
  const top = env.fleet.model.topRejected(10, env.now);
  const f = stats.fleet;
  return (
    <>
      <div class="page-head">
        <h1>Security</h1>
      </div>
      <div class="grid">
        <div class="wide">
          <Card
            title="Device messages by outcome"
            id="outcomes"
            live
            actions={
              <nav class="segmented-links" aria-label="Range">
                {(Object.keys(SECURITY_RANGES) as SecurityRange[]).map((r) => (
                  <a href={`/ui/security?range=${r}`} aria-current={r === range ? 'true' : undefined}>
                    {r === '24h' ? 'last 24 h' : 'last 7 days'}
                  </a>
                ))}
              </nav>
            }
          >
            <figure class="chart" data-chart="outcomes" data-source="chart-outcomes" aria-label={`Device message outcomes per hour, last ${range}`}>
              <div class="chart-canvas"></div>
              <figcaption>
                Per hour, uploads and signed requests alike. In this range: {count(inRange.accepted)} accepted, {count(inRange.duplicate)} retransmissions answered,{' '}
                {count(inRange.replay)} replays, {count(inRange.bad_signature)} bad signatures, {count(inRange.unknown_device)} unknown or revoked,{' '}
                {count(inRange.crc_failure + inRange.malformed)} corrupt or malformed.
              </figcaption>
            </figure>
            <JsonData id="chart-outcomes" data={series} />
          </Card>
        </div>
        <Card title="Most rejections, last 24 h" id="top-rejected" live>
          {top.length === 0 ? (
            <Empty>No registered device had a message refused in the last 24 hours.</Empty>
          ) : (
            <Table compact columns={['Device', 'Status', { label: 'Rejected', numeric: true }, { label: 'Uploads', numeric: true }]}>
              {top.map((t) => (
                <tr>
                  <th scope="row">
                    <a href={`/ui/devices/${encodeURIComponent(t.row.device_id)}`}>{t.row.device_id}</a>
                  </th>
                  <td>
                    <StatusBadge status={statusOf(t.row)} />
                  </td>
                  <td class="num text-bad">{count(t.rejected)}</td>
                  <td class="num">{count(t.uploads)}</td>
                </tr>
              ))}
            </Table>
          )}
          <p class="muted small">Messages naming an id that is not registered count in the chart, not here.</p>
        </Card>
        <Card title={`Since ${stats.since.slice(0, 10)}`} id="totals" live>
          <Facts
            items={[
              ['Messages', count(f.total)],
              ['Accepted', count(f.accepted)],
              ['Retransmissions answered', count(f.duplicate)],
              ['Replays refused', count(f.replay)],
              ['Bad signatures', count(f.bad_signature)],
              ['Unknown or revoked device', count(f.unknown_device)],
              ['Corrupt or malformed', count(f.crc_failure + f.malformed)],
              ['Success rate', `${f.success_rate} %`],
            ]}
          />
        </Card>
      </div>
      <Cli
        lines={[
          'fleetgate device revoke <device-id>                 # a stolen or compromised device',
          'fleetgate device rotate-key <device-id> --immediate  # a leaked key',
          'curl -H "Authorization: Bearer $TOKEN" $GW/security/stats',
        ]}
      />
    </>
  );
};
