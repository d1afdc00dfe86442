/**
 * Bulk provisioning files. In: a device list (`device_id[,tags]` per line; tags separated by `;`
 * or spaces inside their cell; `#` comments and a `device_id` header line skipped). Out: for each
 * registered device, the NVS partition CSV the firmware reads its identity from (namespace
 * `fg_prov`, see firmware/provisioning/device.csv.example), ready for ESP-IDF's
 * nvs_partition_gen.py. Those files hold device keys: written 0600, never over an existing file.
 * The folder is made and checked (a directory, writable, no file of the same name) before any
 * device is registered: a key the gateway issues cannot be asked for again, so a folder found
 * unusable afterwards would lose it.
 */
import { access, constants, lstat, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidDeviceId } from '../server/devices/ids.ts';
import { makeDir } from '../server/make-dir.ts';
import { CliError, ExitCode } from './errors.ts';

export interface ListedDevice {
  device_id: string;
  tags: string[];
}

export function parseDeviceList(text: string, source: string): ListedDevice[] {
  const out: ListedDevice[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [id, ...rest] = line.split(',').map((c) => c.trim());
    if (i === 0 && id === 'device_id') return;
    if (!isValidDeviceId(id)) throw new CliError(`${source}:${i + 1}: invalid device id "${id}"`, ExitCode.usage);
    if (seen.has(id!)) throw new CliError(`${source}:${i + 1}: ${id} is listed twice`, ExitCode.usage);
    seen.add(id!);
    const tags = rest.join(' ').split(/[;\s]+/).filter(Boolean);
    out.push({ device_id: id!, tags });
  });
  if (out.length === 0) throw new CliError(`${source}: no device ids`, ExitCode.usage);
  return out;
}

/** The NVS CSV of one device (firmware/provisioning/device.csv.example, filled). */
export function nvsCsv(deviceId: string, keyHex: string): string {
  return ['key,type,encoding,value', 'fg_prov,namespace,,', `device_id,data,string,${deviceId}`, `device_key,data,hex2bin,${keyHex}`, ''].join('\n');
}

function taken(path: string): CliError {
  return new CliError(`${path} exists: not replaced (it may hold another key)`, ExitCode.io);
}

/**
 * Before registering: makes `dir` (0700) and checks it can take `<device_id>.csv` for every id.
 * Throws a one-line CliError (exit 3) naming what is wrong; nothing has been registered then.
 */
export async function prepareProvisioningDir(dir: string, deviceIds: readonly string[]): Promise<void> {
  await makeDir(dir, 0o700);
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new CliError(`${dir}: not writable: no provisioning file could be written there`, ExitCode.io);
  }
  for (const id of deviceIds) {
    const path = join(dir, `${id}.csv`);
    const exists = await lstat(path).then(
      () => true,
      () => false,
    );
    if (exists) throw taken(path);
  }
}

/**
 * Writes `<dir>/<device_id>.csv` for each device (call prepareProvisioningDir first); refuses to
 * replace a file; a file that fails part way (disk full) is removed, never left half-written.
 * Returns the paths.
 */
export async function writeProvisioningFiles(dir: string, devices: readonly { device_id: string; hmac_key: string }[]): Promise<string[]> {
  const paths: string[] = [];
  for (const d of devices) {
    const path = join(dir, `${d.device_id}.csv`);
    let handle;
    try {
      handle = await open(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw taken(path);
      throw err;
    }
    try {
      await handle.writeFile(nvsCsv(d.device_id, d.hmac_key));
      await handle.close();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw err;
    }
    paths.push(path);
  }
  return paths;
}
