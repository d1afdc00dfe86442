/**
 * Process entry point. Every acknowledged message waits for a write + fdatasync that libuv runs on
 * its thread pool; the default 4 threads serialise those syncs across device files, so the pool is
 * sized up before anything touches it (it is created on first use). Then start.ts does the work.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';

const { main } = await import('./start.ts');
const { ConfigError } = await import('./errors.ts');

main().catch((err: unknown) => {
  process.stderr.write(`fleetgate: ${(err as Error).message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
