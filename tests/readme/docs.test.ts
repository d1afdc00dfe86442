/**
 * The documentation holds together: every relative link of every Markdown file in the repository
 * reaches a file or folder inside it (and a `#anchor` a heading of that file), every shell block
 * of the README says whether the walkthrough test runs it, and every configuration variable the
 * gateway reads is documented in a `variable` table (and every documented one exists).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { CONFIG_VARIABLES } from '../../server/config.ts';
import { ROOT } from '../helpers/process.ts';
import { anchors, codeBlocks, links, markdownFiles, slug } from './markdown.ts';

const files = markdownFiles(ROOT);
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const SHELLS = new Set(['sh', 'bash', 'shell', 'console']);

test('the Markdown helper: GitHub anchors, fences, links outside code', () => {
  assert.is(slug('Storage (DATA_DIR)'), 'storage-data_dir');
  assert.is(slug('EcoWatt fleets on the shared key: what changes'), 'ecowatt-fleets-on-the-shared-key-what-changes');
  assert.is(slug('`fleetgate-sim` and [SPEC](x.md) §10'), 'fleetgate-sim-and-spec-10');
  const doc = '# A\n## A\n```sh no-run\n# not a heading [x](nowhere.md)\n```\nsee [b](b.md#a-1) and `[c](c.md)`\n[d]: d.md\n';
  assert.equal([...anchors(doc)], ['a', 'a-1']);
  assert.equal(links(doc).map((l) => [l.target, l.line]), [['b.md#a-1', 6], ['d.md', 7]]);
  assert.equal(codeBlocks(doc).map((b) => [b.lang, b.tags, b.firstLine, b.lines]), [['sh', ['no-run'], 4, ['# not a heading [x](nowhere.md)']]]);
});

test('the documentation this test reads is there', () => {
  for (const f of ['README.md', 'server/README.md', 'server/codec/SPEC.md', 'server/ota/SPEC.md', 'keys/README.md', 'firmware-images/README.md']) {
    assert.ok(files.includes(f), `${f} not found among ${files.join(', ')}`);
  }
});

test('every relative link and #anchor in every Markdown file exists', () => {
  const problems: string[] = [];
  for (const file of files) {
    for (const { target, line } of links(read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: — not checked offline
      const where = `${file}:${line}: ${target}`;
      const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = pathPart === '' ? file : normalize(join(dirname(file), decodeURI(pathPart)));
      if (resolved.startsWith('..' + sep) || resolved === '..') {
        problems.push(`${where}: points outside the repository`);
        continue;
      }
      if (!existsSync(join(ROOT, resolved))) {
        problems.push(`${where}: ${resolved} does not exist`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!resolved.endsWith('.md') || statSync(join(ROOT, resolved)).isDirectory()) {
        problems.push(`${where}: an anchor into a file that is not Markdown`);
      } else if (!anchors(read(resolved)).has(anchor)) {
        problems.push(`${where}: no heading "#${anchor}" in ${relative('.', resolved)}`);
      }
    }
  }
  assert.equal(problems, [], problems.join('\n'));
});

test('every repository path a document names in backticks exists', () => {
  // Rooted at a source folder and naming a source or document file: `tests/store/x.test.ts`. Runtime
  // and build paths (keys/…, firmware/host/build/…) are not files of the repository.
  const path = /`((?:server|cli|tests|scripts|firmware)\/[A-Za-z0-9_./-]+\.(?:ts|mjs|js|c|h|sh|md|json|txt|yml|csv))`/g;
  const problems: string[] = [];
  for (const file of files) {
    read(file)
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(path)) if (!m[1]!.startsWith('firmware/host/build/') && !existsSync(join(ROOT, m[1]!))) problems.push(`${file}:${i + 1}: ${m[1]}`);
      });
  }
  assert.equal(problems, [], `named but missing:\n${problems.join('\n')}`);
});

test('every shell block of the README is marked walkthrough, replicas or no-run; only the README has run blocks', () => {
  const problems: string[] = [];
  const RUN_MARKS = ['walkthrough', 'replicas'];
  for (const file of files) {
    for (const b of codeBlocks(read(file))) {
      const marks = b.tags.filter((t) => RUN_MARKS.includes(t) || t === 'no-run');
      if (file !== 'README.md') {
        for (const m of RUN_MARKS) if (b.tags.includes(m)) problems.push(`${file}:${b.line}: ${m} blocks only run in README.md`);
        continue;
      }
      if (SHELLS.has(b.lang) && (b.lang !== 'sh' || marks.length !== 1)) {
        problems.push(`${file}:${b.line}: \`\`\`${[b.lang, ...b.tags].join(' ')} — write \`\`\`sh walkthrough, \`\`\`sh replicas or \`\`\`sh no-run`);
      }
    }
  }
  assert.equal(problems, [], problems.join('\n'));
});

/** Variables named in the first column of tables whose header starts with "variable". */
function documentedVariables(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let inTable = false;
  text.split('\n').forEach((line, i) => {
    if (!line.startsWith('|')) return void (inTable = false);
    const first = line.split('|')[1]!.trim();
    if (/^variable$/i.test(first)) return void (inTable = true);
    if (!inTable || /^:?-+:?$/.test(first)) return;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) out.set(m[1]!, i + 1);
  });
  return out;
}

test('every configuration variable is documented, and every documented one exists', () => {
  const documented = new Map<string, string>();
  for (const file of files) for (const [name, line] of documentedVariables(read(file))) if (!documented.has(name)) documented.set(name, `${file}:${line}`);
  const missing = CONFIG_VARIABLES.filter((v) => !documented.has(v));
  assert.equal(missing, [], `not in any "variable" table: ${missing.join(', ')}`);
  const unknown = [...documented].filter(([v]) => !CONFIG_VARIABLES.includes(v)).map(([v, at]) => `${at}: ${v}`);
  assert.equal(unknown, [], `documented but not read by server/config.ts:\n${unknown.join('\n')}`);
});

test.run();
