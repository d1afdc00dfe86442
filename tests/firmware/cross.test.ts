/**
 * The portable core built for the chips, in npm test: scripts/setup-cross.sh installs Debian's
 * Xtensa (lx106) and Cortex-M4 toolchains when missing and compiles every core module with
 * -Os -Wall -Wextra -Werror -Wshadow against the mbedTLS headers with the project's
 * MBEDTLS_CONFIG_FILE; sizes are checked against firmware/size-budget.json, which must stay
 * within 10 % of what is measured (Memfault's SDK and MCUboot publish theirs the same way).
 * The host build also compiles the core at -O3 -Werror (firmware/host/CMakeLists.txt).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, runProcess } from '../helpers/process.ts';

interface Sizes {
  compiler: string;
  modules: Record<string, { text: number; data: number; bss: number }>;
  total: { text: number; data: number; bss: number };
}

let sizes: Record<string, Sizes> = {};

test.before(async () => {
  const r = await runProcess('bash', [join(ROOT, 'scripts', 'setup-cross.sh')], { env: { DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 15 * 60_000 });
  assert.is(r.code, 0, `setup-cross.sh failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
  sizes = JSON.parse(r.stdout) as Record<string, Sizes>;
});

test('every core module compiles for Xtensa and Cortex-M4 with -Werror', async () => {
  const { readdir } = await import('node:fs/promises');
  const sources = (await readdir(join(ROOT, 'firmware', 'components', 'fleetgate', 'src'))).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2));
  for (const target of ['xtensa', 'cortex-m4']) {
    assert.ok(sizes[target], `${target} built`);
    assert.equal(Object.keys(sizes[target]!.modules).sort(), sources.sort(), `${target}: one object per module`);
  }
  assert.match(sizes.xtensa!.compiler, /xtensa-lx106-elf-gcc/);
  assert.match(sizes['cortex-m4']!.compiler, /arm-none-eabi-gcc/);
});

test('the core stays within its size budget, and the budget within 10 % of the measured size', async () => {
  const budget = JSON.parse(await readFile(join(ROOT, 'firmware', 'size-budget.json'), 'utf8')) as Record<string, { text_data: number; bss: number }>;
  for (const target of ['xtensa', 'cortex-m4']) {
    const t = sizes[target]!.total;
    const b = budget[target]!;
    const flash = t.text + t.data;
    console.log(`${target}: text+data ${flash} / ${b.text_data}, bss ${t.bss} / ${b.bss}`);
    assert.ok(flash <= b.text_data, `${target}: code ${flash} B over its budget ${b.text_data} B`);
    assert.ok(t.bss <= b.bss, `${target}: bss ${t.bss} B over its budget ${b.bss} B`);
    assert.ok(b.text_data <= flash * 1.1, `${target}: budget ${b.text_data} B is more than 10 % above the measured ${flash} B: lower it`);
    assert.ok(b.bss <= t.bss * 1.1, `${target}: bss budget ${b.bss} B is more than 10 % above the measured ${t.bss} B: lower it`);
  }
});

test.run();
