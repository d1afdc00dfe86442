/**
 * Fixtures for the OTA route tests: a temp dir with fresh OTA keys (KEYS_DIR, so the gateway
 * verifies manifest signatures) and packaged images in FIRMWARE_DIR, an in-process gateway on it,
 * and `SimDevice`, which signs requests with an increasing nonce and checks every answer's
 * signature the way the firmware does (body signature, or the streamed binding for downloads).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../server/clock.ts';
import { macHexEquals } from '../../server/crypto/hmac.ts';
import { streamBinding, streamSignature } from '../../server/http/device-request.ts';
import { initKeys, loadSigningKeys, loadVerifyKeys, type SigningKeys, type VerifyKeys } from '../../server/ota/keys.ts';
import { hashesFileName, imageFileName, manifestFileName, type FirmwareManifest } from '../../server/ota/manifest.ts';
import { packageBuffer } from '../../server/ota/package.ts';
import { signRequestHeaders, verifyResponseSignature } from '../../server/protocol/device-request.ts';
import { ADMIN_TOKEN, startTestGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { writeMultipart, type PartSource } from '../../server/http/multipart.ts';

export interface ImageSpec {
  version: string;
  counter?: number;
  size?: number;
  chunkSize?: number;
  /** Manifest format (default 1: these route tests drive the JSON chunk route of older devices). */
  formatVersion?: 1 | 2;
  /** Package with these keys instead of the fixture's (another build machine's). */
  signing?: SigningKeys;
  /** Only package it (files in memory), do not place it in FIRMWARE_DIR. */
  stage?: boolean;
}

export interface PackagedImage {
  version: string;
  plain: Buffer;
  encrypted: Buffer;
  manifest: FirmwareManifest;
  chunkTable: Buffer;
}

export interface OtaFixture {
  dir: string;
  firmwareDir: string;
  signing: SigningKeys;
  verify: VerifyKeys;
  images: Map<string, PackagedImage>;
  addImage(spec: ImageSpec): Promise<PackagedImage>;
}

let sharedKeys: { dir: string } | undefined;

/** Keys are generated once per test file (RSA keygen is the slow part) and copied per fixture. */
async function keysDir(): Promise<string> {
  if (!sharedKeys) {
    const dir = await tempDir('fleetgate-ota-keys-');
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await initKeys(dir, { bits: 2048 });
    sharedKeys = { dir };
  }
  return sharedKeys.dir;
}

export async function otaFixture(images: ImageSpec[] = []): Promise<OtaFixture> {
  const dir = await tempDir('fleetgate-ota-');
  const keys = join(dir, 'keys');
  await mkdir(keys, { recursive: true });
  const src = await keysDir();
  for (const f of ['server_private_key.pem', 'server_public_key.pem', 'aes_firmware_key.bin']) {
    await writeFile(join(keys, f), await readFile(join(src, f)), { mode: 0o600 });
  }
  const signing = await loadSigningKeys(keys);
  const verify = await loadVerifyKeys(keys);
  const firmwareDir = join(dir, 'firmware');
  await mkdir(firmwareDir, { recursive: true });
  const fixture: OtaFixture = {
    dir,
    firmwareDir,
    signing,
    verify,
    images: new Map(),
    async addImage(spec) {
      const plain = randomBytes(spec.size ?? 5000);
      const { manifest, encrypted, chunkTable } = packageBuffer(plain, spec.signing ?? signing, {
        version: spec.version,
        securityCounter: spec.counter ?? 0,
        chunkSize: spec.chunkSize ?? 1024,
        formatVersion: spec.formatVersion ?? 1,
      });
      const img = { version: spec.version, plain, encrypted, manifest, chunkTable };
      if (spec.stage) return img;
      // Image (and hashes) before manifest, like the packager: the catalog keys on manifests.
      await writeFile(join(firmwareDir, imageFileName(spec.version)), encrypted);
      if (manifest.format_version === 2) await writeFile(join(firmwareDir, hashesFileName(spec.version)), chunkTable);
      await writeFile(join(firmwareDir, manifestFileName(spec.version)), JSON.stringify(manifest, null, 2));
      fixture.images.set(spec.version, img);
      return img;
    },
  };
  for (const spec of images) await fixture.addImage(spec);
  return fixture;
}

export async function otaGateway(fixture: OtaFixture, options: { env?: Record<string, string>; clock?: Clock } = {}): Promise<TestGateway> {
  return startTestGateway({ dir: fixture.dir, ...options });
}

/**
 * A build reaching the gateway `gw` (which reads `dir`) by a slow copy, as QA found it: the hash
 * table and manifest, then the image cut short (a copy in progress) until `gw` lists it as a problem
 * and listings have settled (FirmwareDir's 2 s; listed as requests ask), then the whole image written over the same file
 * in place — no directory entry changes, so the directory's mtime stays as it was. Resolves with the
 * listing of `gw` once it holds the version (or after 4 s without it).
 */
export async function copySlowly(gw: TestGateway, from: OtaFixture, version: string, dir: string): Promise<{ images: { version: string }[]; problems: unknown[] }> {
  type Listing = { images: { version: string }[]; problems: unknown[] };
  const listing = async () => (await (await gw.admin('GET', '/ota/images')).json()) as Listing;
  const until = async (done: (l: Listing) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    let l = await listing();
    while (!done(l) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      l = await listing();
    }
    return l;
  };
  for (const name of [hashesFileName(version), manifestFileName(version)]) await writeFile(join(dir, name), await readFile(join(from.firmwareDir, name)));
  const image = join(dir, imageFileName(version));
  const bytes = from.images.get(version)!.encrypted;
  await writeFile(image, bytes.subarray(0, 30_000));
  const short = await until((l) => JSON.stringify(l.problems).includes('is 30000 bytes'), 4000);
  if (!JSON.stringify(short.problems).includes('is 30000 bytes')) throw new Error(`the short copy was never listed: ${JSON.stringify(short.problems)}`);
  // Listed on, past the settling time and one more check: the last listing is a settled one.
  await until(() => false, 3200);
  await writeFile(image, bytes); // truncates and rewrites the same inode
  return until((l) => l.images.some((i) => i.version === version), 4000);
}

/** The multipart parts of an upload of `img` (manifest, format 2's hash table, image). */
export function uploadParts(img: PackagedImage): PartSource[] {
  const manifest = Buffer.from(JSON.stringify(img.manifest, null, 2));
  return [
    { name: 'manifest', contentType: 'application/json', length: manifest.length, body: manifest },
    ...(img.manifest.format_version === 2 ? [{ name: 'hashes', length: img.chunkTable.length, body: img.chunkTable }] : []),
    { name: 'image', length: img.encrypted.length, body: img.encrypted },
  ];
}

/** PUT /ota/images/:version with these parts (default: `img` as the packager wrote it), as `token`. */
export async function uploadImage(gw: TestGateway, version: string, parts: PartSource[], token = ADMIN_TOKEN): Promise<Response> {
  const m = writeMultipart(parts);
  const pieces: Uint8Array[] = [];
  for await (const p of m.bytes()) pieces.push(p);
  const body = Buffer.concat(pieces);
  if (body.length !== m.length) throw new Error(`writeMultipart promised ${m.length} bytes, wrote ${body.length}`);
  return gw.app.request(`/ota/images/${version}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': m.contentType }, body });
}

/** Publishes a build through the admin API (general: offered to every device, as images present at start are). */
export async function publishImage(gw: TestGateway, version: string, body: { general?: boolean; allow_lower_counter?: boolean } = { general: true }): Promise<void> {
  const res = await gw.admin('POST', `/ota/images/${version}/publish`, body);
  if (res.status !== 200) throw new Error(`publish ${version}: ${res.status} ${await res.text()}`);
}

export interface DeviceAnswer<T = Record<string, unknown>> {
  status: number;
  json: T;
  res: Response;
}

export class SimDevice {
  nonce = 0;

  constructor(
    readonly gw: TestGateway,
    readonly id: string,
    readonly key: Uint8Array,
  ) {}

  static async register(gw: TestGateway, id: string): Promise<SimDevice> {
    return new SimDevice(gw, id, await gw.register(id));
  }

  /** A signed JSON request; the answer's body signature is checked (throws if wrong). */
  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<DeviceAnswer<T>> {
    const nonce = ++this.nonce;
    const res = await this.gw.deviceRequest(this.id, this.key, nonce, method, path, body);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const sig = res.headers.get('x-signature');
    if (!sig || !verifyResponseSignature(this.key, nonce, bytes, sig)) {
      throw new Error(`${method} ${path}: bad or missing response signature (status ${res.status})`);
    }
    return { status: res.status, json: JSON.parse(new TextDecoder().decode(bytes)) as T, res };
  }

  /** A signed download request; a 200/206 answer must carry the streamed binding signature. */
  async download(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ res: Response; bytes: Buffer }> {
    const nonce = ++this.nonce;
    const res = await this.gw.app.request(path, { method, headers: { ...signRequestHeaders(this.key, this.id, nonce, method, path), ...headers } });
    const bytes = Buffer.from(await res.arrayBuffer());
    const sig = res.headers.get('x-signature') ?? '';
    const binding = streamBinding(res.status, res.headers);
    const ok = binding !== undefined ? macHexEquals(sig, streamSignature(this.key, nonce, binding)) : verifyResponseSignature(this.key, nonce, bytes, sig);
    if (!ok) throw new Error(`${method} ${path}: bad response signature (status ${res.status}, binding ${binding})`);
    return { res, bytes };
  }
}
