/**
 * `fleetgate sign` prints a ready upload envelope; `fleetgate sign-request` prints the three
 * signature headers of a device request as curl -H arguments. Both exist so an admin can act as a
 * device with curl; both use the same protocol modules as the gateway (loaded when they run).
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { isValidDeviceId } from '../../server/devices/ids.ts';
import { CliError, ExitCode } from '../errors.ts';
import { examples } from '../options.ts';
import { readSamplesFile } from '../samples-file.ts';
import { parseMethod } from './pack.ts';

export async function parseKey(hex: string): Promise<Uint8Array> {
  if (!/^([0-9a-fA-F]{2}){16,64}$/.test(hex)) throw new CliError('--key must be the device key as hex (64 hex characters)');
  const { hexToBytes } = await import('../../server/crypto/hmac.ts');
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
  const key = await parseKey(opts.key);
  const nonce = parseNonce(opts.nonce);
  const deviceId = parseDevice(opts.device);
  const samples = await readSamplesFile(opts.file);
  let document: unknown;
  if (opts.method === undefined) {
    document = { aggregated_data: samples };
  } else {
    const method = await parseMethod(opts.method);
    const { packSamples } = await import('../../server/codec/index.ts');
    document = packSamples(samples, method);
  }
  const { signEnvelope } = await import('../../server/protocol/envelope.ts');
  return signEnvelope(key, deviceId, nonce, document);
}

export function signCommand(program: Command): void {
  const sign = program
    .command('sign')
    .description('print a signed upload envelope for POST /aggregated/<device_id> (pipe it to curl -d @-)')
    .requiredOption('--device <device_id>', 'device id')
    .requiredOption('--key <hex>', 'device HMAC key (hex)')
    .requiredOption('--nonce <n>', 'nonce (u32, above the last one the gateway accepted)')
    .requiredOption('--file <path>', 'samples: JSON array, {"aggregated_data": [...]} or CSV with a timestamp column')
    .option('--method <method>', 'pack the samples: dictionary|delta|rle|adaptive|smart or 0xD0|0xDE|0xAD|0xBF|0xFF');
  examples(sign, [
    ['fleetgate sign --device meter-1 --key "$KEY" --nonce 1 --file samples.json', 'plain samples'],
    ['fleetgate sign --device meter-1 --key "$KEY" --nonce 2 --file samples.csv --method smart', 'packed'],
  ]);
  sign.addHelpText('after', '  then: ... | curl -H "Content-Type: application/json" -d @- http://127.0.0.1:5001/aggregated/meter-1\n');
  sign.action(async (opts: SignOptions) => {
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
  const key = await parseKey(opts.key);
  const { signRequestHeaders } = await import('../../server/protocol/device-request.ts');
  return signRequestHeaders(key, parseDevice(opts.device), parseNonce(opts.nonce), method, opts.path, body);
}

export function signRequestCommand(program: Command): void {
  const cmd = program
    .command('sign-request')
    .description('print X-Device-Id / X-Nonce / X-Signature headers as curl -H arguments for a signed device request')
    .requiredOption('--device <device_id>', 'device id')
    .requiredOption('--key <hex>', 'device HMAC key (hex)')
    .requiredOption('--nonce <n>', 'nonce (u32, shares the counter with uploads)')
    .option('--method <method>', 'HTTP method', 'GET')
    .requiredOption('--path <path>', "path with query exactly as sent, e.g. '/commands/X/poll'")
    .option('--body <file>', 'request body file (send it with curl --data-binary @file)');
  examples(cmd, [
    ['fleetgate sign-request --device meter-1 --key "$KEY" --nonce 7 --path /commands/meter-1/poll', 'headers for a poll'],
    ['fleetgate sign-request --device meter-1 --key "$KEY" --nonce 8 --method POST --path /diagnostics/meter-1 --body diag.json', 'with a body'],
  ]);
  cmd.addHelpText('after', '  then: eval "curl -s $(fleetgate sign-request ...) http://127.0.0.1:5001/commands/meter-1/poll"\n');
  cmd.action(async (opts: SignRequestOptions) => {
    const headers = await buildRequestHeaders(opts);
    console.log(
      Object.entries(headers)
        .map(([k, v]) => `-H '${k}: ${v}'`)
        .join(' '),
    );
  });
}
