/**
 * Crash tests' children: a tsx script that prints `ack …` once a change is durable (and
 * `at <step>` when it stops a compaction there for good), killed with SIGKILL after a number of
 * acks. Used by the embedded store's crash tests (OTA state, device registry).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT } from './process.ts';

export interface CrashRun {
  /** The child script, relative to the repository root. */
  script: string;
  env: Record<string, string | undefined>;
  /** SIGKILL after this many acks (Infinity: never), counted from the `at` line when `holding`. */
  killAfter: number;
  holding: boolean;
  /** Each `ack` line's fields after `ack`. */
  onAck(fields: string[]): void;
  /** Whether the child ended as the run expects (default: killed by us, after `killAfter` acks). */
  endedWell?(code: number | null, signal: NodeJS.Signals | null, acks: number): boolean;
}

/** Runs the child to its end; rejects with its stderr if it ended otherwise than expected (or ran 60 s). */
export function runCrashChild(run: CrashRun): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', run.script], { cwd: ROOT, env: { ...process.env, ...run.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    let counting = !run.holding;
    let seen = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [kind, ...fields] = line.split(' ');
      if (kind === 'at') counting = true;
      if (kind !== 'ack') return;
      run.onAck(fields);
      if (counting && ++seen === run.killAfter) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const well = run.endedWell ? run.endedWell(code, signal, seen) : signal === 'SIGKILL' && seen >= run.killAfter;
      if (well) resolve();
      else reject(new Error(`child ended (${code ?? signal}) after ${seen} of ${run.killAfter} acks: ${stderr}`));
    });
  });
}
