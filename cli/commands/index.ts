/**
 * Every command module, in the order `fleetgate --help` lists them: the fleet and admin-API
 * groups first, then local tools (keys, firmware images, signing, packing) and the server.
 */
import type { Command } from 'commander';
import { auditCommand } from './audit.ts';
import { commandCommand } from './command.ts';
import { configCommand } from './config.ts';
import { dbCommand } from './db.ts';
import { deviceCommand } from './device.ts';
import { eventCommand } from './event.ts';
import { firmwareCommand } from './firmware.ts';
import { keysCommand } from './keys.ts';
import { otaCommand } from './ota.ts';
import { packCommands } from './pack.ts';
import { rolloutCommands } from './rollout.ts';
import { serveCommand } from './serve.ts';
import { signCommand, signRequestCommand } from './sign.ts';
import { statusCommand } from './status.ts';
import { telemetryCommand } from './telemetry.ts';
import { tokenCommand } from './token.ts';

export const commands: ((program: Command) => void)[] = [
  statusCommand,
  deviceCommand,
  commandCommand,
  configCommand,
  telemetryCommand,
  eventCommand,
  auditCommand,
  otaCommand,
  (p) => rolloutCommands(p),
  tokenCommand,
  (p) => keysCommand(p),
  (p) => firmwareCommand(p),
  signCommand,
  signRequestCommand,
  packCommands,
  dbCommand,
  serveCommand,
];
