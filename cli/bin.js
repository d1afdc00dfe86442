#!/usr/bin/env node
// The `fleetgate` executable. Runs the esbuild bundle of the CLI (.build/cli/main.mjs, made by
// scripts/build-cli.ts) with plain node, so a command starts in tens of milliseconds. The bundle's
// stamp lists the sources it was built from: when one changed (or there is no bundle yet, as in a
// fresh clone installed with `npm install -g .`), this rebuilds it first (~1 s, once). When that
// fails (no write access to the checkout, esbuild missing), it runs the TypeScript sources through
// tsx instead, slower but working; FLEETGATE_FROM_SOURCE=1 asks for that on purpose, and
// FLEETGATE_DEBUG=1 says which of the two runs.
import { readFileSync, statSync } from 'node:fs';

// Sized before first use, as in server/main.ts: `fleetgate serve` fsyncs device files on this pool.
process.env.UV_THREADPOOL_SIZE ??= '16';

const root = new URL('../', import.meta.url);
const buildDir = new URL('.build/cli/', root);

/** The bundle's entry URL when every source it was built from is unchanged, else undefined. */
function freshBundle() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(new URL('stamp.json', buildDir), 'utf8'));
    for (const [rel, [size, mtime]] of Object.entries(stamp.inputs)) {
      const s = statSync(new URL(rel, root));
      if (s.size !== size || s.mtimeMs !== mtime) return undefined;
    }
  } catch {
    return undefined; // no bundle yet, or a source was removed
  }
  return new URL(stamp.entry, buildDir);
}

/** Builds the bundle (through tsx, which this registers): its entry URL, or undefined on failure. */
async function rebuild() {
  try {
    const { buildCli } = await import('../scripts/build-cli.ts');
    await buildCli();
    return freshBundle();
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    process.stderr.write(`fleetgate: running from the TypeScript sources (slow): cannot build the CLI bundle: ${reason}\n`);
    return undefined;
  }
}

const fromSource = process.env.FLEETGATE_FROM_SOURCE === '1';
let entry = fromSource ? undefined : freshBundle();
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  if (!fromSource) entry = await rebuild();
}
if (process.env.FLEETGATE_DEBUG === '1') {
  process.stderr.write(`fleetgate: debug: running ${entry ? entry.pathname : 'the sources through tsx'}\n`);
}
const { run } = await import(entry ? entry.href : './main.ts');
await run(process.argv);
