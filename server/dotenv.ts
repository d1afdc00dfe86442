/**
 * The `.env` file in the working directory: the one reader of it, for the gateway (`npm start`,
 * `fleetgate serve`) and for every other CLI command, so a folder configured once is one
 * installation — `fleetgate status` next to the `.env` that `fleetgate serve` read finds that
 * gateway (its PORT), its KEYS_DIR and its admin token. Variables already in the environment win,
 * as with `node --env-file`. No file: nothing happens.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from './errors.ts';

export const DOTENV_FILE = '.env';

const read = new Map<string, Readonly<Record<string, string>>>();

/** The file's own values ({} when there is none); an unreadable one is a ConfigError naming it. */
export function readDotEnv(path = DOTENV_FILE): Readonly<Record<string, string>> {
  let values = read.get(path);
  if (values) return values;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new ConfigError(`./${path}: cannot be read (${code === 'EISDIR' ? 'it is a directory' : (code ?? String(err))})`);
    text = '';
  }
  values = parseEnv(text) as Record<string, string>;
  read.set(path, values);
  return values;
}

/** Puts the file's values into process.env where a variable is not set already; returns them. */
export function loadDotEnv(path = DOTENV_FILE): Readonly<Record<string, string>> {
  const values = readDotEnv(path);
  for (const [key, value] of Object.entries(values)) if (process.env[key] === undefined) process.env[key] = value;
  return values;
}
