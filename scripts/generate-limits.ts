/**
 * `npm run limits`: writes the firmware's generated header of shared limits
 * (firmware/components/fleetgate/include/fleetgate/fg_limits.h) from server/protocol/limits.ts.
 * `--check` writes nothing and exits 1 when the file is stale. The header is checked in (the
 * ESP-IDF build must not need Node) and tests/protocol/limits.test.ts keeps it in step.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LIMITS_HEADER_PATH, renderLimitsHeader } from './limits-header.ts';

const path = fileURLToPath(new URL(`../${LIMITS_HEADER_PATH}`, import.meta.url));
const text = renderLimitsHeader();
const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
if (current === text) {
  console.log(`${LIMITS_HEADER_PATH}: up to date`);
} else if (process.argv.includes('--check')) {
  console.log(`${LIMITS_HEADER_PATH}: STALE (run npm run limits)`);
  process.exit(1);
} else {
  writeFileSync(path, text);
  console.log(`${LIMITS_HEADER_PATH}: written`);
}
