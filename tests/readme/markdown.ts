/**
 * Just enough Markdown for the documentation tests: fenced code blocks with their info string,
 * headings and the anchors GitHub gives them, and the links of a file (outside code). Written for
 * the Markdown this repository uses (ATX headings, ``` / ~~~ fences, inline and reference links),
 * not for every corner of CommonMark.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface CodeBlock {
  /** First word of the info string (`sh`), '' when none. */
  lang: string;
  /** The other words of the info string (`walkthrough`, `no-run`). */
  tags: string[];
  /** 1-based line of the opening fence. */
  line: number;
  /** 1-based line of the first content line; the content spans `lines.length` lines from there. */
  firstLine: number;
  lines: string[];
}

export interface Link {
  target: string;
  line: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/;

/** Fenced code blocks, in order; an unclosed fence runs to the end of the file (as CommonMark says). */
export function codeBlocks(text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  let open: { fence: string; block: CodeBlock } | undefined;
  lines.forEach((line, i) => {
    if (open) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
      if (close && close[1]![0] === open.fence[0] && close[1]!.length >= open.fence.length) open = undefined;
      else open.block.lines.push(line);
      return;
    }
    const m = FENCE.exec(line);
    if (!m) return;
    const block: CodeBlock = { lang: m[2]!, tags: m[3]!.split(/\s+/).filter(Boolean), line: i + 1, firstLine: i + 2, lines: [] };
    blocks.push(block);
    open = { fence: m[1]!, block };
  });
  return blocks;
}

/** The file's lines with every fenced block's lines (fences included) blanked out. */
function proseLines(text: string): string[] {
  const lines = text.split('\n');
  for (const b of codeBlocks(text)) for (let i = b.line - 1; i < b.firstLine - 1 + b.lines.length + 1 && i < lines.length; i++) lines[i] = '';
  return lines;
}

/** Drops inline code spans (`…`), whose brackets and hashes are not Markdown. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)[^`]*?\1/g, '');
}

/** GitHub's anchor for a heading text: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
    .replace(/`/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a file's headings define, with GitHub's -1, -2 … suffixes for repeats. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of proseLines(text)) {
    const m = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Inline links and images `[text](target)`, `<…>` targets, and reference definitions `[x]: target`. */
export function links(text: string): Link[] {
  const out: Link[] = [];
  proseLines(text).forEach((raw, i) => {
    const line = withoutCodeSpans(raw);
    const def = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(line);
    if (def) out.push({ target: def[1]!, line: i + 1 });
    for (const m of line.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) {
      out.push({ target: m[1]!.replace(/^<|>$/g, ''), line: i + 1 });
    }
  });
  return out;
}

/** Runtime and build folders (git-ignored): whatever lands there is not documentation. */
const SKIPPED = new Set(['data', 'firmware/build', 'firmware/host/build']);

/** Every Markdown file of the repository (relative paths), outside dot-folders, dependencies and build output. */
export function markdownFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const rel = relative(root, path);
    if (name.startsWith('.') || name === 'node_modules' || SKIPPED.has(rel)) continue;
    if (statSync(path).isDirectory()) out.push(...markdownFiles(root, path));
    else if (name.endsWith('.md')) out.push(rel);
  }
  return out;
}
