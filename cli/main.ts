/**
 * The fleetgate CLI: registers each command module and turns failures into one line on stderr
 * with a meaningful exit code (see cli/errors.ts). No work happens here.
 */
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './errors.ts';
import { serveCommand } from './commands/serve.ts';
import { deviceCommand } from './commands/device.ts';
import { signCommand, signRequestCommand } from './commands/sign.ts';
import { packCommands } from './commands/pack.ts';
import { extraCommands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('fleetgate')
    .description('fleetgate: secure gateway for ESP32 power meter fleets — server, provisioning, signing, firmware')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  serveCommand(program);
  deviceCommand(program);
  signCommand(program);
  signRequestCommand(program);
  packCommands(program);
  for (const register of extraCommands) register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed the message (or the help/version text, which exit 0).
    return err.exitCode === 0 ? 0 : ExitCode.usage;
  }
  if (err instanceof CliError) {
    process.stderr.write(`fleetgate: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code && typeof e.code === 'string' && e.code.startsWith('E')) {
    process.stderr.write(`fleetgate: ${e.message}\n`);
    return ExitCode.io;
  }
  process.stderr.write(`fleetgate: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.FLEETGATE_DEBUG === '1') process.stderr.write(`${e?.stack}\n`);
  return ExitCode.internal;
}
