/**
 * cli/README.md's command table against the command tree commander builds (cli/main.ts): every
 * command is listed, and every listed command exists, so the table cannot drift again. A row's
 * first cell names commands in code spans: `fleetgate <group> <command> [args]`, then the group's
 * further commands as `show <id>` (or `pause\|resume <ro>`), or another full path (`db status`).
 * A span `fleetgate <group> …` anywhere in a row covers that whole group (an alias group).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram, commandPath } from '../../cli/main.ts';
import { ROOT } from '../helpers/process.ts';

const walk = (c: Command): Command[] => [c, ...c.commands.flatMap(walk)];
const tree = walk(buildProgram()).map((c) => ({ path: commandPath(c).replace(/^fleetgate ?/, ''), leaf: c.commands.length === 0 }));
const exists = new Set(tree.map((c) => c.path));
const leaves = tree.filter((c) => c.leaf).map((c) => c.path);

/** The command names a span starts with (`pause\|resume <ro>` → [['pause', 'resume']]). */
function names(span: string): string[][] {
  const out: string[][] = [];
  for (const word of span.replace(/\\\|/g, '|').trim().split(/\s+/)) {
    if (!/^[a-z][a-z-]*(\|[a-z][a-z-]*)*$/.test(word)) break;
    out.push(word.split('|'));
  }
  return out;
}

function expand(parts: string[][]): string[] {
  return parts.reduce<string[]>((paths, alternatives) => paths.flatMap((p) => alternatives.map((a) => (p ? `${p} ${a}` : a))), ['']);
}

export function documented(readme: string): { paths: Set<string>; groups: Set<string> } {
  const paths = new Set<string>();
  const groups = new Set<string>();
  for (const row of readme.split('\n').filter((l) => l.startsWith('| `fleetgate'))) {
    const [, first = '', ...rest] = row.split(/(?<!\\)\|/);
    let group: string | undefined;
    for (const [, span] of first.matchAll(/`([^`]+)`/g)) {
      const parts = names(span!.replace(/^fleetgate /, ''));
      const relative = group !== undefined && exists.has(`${group} ${parts[0]![0]}`);
      const found = expand(relative ? [[group!], ...parts] : parts);
      group ??= found[0]!.split(' ')[0];
      for (const p of found) paths.add(p);
    }
    for (const [, span] of rest.join('|').matchAll(/`fleetgate ([a-z -]+) …`/g)) groups.add(span!.trim());
  }
  return { paths, groups };
}

const readme = readFileSync(`${ROOT}/cli/README.md`, 'utf8');

test('cli/README.md lists every command of the CLI', () => {
  const { paths, groups } = documented(readme);
  const missing = leaves.filter((p) => !paths.has(p) && ![...groups].some((g) => p.startsWith(`${g} `)));
  assert.equal(missing, [], `not in cli/README.md's table: ${missing.join(', ')}`);
});

test('every command cli/README.md lists exists', () => {
  const { paths, groups } = documented(readme);
  const stale = [...paths, ...groups].filter((p) => !exists.has(p));
  assert.equal(stale, [], `in cli/README.md but not a command: ${stale.join(', ')}`);
});

test('the parser reads the forms the table uses (and would catch a missing command)', () => {
  const sample = [
    '| `fleetgate device list [--status]` / `show <id>` / `add <id>\\|--file <csv>` | `tag` in a description is not a command |',
    '| `fleetgate db migrate` / `status` / `db floors export` | x |',
    '| `fleetgate rollout pause\\|resume <ro>` | also as `fleetgate ota rollout …` |',
  ].join('\n');
  const { paths, groups } = documented(sample);
  assert.equal([...paths].sort(), ['db floors export', 'db migrate', 'db status', 'device add', 'device list', 'device show', 'rollout pause', 'rollout resume']);
  assert.equal([...groups], ['ota rollout']);
});

test.run();
