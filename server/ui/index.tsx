/**
 * The operator console at /ui/ (registered in server/features.ts after the fleet feature):
 *   GET  /ui/login, POST /ui/login, POST /ui/logout     the session (sessions.ts)
 *   GET  /ui/  /ui/devices/:id  /ui/firmware  /ui/security   pages (pages/*.tsx), session needed
 *   GET  /ui/assets/:name                                stylesheet and scripts (assets.ts), open
 * Server-rendered with hono/jsx from the same service functions the JSON API calls. A page asked
 * for with `X-Console-Live: 1` (assets/console.js, every few seconds) is the same page; without a
 * session that request gets 401 instead of the redirect to the login form. Every page is sent
 * with a Content-Security-Policy allowing only the gateway's own scripts and styles.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, getSignedCookie, setCookie, setSignedCookie } from 'hono/cookie';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { randomBytes } from 'node:crypto';
import { AuthRateLimiter } from '../auth/rate-limit.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { controlPlaneOf } from '../control-plane/index.ts';
import { loadOrCreateMasterSecret } from '../devices/keys.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { NotFoundError, PayloadTooLargeError, RateLimitedError } from '../errors.ts';
import { readFormFields } from '../http/body.ts';
import { errorAnswer } from '../http/error-handler.ts';
import { fleetOf } from '../fleet/index.ts';
import { requestSource } from '../http/source-address.ts';
import { otaOf } from '../ota/routes.ts';
import { loadAssets } from './assets.ts';
import type { UiEnv } from './env.ts';
import { Layout } from './layout.tsx';
import { DevicePage, devicePageData, parseRange } from './pages/device.tsx';
import { FirmwarePage, firmwarePageData } from './pages/firmware.tsx';
import { FleetPage, parseFleetPageQuery } from './pages/fleet.tsx';
import { ErrorPage, LoginPage } from './pages/login.tsx';
import { SecurityPage, parseSecurityRange } from './pages/security.tsx';
import { ConsoleSessions, consoleKey, LOGIN_COOKIE, SESSION_COOKIE, type OpenSession } from './sessions.ts';

export const LIVE_HEADER = 'x-console-live';
/** Failed logins a source address may have per window (then 429 until a token is back). */
export const LOGIN_FAILURES = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;
const LOGIN_FORM_MS = 3_600_000;
const FORM_LIMIT_BYTES = 4096;

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

type UiAppEnv = { Variables: AppEnv['Variables'] & { session: OpenSession } };

async function render(c: Context, node: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 413 | 429 | 500 | 503 = 200) {
  return c.html(`<!doctype html>${await node}`, status);
}

/** Only a path inside the console: never another host, never a scheme. */
function safeNext(next: string | undefined): string | undefined {
  return next && /^\/ui\/[A-Za-z0-9/_.~%?=&:+-]*$/.test(next) && !next.startsWith('//') ? next : undefined;
}

/**
 * A POST from a page of another site is refused whatever it carries: the browser says where it
 * came from in Sec-Fetch-Site (every current browser), else in Origin ("null" counts as foreign).
 * A request with neither is not from a browser's form (curl, a script), which has no session
 * cookie to abuse.
 */
function crossSite(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = c.req.header('origin');
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return true;
  }
}

export async function consoleFeature(ctx: AppContext): Promise<Hono<AppEnv>> {
  const { config, clock, logger } = ctx;
  const { secret } = await loadOrCreateMasterSecret(config.KEYS_DIR);
  const sessions = new ConsoleSessions(ctx.store.consoleSessions, ctx.tokens, consoleKey(secret), clock, config.CONSOLE_SESSION_TTL_SECONDS * 1000);
  const limiter = new AuthRateLimiter({ perAddress: LOGIN_FAILURES, perDevice: Number.MAX_SAFE_INTEGER, windowMs: LOGIN_WINDOW_MS }, () =>
    ctx.metrics.authRateLimited.inc({ scope: 'console_login' }),
  );
  const assets = loadAssets();
  const key = sessions.key;
  const plane = controlPlaneOf(ctx);
  const ota = otaOf(ctx);
  const fleet = fleetOf(ctx);

  const prune = () => void ctx.store.exclusive('console-sessions', () => sessions.prune()).catch((err: unknown) => logger.error({ err }, 'console session pruning failed'));
  const pruneTimer = setInterval(prune, 3_600_000);
  pruneTimer.unref();
  ctx.onClose(() => clearInterval(pruneTimer));

  const secure = (c: Context) => new URL(c.req.url).protocol === 'https:' || (config.TRUST_PROXY && c.req.header('x-forwarded-proto') === 'https');
  const cookieOptions = (c: Context, maxAge: number) => ({ path: '/ui', httpOnly: true, sameSite: 'Strict' as const, secure: secure(c), maxAge });

  const ui = new Hono<UiAppEnv>();

  ui.use('/ui/*', async (c, next) => {
    await next();
    c.header('content-security-policy', CSP);
    c.header('x-frame-options', 'DENY');
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    if (!c.res.headers.get('cache-control')) c.header('cache-control', 'no-store');
  });

  // The one error mapping (server/http/error-handler.ts) decides the status; the console answers it as a page.
  ui.onError(async (err, c) => {
    const session = c.get('session') as OpenSession | undefined;
    const answer = errorAnswer(err, logger, { path: c.req.path, method: c.req.method });
    for (const [name, value] of Object.entries(answer.headers ?? {})) c.header(name, value);
    const status = answer.status === 403 || answer.status === 404 || answer.status === 429 || answer.status === 503 || answer.status === 500 ? answer.status : 400;
    const message = answer.status === 500 ? 'The page could not be made; the gateway logged why.' : answer.body.error.message;
    return render(c, <ErrorPage assets={assets} status={status} message={message} user={session?.user} csrf={session?.csrf} />, status);
  });

  ui.get('/ui', (c) => c.redirect('/ui/', 301));

  ui.get('/ui/assets/:name', (c) => {
    const a = assets.get(c.req.param('name'));
    if (!a) throw new NotFoundError('no such asset', 'not_found');
    const etag = `"${a.hash}"`;
    const versioned = c.req.query('v') === a.hash;
    c.header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header('etag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.body(new Uint8Array(a.body), 200, { 'content-type': a.type });
  });

  /** The session of this request, if its signed cookie names a live one. */
  const sessionOf = async (c: Context): Promise<{ id: string; session: OpenSession } | undefined> => {
    const id = await getSignedCookie(c, key, SESSION_COOKIE);
    if (!id) return undefined;
    const session = await sessions.resolve(id);
    return session ? { id, session } : undefined;
  };

  const loginForm = async (c: Context, status: 200 | 400 | 401 | 403 | 413 | 429, message?: { tone: 'bad' | 'good' | 'info'; text: string }, next?: string) => {
    const nonce = randomBytes(18).toString('base64url');
    setCookie(c, LOGIN_COOKIE, nonce, cookieOptions(c, LOGIN_FORM_MS / 1000));
    return render(c, <LoginPage assets={assets} csrf={sessions.csrf('login', nonce)} next={next} message={message} />, status);
  };

  ui.get('/ui/login', async (c) => {
    if (await sessionOf(c)) return c.redirect('/ui/', 303);
    const why = c.req.query('why');
    const message =
      why === 'ended'
        ? { tone: 'info' as const, text: 'Your session ended (it expired, or its token was revoked). Log in again.' }
        : why === 'bye'
          ? { tone: 'good' as const, text: 'You are logged out.' }
          : undefined;
    return loginForm(c, 200, message, safeNext(c.req.query('next')));
  });

  ui.post('/ui/login', async (c) => {
    if (crossSite(c)) return loginForm(c, 403, { tone: 'bad', text: 'Refused: the form was posted from another site.' });
    let form: Record<string, string>;
    try {
      form = await readFormFields(c, FORM_LIMIT_BYTES);
    } catch (err) {
      if (err instanceof PayloadTooLargeError) return loginForm(c, 413, { tone: 'bad', text: 'The form is too large.' });
      throw err;
    }
    const field = (name: string): string | undefined => form[name];
    const next = safeNext(field('next'));
    const nonce = getCookie(c, LOGIN_COOKIE);
    if (!nonce || !sessions.checkCsrf('login', nonce, field('_csrf'))) {
      return loginForm(c, 400, { tone: 'bad', text: 'The login form expired or did not come from this console; try again.' }, next);
    }
    const source = requestSource(c, config.TRUST_PROXY);
    const now = clock.now();
    try {
      limiter.check(source, 'console', now);
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      c.header('retry-after', String(err.retryAfterSeconds));
      return loginForm(c, 429, { tone: 'bad', text: `Too many failed logins from this address; try again in ${err.retryAfterSeconds} s.` }, next);
    }
    const token = (field('token') ?? '').trim();
    const opened = token.length > 0 && token.length <= 512 ? await sessions.open(token, source) : undefined;
    if (!opened) {
      limiter.failed(source, 'console', now);
      logger.warn({ source }, 'console login refused: wrong or revoked token');
      return loginForm(c, 401, { tone: 'bad', text: 'That token is wrong or revoked.' }, next);
    }
    await setSignedCookie(c, SESSION_COOKIE, opened.id, key, cookieOptions(c, config.CONSOLE_SESSION_TTL_SECONDS));
    deleteCookie(c, LOGIN_COOKIE, { path: '/ui' });
    await ctx.audit.record({ actor: `token:${opened.user.name}`, action: 'console.login', details: { source } });
    logger.info({ token: opened.user.name, source }, 'console login');
    return c.redirect(next ?? '/ui/', 303);
  });

  ui.post('/ui/logout', async (c) => {
    const current = await sessionOf(c);
    if (!current) return c.redirect('/ui/login', 303);
    // Too large: no fields, so no CSRF token, refused below.
    const form = await readFormFields(c, FORM_LIMIT_BYTES).catch((err: unknown) => {
      if (err instanceof PayloadTooLargeError) return {} as Record<string, string>;
      throw err;
    });
    if (crossSite(c) || !sessions.checkCsrf('session', current.id, form._csrf)) {
      c.set('session', current.session);
      return render(c, <ErrorPage assets={assets} status={403} message="Refused: the form did not come from this console." user={current.session.user} csrf={current.session.csrf} />, 403);
    }
    await sessions.end(current.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/ui' });
    await ctx.audit.record({ actor: `token:${current.session.user.name}`, action: 'console.logout' });
    return c.redirect('/ui/login?why=bye', 303);
  });

  // Every other console URL needs a session.
  ui.use('/ui/*', async (c, next) => {
    const current = await sessionOf(c);
    if (!current) {
      const hadCookie = getCookie(c, SESSION_COOKIE) !== undefined;
      if (hadCookie) deleteCookie(c, SESSION_COOKIE, { path: '/ui' });
      if (c.req.header(LIVE_HEADER)) return c.text('session ended', 401);
      const next = safeNext(c.req.path + (new URL(c.req.url).search || ''));
      const params = new URLSearchParams({ ...(hadCookie ? { why: 'ended' } : {}), ...(next && next !== '/ui/' ? { next } : {}) }).toString();
      return c.redirect(`/ui/login${params ? `?${params}` : ''}`, 303);
    }
    c.set('session', current.session);
    await next();
  });

  const envOf = (c: Context<UiAppEnv>): UiEnv => {
    const s = c.get('session');
    return { ctx, fleet, plane, ota, assets, now: clock.now(), user: s.user, csrf: s.csrf };
  };
  const page = (env: UiEnv, title: string, nav: 'fleet' | 'firmware' | 'security' | 'device', body: JSX.Element, charts = false) => (
    <Layout title={title} page={nav} assets={assets} user={env.user} csrf={env.csrf} live charts={charts}>
      {body}
    </Layout>
  );

  ui.get('/ui/', async (c) => {
    const env = envOf(c);
    const query = parseFleetPageQuery((name) => c.req.query(name));
    fleet.setLatestFirmware((await ota.catalog.fresh()).listImages().at(-1)?.version ?? null);
    const tags = new Set<string>();
    for (const row of fleet.model.all()) for (const t of row.record.tags ?? []) tags.add(t);
    return render(c, page(env, 'Fleet', 'fleet', <FleetPage env={env} query={query} tags={[...tags].sort()} />));
  });

  ui.get('/ui/devices/:device_id', async (c) => {
    const env = envOf(c);
    const id = assertDeviceId(c.req.param('device_id'));
    const data = await devicePageData(env, id, parseRange(c.req.query('range')), c.req.query('field'));
    if (!data) throw new NotFoundError(`device ${id} not found`, 'unknown_device');
    return render(c, page(env, id, 'device', <DevicePage env={env} data={data} />, true));
  });

  ui.get('/ui/firmware', async (c) => {
    const env = envOf(c);
    return render(c, page(env, 'Firmware', 'firmware', <FirmwarePage env={env} data={await firmwarePageData(env)} />));
  });

  ui.get('/ui/security', async (c) => {
    const env = envOf(c);
    const range = parseSecurityRange(c.req.query('range'));
    return render(c, page(env, 'Security', 'security', <SecurityPage env={env} range={range} stats={await ctx.securityStats.totals()} />, true));
  });

  ui.all('/ui/*', () => {
    throw new NotFoundError('There is no such page in the console.', 'not_found');
  });

  const app = new Hono<AppEnv>();
  app.route('/', ui);
  return app;
}
