/** RFL005: 'same' or a format's default padding that pads one side more than the other at this input size. */
import { finding, type Finding } from '../../graph/finding';
import { rangeOfRole } from '../../graph/ir';
import { sizeText } from '../../graph/display';
import { lastTapIndex } from '../../graph/window';
import type { ModelAnalysis } from '../modelAnalysis';
import type { FindingRule } from './rule';
import { inputSizeOf } from './rows';
import { AXIS_NAMES } from './text';

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
      const lastTap = lastTapIndex(g.size[a]!, w.stride[a]!, g.padBefore![a]!, w.kernel[a]!, w.dilation[a]!);
      return [g.padBefore![a]!, Math.max(0, Math.min(g.padAfter![a]!, lastTap - (n - 1)))] as [number, number];
    });
    const axes = used.map(([b, c], a) => (b !== c ? a : -1)).filter((a) => a >= 0);
    if (axes.length === 0) continue;
    const names = AXIS_NAMES[analysis.input.length]!;
    const [b, c] = used[axes[0]!]!;
    const f = finding(
        'RFL005',
        `${g.node.name}: ${rule} pads ${b} before and ${c} after along the ${axes.map((a) => names[a]).join(' and ')} of its ${sizeText(
          inputSize,
        )} input, so its windows sit half a pixel off centre towards the ${b > c ? 'start' : 'end'} and the two borders are treated differently.`,
        rangeOfRole(g.node, 'padding', 'kernel'),
        g.node.id,
      );
    f.data = { code: 'RFL005', before: used.map(([x]) => x), after: used.map(([, y]) => y), axes };
    out.push(f);
  }
  return out;
}


export const asymmetricPaddingRule: FindingRule = {
  code: 'RFL005',
  stage: 'fields',
  needsMaps: false,
  run: ({ analysis }) => asymmetricFindings(analysis),
};
