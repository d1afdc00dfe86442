/**
 * The CLI's client for a gateway's admin API. The gateway is `--url`, else $FLEETGATE_URL, else the
 * one the working directory's `.env` configures (its PORT, on 127.0.0.1 or its HOST), else
 * http://127.0.0.1:5001. The token is `--token`, else $FLEETGATE_TOKEN; for a loopback URL only it
 * falls back to what the gateway on this machine uses: ADMIN_TOKEN in `.env`, else the admin_token
 * file it writes on first start (`--keys-dir`, else $KEYS_DIR, else ./keys), so the README
 * walkthrough needs no export. Neither is ever sent to another host — not even to a HOST the
 * `.env` names, which could be any machine (a deployment's file copied to a workstation).
 * ADMIN_TOKEN and PORT in the shell's environment are not read: they configure a gateway process
 * started from that shell, not the admin's client; `.env` is a file both read (cli/dotenv.ts).
 * Every failure becomes one CliError: unreachable, timed out or an error answer → exit 4 (remote),
 * a bad URL or no token → exit 2 (usage).
 */
import { CliError, ExitCode } from './errors.ts';
import { cliDotEnv } from './dotenv.ts';
import { httpRequest, HttpFailure, type HttpAnswer, type StreamedBody } from './http.ts';
import { keysDir, type AdminOptions } from './options.ts';

export const DEFAULT_URL = 'http://127.0.0.1:5001';
const TIMEOUT_MS = 60_000;

/**
 * The gateway the working directory's `.env` configures, when it sets PORT or HOST: where to reach
 * it from this machine (a wildcard HOST means loopback).
 */
export function dotEnvGatewayUrl(): string | undefined {
  const { PORT, HOST } = cliDotEnv();
  if (PORT === undefined && HOST === undefined) return undefined;
  if (PORT !== undefined && PORT !== '' && !(/^\d{1,5}$/.test(PORT) && Number(PORT) <= 65535)) {
    throw new CliError(`./.env: PORT must be a port number, got "${PORT}"`, ExitCode.usage);
  }
  const host = HOST === undefined || HOST === '' || HOST === '0.0.0.0' ? '127.0.0.1' : HOST === '::' ? '[::1]' : HOST.includes(':') ? `[${HOST}]` : HOST;
  const url = `http://${host}:${PORT || new URL(DEFAULT_URL).port}`;
  if (!URL.canParse(url)) throw new CliError(`./.env: HOST must be a host name or address, got "${HOST}"`, ExitCode.usage);
  return url;
}

export function gatewayUrl(opts: AdminOptions): URL {
  const raw = opts.url || process.env.FLEETGATE_URL || dotEnvGatewayUrl() || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--url must be an http:// or https:// URL, got "${raw}"`, ExitCode.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url must be an http:// or https:// URL, got "${raw}"`, ExitCode.usage);
  return url;
}

export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function adminToken(opts: AdminOptions, url: URL): Promise<string> {
  const given = opts.token || process.env.FLEETGATE_TOKEN;
  if (given) return given;
  const local = isLoopback(url);
  if (local) {
    // What the local gateway itself uses: ADMIN_TOKEN from .env wins over the file (server/admin-token.ts).
    const fromDotEnv = cliDotEnv().ADMIN_TOKEN;
    if (fromDotEnv) return fromDotEnv;
    const { readAdminTokenFile } = await import('../server/admin-token.ts');
    const fromFile = await readAdminTokenFile(keysDir(opts.keysDir));
    if (fromFile) return fromFile;
  }
  throw new CliError(
    `no admin token for ${url.origin}: pass --token or set FLEETGATE_TOKEN` +
      (local ? ` (no ADMIN_TOKEN in ./.env, no admin_token in ${keysDir(opts.keysDir)} either)` : ''),
    ExitCode.usage,
  );
}

/** The path under the gateway's base URL (which may itself have a path, e.g. behind a proxy). */
function endpoint(base: URL, path: string): URL {
  const url = new URL(base.href);
  url.pathname = base.pathname.replace(/\/+$/, '') + path.replace(/\?.*$/, '');
  url.search = path.includes('?') ? path.slice(path.indexOf('?')) : '';
  return url;
}

/** A query string from the values that are set: `?a=1&b=x`, or '' when none is. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Path segment from user input: ids and versions are checked by the gateway, never spliced raw. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** A request body the CLI streams rather than serialises: its Content-Type, length and bytes. */
export interface UploadBody extends StreamedBody {
  contentType: string;
}

function isUpload(body: unknown): body is UploadBody {
  return typeof body === 'object' && body !== null && typeof (body as UploadBody).bytes === 'function' && typeof (body as UploadBody).contentType === 'string';
}

async function send(opts: AdminOptions, method: string, path: string, body: unknown): Promise<HttpAnswer> {
  const base = gatewayUrl(opts);
  const token = await adminToken(opts, base);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'user-agent': 'fleetgate-cli' };
  if (body !== undefined) headers['content-type'] = isUpload(body) ? body.contentType : 'application/json';
  let res: HttpAnswer;
  try {
    res = await httpRequest(endpoint(base, path), {
      method,
      headers,
      ...(body === undefined ? {} : { body: isUpload(body) ? { length: body.length, bytes: body.bytes } : JSON.stringify(body) }),
      timeoutMs: TIMEOUT_MS,
    });
  } catch (err) {
    const reason = err instanceof HttpFailure ? err.reason : String(err);
    throw new CliError(`cannot reach the gateway at ${base.origin}: ${reason}`, ExitCode.remote);
  }
  if (res.status >= 400) throw answerError(res, base);
  return res;
}

/** The gateway's error answer: what it said, kept for commands that treat some answers as normal. */
export class GatewayAnswerError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message, ExitCode.remote);
    this.name = 'GatewayAnswerError';
  }
}

function answerError(res: HttpAnswer, base: URL): GatewayAnswerError {
  let code = '';
  let message = res.body.toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim();
  try {
    const error = (JSON.parse(res.body.toString('utf8')) as { error?: { code?: string; message?: string } }).error;
    code = error?.code ?? '';
    message = error?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  if (res.status === 401) {
    return new GatewayAnswerError(`the gateway at ${base.origin} refused the admin token (401 ${code}): check --token / FLEETGATE_TOKEN`, 401, code);
  }
  return new GatewayAnswerError(`gateway answered ${res.status}${code ? ` ${code}` : ''}: ${message}`, res.status, code);
}

/** A JSON answer, as an object (`body`: JSON, or an UploadBody streamed as it is). */
export async function adminRequest<T = Record<string, unknown>>(opts: AdminOptions, method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(opts, method, path, body);
  try {
    return JSON.parse(res.body.toString('utf8')) as T;
  } catch {
    throw new CliError(`gateway answered ${res.status} with a body that is not JSON (is ${gatewayUrl(opts).origin} a fleetgate gateway?)`, ExitCode.remote);
  }
}

/** A text answer as it came (CSV). */
export async function adminText(opts: AdminOptions, path: string): Promise<string> {
  return (await send(opts, 'GET', path, undefined)).body.toString('utf8');
}
