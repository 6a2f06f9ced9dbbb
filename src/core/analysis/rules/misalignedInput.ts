/** RFL006: floor division drops input rows at this input size; the nearest sizes that keep every stride exact. */
import { finding, type Finding, type FindingFix, type TextEdit } from '../../graph/finding';
import { rangeOfRole, type LayerNode, type ModelGraph } from '../../graph/ir';
import { sizeText } from '../../graph/display';
import { inferGeometry } from '../geometry';
import type { ModelAnalysis } from '../modelAnalysis';
import type { FindingRule, RuleOptions } from './rule';
import { droppedRows, droppingLayers } from './rows';
import { describeCounts } from './text';

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
    if (edits.length) fixes.push({ title: `Use input size ${sizeText(size)}`, edits });
  }
  return fixes;
}


function misalignedFinding(analysis: ModelAnalysis, options: RuleOptions): Finding | null {
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
  const range = inputNode ? rangeOfRole(inputNode, 'inputSize:0') : null;
  const f = finding(
    'RFL006',
    `At input ${sizeText(analysis.input)} ${dropping.length === 1 ? 'one layer drops' : `${dropping.length} layers drop`} rows by floor division: ${
      first.g.node.name
    } leaves the last ${describeCounts(first.dropped)} of its ${sizeText(first.inputSize)} input unread.${
      suggestions.length ? ` Sizes that keep every stride exact: ${suggestions.map(sizeText).join(' or ')}.` : ''
    }`,
    range,
    inputNode?.id ?? null,
    options.inputFromFile ? inputSizeFixes(inputNode, analysis.input, suggestions) : [],
  );
  f.data = {
    code: 'RFL006',
    layer: first.g.node.id,
    inputSize: first.inputSize.slice(),
    dropped: first.dropped.slice(),
    suggestions,
    droppingLayers: dropping.map((d) => d.g.node.id),
  };
  f.related = dropping.slice(0, 3).map((d) => ({
    range: rangeOfRole(d.g.node, 'stride', 'kernel'),
    layer: d.g.node.id,
    message: `${d.g.node.name} leaves the last ${describeCounts(d.dropped)} of its ${sizeText(d.inputSize)} input unread`,
  }));
  return f;
}


export const misalignedInputRule: FindingRule = {
  code: 'RFL006',
  stage: 'fields',
  needsMaps: false,
  run: ({ analysis, options }) => {
    const f = misalignedFinding(analysis, options);
    return f ? [f] : [];
  },
};
