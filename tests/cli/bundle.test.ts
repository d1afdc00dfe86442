/**
 * How `fleetgate` runs: cli/bin.js starts the esbuild bundle (scripts/build-cli.ts), whose entry
 * loads nothing heavy at start-up; a source edited after the build is rebuilt before it runs (a
 * checkout never runs a stale CLI); and when the bundle cannot be built, the sources run through
 * tsx with a one-line warning.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildCli } from '../../scripts/build-cli.ts';
import { tempDir } from '../helpers/gateway.ts';
import { ROOT, runProcess } from '../helpers/process.ts';

/** Bare specifiers the entry imports statically, following its static imports of chunks. */
async function startupImports(entry: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    // `import ... from "x"` and `import "x"`, not `import("x")` (those load when a command runs).
    for (const m of text.matchAll(/^\s*import\s+(?:[^'"()]*?\s+from\s+)?["']([^"']+)["'];?\s*$/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) await visit(join(dirname(file), spec));
      else bare.add(spec);
    }
  };
  await visit(entry);
  return bare;
}

test('the bundle starts with commander and node built-ins only: the rest loads when a command needs it', async () => {
  const out = await tempDir('fleetgate-cli-bundle-');
  const entry = await buildCli(out);
  const imports = await startupImports(entry);
  assert.ok(imports.has('commander'));
  for (const spec of imports) assert.ok(spec === 'commander' || spec.startsWith('node:'), `${spec} is loaded at start-up`);
  // ... and the heavy parts are there, as chunks behind dynamic imports.
  const text = await readFile(entry, 'utf8');
  for (const lazy of ['start', 'codec', 'keys', 'package', 'verify', 'envelope']) {
    assert.match(text, new RegExp(`import\\("\\./chunks/${lazy}-[A-Z0-9]+\\.mjs"\\)`), lazy);
  }
});

test('cli/bin.js runs the bundle', async () => {
  const r = await runProcess(process.execPath, ['cli/bin.js', '--version'], { env: { FLEETGATE_DEBUG: '1' } });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, `fleetgate: debug: running ${join(ROOT, '.build', 'cli', 'main.mjs')}\n`);
});

/** A checkout of just what the CLI needs, sharing this one's node_modules. */
async function checkoutCopy(): Promise<string> {
  const dir = await tempDir('fleetgate-cli-copy-');
  for (const entry of ['cli', 'server', 'scripts/build-cli.ts', 'package.json']) {
    await mkdir(dirname(join(dir, entry)), { recursive: true });
    await cp(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

test('an edited source is rebuilt before the CLI runs; no bundle, no stamp: built on first run', async () => {
  const dir = await checkoutCopy();
  const bin = join(dir, 'cli', 'bin.js');
  const entry = join(dir, '.build', 'cli', 'main.mjs');
  let r = await runProcess(process.execPath, [bin, 'status', '--help'], { env: { FLEETGATE_DEBUG: '1' }, cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^fleetgate: debug: running ${entry}\\n$`));
  assert.match(r.stdout, /the fleet at a glance/);

  const file = join(dir, 'cli', 'commands', 'status.ts');
  await writeFile(file, (await readFile(file, 'utf8')).replace("description('the fleet at a glance", "description('the whole fleet in one look"));
  r = await runProcess(process.execPath, [bin, 'status', '--help'], { env: { FLEETGATE_DEBUG: '1' }, cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^fleetgate: debug: running ${entry}\\n$`));
  assert.match(r.stdout, /the whole fleet in one look/);
  const stamp = JSON.parse(await readFile(join(dir, '.build', 'cli', 'stamp.json'), 'utf8')) as { inputs: Record<string, [number, number]> };
  assert.ok(stamp.inputs['cli/commands/status.ts'], 'the stamp lists the sources by path');
  assert.ok(stamp.inputs['package.json'] && stamp.inputs['scripts/build-cli.ts']);
});

test('when the bundle cannot be built, the sources run through tsx after a one-line warning', async () => {
  const dir = await checkoutCopy();
  await writeFile(join(dir, '.build'), 'not a directory');
  const r = await runProcess(process.execPath, [join(dir, 'cli', 'bin.js'), '--version'], { env: { FLEETGATE_DEBUG: '1' }, cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^fleetgate: running from the TypeScript sources \(slow\): cannot build the CLI bundle: /);
  assert.is(lines[1], 'fleetgate: debug: running the sources through tsx');
  await rm(dir, { recursive: true, force: true });
});

test.run();
