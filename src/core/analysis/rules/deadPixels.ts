/** RFL001: input pixels that reach no unit of the last spatial layers, and the layer that first loses each. */
import { finding, type Finding, type FindingFix } from '../../graph/finding';
import { nodeWindow, rangeOfRole } from '../../graph/ir';
import { percentText, sizeText } from '../../graph/display';
import { indexRuns } from '../../graph/shape';
import { effectiveExtent } from '../../graph/window';
import type { NodeGeometry } from '../geometry';
import { countCover } from '../intervals';
import type { ModelAnalysis } from '../modelAnalysis';
import type { FindingRule } from './rule';
import { droppedRows, inputSizeOf } from './rows';
import { describeCounts, describePixels, listNames } from './text';

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
  if (w && w.stride.some((s, a) => s > effectiveExtent(w.kernel[a]!, w.dilation[a]!))) {
    const a = w.stride.findIndex((s, k) => s > effectiveExtent(w.kernel[k]!, w.dilation[k]!));
    const kr = cause.node.valueRanges?.kernel;
    if (kr && w.kernel.every((k) => k === w.kernel[0]) && w.stride.every((s) => s === w.stride[0]) && w.dilation.every((d) => d === 1)) {
      fixes.push({ title: `Set the kernel to ${w.stride[0]} so the windows tile the input`, edits: [{ range: kr, newText: String(w.stride[0]) }] });
    }
    return { why: `its stride ${w.stride[a]} is larger than its ${effectiveExtent(w.kernel[a]!, w.dilation[a]!)}-pixel window, so the pixels between windows are skipped`, fixes };
  }
  if (cause.node.spec.op === 'crop' && inputSize) return { why: `it keeps a ${sizeText(cause.size)} crop of its ${sizeText(inputSize)} input`, fixes };
  if (dropped && dropped.some((d) => d > 0)) {
    return { why: `floor division leaves its last ${describeCounts(dropped)} unread (see RFL006 for input sizes that avoid it)`, fixes };
  }
  return { why: '', fixes };
}


function deadPixelFinding(analysis: ModelAnalysis, finals: string[]): Finding | null {
  const shape = analysis.input;
  // Layers whose fields are one product term each cover every pixel when no axis count is zero: nothing to look for.
  const counts = finals.map((id) => analysis.axisCounts(id));
  if (counts.some((c) => c !== null && c.every((axis) => axis.every((v) => v > 0)))) return null;
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
  const f = finding(
    'RFL001',
    `${dead.length} of ${total} input pixels (${percentText(dead.length / total)}) reach no unit of ${listNames(analysis, finals)}: ${describePixels(mask, shape)}.${where}`,
    first ? rangeOfRole(first.node, 'stride') : null,
    first?.node.id ?? finals[0] ?? null,
    fixes,
  );
  f.data = {
    code: 'RFL001',
    deadPixels: dead.length,
    totalPixels: total,
    runs: indexRuns(dead),
    losses: reasons.map(({ g, lost }) => ({ layer: g.node.id, pixels: lost.length })),
  };
  // The other layers that lose pixels, and the layer that misses them all.
  const related = reasons.slice(1).map(({ g, lost, why }) => ({
    range: rangeOfRole(g.node, 'stride'),
    layer: g.node.id,
    message: `${lost.length} more pixels are first lost here${why ? `: ${why}` : ''}`,
  }));
  for (const id of finals) {
    const node = analysis.geometry.byId.get(id)?.node;
    if (node && node.id !== first?.node.id) related.push({ range: rangeOfRole(node), layer: id, message: `${dead.length} pixels reach no unit of ${node.name}` });
  }
  if (related.length) f.related = related;
  return f;
}


export const deadPixelsRule: FindingRule = {
  code: 'RFL001',
  stage: 'maps',
  needsMaps: true,
  run: ({ analysis, finals }) => {
    const f = finals.length ? deadPixelFinding(analysis, finals) : null;
    return f ? [f] : [];
  },
};
