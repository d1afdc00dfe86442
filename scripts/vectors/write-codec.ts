/**
 * Writes tests/vectors/codec.json from `generateCodecVectors()`. Run it after any intentional
 * change to the codec format: `npx tsx scripts/vectors/write-codec.ts`. The vectors are never
 * edited by hand; tests/codec/vectors.test.ts fails when the file and the generator disagree.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatVectorJson, generateCodecVectors } from './codec.ts';

const path = fileURLToPath(new URL('../../tests/vectors/codec.json', import.meta.url));
writeFileSync(path, formatVectorJson(generateCodecVectors()) + '\n');
console.log(`wrote ${path}`);
