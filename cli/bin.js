#!/usr/bin/env node
// The `fleetgate` executable: registers tsx's loader so the TypeScript sources run as they are.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./main.ts');
await run(process.argv);
