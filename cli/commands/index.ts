/** Command modules added by features beyond the core (keys, firmware, ...), registered after the core ones. */
import type { Command } from 'commander';
import { firmwareCommand } from './firmware.ts';
import { keysCommand } from './keys.ts';

export const extraCommands: ((program: Command) => void)[] = [(p) => keysCommand(p), (p) => firmwareCommand(p)];
