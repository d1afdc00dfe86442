/**
 * OpenAPI descriptions of the operator console's routes (index.tsx beside this file): HTML pages
 * and forms for a browser, not an API — described so the document covers every route the gateway
 * serves, with the session cookie they need and what they answer without one.
 */
import type { ErrorStatus, ParamDoc, ResponseDoc, RouteDoc, RouteDocs } from '../openapi/describe.ts';
import { deviceIdParam } from '../openapi/common.ts';
import { fleetListParams } from '../fleet/openapi.ts';

const HTML = 'text/html; charset=UTF-8';
const html = (description: string): ResponseDoc => ({ description, contentType: HTML, schema: { type: 'string' } });
const location = (to: string): Record<string, ParamDoc> => ({ Location: { schema: { type: 'string' }, description: to } });
const redirect = (description: string, to: string): ResponseDoc => ({ description, headers: location(to) });

/** The answers every console page gives besides its own. */
const PAGE_ANSWERS: Record<number, ResponseDoc> = {
  303: redirect('No live session: to the login form (with `next`, and `why=ended` when a session cookie was sent).', '/ui/login…'),
  401: { description: 'No live session, asked by the page\'s live refresh (`X-Console-Live: 1`).', contentType: 'text/plain; charset=UTF-8', schema: { type: 'string' } },
  503: html('The store failed: an error page (Retry-After).'),
};

const liveHeader: Record<string, ParamDoc> = {
  'X-Console-Live': { schema: { type: 'string', enum: ['1'] }, description: "Sent by the page's own live refresh: without a session the answer is 401, not a redirect." },
};

function page(summary: string, description: string, extra: { query?: Record<string, ParamDoc>; params?: Record<string, ParamDoc>; errors?: Partial<Record<ErrorStatus, string>> } = {}): RouteDoc {
  const errors = Object.fromEntries(Object.entries(extra.errors ?? {}).map(([status, text]) => [status, html(text)]));
  return {
    summary,
    description,
    auth: 'session',
    ...(extra.params ? { params: extra.params } : {}),
    ...(extra.query ? { query: extra.query } : {}),
    headers: liveHeader,
    responses: { 200: html('The page.'), ...PAGE_ANSWERS, ...errors },
  };
}

/** The fleet page's list parameters: the API's (server/fleet/openapi.ts), 50 rows a page here. */
const listParams: Record<string, ParamDoc> = { tag: { schema: { type: 'string' }, description: 'Only devices with this tag.' }, ...fleetListParams(50) };

const loginForm = {
  type: 'object',
  required: ['token', '_csrf'],
  properties: {
    token: { type: 'string', maxLength: 512, description: 'An admin token of any role.' },
    _csrf: { type: 'string', description: 'The form token the login page gave, bound to its pre-login cookie.' },
    next: { type: 'string', pattern: '^/ui/', description: 'Where to go after logging in (a console path only).' },
  },
};

export const consoleDocs: RouteDocs = {
  'GET /ui': {
    summary: 'The console, without its trailing slash',
    auth: 'open',
    responses: { 301: redirect('To /ui/.', '/ui/') },
  },
  'GET /ui/login': {
    summary: 'Console login form',
    description: 'Sets the short-lived pre-login cookie its form token is bound to. `why=ended|bye` says why the browser is here.',
    auth: 'open',
    query: {
      next: { schema: { type: 'string' }, description: 'A console path to go to after logging in.' },
      why: { schema: { enum: ['ended', 'bye'] }, description: 'A session that ended; a logout.' },
    },
    responses: { 200: html('The login form.'), 303: redirect('Already logged in: to the fleet page.', '/ui/'), 503: html('The store failed.') },
  },
  'POST /ui/login': {
    summary: 'Log in to the console',
    description: 'Opens a session for the token and sets the signed, HttpOnly, SameSite=Strict session cookie. Failed logins are limited per source address (429 with Retry-After). Refused when the browser says the form came from another site (Sec-Fetch-Site, Origin).',
    auth: 'open',
    body: { schema: loginForm, contentType: 'application/x-www-form-urlencoded', description: 'The login form.' },
    responses: {
      303: { description: 'Logged in: the session cookie, and on to the fleet page (or `next`).', headers: { ...location('/ui/ or next'), 'Set-Cookie': { schema: { type: 'string' }, description: 'fleetgate_console=<signed session id>; HttpOnly; SameSite=Strict; Path=/ui' } } },
      400: html('The form expired or was not this console\'s (its form token): the form again.'),
      401: html('The token is wrong or revoked: the form again.'),
      403: html('Posted from another site.'),
      413: html('The form is too large.'),
      429: html('Too many failed logins from this address: the form, with Retry-After.'),
      503: html('The store failed.'),
    },
  },
  'POST /ui/logout': {
    summary: 'Log out of the console',
    description: 'Ends the session (on every replica) and clears its cookie.',
    auth: 'session',
    body: { schema: { type: 'object', required: ['_csrf'], properties: { _csrf: { type: 'string', description: "The session's form token." } } }, contentType: 'application/x-www-form-urlencoded', description: 'The logout form.' },
    responses: {
      303: redirect('Logged out (or no session): to the login form.', '/ui/login…'),
      403: html('The form token is wrong, or the form came from another site: still logged in.'),
      503: html('The store failed.'),
    },
  },
  'GET /ui/': page('Console: the fleet', 'Counts by status, config lag and firmware; the devices, searchable, filtered, sorted, a page at a time (the fleet read model).', {
    query: listParams,
    errors: { 400: 'A list parameter is invalid.' },
  }),
  'GET /ui/devices/:device_id': page('Console: one device', "Its telemetry chart, diagnostics, events, commands, config, OTA state and security counters.", {
    params: { device_id: deviceIdParam },
    query: {
      field: { schema: { type: 'string' }, description: 'The telemetry field to chart (default power, else the first).' },
      range: { schema: { enum: ['hour', 'day', 'week'] }, description: 'The samples received in the last hour, day (default) or week.' },
    },
    errors: { 400: 'An invalid device id or range.', 404: 'No such device.' },
  }),
  'GET /ui/firmware': page('Console: firmware', 'Images and who can get them, rollouts with their progress, downloads in progress, devices per version.'),
  'GET /ui/security': page('Console: security', 'Device-message outcomes per hour and the devices with the most rejections.', {
    query: { range: { schema: { enum: ['24h', '7d'] }, description: 'The chart\'s span (default 24h).' } },
    errors: { 400: 'An invalid range.' },
  }),
  'GET /ui/assets/:name': {
    summary: "The console's stylesheet and scripts (and uPlot's)",
    description: 'Open (nothing in them is the fleet\'s). Cached for good under a versioned URL (`?v=<hash>`).',
    auth: 'open',
    params: { name: { schema: { enum: ['console.css', 'console.js', 'uplot.css', 'uplot.js'] }, description: 'The file.' } },
    query: { v: { schema: { type: 'string', pattern: '^[0-9a-f]{16}$' }, description: 'The content hash the pages link with.' } },
    headers: { 'If-None-Match': { schema: { type: 'string' }, description: 'The ETag from before: 304 when unchanged.' } },
    responses: {
      200: { description: 'The file.', contentType: 'text/css; charset=utf-8', schema: { type: 'string' }, also: { 'text/javascript; charset=utf-8': { type: 'string' } } },
      304: { description: 'Unchanged.' },
      404: html('No such file.'),
    },
  },
};
