/**
 * The fleetgate CLI: registers each command module and turns failures into one line on stderr
 * with a meaningful exit code (see cli/errors.ts), commander's own usage errors included. No work
 * happens here, and nothing heavy is imported: commands load what they need when they run, so
 * `fleetgate --version` costs little more than starting node.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { ExitCode, errnoText, toCliError, CliError } from './errors.ts';
import { commands } from './commands/index.ts';
import { loadCliDotEnv } from './dotenv.ts';
import { examples } from './options.ts';

/** Set by scripts/build-cli.ts in the bundle; read from package.json when run from the sources. */
declare const __FLEETGATE_VERSION__: string | undefined;

function version(): string {
  if (typeof __FLEETGATE_VERSION__ === 'string') return __FLEETGATE_VERSION__;
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('fleetgate')
    .description('fleetgate: secure gateway for ESP32 power meter fleets — the admin CLI (server, devices, commands, config, telemetry, OTA)')
    .version(version(), '-V, --version')
    .exitOverride()
    // Root options only before the subcommand: `firmware package --version 1.0.5` is the image's.
    .enablePositionalOptions();
  examples(program, [
    ['fleetgate status', 'the fleet at a glance (local gateway, token from keys/admin_token)'],
    ['fleetgate device list --url https://gw.example:5001 --token $TOKEN', 'a remote gateway'],
    ['fleetgate device add meter-1', 'register a device, print its key'],
    ['fleetgate device --help', 'the commands of a group'],
  ]);
  program.addHelpText(
    'after',
    `
Environment:
  FLEETGATE_URL          gateway URL for admin commands (default: the PORT of ./.env on
                         127.0.0.1, else http://127.0.0.1:5001)
  FLEETGATE_TOKEN        admin token; without it, a gateway on a loopback URL is asked with
                         ADMIN_TOKEN from ./.env, else $KEYS_DIR/admin_token (never sent to
                         another host)
  KEYS_DIR, FIRMWARE_DIR default --keys-dir / --firmware-dir
  .env                   the working directory's, as \`fleetgate serve\` reads it: its PORT,
                         HOST, ADMIN_TOKEN, KEYS_DIR, FIRMWARE_DIR, DATA_DIR, DATABASE_URL
                         (the environment wins; never FLEETGATE_*)
  FLEETGATE_DEBUG=1      print the stack of an internal error

Exit codes: 0 ok, 1 verification failed, 2 usage, 3 file I/O, 4 gateway unreachable or said no, 70 bug.
`,
  );
  for (const register of commands) register(program);
  oneLineUsageErrors(program);
  return program;
}

/**
 * commander prints its own errors (unknown option, missing argument, ...) as `error: ...`, at times
 * with a suggestion on a second line. Every command gets the CLI's format instead: one line,
 * `fleetgate: <message> (see 'fleetgate <command> --help')`.
 */
function oneLineUsageErrors(cmd: Command): void {
  const path = commandPath(cmd);
  cmd.configureOutput({
    outputError: (text, write) => {
      const message = text.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
      write(`fleetgate: ${message} (see '${path} --help')\n`);
    },
  });
  for (const sub of cmd.commands) oneLineUsageErrors(sub);
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * A reader that goes away (`fleetgate device list | head -1`) is not an error: stop quietly with
 * the exit status so far, rather than with node's EPIPE stack trace. Any other failure to write
 * the output (`> /dev/full`: ENOSPC, EIO, ...) is a file I/O error: one line on stderr, exit 3 —
 * never a stack trace, never exit 1 (which means "verification failed"). When stderr itself
 * fails there is nowhere to say it: exit 3 silently.
 */
function oneLineOutputErrors(): void {
  const soFar = () => (typeof process.exitCode === 'number' ? process.exitCode : 0);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(soFar());
    try {
      process.stderr.write(`fleetgate: cannot write to standard output: ${errnoText(err.code)}\n`);
    } finally {
      process.exit(ExitCode.io);
    }
  });
  process.stderr.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? soFar() : ExitCode.io));
}

export async function run(argv: string[]): Promise<void> {
  oneLineOutputErrors();
  const program = buildProgram();
  try {
    // The .env `fleetgate serve` reads: its KEYS_DIR, FIRMWARE_DIR, DATA_DIR, DATABASE_URL apply
    // here too; its PORT, HOST and ADMIN_TOKEN find the gateway on this machine (cli/dotenv.ts).
    loadCliDotEnv();
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed the message, the help or the version (the last two exit 0).
    return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  const mapped = toCliError(err);
  if (mapped instanceof CliError) {
    process.stderr.write(`fleetgate: ${mapped.message}\n`);
    return mapped.exitCode;
  }
  const e = err as Error | undefined;
  process.stderr.write(`fleetgate: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.FLEETGATE_DEBUG === '1') process.stderr.write(`${e?.stack}\n`);
  return ExitCode.internal;
}
