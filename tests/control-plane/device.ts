/**
 * A simulated device for control-plane tests. It signs requests and checks response signatures
 * with node:crypto directly — not with the server's protocol helpers — so the tests pin the wire
 * format independently of the code under test:
 *   request  X-Signature = HMAC-SHA256(key, nonce u32 BE ‖ METHOD ‖ " " ‖ path ‖ "\n" ‖ body)
 *   response X-Signature = HMAC-SHA256(key, nonce u32 BE ‖ response body)
 */
import { createHmac } from 'node:crypto';
import type { TestGateway } from '../helpers/gateway.ts';

export interface DeviceReply<T = unknown> {
  status: number;
  body: Buffer;
  json: T;
  /** The response signature checked out against the device key and the request nonce. */
  signed: boolean;
  nonce: number;
}

export function nonceBE(nonce: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(nonce);
  return b;
}

export function signRequest(key: Uint8Array, nonce: number, method: string, path: string, body: Buffer): string {
  return createHmac('sha256', key).update(nonceBE(nonce)).update(`${method} ${path}\n`).update(body).digest('hex');
}

export function responseSignatureOk(key: Uint8Array, nonce: number, body: Buffer, header: string | null): boolean {
  if (!header) return false;
  return createHmac('sha256', key).update(nonceBE(nonce)).update(body).digest('hex') === header;
}

type Fetcher = (path: string, init: RequestInit) => Promise<Response>;

export class SimDevice {
  nonce: number;

  constructor(
    readonly id: string,
    readonly key: Uint8Array,
    private readonly fetcher: Fetcher,
    startNonce = 0,
  ) {
    this.nonce = startNonce;
  }

  static async register(gw: TestGateway, id: string): Promise<SimDevice> {
    return new SimDevice(id, await gw.register(id), (path, init) => Promise.resolve(gw.app.request(path, init)));
  }

  /** Sends with the next nonce. */
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<DeviceReply<T>> {
    return this.send<T>(++this.nonce, method, path, body);
  }

  /** Sends with an explicit nonce (retransmissions, replays). */
  async send<T = Record<string, unknown>>(nonce: number, method: string, path: string, body?: unknown): Promise<DeviceReply<T>> {
    const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const res = await this.fetcher(path, {
      method,
      headers: {
        'X-Device-Id': this.id,
        'X-Nonce': String(nonce),
        'X-Signature': signRequest(this.key, nonce, method, path, bytes),
        ...(bytes.length ? { 'content-type': 'application/json' } : {}),
      },
      ...(bytes.length ? { body: bytes } : {}),
    });
    const raw = Buffer.from(await res.arrayBuffer());
    let json: unknown = undefined;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      // corrupted on purpose in fault tests
    }
    return { status: res.status, body: raw, json: json as T, signed: responseSignatureOk(this.key, nonce, raw, res.headers.get('x-signature')), nonce };
  }

  poll() {
    return this.request<{ command: PolledCommand | null }>('GET', `/commands/${this.id}/poll`);
  }

  result(commandId: string, status: 'completed' | 'failed', result?: unknown) {
    return this.request('POST', `/commands/${this.id}/result`, { command_id: commandId, status, ...(result !== undefined ? { result } : {}) });
  }

  diagnostics(report: Record<string, unknown>) {
    return this.request<{ success: boolean; config_version: number }>('POST', `/diagnostics/${this.id}`, report);
  }
}

export interface PolledCommand {
  command_id: string;
  command_type: string;
  parameters: Record<string, unknown>;
  attempt: number;
  expires_at: string | null;
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export function diag(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { firmware_version: '1.4.2', uptime_seconds: 120, boot_id: 'boot-1', reset_reason: 'poweron', free_heap: 180_000, wifi_rssi: -61, buffer_usage: 12.5, last_upload_status: 'ok', ...over };
}
