/**
 * `fleetgate ota images|upload|publish|yank|sessions`: the gateway's OTA side (server/ota): the
 * builds it holds and their release state (draft, published, yanked: who and when), uploading a
 * build packaged on another machine, releasing and withdrawing it, and who is downloading what.
 * Rollouts are `fleetgate rollout` (also here as `fleetgate ota rollout`). Packaging images is
 * `fleetgate firmware`, a local step.
 */
import { open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { adminRequest, seg, type UploadBody } from '../admin-client.ts';
import { CliError, ExitCode } from '../errors.ts';
import { adminOptions, examples, type AdminOptions } from '../options.ts';
import { ago, bytes, keyValues, shortTime, show, table } from '../output.ts';
import { checkId } from './device.ts';
import { rolloutCommands } from './rollout.ts';
import type { Answer, ImagesAnswer, SessionView } from './views.ts';

type ReleaseAnswer = Answer<{ changed?: boolean; outcome?: string; release: NonNullable<ImagesAnswer['images'][number]['release']> }>;

function imagesTable(images: ImagesAnswer['images']): string {
  return table(images, [
    { header: 'VERSION', value: (i) => i.version },
    { header: 'BUILD', value: (i) => i.build.slice(0, 12) },
    { header: 'STATE', value: (i) => (i.general && i.state === 'published' ? 'published (general)' : i.state) },
    { header: 'OFFERED TO', value: (i) => i.offered_to },
    { header: 'COUNTER', value: (i) => i.security_counter, right: true },
    { header: 'SIZE', value: (i) => bytes(i.original_size), right: true },
    { header: 'SIGNATURE', value: (i) => i.signature.status },
    { header: 'CHANGED', value: (i) => changedBy(i.release) },
  ]);
}

function changedBy(r: ImagesAnswer['images'][number]['release']): string {
  if (!r) return '-';
  if (r.yanked_at) return `yanked by ${r.yanked_by} ${shortTime(r.yanked_at)}`;
  if (r.published_at) return `published by ${r.published_by} ${shortTime(r.published_at)}`;
  return `recorded by ${r.recorded_by} ${shortTime(r.recorded_at)}`;
}

function describeRelease(r: ReleaseAnswer['release'], changed: boolean | undefined): string {
  return keyValues([
    ['version', r.version],
    ['build', r.build],
    ['state', `${r.state}${r.general ? ' (general: offered to every device)' : ''}${changed === false ? ' (unchanged)' : ''}`],
    ['security counter', r.security_counter],
    ['recorded', `${shortTime(r.recorded_at)} by ${r.recorded_by} (${r.origin})`],
    ['published', r.published_at ? `${shortTime(r.published_at)} by ${r.published_by}` : undefined],
    ['yanked', r.yanked_at ? `${shortTime(r.yanked_at)} by ${r.yanked_by}${r.yank_reason ? `: ${r.yank_reason}` : ''}` : undefined],
  ]);
}

/** The multipart body of an upload: the manifest, format 2's hash table, the image (streamed from its file). */
async function uploadBody(manifestPath: string, imagePath: string | undefined, hashesPath: string | undefined): Promise<{ version: string; body: UploadBody }> {
  const { writeMultipart } = await import('../../server/http/multipart.ts');
  const { hashesFileName, imageFileName } = await import('../../server/ota/manifest.ts');
  let manifest: { version?: unknown; format_version?: unknown };
  const manifestBytes = await readSmallFile(manifestPath);
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as typeof manifest;
  } catch (err) {
    throw new CliError(`${manifestPath}: not a manifest (${(err as Error).message})`, ExitCode.usage);
  }
  if (typeof manifest.version !== 'string') throw new CliError(`${manifestPath}: not a manifest (no "version")`, ExitCode.usage);
  const version = manifest.version;
  const image = imagePath ?? join(dirname(manifestPath), imageFileName(version));
  const imageSize = (await stat(image)).size;
  const parts: Parameters<typeof writeMultipart>[0][number][] = [{ name: 'manifest', filename: manifestPath, contentType: 'application/json', length: manifestBytes.length, body: manifestBytes }];
  if (manifest.format_version === 2) {
    const hashes = await readSmallFile(hashesPath ?? join(dirname(manifestPath), hashesFileName(version)));
    parts.push({ name: 'hashes', length: hashes.length, body: hashes });
  }
  parts.push({ name: 'image', filename: image, length: imageSize, body: createReadStream(image, { highWaterMark: 64 * 1024 }) as AsyncIterable<Uint8Array> });
  const m = writeMultipart(parts);
  return { version, body: { contentType: m.contentType, length: m.length, bytes: m.bytes } };
}

/** A manifest or hash table: small files, read whole (at most 8 MiB). */
async function readSmallFile(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > 8 * 1024 * 1024) throw new CliError(`${path}: ${size} bytes is not a manifest or hash table`, ExitCode.usage);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
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

export function otaCommand(program: Command): void {
  const ota = program.command('ota').description("the gateway's OTA: builds and their releases, download sessions");
  examples(ota, [
    ['fleetgate ota images', 'every build: draft, published or yanked, and by whom'],
    ['fleetgate ota upload firmware_1.0.6_manifest.json', 'a build packaged on another machine'],
    ['fleetgate ota publish 1.0.6', 'release it (then: fleetgate rollout create 1.0.6 --target tag:canary)'],
    ['fleetgate ota sessions', 'downloads in progress'],
  ]);

  const images = adminOptions(ota.command('images').description('the builds the gateway holds, their release state and who changed it'));
  examples(images, [['fleetgate ota images', 'versions, states, who offers them, signature with the gateway key']]);
  images.action(async (opts: AdminOptions) => {
    const res = await adminRequest<Answer<ImagesAnswer>>(opts, 'GET', '/ota/images');
    show(opts, res, () => {
      const lines = [res.images.length === 0 ? `no firmware images in the gateway's ${res.store}` : imagesTable(res.images)];
      if (!res.verification_key.key_id) lines.push(`no verification key: ${res.verification_key.problem}`);
      for (const p of res.problems) lines.push(`skipped ${p.file}: ${p.reason}`);
      return lines.join('\n');
    });
  });

  const upload = adminOptions(
    ota
      .command('upload')
      .argument('<manifest>', 'firmware_<version>_manifest.json as fleetgate firmware package wrote it')
      .description('send a packaged build to the gateway (a draft: offered to nobody until published)')
      .option('--image <file>', 'the encrypted image (default: firmware_<version>_encrypted.bin next to the manifest)')
      .option('--hashes <file>', 'format 2 chunk-hash table (default: firmware_<version>_hashes.bin next to the manifest)'),
  );
  examples(upload, [
    ['fleetgate ota upload out/firmware_1.0.6_manifest.json', 'image and hash table next to it'],
    ['fleetgate ota upload m.json --image fw.bin --hashes h.bin', 'files named otherwise'],
  ]);
  upload.action(async (manifest: string, opts: AdminOptions & { image?: string; hashes?: string }) => {
    const { version, body } = await uploadBody(manifest, opts.image, opts.hashes);
    const res = await adminRequest<ReleaseAnswer>(opts, 'PUT', `/ota/images/${seg(version)}`, body);
    show(opts, res, () => `${res.outcome === 'stored' ? 'uploaded' : res.outcome}\n${describeRelease(res.release, undefined)}`);
  });

  const publish = adminOptions(
    ota
      .command('publish')
      .argument('<version>')
      .description("release a draft: the gateway checks its signature with the gateway's key and every chunk first")
      .option('--allow-lower-counter', 'publish although a released build has a higher security counter (devices above it never get it)')
      .option('--general', 'offer it to every device, not only through rollouts'),
  );
  examples(publish, [
    ['fleetgate ota publish 1.0.6', 'then roll it out: fleetgate rollout create 1.0.6 --target tag:canary'],
    ['fleetgate ota publish 1.0.7 --allow-lower-counter', 'a rollback build with the older counter'],
  ]);
  publish.action(async (version: string, opts: AdminOptions & { allowLowerCounter?: boolean; general?: boolean }) => {
    const res = await adminRequest<ReleaseAnswer>(opts, 'POST', `/ota/images/${seg(version)}/publish`, {
      allow_lower_counter: opts.allowLowerCounter === true,
      general: opts.general === true,
    });
    show(opts, res, () => describeRelease(res.release, res.changed));
  });

  const yank = adminOptions(
    ota
      .command('yank')
      .argument('<version>')
      .description('withdraw a published release: no new download starts, downloads under way are refused (410)')
      .option('--reason <text>', 'why, for the audit log and the devices\' error message'),
  );
  examples(yank, [['fleetgate ota yank 1.0.6 --reason "boot loop on rev B boards"', 'stop it everywhere']]);
  yank.action(async (version: string, opts: AdminOptions & { reason?: string }) => {
    const res = await adminRequest<ReleaseAnswer>(opts, 'POST', `/ota/images/${seg(version)}/yank`, opts.reason === undefined ? {} : { reason: opts.reason });
    show(opts, res, () => describeRelease(res.release, res.changed));
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

  rolloutCommands(ota, 'rollout', true);
}
