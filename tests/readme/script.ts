/**
 * README shell blocks as a test script: the blocks marked with one tag (```sh walkthrough,
 * ```sh replicas) become one bash script (`set -Eeuo pipefail`) that keeps the README's line
 * numbers (every other line blank), so bash's messages, the xtrace (`+ README.md:<line>:`) and the
 * failure line name README lines. It runs in its own process group, killed when it ends (blocks
 * may start gateways in the background) or when it runs out of time.
 */
import { spawn } from 'node:child_process';
import { codeBlocks } from './markdown.ts';

/** README.md as a bash script: the lines of `tag` blocks where they are, every other line blank. */
export function readmeScript(readme: string, tag: string): string {
  const lines = readme.split('\n').map(() => '');
  for (const b of codeBlocks(readme)) {
    if (b.lang !== 'sh' || !b.tags.includes(tag)) continue;
    b.lines.forEach((l, i) => (lines[b.firstLine - 1 + i] = l));
  }
  if (lines[0] !== '') throw new Error(`README.md must not start with a ${tag} line (line 1 holds the prelude)`);
  lines[0] = [
    'set -Eeuo pipefail',
    `PS4='+ README.md:$LINENO: '`,
    `trap '{ rc=$?; set +x; } 2>/dev/null; echo "README.md:$LINENO: exit $rc from: $BASH_COMMAND" >&2' ERR`,
    'set -x',
  ].join('; ');
  return lines.join('\n');
}

export interface ScriptRun {
  code: number | null;
  output: string;
  ms: number;
}

export function runScript(script: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('bash', [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      output += `\n[readme] timed out after ${timeoutMs / 1000}s; killed\n`;
      killGroup();
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

/** The README line a failed script stopped at, from its ERR trap. */
export function failedLine(output: string): string | undefined {
  return /^README\.md:\d+: exit \d+ from: .*$/m.exec(output)?.[0];
}
