/**
 * An embedded installation with real traffic, for the import tests: an in-process gateway on a
 * temp DATA_DIR (with OTA keys and a packaged image in FIRMWARE_DIR) that devices upload to, poll,
 * report diagnostics and download firmware from, and admins use (commands, config, tokens,
 * rollouts, revocation, rotation) — every kind of state the embedded store keeps, on disk.
 * What the devices sent is kept, to be sent again after the move.
 */
import { join } from 'node:path';
import { FakeClock } from '../../../server/clock.ts';
import { controlPlaneOf } from '../../../server/control-plane/index.ts';
import { signEnvelope } from '../../../server/protocol/envelope.ts';
import { diag, SimDevice, type DeviceReply } from '../../control-plane/device.ts';
import { samples, startTestGateway, type TestGateway } from '../../helpers/gateway.ts';
import { otaFixture, type OtaFixture } from '../../ota/routes-helpers.ts';

export const S = 1000;
export const IMAGE = '1.1.0';

export interface Installation {
  fx: OtaFixture;
  clock: FakeClock;
  /** When the installation's traffic began (epoch ms). */
  start: number;
  gw: TestGateway;
  dataDir: string;
  keysDir: string;
  /** meter-1's upload envelopes by nonce, as sent (JSON text). */
  envelopes: Map<number, string>;
  /** meter-2's last message: a command poll, with the answer it got. */
  lastPoll: { nonce: number; reply: DeviceReply };
  /** A token created on the embedded gateway, and one revoked there. */
  tokens: { live: string; revoked: string };
  /** The cookie header of a console session opened with the live token. */
  consoleCookie: string;
  devices: Record<'m1' | 'm2' | 'm3' | 'm4', SimDevice>;
}

/** Devices talk to whichever gateway the installation currently runs (the tests swap it). */
function device(inst: { gw: TestGateway }, id: string, key: Uint8Array): SimDevice {
  return new SimDevice(id, key, (path, init) => Promise.resolve(inst.gw.app.request(path, init)));
}

/** Logs in to the operator console as a browser does (form, CSRF token, cookies); the session's cookie header. */
async function consoleLogin(gw: TestGateway, token: string): Promise<string> {
  const cookies = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [name, ...value] = c.split(';')[0]!.split('=');
      if (/Max-Age=0/.test(c)) cookies.delete(name!);
      else cookies.set(name!, value.join('='));
    }
  };
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await gw.app.request('/ui/login');
  keep(form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await gw.app.request('/ui/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: header() },
    body: new URLSearchParams({ _csrf: csrf, token }).toString(),
  });
  if (res.status !== 303) throw new Error(`console login: ${res.status}`);
  keep(res);
  return header();
}

export async function upload(gw: TestGateway, body: string): Promise<Response> {
  const id = (JSON.parse(body) as { device_id: string }).device_id;
  return gw.app.request(`/aggregated/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

export async function buildInstallation(): Promise<Installation> {
  const fx = await otaFixture([{ version: IMAGE, counter: 2, size: 6000 }]);
  // The installation's day and a half ends a few minutes before the real now: the import runs on
  // the real clock, and what expires (console sessions) must still be live then.
  const clock = new FakeClock(Math.floor((Date.now() - 26 * 3600 * S) / 60_000) * 60_000);
  const inst = { fx, clock, start: clock.now(), gw: await startTestGateway({ dir: fx.dir, clock, backend: 'embedded' }) } as Installation;
  const { gw } = inst;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await inst.gw.admin(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const keys = Object.fromEntries(await Promise.all(['meter-1', 'meter-2', 'meter-3', 'meter-4', 'meter-5', 'meter-6'].map(async (id) => [id, await gw.register(id)] as const)));
  await admin('PUT', '/devices/meter-1/tags', ['lab', 'north']);
  inst.devices = { m1: device(inst, 'meter-1', keys['meter-1']!), m2: device(inst, 'meter-2', keys['meter-2']!), m3: device(inst, 'meter-3', keys['meter-3']!), m4: device(inst, 'meter-4', keys['meter-4']!) };

  // Tokens: one used for admin work (its actor lands in the audit log), one revoked.
  const live = (await admin('POST', '/tokens', { name: 'ops', role: 'operator' })).token as string;
  const revoked = (await admin('POST', '/tokens', { name: 'old', role: 'viewer' })).token as string;
  await admin('DELETE', '/tokens/old');
  inst.tokens = { live, revoked };

  // Config: fleet defaults, an override, and one cleared again.
  await admin('PUT', '/config/defaults', { heartbeat_interval: 60, upload_frequency: 300 });
  await admin('PUT', '/config/meter-2', { upload_frequency: 120 });
  await admin('PUT', '/config/meter-3', { upload_frequency: 90 });
  await admin('DELETE', '/config/meter-3');
  // Tag layers: two set (one with a priority), one emptied again; then meter-1 leaves north, which
  // stamps it (its membership version).
  await admin('PUT', '/config/tags/lab', { upload_frequency: 150, priority: 3 });
  await admin('PUT', '/config/tags/north', { heartbeat_interval: 45 });
  await admin('PUT', '/config/tags/south', { poll_frequency: 2 });
  await admin('DELETE', '/config/tags/south');
  await admin('PUT', '/devices/meter-1/tags', ['lab']);

  // Every device is seen once, then meter-4 falls silent for good.
  for (const d of Object.values(inst.devices)) await d.diagnostics(diag({ boot_id: `${d.id}-b1` }));

  // Uploads: meter-1, 5 batches of 10 one-minute samples over two days.
  inst.envelopes = new Map();
  for (let nonce = 1; nonce <= 5; nonce++) {
    clock.advance(nonce === 3 ? 86_400 * S : 600 * S);
    const body = JSON.stringify(signEnvelope(keys['meter-1']!, 'meter-1', 100 + nonce, { aggregated_data: samples(10, clock.now() / 1000 - 600) }));
    inst.envelopes.set(100 + nonce, body);
    const res = await upload(gw, body);
    if (res.status !== 200) throw new Error(`upload ${nonce}: ${res.status}`);
  }

  // Events: every device but meter-3 goes silent past 3 × heartbeat: offline; meter-2 comes back.
  // (meter-1's last message stays its last upload, to be re-sent as a duplicate after the move.)
  clock.advance(400 * S);
  await inst.devices.m3.poll();
  await controlPlaneOf(gw.ctx).sweep();
  clock.advance(60 * S);

  // Commands: two for meter-2 (with the ops token), one delivered by the poll that is its last message.
  for (const relay of [1, 2]) {
    const res = await gw.app.request('/commands/meter-2', {
      method: 'POST',
      headers: { authorization: `Bearer ${live}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command_type: 'set_relay', parameters: { relay, state: 'on' } }),
    });
    if (res.status !== 201) throw new Error(`command: ${res.status} ${await res.text()}`);
  }

  // OTA: meter-3 checks, starts a session for the image and fetches three chunks of it.
  await inst.devices.m3.request('GET', '/ota/check/meter-3?version=1.0.0&security_counter=1');
  await inst.devices.m3.request('POST', '/ota/initiate/meter-3', { firmware_version: IMAGE });
  for (let i = 0; i < 3; i++) await inst.devices.m3.request('GET', `/ota/chunk/meter-3?version=${IMAGE}&chunk=${i}`);
  await admin('POST', '/ota/rollouts', { version: IMAGE, devices: ['meter-3', 'meter-4'], percent: 100 });
  // Releases: 2.0.0 packaged later, published for a stepped rollout to meter-4 (offered it: a
  // device stage), 2.1.0 a draft, 1.9.0 published and yanked.
  for (const version of ['2.0.0', '2.1.0', '1.9.0']) await fx.addImage({ version, counter: 2, size: 3000 });
  await admin('POST', '/ota/images/2.0.0/publish');
  await admin('POST', '/ota/rollouts', { version: '2.0.0', target: ['meter-4'], steps: [{ percent: 50 }, { percent: 100, min_results: 1 }] });
  await inst.devices.m4.request('GET', '/ota/check/meter-4?version=1.0.0');
  await admin('POST', '/ota/images/1.9.0/publish');
  await admin('POST', '/ota/images/1.9.0/yank', { reason: 'bad batch' });

  // Revocation and rotation.
  await admin('DELETE', '/devices/meter-5');
  await admin('POST', '/devices/meter-6/rotate-key');

  inst.consoleCookie = await consoleLogin(gw, live);
  const reply = await inst.devices.m2.poll();
  if (reply.status !== 200 || !reply.json.command) throw new Error(`poll: ${reply.status}`);
  inst.lastPoll = { nonce: inst.devices.m2.nonce, reply };
  await controlPlaneOf(gw.ctx).events.idle();
  inst.dataDir = join(fx.dir, 'data');
  inst.keysDir = join(fx.dir, 'keys');
  return inst;
}
