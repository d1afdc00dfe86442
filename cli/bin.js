#!/usr/bin/env node
// The `fleetgate` executable: registers tsx's loader so the TypeScript sources run as they are.
// Sized before first use, as in server/main.ts: fsyncs of many device files run on this pool.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');

register();
const { run } = await import('./main.ts');
await run(process.argv);
