/**
 * Regenerates tests/vectors/manifest.json from scripts/vectors/manifest.ts. Run it only when the
 * format changes on purpose: the signatures in the file are randomized (RSA-PSS), so a rerun
 * rewrites them and the C team must pull the new file. `tsx scripts/vectors/write-manifest.ts`
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateManifestVectors } from './manifest.ts';

const target = fileURLToPath(new URL('../../tests/vectors/manifest.json', import.meta.url));
await mkdir(fileURLToPath(new URL('../../tests/vectors/', import.meta.url)), { recursive: true });
await writeFile(target, JSON.stringify(generateManifestVectors(), null, 2) + '\n');
console.log(`wrote ${target}`);
