/**
 * `fleetgate sign` prints a ready upload envelope; `fleetgate sign-request` prints the three
 * signature headers of a device request as curl -H arguments. Both exist so an admin can act as a
 * device with curl; both use the same protocol modules as the gateway.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { isValidDeviceId } from '../../server/devices/ids.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { packSamples } from '../../server/codec/index.ts';
import { parseMethod } from './pack.ts';
import { CliError, ExitCode } from '../errors.ts';
import { readSamplesFile } from '../samples-file.ts';

export function parseKey(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2}){16,64}$/.test(hex)) throw new CliError('--key must be the device key as hex (64 hex characters)');
  return hexToBytes(hex.toLowerCase());
}

export function parseNonce(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff) throw new CliError('--nonce must be an unsigned 32-bit integer');
  return Number(text);
}

function parseDevice(id: string): string {
  if (!isValidDeviceId(id)) throw new CliError(`invalid device id "${id}"`);
  return id;
}

export interface SignOptions {
  device: string;
  key: string;
  nonce: string;
  file: string;
  method?: string;
}

export async function buildSignedEnvelope(opts: SignOptions) {
  const key = parseKey(opts.key);
  const nonce = parseNonce(opts.nonce);
  const deviceId = parseDevice(opts.device);
  const samples = await readSamplesFile(opts.file);
  let document: unknown;
  if (opts.method === undefined) {
    document = { aggregated_data: samples };
  } else {
    let method: number;
    try {
      method = parseMethod(opts.method);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    document = packSamples(samples, method);
  }
  return signEnvelope(key, deviceId, nonce, document);
}

export function signCommand(program: Command): void {
  program
    .command('sign')
    .description('print a signed upload envelope for POST /aggregated/<device_id> (pipe it to curl -d @-)')
    .requiredOption('--device <id>', 'device id')
    .requiredOption('--key <hex>', 'device HMAC key (hex)')
    .requiredOption('--nonce <n>', 'nonce (u32, above the last one the gateway accepted)')
    .requiredOption('--file <path>', 'samples: JSON array, {"aggregated_data": [...]} or CSV with a timestamp column')
    .option('--method <method>', 'pack the samples: dictionary|delta|rle|adaptive|smart or 0xD0|0xDE|0xAD|0xBF|0xFF')
    .action(async (opts: SignOptions) => {
      console.log(JSON.stringify(await buildSignedEnvelope(opts)));
    });
}

export interface SignRequestOptions {
  device: string;
  key: string;
  nonce: string;
  method: string;
  path: string;
  body?: string;
}

export async function buildRequestHeaders(opts: SignRequestOptions): Promise<Record<string, string>> {
  const method = opts.method.toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new CliError('--method must be an HTTP method such as GET or POST');
  if (!opts.path.startsWith('/')) throw new CliError("--path must start with / (path and query exactly as curl will send them)");
  let body: Uint8Array | undefined;
  if (opts.body !== undefined) {
    try {
      body = new Uint8Array(await readFile(opts.body));
    } catch (err) {
      throw new CliError(`cannot read ${opts.body}: ${(err as Error).message}`, ExitCode.io);
    }
  }
  return signRequestHeaders(parseKey(opts.key), parseDevice(opts.device), parseNonce(opts.nonce), method, opts.path, body);
}

export function signRequestCommand(program: Command): void {
  program
    .command('sign-request')
    .description('print X-Device-Id / X-Nonce / X-Signature headers as curl -H arguments for a signed device request')
    .requiredOption('--device <id>', 'device id')
    .requiredOption('--key <hex>', 'device HMAC key (hex)')
    .requiredOption('--nonce <n>', 'nonce (u32, shares the counter with uploads)')
    .option('--method <method>', 'HTTP method', 'GET')
    .requiredOption('--path <path>', "path with query exactly as sent, e.g. '/commands/X/poll'")
    .option('--body <file>', 'request body file (send it with curl --data-binary @file)')
    .action(async (opts: SignRequestOptions) => {
      const headers = await buildRequestHeaders(opts);
      console.log(
        Object.entries(headers)
          .map(([k, v]) => `-H '${k}: ${v}'`)
          .join(' '),
      );
    });
}
