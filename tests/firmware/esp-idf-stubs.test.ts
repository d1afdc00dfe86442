/**
 * firmware/main and the ESP-IDF port compiled against header stubs whose prototypes are copied
 * from ESP-IDF v5.1.4 / v5.3.1 (firmware/host/esp-idf-stubs, each citing its header), with
 * -Wall -Wextra -Werror -Wshadow: a call that no longer matches ESP-IDF's signature, a wrong
 * printf format in a log line, or a CONFIG_ the app uses but Kconfig does not define fails here
 * instead of in the hosted ESP-IDF build. sdkconfig.h comes from Kconfig.projbuild's defaults,
 * keys.h from `fleetgate keys init`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runProcess } from '../helpers/process.ts';

const FW = join(ROOT, 'firmware');

/** CONFIG_* defaults of a Kconfig file, as sdkconfig.h defines them. */
export function kconfigDefaults(text: string): string[] {
  const out: string[] = [];
  let name = '';
  let type = '';
  for (const line of text.split('\n')) {
    const cfg = /^config\s+(\w+)/.exec(line);
    if (cfg) [name, type] = [cfg[1]!, ''];
    const t = /^\s+(string|int|bool)\b/.exec(line);
    if (t) type = t[1]!;
    const d = /^\s+default\s+(.*)$/.exec(line);
    if (d && name) {
      const v = d[1]!.trim();
      if (type === 'bool') {
        if (v === 'y') out.push(`#define CONFIG_${name} 1`);
      } else out.push(`#define CONFIG_${name} ${v}`);
      name = '';
    }
  }
  return out;
}

test('firmware/main and port/esp-idf compile against the ESP-IDF v5.1/v5.3 prototypes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-idf-'));
  try {
    const defaults = kconfigDefaults(await readFile(join(FW, 'main', 'Kconfig.projbuild'), 'utf8'));
    assert.ok(defaults.some((d) => d.startsWith('#define CONFIG_FLEETGATE_SELFTEST_SECONDS ')), defaults.join('\n'));
    // what ESP-IDF's own Kconfig supplies that the stubs use (values of sdkconfig.defaults / IDF defaults)
    await writeFile(join(dir, 'sdkconfig.h'), ['#pragma once', ...defaults, '#define CONFIG_FREERTOS_HZ 100', ''].join('\n'));
    const keys = await runProcess(process.execPath, ['cli/bin.js', 'keys', 'init', '--dir', join(dir, 'keys')], { timeoutMs: 60_000 });
    assert.is(keys.code, 0, keys.stderr);
    const sources = [
      ...(await readdir(join(FW, 'main'))).filter((f) => f.endsWith('.c')).map((f) => join(FW, 'main', f)),
      ...(await readdir(join(FW, 'components', 'fleetgate', 'port', 'esp-idf'))).map((f) => join(FW, 'components', 'fleetgate', 'port', 'esp-idf', f)),
    ];
    assert.ok(sources.length >= 7, sources.join(' '));
    const args = [
      '-std=gnu11', '-fsyntax-only', '-Wall', '-Wextra', '-Werror', '-Wshadow',
      '-I', dir, '-I', join(dir, 'keys'), '-I', join(FW, 'host', 'esp-idf-stubs'), '-I', join(FW, 'main'),
      '-I', join(FW, 'components', 'fleetgate', 'include'),
    ];
    for (const src of sources) {
      const r = await runProcess('gcc', [...args, src], { timeoutMs: 60_000 });
      assert.is(r.code, 0, `${src}:\n${r.stderr}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
