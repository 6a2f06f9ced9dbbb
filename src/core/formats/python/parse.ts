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
const cache = new Map<string, ParsedFile>();
/** the last version of each path, reused as fragments when the text changed */
const lastByPath = new Map<string, { text: string; fragments: readonly TreeFragment[] }>();

function collectErrors(tree: Tree): number[] {
  const out: number[] = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError) {
        // lezer reads the float `6.` as a member access with a missing name: not an error in Python
        const parent = n.node.parent;
        if (parent?.name === 'MemberExpression' && parent.firstChild?.name === 'Number' && n.from === n.to) return false;
        if (out.length < 50) out.push(n.from);
        return false;
      }
      return undefined;
    },
  });
  return out;
}

/** The change between two texts as one replaced span (common prefix and suffix kept). */
function diff(a: string, b: string): { fromA: number; toA: number; fromB: number; toB: number } {
  let start = 0;
  const min = Math.min(a.length, b.length);
  while (start < min && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  return { fromA: start, toA: endA, fromB: start, toB: endB };
}

export function parsePython(path: string, text: string): ParsedFile {
  const key = `${path}\u0000${text.length}\u0000${text}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const last = lastByPath.get(path);
  let tree: Tree;
  if (last && last.text !== text) {
    const fragments = TreeFragment.applyChanges(last.fragments, [diff(last.text, text)]);
    tree = parser.parse(text, fragments);
  } else {
    tree = parser.parse(text);
  }
  lastByPath.set(path, { text, fragments: TreeFragment.addTree(tree) });
  if (lastByPath.size > MAX_CACHED) lastByPath.delete(lastByPath.keys().next().value!);
  const parsed: ParsedFile = { path, text, tree, lines: new LineIndex(text), errors: collectErrors(tree) };
  cache.set(key, parsed);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
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
