/**
 * Renders benchmark results (scripts/bench/results.json) as the markdown table in the README.
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
  http('command poll, 10,000 devices, 50 conns', r.poll, '≥ 0.50');
  if (r.ota && !r.ota.error) {
    const o = r.ota as Any;
    const ranged = o.ranged ?? o;
    lines.push(
      `| OTA: 1 MiB image × 100 devices, 64 KiB ranges | ${f(ranged.gateway?.MBps ?? ranged.gateway?.throughputMBps, 1)} MB/s | ${f(ranged.bare?.MBps ?? ranged.bare?.throughputMBps, 1)} MB/s | ${f(ranged.ratio, 2)} | | ≥ 0.50 |`,
    );
    if (o.jsonRoute ?? o.json_route) {
      const j = (o.jsonRoute ?? o.json_route) as Any;
      lines.push(`| OTA: one device, 1 MiB over the 1 KiB JSON chunk route | ${f(j.seconds ?? j.totalSeconds, 2)} s | Flask: 30–60 s | | | < 2 s |`);
    }
  }
  if (r.codec && !r.codec.error) {
    const c = r.codec as Any;
    lines.push('', `Codecs on ${c.dataset?.source ?? 'the dataset'} (${c.dataset?.rows} rows, ${c.dataset?.frameBytes}-byte frame):`, '');
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
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderTable(JSON.parse(readFileSync(fileURLToPath(new URL('./results.json', import.meta.url)), 'utf8')) as Any));
}
