import { finding, type Finding, type FindingFix, type TextEdit } from '../graph/findings';
import { nodeWindow, type LayerNode, type ModelGraph, type SourceRange } from '../graph/ir';
import { EmptyRule } from './axisRules';
import { inferGeometry, type Geometry, type NodeGeometry } from './geometry';
import { countCover } from './intervals';
import { pathMetrics } from './metrics';
import type { ModelAnalysis } from './session';

export interface FindingOptions {
  edgeRatioThreshold: number;
  /** false when the input is too large for maps: the findings that need them are left out */
  maps: boolean;
  /** how many single-layer maps RFL002 may compute to find where the edge ratio falls (default 24) */
  searchMaps?: number;
  /** whether the input size is written in the file (only then can a quick fix change it) */
  inputFromFile: boolean;
}

const AXIS_NAMES: Record<number, string[]> = { 1: ['positions'], 2: ['rows', 'columns'], 3: ['frames', 'rows', 'columns'] };

/** "1 row and 2 columns": counts per axis, the zero ones left out. */
function describeCounts(counts: number[]): string {
  const names = AXIS_NAMES[counts.length]!;
  return counts
    .map((v, a) => (v ? `${v} ${v === 1 ? names[a]!.replace(/s$/, '') : names[a]}` : ''))
    .filter(Boolean)
    .join(' and ');
}

function pct(x: number): string {
  if (x === 0) return '0%';
  if (x < 0.001) return `${(x * 100).toExponential(1)}%`;
  return `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
}

function num(x: number, digits = 3): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
}

function fmtSize(size: number[]): string {
  return size.join('x');
}

function rangeOf(node: LayerNode, ...keys: string[]): SourceRange | null {
  for (const k of keys) {
    const r = node.keyRanges?.[k];
    if (r) return r;
  }
  return node.origin;
}

function ordinal(step: number): string {
  return step === 2 ? '2nd' : step === 3 ? '3rd' : `${step}th`;
}

function describeRanges(list: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < list.length) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
    parts.push(i === j ? String(list[i]) : `${list[i]}-${list[j]}`);
    i = j + 1;
  }
  if (parts.length > 6) return `${parts.slice(0, 6).join(', ')}, …`;
  return parts.join(', ');
}

/**
 * A sorted index list in words, with its noun: "rows 0-2, 7", "row 5", or for
 * a stride pattern "every 4th row from 2 to 98, and row 99".
 */
export function describeIndices(list: number[], noun = 'position', plural = `${noun}s`): string {
  if (list.length === 0) return '';
  const plain = (l: number[]) => `${l.length === 1 ? noun : plural} ${describeRanges(l)}`;
  if (list.length >= 4) {
    // The longest run with one step above 1 (a stride pattern).
    let best = { start: 0, length: 1, step: 0 };
    for (let i = 0; i + 1 < list.length; ) {
      const step = list[i + 1]! - list[i]!;
      let j = i + 1;
      while (j + 1 < list.length && list[j + 1]! - list[j]! === step) j++;
      if (step > 1 && j - i + 1 > best.length) best = { start: i, length: j - i + 1, step };
      i = j;
    }
    if (best.length >= 4 && best.length * 2 >= list.length) {
      const run = list.slice(best.start, best.start + best.length);
      const rest = [...list.slice(0, best.start), ...list.slice(best.start + best.length)];
      const pattern = `every ${ordinal(best.step)} ${noun} from ${run[0]} to ${run[run.length - 1]}`;
      return rest.length ? `${pattern}, and ${plain(rest)}` : pattern;
    }
  }
  return plain(list);
}

/**
 * Where the pixels with mask[p] set are, in words: whole rows, whole columns,
 * then the rest. Pixels with skip[p] set (described already) may complete a
 * row or column but are not named.
 */
export function describePixels(mask: Uint8Array, shape: number[], skip?: Uint8Array): string {
  if (shape.length === 1) {
    const list: number[] = [];
    for (let i = 0; i < mask.length; i++) if (mask[i]) list.push(i);
    return describeIndices(list, 'sample');
  }
  if (shape.length === 2) {
    const [h, w] = shape as [number, number];
    const covered = (i: number) => mask[i] === 1 || skip?.[i] === 1;
    // Lines (rows: step 1 from y*w; columns: step w from x) all covered and with at least one marked pixel.
    const fullLines = (count: number, length: number, first: (k: number) => number, step: number) => {
      const out: number[] = [];
      for (let k = 0; k < count; k++) {
        let all = true;
        let any = false;
        for (let t = 0, i = first(k); t < length && all; t++, i += step) {
          all = covered(i);
          any ||= mask[i] === 1;
        }
        if (all && any) out.push(k);
      }
      return out;
    };
    const rows = fullLines(h, w, (y) => y * w, 1);
    const cols = fullLines(w, h, (x) => x, w);
    const rowSet = new Set(rows);
    const colSet = new Set(cols);
    const rest: string[] = [];
    let restCount = 0;
    for (let y = 0; y < h; y++) {
      if (rowSet.has(y)) continue;
      for (let x = 0; x < w; x++) {
        if (!mask[y * w + x] || colSet.has(x)) continue;
        restCount++;
        if (rest.length < 3) rest.push(`(${y}, ${x})`);
      }
    }
    const parts: string[] = [];
    if (rows.length && rows.length === cols.length && rows.every((r, i) => r === cols[i])) {
      parts.push(describeIndices(rows, 'row and column', 'rows and columns'));
    } else {
      if (rows.length) parts.push(describeIndices(rows, 'row'));
      if (cols.length) parts.push(describeIndices(cols, 'column'));
    }
    if (restCount) parts.push(`${restCount} ${parts.length ? 'more ' : ''}pixels such as ${rest.join(', ')}`);
    return parts.join(' and ');
  }
  let count = 0;
  let firstAt = -1;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      count++;
      if (firstAt < 0) firstAt = i;
    }
  }
  const coord: number[] = [];
  let r = firstAt;
  for (let a = shape.length - 1; a >= 0; a--) {
    coord.unshift(r % shape[a]!);
    r = Math.floor(r / shape[a]!);
  }
  return `${count} voxels, the first at (${coord.join(', ')})`;
}

/**
 * Trailing rows of a layer's real input that no output reads, per axis: what
 * floor division leaves after the last window (or the last block of a
 * space-to-depth). Null for layers that read everything by construction.
 */
export function droppedRows(g: NodeGeometry, inputSize: number[]): number[] | null {
  const spec = g.node.spec;
  if (spec.op === 'spaceToDepth') return inputSize.map((n, a) => n % spec.block[a]!);
  const w = nodeWindow(g.node);
  if (!w || !g.padBefore) return null;
  return inputSize.map((n, a) => {
    const lastTap = (g.size[a]! - 1) * w.stride[a]! - g.padBefore![a]! + w.dilation[a]! * (w.kernel[a]! - 1);
    return Math.max(0, n - 1 - lastTap);
  });
}

function inputSizeOf(geometry: Geometry, g: NodeGeometry): number[] | null {
  const src = geometry.byId.get(g.node.inputs[0] ?? '');
  return src ? src.size : null;
}

/** Layers that drop input rows by floor division, with how many per axis. */
function droppingLayers(geometry: Geometry): Array<{ g: NodeGeometry; dropped: number[]; inputSize: number[] }> {
  const out: Array<{ g: NodeGeometry; dropped: number[]; inputSize: number[] }> = [];
  for (const g of geometry.nodes) {
    const inputSize = inputSizeOf(geometry, g);
    if (!inputSize || !g.spatial) continue;
    const dropped = droppedRows(g, inputSize);
    if (dropped && dropped.some((d) => d > 0)) out.push({ g, dropped, inputSize });
  }
  return out;
}

/**
 * The nearest input sizes below and above the current one where no layer
 * drops rows. A square input cut short on every axis moves all axes together;
 * otherwise each cut axis is searched on its own and the others keep their
 * size. Only sizes at which every layer still has a shape count.
 */
export function alignedSizes(graph: ModelGraph, input: number[], layerCount: number, radius = 256): number[][] {
  const axesAll = input.map((_, a) => a);
  const cache = new Map<string, boolean>();
  const exact = (size: number[], axes: number[]) => {
    const key = `${size.join('x')}/${axes.join(',')}`;
    let ok = cache.get(key);
    if (ok === undefined) {
      // Shape inference stops at the first layer that drops rows on these axes.
      let drops = false;
      const geometry = inferGeometry(graph, size, {
        stopAfter: (g, inputSize) => {
          const dropped = inputSize && g.spatial ? droppedRows(g, inputSize) : null;
          drops = !!dropped && axes.some((a) => dropped[a]! > 0);
          return drops;
        },
      });
      ok = !drops && geometry.nodes.length >= layerCount;
      cache.set(key, ok);
    }
    return ok;
  };
  // Nearest first, above and below in turn, within the radius and a budget of shape inferences.
  const square = input.every((n) => n === input[0]);
  const found: number[][] = [];
  let budget = 40;
  const candidate = (axes: number[], n: number) => {
    const c = input.slice();
    for (const a of axes) c[a] = n;
    return c;
  };
  const nearest = (axes: number[]): Array<number[] | null> => {
    const result: Array<number[] | null> = [null, null];
    for (let d = 1; d <= radius && budget > 0 && (!result[0] || !result[1]); d++) {
      [-1, 1].forEach((dir, k) => {
        if (result[k] || budget <= 0) return;
        const n = input[axes[0]!]! + dir * d;
        if (n < 1) return;
        budget--;
        const c = candidate(axes, n);
        if (exact(c, axes)) result[k] = c;
      });
    }
    return result;
  };
  // Axes that no layer cuts short keep their size.
  const inexact = axesAll.filter((a) => !exact(input, [a]));
  if (square && inexact.length === axesAll.length) {
    for (const c of nearest(axesAll)) if (c) found.push(c);
    return found;
  }
  const perAxis = axesAll.map((a) => (inexact.includes(a) ? nearest([a]) : [input, input]));
  for (const k of [0, 1]) {
    const combined = input.map((_, a) => perAxis[a]![k]?.[a] ?? -1);
    if (combined.every((n) => n > 0) && exact(combined, axesAll)) found.push(combined);
  }
  return found;
}

function inputSizeFixes(node: LayerNode | undefined, input: number[], sizes: number[][]): FindingFix[] {
  if (!node?.valueRanges) return [];
  const fixes: FindingFix[] = [];
  for (const size of sizes) {
    const edits: TextEdit[] = [];
    const seen = new Set<string>();
    for (let a = 0; a < size.length; a++) {
      const range = node.valueRanges[`inputSize:${a}`];
      if (!range) return fixes;
      const key = `${range.start.line}:${range.start.character}`;
      // A value written once for several axes is edited once; an axis that keeps its size is not edited.
      if (seen.has(key) || size[a] === input[a]) continue;
      seen.add(key);
      edits.push({ range, newText: String(size[a]) });
    }
    if (edits.length) fixes.push({ title: `Use input size ${fmtSize(size)}`, edits });
  }
  return fixes;
}

function nameOf(analysis: ModelAnalysis, id: string): string {
  return analysis.geometry.byId.get(id)?.node.name ?? id;
}

function listNames(analysis: ModelAnalysis, ids: string[]): string {
  const names = ids.map((id) => nameOf(analysis, id));
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/**
 * Where the pixels in `dead` are lost: each is charged to the first layer (in
 * graph order, before the targets) whose own coverage already misses it.
 */
function firstLosses(analysis: ModelAnalysis, targets: string[], dead: number[], shape: number[]): Array<{ g: NodeGeometry; lost: number[] }> {
  const out: Array<{ g: NodeGeometry; lost: number[] }> = [];
  const rank = shape.length;
  let remaining = dead;
  for (const id of analysis.ancestors(targets)) {
    if (remaining.length === 0) break;
    const g = analysis.geometry.byId.get(id)!;
    if (g.node.spec.op === 'input' || !g.spatial) continue;
    const support = analysis.support(id);
    let missed: (p: number) => boolean;
    if (support.length === 1) {
      // One product term: a pixel is missed when its position on some axis is.
      const counts = support[0]!.axes.map((col, a) => countCover(col, shape[a]!));
      if (counts.every((c) => c.every((v) => v > 0))) continue;
      missed = (p) => {
        let r = p;
        for (let a = rank - 1; a >= 0; a--) {
          if (counts[a]![r % shape[a]!] === 0) return true;
          r = Math.floor(r / shape[a]!);
        }
        return false;
      };
    } else {
      const cov = analysis.coverage([id]);
      missed = (p) => cov[p] === 0;
    }
    const lost: number[] = [];
    const kept: number[] = [];
    for (const p of remaining) (missed(p) ? lost : kept).push(p);
    if (lost.length) out.push({ g, lost });
    remaining = kept;
  }
  return out;
}

/** Why a layer loses input pixels, in words, with a quick fix where one edit makes it tile. */
function lossReason(analysis: ModelAnalysis, cause: NodeGeometry): { why: string; fixes: FindingFix[] } {
  const fixes: FindingFix[] = [];
  const w = nodeWindow(cause.node);
  const inputSize = inputSizeOf(analysis.geometry, cause);
  const dropped = inputSize ? droppedRows(cause, inputSize) : null;
  if (w && w.stride.some((s, a) => s > w.dilation[a]! * (w.kernel[a]! - 1) + 1)) {
    const a = w.stride.findIndex((s, k) => s > w.dilation[k]! * (w.kernel[k]! - 1) + 1);
    const kr = cause.node.valueRanges?.kernel;
    if (kr && w.kernel.every((k) => k === w.kernel[0]) && w.stride.every((s) => s === w.stride[0]) && w.dilation.every((d) => d === 1)) {
      fixes.push({ title: `Set the kernel to ${w.stride[0]} so the windows tile the input`, edits: [{ range: kr, newText: String(w.stride[0]) }] });
    }
    return { why: `its stride ${w.stride[a]} is larger than its ${w.dilation[a]! * (w.kernel[a]! - 1) + 1}-pixel window, so the pixels between windows are skipped`, fixes };
  }
  if (cause.node.spec.op === 'crop' && inputSize) return { why: `it keeps a ${fmtSize(cause.size)} crop of its ${fmtSize(inputSize)} input`, fixes };
  if (dropped && dropped.some((d) => d > 0)) {
    return { why: `floor division leaves its last ${describeCounts(dropped)} unread (see RFL006 for input sizes that avoid it)`, fixes };
  }
  return { why: '', fixes };
}

function deadPixelFinding(analysis: ModelAnalysis, finals: string[]): Finding | null {
  const shape = analysis.input;
  const cov = analysis.coverage(finals);
  const dead: number[] = [];
  const mask = new Uint8Array(cov.length);
  for (let i = 0; i < cov.length; i++) {
    if (cov[i] === 0) {
      dead.push(i);
      mask[i] = 1;
    }
  }
  if (dead.length === 0) return null;
  const losses = firstLosses(analysis, finals, dead, shape);
  const fixes: FindingFix[] = [];
  const reasons = losses.map(({ g, lost }) => {
    const { why, fixes: own } = lossReason(analysis, g);
    fixes.push(...own);
    return { g, lost, why };
  });
  const described = new Uint8Array(cov.length);
  let where = '';
  if (reasons.length === 1) {
    const { g, why } = reasons[0]!;
    where = ` They are first lost at ${g.node.name}${why ? `: ${why}` : ''}.`;
  } else if (reasons.length > 1) {
    // Several layers each lose some: name which pixels each loses first.
    const parts = reasons.slice(0, 3).map(({ g, lost, why }) => {
      const part = new Uint8Array(cov.length);
      for (const p of lost) part[p] = 1;
      const text = `${describePixels(part, shape, described)} at ${g.node.name}${why ? `: ${why}` : ''}`;
      for (const p of lost) described[p] = 1;
      return text;
    });
    const more = reasons.length > 3 ? `; the rest at ${reasons.length - 3} more layers` : '';
    where = ` First lost: ${parts.join('; ')}${more}.`;
  }
  const first = reasons[0]?.g ?? null;
  const total = cov.length;
  return finding(
    'RFL001',
    `${dead.length} of ${total} input pixels (${pct(dead.length / total)}) reach no unit of ${listNames(analysis, finals)}: ${describePixels(mask, shape)}.${where}`,
    first ? rangeOf(first.node, 'stride') : null,
    first?.node.id ?? finals[0] ?? null,
    fixes,
  );
}

/**
 * The layers every path from the input to the targets passes through, in
 * graph order (in a ResNet the block outputs, not the branches inside):
 * immediate dominators by the intersection rule of Cooper, Harvey and
 * Kennedy, which on a graph in topological order needs one pass. Edges that
 * carry no path (a crop's reference input) do not count.
 */
export function dominatorChain(analysis: ModelAnalysis, targets: string[]): string[] {
  const geometry = analysis.geometry;
  const index = new Map<string, number>();
  geometry.nodes.forEach((g, i) => index.set(g.node.id, i));
  const inputId = geometry.nodes.find((g) => g.node.spec.op === 'input')?.node.id;
  if (!inputId) return [];
  const idom = new Map<string, string>([[inputId, inputId]]);
  const intersect = (a: string, b: string) => {
    while (a !== b) {
      while (index.get(a)! > index.get(b)!) a = idom.get(a)!;
      while (index.get(b)! > index.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (const g of geometry.nodes) {
    if (g.node.id === inputId) continue;
    let d: string | null = null;
    g.node.inputs.forEach((src, k) => {
      if (!idom.has(src) || g.rules[k]!.some((r) => r instanceof EmptyRule)) return;
      d = d === null ? src : intersect(d, src);
    });
    if (d !== null) idom.set(g.node.id, d);
  }
  const reached = targets.filter((t) => idom.has(t));
  if (reached.length === 0) return [];
  let d = reached.length === 1 ? reached[0]! : reached.slice(1).reduce((acc, t) => intersect(acc, t), reached[0]!);
  const chain: string[] = [];
  while (d !== inputId) {
    if (geometry.byId.get(d)!.spatial) chain.push(d);
    d = idom.get(d)!;
  }
  return chain.reverse();
}

/** Evaluations of the edge ratio spent scanning from the first layer before bisecting. */
const LINEAR_SCAN = 12;

function edgeFinding(analysis: ModelAnalysis, finals: string[], threshold: number, searchMaps: number): Finding | null {
  const final = pathMetrics(analysis.pathMap(finals));
  if (final.edgeRatio === null || final.edgeRatio >= threshold) return null;
  // Where it falls below is sought along the layers everything passes through:
  // side branches (a 1x1 projection shortcut) keep their own, unrelated ratios.
  const chain = dominatorChain(analysis, finals);
  const ratios = new Map<number, number>();
  const ratioAt = (i: number) => {
    let r = ratios.get(i);
    if (r === undefined) {
      r = pathMetrics(analysis.pathMap([chain[i]!])).edgeRatio ?? 1;
      ratios.set(i, r);
    }
    return r;
  };
  let where = '';
  let at: NodeGeometry | null = null;
  let firstBelow = -1;
  // Each evaluation is one map: scan the first layers, keep enough maps to bisect the rest.
  const bisection = Math.ceil(Math.log2(Math.max(2, chain.length))) + 1;
  const scan = Math.max(1, Math.min(LINEAR_SCAN, searchMaps - bisection, chain.length));
  for (let i = 0; i < scan; i++) {
    if (ratioAt(i) < threshold) {
      firstBelow = i;
      break;
    }
  }
  if (firstBelow >= 0) {
    at = analysis.geometry.byId.get(chain[firstBelow]!)!;
    where = ` The ratio first falls below ${threshold} at ${at.node.name} (${num(ratioAt(firstBelow))}).`;
  } else if (chain.length > scan && ratios.size + bisection > searchMaps) {
    where = ` Where it falls below was not sought: one map of this network is too costly to compute for many layers.`;
  } else if (chain.length > scan && ratioAt(chain.length - 1) < threshold) {
    // Bisect between the last layer scanned (above) and the last of the chain (below):
    // the result is a layer below the threshold right after one above it.
    let lo = scan - 1;
    let hi = chain.length - 1;
    while (hi - lo > 1) {
      const m = (lo + hi) >> 1;
      if (ratioAt(m) < threshold) hi = m;
      else lo = m;
    }
    at = analysis.geometry.byId.get(chain[hi]!)!;
    const before = analysis.geometry.byId.get(chain[lo]!)!;
    where = ` The ratio falls below ${threshold} between ${before.node.name} (${num(ratioAt(lo))}) and ${at.node.name} (${num(ratioAt(hi))}).`;
  } else {
    where = ` No single layer on the way is below ${threshold}: the outputs together are.`;
  }
  return finding(
    'RFL002',
    `Border pixels reach ${listNames(analysis, finals)} through ${pct(final.edgeRatio)} of the paths of the best-served pixel (edge ratio ${num(
      final.edgeRatio,
    )} < ${threshold}); corners through ${pct(final.cornerRatio ?? 0)}.${where} Padding that copies border pixels (reflect, replicate) or fewer layers before the first downsampling keeps the border in play.`,
    at ? rangeOf(at.node) : (analysis.geometry.byId.get(finals[0]!)?.node.origin ?? null),
    at?.node.id ?? finals[0] ?? null,
  );
}

/** Ripple of a layer's inputs (1 for inputs without one): unevenness it inherits rather than causes. */
function inheritedRipple(analysis: ModelAnalysis, g: NodeGeometry): number {
  let min = 1;
  for (const id of g.node.inputs) {
    const src = analysis.geometry.byId.get(id);
    if (!src?.spatial) continue;
    const r = analysis.fields.get(id)?.ripple;
    if (r !== null && r !== undefined) min = Math.min(min, r);
  }
  return min;
}

function rippleFindings(analysis: ModelAnalysis, finals: string[]): Finding[] {
  const out: Finding[] = [];
  const finalRipple = finals.length === 1 ? (analysis.fields.get(finals[0]!)?.ripple ?? null) : null;
  for (const g of analysis.geometry.nodes) {
    const ripple = analysis.fields.get(g.node.id)?.ripple ?? null;
    if (ripple === null || !(ripple > 0 && ripple < 1) || !g.spatial) continue;
    // Only where the unevenness appears (or worsens), not in every layer that carries it on.
    const inherited = inheritedRipple(analysis, g);
    if (ripple >= inherited - 1e-9) continue;
    const spec = g.node.spec;
    let kernel: number[] | null = null;
    let stride: number[] | null = null;
    let extent: number[] | null = null;
    let dilation: number[] | null = null;
    if (spec.op === 'conv' || spec.op === 'pool') {
      kernel = spec.sliding.kernel;
      stride = spec.sliding.stride;
      dilation = spec.sliding.dilation;
      extent = kernel.map((k, a) => spec.sliding.dilation[a]! * (k - 1) + 1);
    } else if (spec.op === 'convtranspose') {
      kernel = spec.kernel;
      stride = spec.stride;
      dilation = spec.dilation;
      extent = kernel.map((k, a) => spec.dilation[a]! * (k - 1) + 1);
    }
    const a = stride && extent ? stride.findIndex((s, k) => s > 1 && extent![k]! > s && extent![k]! % s !== 0) : -1;
    const tail =
      finalRipple !== null && finals[0] !== g.node.id ? `; at ${nameOf(analysis, finals[0]!)} the ripple is ${num(finalRipple)}` : '';
    const fixes: FindingFix[] = [];
    let cause: string;
    if (a >= 0) {
      const s = stride![a]!;
      const e = extent![a]!;
      cause = `a ${e}-pixel ${spec.op === 'convtranspose' ? 'transposed convolution' : 'window'} with stride ${s}`;
      const kr = g.node.valueRanges?.kernel;
      if (kr && kernel!.every((k) => k === kernel![0]) && stride!.every((v) => v === s) && dilation!.every((d) => d === 1)) {
        for (const k of [Math.ceil(e / s) * s, Math.floor(e / s) * s]) {
          if (k >= s) fixes.push({ title: `Use kernel ${k} (a multiple of stride ${s})`, edits: [{ range: kr, newText: String(k) }] });
        }
      }
    } else {
      cause = `this layer on a map whose coverage repeats every ${analysis.fields.get(g.node.id)!.period!.in.join('x')} pixels`;
    }
    out.push(
      finding(
        'RFL003',
        `${g.node.name}: ${cause} covers some input pixels more often than others (ripple ${num(ripple)}${
          inherited < 1 ? `, down from ${num(inherited)}` : ''
        }: the least covered get ${pct(ripple)} of the most covered), a checkerboard in the coverage${tail}. A kernel that the stride divides samples evenly.`,
        rangeOf(g.node, 'stride', 'stride_h'),
        g.node.id,
        fixes,
      ),
    );
  }
  return out;
}

function fieldFindings(analysis: ModelAnalysis, finals: string[]): Finding[] {
  const out: Finding[] = [];
  for (const id of finals) {
    const field = analysis.fields.get(id);
    const g = analysis.geometry.byId.get(id);
    if (!field || !g || field.size.some((r) => r === 0)) continue;
    if (!field.size.some((r, a) => r < analysis.input[a]!)) continue;
    out.push(
      finding(
        'RFL004',
        `Each unit of ${g.node.name} sees at most ${fmtSize(field.size)} pixels of the ${fmtSize(analysis.input)} input${
          field.global ? ' (and a global summary of all of it, through global pooling or a squeeze-and-excitation gate)' : ''
        }: no unit can relate content further apart than its field${field.global ? ' except through that summary' : ''}.`,
        rangeOf(g.node),
        id,
      ),
    );
  }
  return out;
}

function asymmetricFindings(analysis: ModelAnalysis): Finding[] {
  const out: Finding[] = [];
  for (const g of analysis.geometry.nodes) {
    const spec = g.node.spec;
    if (spec.op !== 'conv' && spec.op !== 'pool') continue;
    const padding = spec.sliding.padding;
    const rule = padding.kind === 'same' ? `'same' padding (${padding.rule})` : padding.implicitRule;
    if (!rule || !g.padBefore || !g.padAfter) continue;
    const inputSize = inputSizeOf(analysis.geometry, g);
    if (!inputSize) continue;
    const used = inputSize.map((n, a) => {
      const w = spec.sliding;
      const lastTap = (g.size[a]! - 1) * w.stride[a]! - g.padBefore![a]! + w.dilation[a]! * (w.kernel[a]! - 1);
      return [g.padBefore![a]!, Math.max(0, Math.min(g.padAfter![a]!, lastTap - (n - 1)))] as [number, number];
    });
    const axes = used.map(([b, c], a) => (b !== c ? a : -1)).filter((a) => a >= 0);
    if (axes.length === 0) continue;
    const names = AXIS_NAMES[analysis.input.length]!;
    const [b, c] = used[axes[0]!]!;
    out.push(
      finding(
        'RFL005',
        `${g.node.name}: ${rule} pads ${b} before and ${c} after along the ${axes.map((a) => names[a]).join(' and ')} of its ${fmtSize(
          inputSize,
        )} input, so its windows sit half a pixel off centre towards the ${b > c ? 'start' : 'end'} and the two borders are treated differently.`,
        rangeOf(g.node, 'padding', 'pad', 'size'),
        g.node.id,
      ),
    );
  }
  return out;
}

function misalignedFinding(analysis: ModelAnalysis, options: FindingOptions): Finding | null {
  const dropping = droppingLayers(analysis.geometry);
  if (dropping.length === 0) return null;
  const first = dropping[0]!;
  // Exact sizes recur with the network's total stride S (n exact => n + S exact), so the nearest ones lie within S.
  let stride = 1;
  for (const g of analysis.geometry.nodes) {
    const field = analysis.fields.get(g.node.id);
    if (g.spatial && field) for (const j of field.jump) if (Number.isFinite(j)) stride = Math.max(stride, Math.ceil(j));
  }
  const suggestions = alignedSizes(analysis.graph, analysis.input, analysis.geometry.nodes.length, Math.min(256, Math.max(8, stride)));
  const inputNode = analysis.graph.nodes.find((n) => n.spec.op === 'input');
  const range = inputNode?.valueRanges?.['inputSize:0'] ? inputNode.valueRanges['inputSize:0'] : (inputNode?.origin ?? null);
  return finding(
    'RFL006',
    `At input ${fmtSize(analysis.input)} ${dropping.length === 1 ? 'one layer drops' : `${dropping.length} layers drop`} rows by floor division: ${
      first.g.node.name
    } leaves the last ${describeCounts(first.dropped)} of its ${fmtSize(first.inputSize)} input unread.${
      suggestions.length ? ` Sizes that keep every stride exact: ${suggestions.map(fmtSize).join(' or ')}.` : ''
    }`,
    range,
    inputNode?.id ?? null,
    options.inputFromFile ? inputSizeFixes(inputNode, analysis.input, suggestions) : [],
  );
}

/** Findings RFL001-RFL006 for an analysed model. */
export function analysisFindings(analysis: ModelAnalysis, outputs: string[], options: FindingOptions): Finding[] {
  const finals = analysis.finalSpatialLayers(outputs);
  const out: Finding[] = [];
  if (finals.length && options.maps) {
    const dead = deadPixelFinding(analysis, finals);
    if (dead) out.push(dead);
    const edge = edgeFinding(analysis, finals, options.edgeRatioThreshold, options.searchMaps ?? 24);
    if (edge) out.push(edge);
  }
  out.push(...rippleFindings(analysis, finals));
  out.push(...fieldFindings(analysis, finals));
  out.push(...asymmetricFindings(analysis));
  const misaligned = misalignedFinding(analysis, options);
  if (misaligned) out.push(misaligned);
  return out;
}
