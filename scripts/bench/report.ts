/**
 * Renders benchmark results (scripts/bench/results.json) as the markdown tables in scripts/bench/README.md.
 * `npx tsx scripts/bench/report.ts` prints it from the last run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

// `any` on purpose: results are loose JSON produced by several benchmark modules; this only formats them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

const f = (n: unknown, digits = 0) => (typeof n === 'number' ? n.toFixed(digits) : '–');

export function renderTable(r: Any): string {
  const lines: string[] = [];
  const m = r.machine as Any | undefined;
  if (m) lines.push(`Machine: ${m.cpus}, ${m.memoryGiB} GiB, Node ${m.node}; run ${m.date}.`, '');
  lines.push('| benchmark | fleetgate | baseline (same run) | ratio | latency p50 / p99 | target |', '|---|---|---|---|---|---|');
  const http = (name: string, x: Any | undefined, target: string, unit = 'req/s', key = 'reqPerSec') => {
    if (!x || x.error) return lines.push(`| ${name} | ${x?.error ? 'error: ' + x.error : 'not run'} | | | | ${target} |`);
    lines.push(
      `| ${name} | ${f(x.gateway?.[key])} ${unit} | ${f(x.bare?.[key])} ${unit} (bare node:http) | ${f(x.ratio, 2)} | ${f(x.gateway?.p50ms)} / ${f(x.gateway?.p99ms)} ms | ${target} |`,
    );
  };
  http('ingest: signed 10-sample uploads, 1,000 devices, 50 conns', r.ingest, '≥ 0.50, p99 < 20 ms');
  if (Array.isArray(r.ingest?.rounds)) {
    const rounds = r.ingest.rounds as Any[];
    const met = rounds.filter((x) => x.meets_targets).length;
    lines.push(
      `| ingest: every round (ratio, gateway p99) — the median round is reported above | ${rounds.map((x) => `${f(x.ratio, 2)} / ${f(x.gateway_p99_ms)} ms`).join(', ')} | | | | ${met} of ${rounds.length} rounds meet both |`,
    );
  }
  if (r.ingest?.cpu_us_per_request) {
    const c = r.ingest.cpu_us_per_request as Any;
    lines.push(`| ingest: CPU per request (user+sys) | ${f(c.gateway)} µs | ${f(c.bare)} µs | | | |`);
  }
  http('command poll, 10,000 devices, 50 conns', r.poll, '≥ 0.50');
  if (r.ota?.gateway?.fsync) {
    const o = r.ota as Any;
    const g = o.gateway.fsync as Any;
    const signed = g.range_downloads_signed as Any;
    lines.push(
      `| OTA: 1 MiB image × 100 devices, 64 KiB ranges, signed device requests | ${f(signed.MBps, 1)} MB/s | ${f(o.bare_node_http?.MBps, 1)} MB/s (bare node:http, same bytes from memory) | ${f(signed.ratio_vs_bare, 2)} | ${f(signed.p50ms)} / ${f(signed.p99ms)} ms | ≥ 0.50 |`,
      `| OTA: one device, 1 MiB over the 1 KiB JSON chunk route (1025 signed requests) | ${f(g.chunk_route_sequential?.total_seconds, 2)} s | Flask: 30–60 s | | | < 2 s |`,
    );
  }
  if (r.postgres && !r.postgres.error) {
    const pg = r.postgres as Any;
    const one = pg.one_replica as Any;
    const rounds = (one.rounds ?? []) as Any[];
    const durable = `fsync=${pg.settings?.fsync}, synchronous_commit=${pg.settings?.synchronous_commit}`;
    lines.push(
      `| ingest on PostgreSQL, one replica (${durable}) | ${f(one.gateway?.reqPerSec)} req/s | ${f(one.bare?.reqPerSec)} req/s (bare node:http) | ${f(one.ratio, 2)} | ${f(one.gateway?.p50ms)} / ${f(one.gateway?.p99ms)} ms | ≥ 0.35, p99 < 50 ms |`,
      `| ingest on PostgreSQL: every round (ratio, p99) — the median round is reported above | ${rounds.map((x) => `${f(x.ratio, 2)} / ${f(x.p99_ms)} ms`).join(', ')} | | | | ${rounds.filter((x) => x.ratio >= 0.35 && x.p99_ms < 50).length} of ${rounds.length} rounds meet both |`,
      `| ingest on PostgreSQL: CPU per upload; commits and WAL syncs per 1,000 uploads | gateway ${f(one.cpu_us_per_upload?.gateway)} µs + PostgreSQL ${f(one.cpu_us_per_upload?.postgres)} µs; ${f(one.commits_per_1000_uploads)} commits, ${f(one.wal_syncs_per_1000_uploads)} WAL syncs${one.wal_sync_ms_each === undefined || !(one.wal_syncs_per_1000_uploads > 0) ? '' : ` of ${one.wal_sync_ms_each.toFixed(2)} ms each`} | | | | |`,
      `| ingest on PostgreSQL, two replicas, round-robin (same 2 cores) | ${f(pg.two_replicas?.req_s)} req/s | | | – / ${f(pg.two_replicas?.p99_ms)} ms | no target |`,
      `| a month of one device (43,200 samples) via GET /telemetry/:id | PostgreSQL ${f(pg.month_query?.postgres?.median_ms)} ms | embedded ${f(pg.month_query?.embedded?.median_ms)} ms | | | < 200 ms |`,
      `| revocation on one replica refused by another (LISTEN/NOTIFY) | ${f(pg.revocation_ms?.median_ms, 1)} ms median | | | | < 1 s |`,
    );
  } else if (r.postgres?.error) lines.push(`| PostgreSQL | error: ${r.postgres.error} | | | | |`);
  if (r.import && !r.import.error) {
    const x = r.import as Any;
    lines.push(
      `| db import: ${x.devices.toLocaleString('en-US')} devices × 1 day of 1-minute telemetry (${(x.samples / 1e6).toFixed(2)} M samples), durable | ${f(x.import_seconds, 1)} s (${f(x.samples_per_second / 1000)} k samples/s), peak RSS ${f(x.import_peak_rss_mib)} MiB | ${f(x.restore_seconds, 1)} s (pg_restore of the same rows) | ${f(x.ratio_import_vs_restore, 1)} × the restore's time | | |`,
    );
  } else if (r.import?.error) lines.push(`| db import | error: ${r.import.error} | | | | |`);
  if (r.codec && !r.codec.error) {
    const c = r.codec as Any;
    lines.push('', `Codecs on ${String(c.dataset?.source ?? 'the dataset').replace(/.*\/shared\//, '../shared/')} (${c.dataset?.rows} rows, ${c.dataset?.frameBytes}-byte frame):`, '');
    lines.push('| method | packed bytes | ratio | pack MB/s | unpack MB/s |', '|---|---|---|---|---|');
    for (const row of [...(c.methods as Any[]), c.deflate as Any]) {
      lines.push(`| ${row.name} | ${row.packedBytes} | ${f(row.ratio, 2)} | ${f(row.packMBps)} | ${f(row.unpackMBps)} |`);
    }
  }
  if (r.codec_c?.whole) {
    const c = r.codec_c as Any;
    lines.push('', `C encoders on the host (${c.build}): whole dataset as one frame / 60-row batches as a device uploads them:`, '');
    lines.push('| method | ratio | encode MB/s | decode MB/s | peak working memory | stack |', '|---|---|---|---|---|---|');
    (c.whole.methods as Any[]).forEach((m, i) => {
      const b = (c.batch60.methods as Any[])[i] ?? {};
      lines.push(
        `| ${m.method} | ${f(m.ratio, 2)} / ${f(b.ratio, 2)} | ${f(m.encode_MBps)} / ${f(b.encode_MBps)} | ${f(m.decode_MBps)} / ${f(b.decode_MBps)} | ${f(m.encode_peak_bytes / 1024, 1)} KiB / ${f(b.encode_peak_bytes / 1024, 1)} KiB | ${m.stack_bytes} B |`,
      );
    });
  }
  if (Array.isArray(r.cli?.rows)) {
    lines.push('', `CLI start-up (run ${r.cli.date}): whole processes, median and p90 of ${r.cli.rounds} interleaved runs, \`node -e ''\` in the same rounds as the baseline:`, '');
    lines.push('| command | median | p90 | × node -e | target |', '|---|---|---|---|---|');
    for (const x of r.cli.rows as Any[]) {
      const target = x.target_ms === undefined ? '' : `< ${x.target_ms} ms${x.meets_target ? '' : ' (missed)'}`;
      lines.push(`| \`${x.name}\` | ${f(x.median_ms)} ms | ${f(x.p90_ms)} ms | ${f(x.ratio_vs_node, 2)} | ${target} |`);
    }
  }
  if (Array.isArray(r.fleet?.views)) {
    const x = r.fleet as Any;
    lines.push(
      '',
      `Fleet views at ${x.devices.toLocaleString('en-US')} devices (embedded store, one connection, ${x.requests_per_view} requests each; baseline \`GET /health\` on the same gateway in the same run):`,
      '',
    );
    lines.push('| view | p50 | p99 | max | × /health p50 | size | target |', '|---|---|---|---|---|---|---|');
    for (const v of x.views as Any[]) {
      const target = v.path === '/health' || v.path === '/devices' ? '' : `p99 < ${x.target_ms} ms${v.under_target ? '' : ' (missed)'}`;
      lines.push(`| \`${v.path}\` | ${f(v.p50ms, 1)} ms | ${f(v.p99ms, 1)} ms | ${f(v.maxMs, 1)} ms | ${f(v.ratio, 1)} | ${f(v.bytes / 1024)} KiB | ${target} |`);
    }
  }
  if (r.config?.embedded && r.config?.postgres) {
    const x = r.config as Any;
    lines.push(
      '',
      `Remote config at ${x.devices.toLocaleString('en-US')} devices: without tag layers (baseline, same gateway, same run), then with 21 tag layers and ${x.embedded.with_layers?.retagged} devices retagged; everyone reporting the version it runs:`,
      '',
    );
    lines.push('| store | `GET /config/fleet` p50 / p99 | × without layers | device view p50 | diagnostics answered | × without layers | target |', '|---|---|---|---|---|---|---|');
    for (const store of ['embedded', 'postgres']) {
      const s = x[store] as Any;
      if (s.error) continue;
      const b = s.with_layers.views as Any;
      lines.push(
        `| ${store} | ${f(b['/config/fleet'].p50ms, 1)} / ${f(b['/config/fleet'].p99ms, 1)} ms | ${f(s.ratio_fleet_view, 2)} | ${f(Object.entries(b).find(([k]) => k.startsWith('/config/cfg-'))?.[1]?.p50ms, 1)} ms | ${f(s.with_layers.diagnostics_req_s)} req/s | ${f(s.ratio_diagnostics_throughput, 2)} | p99 < ${x.target_ms} ms${s.meets_target ? '' : ' (missed)'} |`,
      );
    }
  }
  if (r.ota_state?.fleet) {
    const x = r.ota_state as Any;
    lines.push(
      '',
      `OTA results on the embedded store at ${x.devices.toLocaleString('en-US')} devices (\`complete\` as /ota/complete calls it, durable; baseline: the same results against 100 devices, same run):`,
      '',
    );
    lines.push('| phase | CPU per result | share of a core | bytes written per result | writes | p50 / p99 | × 100 devices: CPU, bytes, p99 |', '|---|---|---|---|---|---|---|');
    for (const [name, key] of [[`${x.devices.toLocaleString('en-US')} results at ${x.rate_per_s}/s`, 'steady'], [`${x.burst.toLocaleString('en-US')} results at once`, 'burst']] as const) {
      const p = x.fleet[key] as Any;
      const b = x.baseline[key] as Any;
      lines.push(
        `| ${name} | ${f(p.cpu_us_per_result)} µs | ${f(p.cpu_share * 100)} % | ${f(p.bytes_per_result / 1000, 1)} kB | ${f(p.write_MBps, 1)} MB/s | ${f(p.p50ms, 1)} / ${f(p.p99ms, 1)} ms | ${f(p.cpu_us_per_result / b.cpu_us_per_result, 2)}, ${f(p.bytes_per_result / b.bytes_per_result, 2)}, ${f(p.p99ms / b.p99ms, 2)} |`,
      );
    }
  }
  if (r.registrations?.fleet) {
    const x = r.registrations as Any;
    lines.push(
      '',
      `Device-record changes on the embedded store at ${x.devices.toLocaleString('en-US')} devices (one after the other, durable; baseline: the same changes against 100 devices, same run):`,
      '',
    );
    lines.push('| change | CPU per change | bytes written per change | time per change | × 100 devices: CPU, bytes |', '|---|---|---|---|---|');
    for (const [name, key] of [['registration', 'register'], ['key rotation', 'rotate'], ['revocation', 'revoke']] as const) {
      const p = x.fleet[key] as Any;
      lines.push(
        `| ${name} | ${f(p.cpu_us_per_change)} µs | ${f(p.bytes_per_change)} B | ${f(p.ms_per_change, 2)} ms | ${f(x.ratios[key].cpu, 2)}, ${f(x.ratios[key].bytes, 2)} |`,
      );
    }
    const y = x.fleet.sustained as Any | undefined;
    if (y) {
      lines.push(
        `| ${y.changes.toLocaleString('en-US')} registrations, ${f(y.compactions)} snapshot rewrites included | ${f(y.cpu_us_per_change)} µs | ${f(y.bytes_per_change)} B | ${f(y.ms_per_change, 2)} ms | bytes ${f(x.sustained_bytes_ratio, 2)} × a journal line |`,
      );
    }
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderTable(JSON.parse(readFileSync(fileURLToPath(new URL('./results.json', import.meta.url)), 'utf8')) as Any));
}
