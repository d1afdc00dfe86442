/**
 * `npm run vectors`: regenerates the shared test vectors in tests/vectors/ — the files both the
 * TypeScript and the C tests run. Never edit those files by hand; change a generator and rerun.
 *
 *   codec.json     packed-telemetry frames and every method's bytes (scripts/vectors/codec.ts)
 *   envelope.json  upload envelopes, signed requests/responses, key derivation (scripts/vectors/envelope.ts)
 *   manifest.json  OTA manifest format 1: header, encryption, signatures, tampered variants (scripts/vectors/manifest.ts)
 *   manifest-v2.json  OTA manifest format 2: compact header, hash pages and proofs, tampered
 *                  variants, the 16 MiB format test's facts (scripts/vectors/manifest-v2.ts)
 *
 * All three are deterministic (the manifest's RSA-PSS signatures use a message-derived salt, see
 * scripts/vectors/deterministic-pss.ts), so a run is a no-op when nothing changed.
 * `--check` writes nothing and exits 1 if a file differs from its generator.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatVectorJson, generateCodecVectors } from './vectors/codec.ts';
import { generateEnvelopeVectors } from './vectors/envelope.ts';
import { generateManifestVectors } from './vectors/manifest.ts';
import { renderManifestV2Vectors } from './vectors/manifest-v2.ts';

const dir = fileURLToPath(new URL('../tests/vectors/', import.meta.url));
const check = process.argv.includes('--check');

const deterministic: [string, () => string | Promise<string>][] = [
  ['codec.json', () => formatVectorJson(generateCodecVectors()) + '\n'],
  ['envelope.json', () => JSON.stringify(generateEnvelopeVectors(), null, 2) + '\n'],
  ['manifest.json', () => JSON.stringify(generateManifestVectors(), null, 2) + '\n'],
  ['manifest-v2.json', async () => JSON.stringify(await renderManifestV2Vectors(), null, 2) + '\n'],
];

let stale = 0;
for (const [name, render] of deterministic) {
  const path = dir + name;
  const text = await render();
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (current === text) {
    console.log(`${name}: up to date`);
  } else if (check) {
    console.log(`${name}: STALE (run npm run vectors)`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.log(`${name}: written`);
  }
}
process.exit(stale === 0 ? 0 : 1);
