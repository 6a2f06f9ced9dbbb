/** RFL003: a kernel its stride does not divide covers input pixels unevenly (a checkerboard). */
import { finding, type Finding, type FindingFix } from '../../graph/finding';
import { rangeOfRole } from '../../graph/ir';
import { numberText, percentText } from '../../graph/display';
import { effectiveExtent } from '../../graph/window';
import type { NodeGeometry } from '../geometry';
import type { ModelAnalysis } from '../modelAnalysis';
import type { FindingRule } from './rule';
import { nameOf } from './text';

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
      extent = kernel.map((k, a) => effectiveExtent(k, spec.sliding.dilation[a]!));
    } else if (spec.op === 'convtranspose') {
      kernel = spec.sliding.kernel;
      stride = spec.sliding.stride;
      dilation = spec.sliding.dilation;
      extent = kernel.map((k, a) => effectiveExtent(k, spec.sliding.dilation[a]!));
    }
    const a = stride && extent ? stride.findIndex((s, k) => s > 1 && extent![k]! > s && extent![k]! % s !== 0) : -1;
    const tail =
      finalRipple !== null && finals[0] !== g.node.id ? `; at ${nameOf(analysis, finals[0]!)} the ripple is ${numberText(finalRipple)}` : '';
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
    const f = finding(
        'RFL003',
        `${g.node.name}: ${cause} covers some input pixels more often than others (ripple ${numberText(ripple)}${
          inherited < 1 ? `, down from ${numberText(inherited)}` : ''
        }: the least covered get ${percentText(ripple)} of the most covered), a checkerboard in the coverage${tail}. A kernel that the stride divides samples evenly.`,
        rangeOfRole(g.node, 'stride'),
        g.node.id,
        fixes,
      );
    const period = analysis.fields.get(g.node.id)?.period?.in ?? null;
    f.data = { code: 'RFL003', ripple, inherited, finalRipple, period, causedHere: a >= 0 };
    if (finals[0] && finals[0] !== g.node.id && finalRipple !== null) {
      const node = analysis.geometry.byId.get(finals[0])!.node;
      f.related = [{ range: rangeOfRole(node), layer: node.id, message: `ripple ${numberText(finalRipple)} remains at ${node.name}` }];
    }
    out.push(f);
  }
  return out;
}


export const rippleRule: FindingRule = {
  code: 'RFL003',
  stage: 'maps',
  needsMaps: false,
  run: ({ analysis, finals }) => rippleFindings(analysis, finals),
};
