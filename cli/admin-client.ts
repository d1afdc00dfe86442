/**
 * A small client for the gateway's admin API, used by CLI commands. The token comes from
 * ADMIN_TOKEN, else KEYS_DIR/admin_token (what the gateway generates on first start).
 */
import { readAdminTokenFile } from '../server/admin-token.ts';
import { CliError, ExitCode } from './errors.ts';

export interface AdminOptions {
  url?: string;
  token?: string;
  keysDir?: string;
}

export async function adminToken(opts: AdminOptions): Promise<string> {
  const token = opts.token || process.env.ADMIN_TOKEN || (await readAdminTokenFile(opts.keysDir || process.env.KEYS_DIR || 'keys'));
  if (!token) throw new CliError('no admin token: set ADMIN_TOKEN or start the gateway once to create keys/admin_token', ExitCode.usage);
  return token;
}

export function gatewayUrl(opts: AdminOptions): string {
  return (opts.url ?? process.env.FLEETGATE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 5001}`).replace(/\/+$/, '');
}

export async function adminRequest(opts: AdminOptions, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const url = gatewayUrl(opts) + path;
  const token = await adminToken(opts);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new CliError(`cannot reach the gateway at ${gatewayUrl(opts)}: ${(err as Error).cause ?? (err as Error).message}`, ExitCode.remote);
  }
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CliError(`gateway answered ${res.status} with a non-JSON body`, ExitCode.remote);
  }
  if (!res.ok) {
    const error = json.error as { code?: string; message?: string } | undefined;
    throw new CliError(`gateway answered ${res.status} ${error?.code ?? ''}: ${error?.message ?? text}`, ExitCode.remote);
  }
  return json;
}

export function addAdminOptions<T extends import('commander').Command>(cmd: T): T {
  return cmd
    .option('--url <url>', 'gateway base URL (default FLEETGATE_URL or http://127.0.0.1:$PORT|5001)')
    .option('--token <token>', 'admin token (default ADMIN_TOKEN or KEYS_DIR/admin_token)')
    .option('--keys-dir <dir>', 'where admin_token lives (default KEYS_DIR or keys)');
}
