/**
 * Operator-console sessions (server/ui/sessions.ts, server/ui/index.tsx), in-process: the login
 * form opens a session for an admin token of any role and sets only a signed, HttpOnly,
 * SameSite=Strict session cookie (never the token); pages are unreachable without one; a wrong
 * token is refused and failed logins are limited per source address; forms need their CSRF token
 * and a same-site origin; a session ends at logout, at expiry, and when its token is revoked.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../server/clock.ts';
import { LOGIN_FAILURES } from '../../server/ui/index.tsx';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Browserish {
  cookies: Map<string, string>;
}

function cookieHeader(b: Browserish): string {
  return [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

async function get(gw: TestGateway, b: Browserish, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await gw.app.request(path, { headers: { cookie: cookieHeader(b), ...headers } });
  keep(b, res);
  return res;
}

function keep(b: Browserish, res: Response): void {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [name, ...value] = pair!.split('=');
    if (/Max-Age=0/.test(c)) b.cookies.delete(name!);
    else b.cookies.set(name!, value.join('='));
  }
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

async function login(gw: TestGateway, b: Browserish, token: string, extra: Record<string, string> = {}): Promise<Response> {
  const form = await get(gw, b, '/ui/login');
  const body = new URLSearchParams({ _csrf: csrfOf(await form.text()), token, ...extra });
  const res = await gw.app.request('/ui/login', { method: 'POST', headers: { ...FORM, cookie: cookieHeader(b) }, body: body.toString() });
  keep(b, res);
  return res;
}

async function createToken(gw: TestGateway, name: string, role: string): Promise<string> {
  const res = await gw.admin('POST', '/tokens', { name, role });
  assert.is(res.status, 201);
  return ((await res.json()) as { token: string }).token;
}

test('without a session every page redirects to the login form; live refreshes get 401; assets are open', async () => {
  const gw = await startTestGateway();
  const b = { cookies: new Map() };
  for (const path of ['/ui/', '/ui/firmware', '/ui/security', '/ui/devices/meter-1', '/ui/nowhere']) {
    const res = await get(gw, b, path);
    assert.is(res.status, 303, path);
    assert.ok(res.headers.get('location')!.startsWith('/ui/login'), path);
  }
  assert.is((await get(gw, b, '/ui/devices/meter-1')).headers.get('location'), '/ui/login?next=%2Fui%2Fdevices%2Fmeter-1');
  assert.is((await get(gw, b, '/ui/', { 'x-console-live': '1' })).status, 401);
  const css = await get(gw, b, '/ui/assets/console.css');
  assert.is(css.status, 200);
  assert.match(css.headers.get('content-type')!, /text\/css/);
  assert.is((await get(gw, b, '/ui/assets/uplot.js')).status, 200);
  assert.is((await get(gw, b, '/ui/assets/nothing.js')).status, 404);
  await gw.destroy();
});

test('a viewer token logs in: a signed HttpOnly SameSite=Strict cookie that is not the token; the pages render; the CSP forbids inline code', async () => {
  const gw = await startTestGateway();
  const viewer = await createToken(gw, 'val', 'viewer');
  const b = { cookies: new Map() };
  const res = await login(gw, b, viewer, { next: '/ui/firmware' });
  assert.is(res.status, 303);
  assert.is(res.headers.get('location'), '/ui/firmware');
  const set = res.headers.getSetCookie().find((c) => c.startsWith('fleetgate_console='))!;
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  assert.match(set, /Path=\/ui/);
  assert.match(set, /Max-Age=43200/);
  assert.not.ok(set.includes(viewer) || set.includes(encodeURIComponent(viewer)), 'the cookie is not the token');
  assert.match(decodeURIComponent(b.cookies.get('fleetgate_console')!), /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/]+=*$/, 'id.signature');
  for (const path of ['/ui/', '/ui/firmware', '/ui/security']) {
    const page = await get(gw, b, path);
    assert.is(page.status, 200, path);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.is(page.headers.get('cache-control'), 'no-store');
    const html = await page.text();
    assert.match(html, /val <span class="muted">\(viewer\)<\/span>/);
    assert.not.match(html, /<script>(?!<)/, 'no inline script');
  }
  // Bad addresses: an HTML page with the right status, not the API's JSON.
  for (const [path, status, text] of [['/ui/devices/nobody', 404, /device nobody not found/], ['/ui/devices/bad%20id', 400, /device_id|invalid/i], ['/ui/nowhere', 404, /no such page/], ['/ui/?limit=0', 400, /limit/], ['/ui/security?range=1y', 400, /range/]] as const) {
    const res = await get(gw, b, path);
    assert.is(res.status, status, path);
    assert.match(res.headers.get('content-type')!, /text\/html/, path);
    assert.match(await res.text(), text, path);
  }
  // A login with an open redirect target goes home instead.
  const b2 = { cookies: new Map() };
  assert.is((await login(gw, b2, ADMIN_TOKEN, { next: '//evil.example/' })).headers.get('location'), '/ui/');
  await gw.destroy();
});

test('a wrong token is refused; failed logins are limited per address (then even a right token waits)', async () => {
  const gw = await startTestGateway();
  const b = { cookies: new Map() };
  const wrong = await login(gw, b, 'not-a-token-0123456789');
  assert.is(wrong.status, 401);
  assert.match(await wrong.text(), /That token is wrong or revoked/);
  assert.is(b.cookies.has('fleetgate_console'), false);
  for (let i = 1; i < LOGIN_FAILURES; i++) assert.is((await login(gw, b, `wrong-${i}`)).status, 401);
  const limited = await login(gw, b, ADMIN_TOKEN);
  assert.is(limited.status, 429);
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.is(b.cookies.has('fleetgate_console'), false);
  const metrics = await (await gw.admin('GET', '/metrics')).text();
  assert.match(metrics, /fleetgate_auth_rate_limited_total\{scope="console_login"\} 1/);
  await gw.destroy();
});

test('forms: the login needs its CSRF token and a same-site origin; logout needs the session token', async () => {
  const gw = await startTestGateway();
  const b = { cookies: new Map() };
  await get(gw, b, '/ui/login');
  const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    gw.app.request('/ui/login', { method: 'POST', headers: { ...FORM, cookie: cookieHeader(b), ...headers }, body: new URLSearchParams(body).toString() });
  assert.is((await post({ token: ADMIN_TOKEN })).status, 400, 'no _csrf');
  assert.is((await post({ token: ADMIN_TOKEN, _csrf: 'forged' })).status, 400);
  const html = await (await get(gw, b, '/ui/login')).text();
  assert.is((await post({ token: ADMIN_TOKEN, _csrf: csrfOf(html) }, { origin: 'http://evil.example' })).status, 403);
  assert.is((await post({ token: ADMIN_TOKEN, _csrf: csrfOf(html) }, { 'sec-fetch-site': 'cross-site' })).status, 403);
  assert.is((await post({ token: ADMIN_TOKEN, _csrf: csrfOf(html) }, { origin: 'null' })).status, 403, 'an opaque origin is foreign');

  assert.is((await login(gw, b, ADMIN_TOKEN)).status, 303);
  const page = await (await get(gw, b, '/ui/')).text();
  const logout = (csrf: string) => gw.app.request('/ui/logout', { method: 'POST', headers: { ...FORM, cookie: cookieHeader(b) }, body: new URLSearchParams({ _csrf: csrf }).toString() });
  assert.is((await logout('forged')).status, 403);
  assert.is((await get(gw, b, '/ui/')).status, 200, 'still logged in');
  const out = await logout(csrfOf(page));
  assert.is(out.status, 303);
  assert.is(out.headers.get('location'), '/ui/login?why=bye');
  const stale = b.cookies.get('fleetgate_console');
  keep(b, out);
  assert.is(b.cookies.has('fleetgate_console'), false, 'the cookie is cleared');
  b.cookies.set('fleetgate_console', stale!);
  assert.is((await get(gw, b, '/ui/')).status, 303, 'the old cookie opens nothing');
  const audit = (await (await gw.admin('GET', '/audit?action=console.')).json()) as { entries: { action: string; actor: string }[] };
  assert.equal(audit.entries.map((e) => [e.action, e.actor]), [['console.login', 'token:bootstrap'], ['console.logout', 'token:bootstrap']]);
  await gw.destroy();
});

// Only a declared Content-Length was checked: a chunked body on these routes (the login needs no
// session) was read whole by Hono's parseBody, however large.
test('login and logout read at most 4 KiB of form, however it is sent (a chunked body too): 413 / refused', async () => {
  const gw = await startTestGateway();
  try {
    const b = { cookies: new Map() };
    await get(gw, b, '/ui/login');
    const endless = () => {
      const pulled = { bytes: 0 };
      const chunk = new TextEncoder().encode('token=' + 'x'.repeat(1018)); // 1 KiB
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled.bytes >= 4 * 1024 * 1024) return controller.close();
          pulled.bytes += chunk.length;
          controller.enqueue(chunk);
        },
      });
      return { pulled, init: { method: 'POST', headers: { ...FORM, cookie: cookieHeader(b) }, body, duplex: 'half' } as RequestInit };
    };
    const form = endless();
    const refused = await gw.app.request('/ui/login', form.init);
    assert.is(refused.status, 413);
    assert.match(await refused.text(), 'The form is too large.');
    assert.ok(form.pulled.bytes < 64 * 1024, `read ${form.pulled.bytes} bytes of a 4 MiB form`);

    assert.is((await login(gw, b, ADMIN_TOKEN)).status, 303);
    const logout = endless();
    const out = await gw.app.request('/ui/logout', logout.init);
    assert.is(out.status, 403, 'no CSRF token read: refused');
    assert.ok(logout.pulled.bytes < 64 * 1024, `read ${logout.pulled.bytes} bytes of a 4 MiB form`);
  } finally {
    await gw.destroy();
  }
});

test('a session ends when its token is revoked, at its expiry, and a forged cookie opens nothing', async () => {
  const clock = new FakeClock(Date.now());
  const gw = await startTestGateway({ clock, env: { CONSOLE_SESSION_TTL_SECONDS: '600' } });
  const op = await createToken(gw, 'otto', 'operator');
  const b = { cookies: new Map() };
  assert.is((await login(gw, b, op)).status, 303);
  assert.is((await get(gw, b, '/ui/')).status, 200);
  assert.is((await gw.admin('DELETE', '/tokens/otto')).status, 200);
  assert.is((await get(gw, b, '/ui/', { 'x-console-live': '1' })).status, 401, 'the live refresh learns it at once');
  const res = await get(gw, b, '/ui/');
  assert.is(res.status, 303);
  assert.is(res.headers.get('location'), '/ui/login', 'the session record is gone: a plain redirect');

  assert.is((await login(gw, b, ADMIN_TOKEN)).status, 303);
  assert.is((await get(gw, b, '/ui/')).status, 200);
  clock.advance(601_000);
  const expired = await get(gw, b, '/ui/');
  assert.is(expired.status, 303);
  assert.is(expired.headers.get('location'), '/ui/login?why=ended');

  const id = 'A'.repeat(43);
  b.cookies.set('fleetgate_console', `${id}.${encodeURIComponent('bm90IGEgc2lnbmF0dXJlIGF0IGFsbCBzb3JyeSE=')}`);
  assert.is((await get(gw, b, '/ui/')).status, 303);
  await gw.destroy();
});

test.run();
