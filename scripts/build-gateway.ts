/**
 * Bundles the gateway (server/main.ts and everything it imports from server/) into one ES module,
 * `.build/gateway.mjs`, which `npm start` runs with plain node. npm packages stay external
 * (resolved from node_modules as usual).
 *
 * Why not run the sources through tsx in production, as the tests and the CLI do: tsx compiles
 * with esbuild's keepNames, which wraps every function and closure it creates in a
 * defineProperty('name') call. On the ingest and poll paths that was ~5 % of the gateway's CPU,
 * and running the bundle measured ~10 % more requests per second (scripts/bench, same machine).
 *
 * The output is written to a temporary file and renamed, so concurrent builds (two test files
 * starting the bundled gateway at once) never expose a half-written bundle.
 * Usage: npm run build (or npx tsx scripts/build-gateway.ts [outfile])
 */
import { build } from 'esbuild';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const GATEWAY_BUNDLE = join(ROOT, '.build', 'gateway.mjs');

/**
 * The node flags `npm start` runs the bundle with (package.json's start script spells them out;
 * tests/scripts/start-flags.test.ts keeps the two equal). The benchmarks and the process tests
 * start the gateway with the same ones.
 *
 * --single-threaded-gc: V8's parallel and concurrent GC threads do the same collection work as the
 * main thread would, plus coordination. The gateway's target is a small VM (2 vCPUs) with the
 * request thread, libuv's pool and often a neighbour process sharing the cores, where the helpers
 * only take CPU from the request thread and its clients: in the ingest benchmark, the flag took
 * the gateway from 106–157 µs of CPU per upload to 112–121 µs and its p99 from 9–22 ms to
 * 11–15 ms. On a machine with cores to spare, drop it (run `node --enable-source-maps
 * .build/gateway.mjs` after `npm run build`).
 */
export const GATEWAY_NODE_FLAGS = ['--enable-source-maps', '--single-threaded-gc'];

export async function buildGateway(outfile: string = GATEWAY_BUNDLE): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'server', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    outfile,
    write: false,
    logLevel: 'warning',
  });
  await mkdir(dirname(outfile), { recursive: true });
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    await writeFile(tmp, file.contents);
    await rename(tmp, file.path);
  }
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildGateway(process.argv[2] ? resolve(process.argv[2]) : undefined);
  } catch (err) {
    process.stderr.write(`fleetgate build: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    process.exit(1);
  }
}
