/** `fleetgate serve`: runs the gateway (same as `npm start`), configured by env / .env. */
import type { Command } from 'commander';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the gateway (configuration from the environment and an optional .env file)')
    .option('--port <port>', 'listen port (overrides PORT)')
    .option('--host <host>', 'listen address (overrides HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      if (opts.port) process.env.PORT = opts.port;
      if (opts.host) process.env.HOST = opts.host;
      const { main } = await import('../../server/start.ts');
      await main(process.env);
    });
}
