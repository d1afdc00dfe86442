/**
 * Drives the keys/firmware CLI modules in-process the way cli/main.ts will: a fresh commander
 * program with exitOverride, our command registrations with a collecting output, parseAsync.
 * A CliError comes back as `error` (what main.ts would print as one line and exit with).
 */
import { Command, CommanderError } from 'commander';
import { firmwareCommand } from '../../cli/commands/firmware.ts';
import { keysCommand } from '../../cli/commands/keys.ts';
import { CliError } from '../../cli/errors.ts';

export interface CliRun {
  out: string[];
  error?: CliError;
}

export async function runCli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  // Same root flags as cli/main.ts, including -V/--version, to catch collisions with ours.
  const program = new Command('fleetgate').version('0.1.0').exitOverride();
  program.configureOutput({ writeOut: (s) => out.push(s.trimEnd()), writeErr: (s) => out.push(s.trimEnd()) });
  keysCommand(program, (line) => out.push(line));
  firmwareCommand(program, (line) => out.push(line));
  try {
    await program.parseAsync(args, { from: 'user' });
    return { out };
  } catch (err) {
    if (err instanceof CliError) return { out, error: err };
    if (err instanceof CommanderError) return { out, error: new CliError(err.message, 2) };
    throw err;
  }
}

/** Run and require success; the error message is the assertion text otherwise. */
export async function cliOk(args: string[]): Promise<string[]> {
  const r = await runCli(args);
  if (r.error) throw new Error(`fleetgate ${args.join(' ')} failed: ${r.error.message}`);
  return r.out;
}
