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
