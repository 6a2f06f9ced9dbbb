/**
 * Parser glue: @lezer/python (pure JS, synchronous; see docs/design-notes.md
 * for the measurements that chose it), a cache of trees per file version, and
 * incremental reparsing of a file edited in place (the editor's keystrokes).
 */
import { TreeFragment, type SyntaxNode, type Tree } from '@lezer/common';
import { parser } from '@lezer/python';
import { LineIndex } from '../../graph/text';

export interface ParsedFile {
  path: string;
  text: string;
  tree: Tree;
  lines: LineIndex;
  /** first syntax errors (offsets), for RFL100 */
  errors: number[];
}

const MAX_CACHED = 64;
/** the last version parsed of each path: a hit when the text is the same, fragments for the next version when not */
const lastByPath = new Map<string, { parsed: ParsedFile; fragments: readonly TreeFragment[] }>();
/** error offsets (relative to the node's start) of top-level subtrees, kept while an incremental parse reuses them */
const errorsOfSubtree = new WeakMap<Tree, number[]>();

function scanErrors(node: SyntaxNode, out: number[]): void {
  const cursor = node.cursor();
  let depth = 0;
  for (;;) {
    let descend = true;
    if (cursor.type.isError) {
      // lezer reads the float `6.` as a member access with a missing name: not an error in Python
      const parent = cursor.node.parent;
      if (!(parent?.name === 'MemberExpression' && parent.firstChild?.name === 'Number' && cursor.from === cursor.to)) out.push(cursor.from);
      descend = false;
    }
    if (descend && cursor.firstChild()) {
      depth++;
      continue;
    }
    for (;;) {
      if (depth === 0) return;
      if (cursor.nextSibling()) break;
      cursor.parent();
      depth--;
    }
  }
}

/**
 * Syntax error offsets of a tree, at most 50. Top-level statements that an
 * incremental parse reused (the same Tree object) keep their errors from the
 * last scan, so a keystroke rescans the statements around it only.
 */
function collectErrors(tree: Tree): number[] {
  const out: number[] = [];
  for (let c = tree.topNode.firstChild; c && out.length < 50; c = c.nextSibling) {
    const sub = c.tree;
    let rel = sub ? errorsOfSubtree.get(sub) : undefined;
    if (!rel) {
      const abs: number[] = [];
      scanErrors(c, abs);
      rel = abs.map((o) => o - c!.from);
      if (sub) errorsOfSubtree.set(sub, rel);
    }
    for (const r of rel) if (out.length < 50) out.push(c.from + r);
  }
  return out;
}

/** The change between two texts as one replaced span (common prefix and suffix kept), compared in blocks first. */
function diff(a: string, b: string): { fromA: number; toA: number; fromB: number; toB: number } {
  const BLOCK = 512;
  let start = 0;
  const min = Math.min(a.length, b.length);
  while (start + BLOCK <= min && a.slice(start, start + BLOCK) === b.slice(start, start + BLOCK)) start += BLOCK;
  while (start < min && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA - BLOCK >= start && endB - BLOCK >= start && a.slice(endA - BLOCK, endA) === b.slice(endB - BLOCK, endB)) {
    endA -= BLOCK;
    endB -= BLOCK;
  }
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  return { fromA: start, toA: endA, fromB: start, toB: endB };
}

export function parsePython(path: string, text: string): ParsedFile {
  const last = lastByPath.get(path);
  if (last && last.parsed.text === text) {
    lastByPath.delete(path);
    lastByPath.set(path, last);
    return last.parsed;
  }
  const tree = last ? parser.parse(text, TreeFragment.applyChanges(last.fragments, [diff(last.parsed.text, text)])) : parser.parse(text);
  const parsed: ParsedFile = { path, text, tree, lines: new LineIndex(text), errors: collectErrors(tree) };
  lastByPath.delete(path);
  lastByPath.set(path, { parsed, fragments: TreeFragment.addTree(tree) });
  if (lastByPath.size > MAX_CACHED) lastByPath.delete(lastByPath.keys().next().value!);
  return parsed;
}

/** Children of a node without comments (punctuation and keywords included; callers pick by name). */
export function kids(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== 'Comment') out.push(c);
  return out;
}

export function textOf(text: string, node: SyntaxNode): string {
  return text.slice(node.from, node.to);
}
