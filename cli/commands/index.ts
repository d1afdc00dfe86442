/** Command modules added by later features (keys, firmware, ...), registered after the core ones. */
import type { Command } from 'commander';

export const extraCommands: ((program: Command) => void)[] = [];
