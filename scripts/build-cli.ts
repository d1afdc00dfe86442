/**
 * Bundles the fleetgate CLI (cli/main.ts and what it imports) into `.build/cli/`, which cli/bin.js
 * runs with plain node: no TypeScript compilation at run time, the startup cost of tsx (~250 ms) gone.
 *
 * Code splitting keeps startup small: everything a command loads with `await import(...)` (the
 * codec, the OTA crypto, the whole gateway for `serve`) lands in its own chunk under
 * `.build/cli/chunks/`, read only by the commands that need it. npm packages stay external
 * (resolved from node_modules, as for the gateway bundle).
 *
 * `.build/cli/stamp.json` is written last and lists every source file the bundle was made from
 * with its size and mtime: cli/bin.js rebuilds when one of them changed (an edit, a checkout,
 * a pull), so a checkout never runs a stale CLI. Each file is written to a temporary name and
 * renamed, chunks are named by content hash and the entry and stamp are replaced after them, so
 * two processes building at once (tests start several CLIs in parallel) never expose a half-written
 * bundle; chunks of older builds are deleted once they are ten minutes old (a CLI process still
 * running from the previous build may yet import them).
 * Usage: npm run build:cli (also run by `npm install` through the prepare script).
 */
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_BUILD_DIR = join(ROOT, '.build', 'cli');
/** Read by cli/bin.js: keep the name and shape in step with it. */
export const CLI_STAMP = 'stamp.json';
export const CLI_ENTRY = 'main.mjs';
const STALE_CHUNK_MS = 10 * 60_000;

export interface CliStamp {
  /** Path relative to the repository root → [size, mtimeMs]. */
  inputs: Record<string, [number, number]>;
  entry: string;
}

export async function buildCli(outdir: string = CLI_BUILD_DIR): Promise<string> {
  const started = Date.now();
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: join(ROOT, 'cli', 'main.ts') },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    define: { __FLEETGATE_VERSION__: JSON.stringify(pkg.version) },
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const entryPath = join(outdir, CLI_ENTRY);
  const chunks = result.outputFiles.filter((f) => f.path !== entryPath);
  for (const file of chunks) await writeAtomic(file.path, file.contents);
  const entry = result.outputFiles.find((f) => f.path === entryPath);
  if (!entry) throw new Error(`esbuild wrote no ${CLI_ENTRY}`);
  await writeAtomic(entry.path, entry.contents);

  const sources = [...Object.keys(result.metafile.inputs), 'package.json', 'scripts/build-cli.ts'];
  const inputs: CliStamp['inputs'] = {};
  for (const rel of sources) {
    const s = await stat(join(ROOT, rel));
    inputs[rel] = [s.size, s.mtimeMs];
  }
  // A source saved while esbuild ran may not be in this bundle: leave the stamp out so the next
  // run builds again.
  const now = Date.now();
  if (Object.values(inputs).some(([, mtime]) => mtime >= started && mtime <= now)) return entryPath;
  const stamp: CliStamp = { inputs, entry: CLI_ENTRY };
  await writeAtomic(join(outdir, CLI_STAMP), Buffer.from(JSON.stringify(stamp)));
  await removeOldChunks(join(outdir, 'chunks'), new Set(chunks.map((f) => basename(f.path))));
  return entryPath;
}

async function writeAtomic(path: string, contents: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, contents);
  await rename(tmp, path);
}

async function removeOldChunks(dir: string, keep: Set<string>): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (keep.has(name)) continue;
    const path = join(dir, name);
    try {
      if (now - (await stat(path)).mtimeMs > STALE_CHUNK_MS) await unlink(path);
    } catch {
      // another build removed it first
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildCli(process.argv[2] ? resolve(process.argv[2]) : undefined);
  } catch (err) {
    process.stderr.write(`fleetgate build:cli: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    process.exit(1);
  }
}
