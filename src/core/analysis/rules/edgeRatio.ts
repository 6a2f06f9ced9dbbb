/** RFL002: border pixels reach the last spatial layers through far fewer paths than the best-served pixel. */
import { finding, type Finding, type FindingFix, type TextEdit } from '../../graph/finding';
import { nodeWindow, rangeOfRole, type PadMode } from '../../graph/ir';
import { WorkLimitError } from '../limits';
import { numberText, percentText } from '../../graph/display';
import type { NodeGeometry } from '../geometry';
import { pathMetrics } from '../metrics';
import type { ModelAnalysis } from '../modelAnalysis';
import type { FindingRule } from './rule';
import { listNames } from './text';

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
      if (!idom.has(src) || g.rules[k]!.some((r) => r.readsNothing)) return;
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
  const finalNode = analysis.geometry.byId.get(finals[0]!)?.node ?? null;
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
    where = ` The ratio first falls below ${threshold} at ${at.node.name} (${numberText(ratioAt(firstBelow))}).`;
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
    where = ` The ratio falls below ${threshold} between ${before.node.name} (${numberText(ratioAt(lo))}) and ${at.node.name} (${numberText(ratioAt(hi))}).`;
  } else {
    where = ` No single layer on the way is below ${threshold}: the outputs together are.`;
  }
  const f = finding(
    'RFL002',
    `Border pixels reach ${listNames(analysis, finals)} through ${percentText(final.edgeRatio)} of the paths of the best-served pixel (edge ratio ${numberText(
      final.edgeRatio,
    )} < ${threshold}); corners through ${percentText(final.cornerRatio ?? 0)}.${where} Padding that copies border pixels (reflect, replicate) or fewer layers before the first downsampling keeps the border in play.`,
    at ? rangeOfRole(at.node) : finalNode ? rangeOfRole(finalNode) : null,
    at?.node.id ?? finals[0] ?? null,
  );
  f.data = {
    code: 'RFL002',
    edgeRatio: final.edgeRatio,
    cornerRatio: final.cornerRatio,
    threshold,
    layers: finals.slice(),
    firstBelow: at?.node.id ?? null,
    ratios: [...ratios.entries()].sort((x, y) => x[0] - y[0]).map(([i, r]) => ({ layer: chain[i]!, edgeRatio: r })),
  };
  const fixes = paddingModeFixes(analysis, finals, threshold, final.edgeRatio);
  if (fixes.length) f.fixes = fixes;
  if (at && finalNode && at.node.id !== finalNode.id) {
    f.related = [{ range: rangeOfRole(finalNode), layer: finalNode.id, message: `edge ratio ${numberText(final.edgeRatio)} at ${finalNode.name}, the last spatial layer` }];
  }
  return f;
}


/** The padding modes a quick fix offers: the two that copy border pixels (circular wraps the image around, rarely what is meant). */
const REMEDY_MODES: readonly PadMode[] = ['replicate', 'reflect'];

/**
 * "Pad with 'replicate'": one edit per convolution that pads. Offered only
 * when every padding convolution has a slot for its mode (so the edit changes
 * exactly what the what-if analysis changes: no padding module or convolution
 * out of reach is left behind) and only for modes whose what-if clears the
 * threshold, so applying the fix removes the finding.
 */
function paddingModeFixes(analysis: ModelAnalysis, finals: string[], threshold: number, ratio: number): FindingFix[] {
  const padded = analysis.paddingConvolutions();
  if (padded.length === 0 || padded.some((g) => !g.node.padModeSlot)) return [];
  const fixes: FindingFix[] = [];
  for (const mode of REMEDY_MODES) {
    const edits = new Map<string, TextEdit>();
    const keys = new Set<string>();
    for (const g of padded) {
      const slot = g.node.padModeSlot!;
      const text = slot.values[mode];
      if (text === undefined) return fixes;
      if (nodeWindow(g.node)?.padMode === mode) continue;
      keys.add(slot.key);
      const r = slot.range;
      // a helper function's convolution builds many layers from one call: one edit
      edits.set(`${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}`, { range: r, newText: slot.prefix + text });
    }
    if (edits.size === 0) continue;
    let after: number | null;
    try {
      after = pathMetrics(analysis.withPadding(mode).pathMap(finals)).edgeRatio;
    } catch (e) {
      if (e instanceof WorkLimitError) continue;
      throw e;
    }
    if (after === null || after < threshold) continue;
    fixes.push({
      title: `Pad with '${mode}': ${[...keys].join(' and ')} in ${edits.size === 1 ? 'one call' : `${edits.size} calls`} (edge ratio ${numberText(ratio)} → ${numberText(after)})`,
      edits: [...edits.values()],
    });
  }
  return fixes;
}


export const edgeRatioRule: FindingRule = {
  code: 'RFL002',
  stage: 'maps',
  needsMaps: true,
  run: ({ analysis, finals, options }) => {
    const f = finals.length ? edgeFinding(analysis, finals, options.edgeRatioThreshold, options.searchMaps) : null;
    return f ? [f] : [];
  },
};
