/** `fleetgate serve`: runs the gateway (same as `npm start`), configured by env / .env. */
import type { Command } from 'commander';
import { ConfigError } from '../../server/errors.ts';
import { CliError, ExitCode } from '../errors.ts';
import { examples } from '../options.ts';

export function serveCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('run the gateway (configuration from the environment and an optional .env file)')
    .option('--port <port>', 'listen port (overrides PORT)')
    .option('--host <host>', 'listen address (overrides HOST)');
  examples(serve, [
    ['fleetgate serve', 'on 127.0.0.1:5001, data in ./data, keys in ./keys'],
    ['DATA_DIR=/var/lib/fleetgate fleetgate serve --host 0.0.0.0 --port 8080', 'for the network'],
  ]);
  serve.action(async (opts: { port?: string; host?: string }) => {
    if (opts.port) process.env.PORT = opts.port;
    if (opts.host) process.env.HOST = opts.host;
    // The whole gateway: loaded only here, so other commands start without it.
    const { main } = await import('../../server/start.ts');
    try {
      await main(process.env);
    } catch (err) {
      // Exit 2 like `npm start`: a setting or the machine refuses the gateway (port in use, DATA_DIR held).
      if (err instanceof ConfigError) throw new CliError(err.message, ExitCode.usage);
      throw err;
    }
  });
}
