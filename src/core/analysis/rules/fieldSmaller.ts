/** RFL004: the last spatial layer's field is smaller than the input. */
import { finding, type Finding } from '../../graph/finding';
import { rangeOfRole } from '../../graph/ir';
import { sizeText } from '../../graph/display';
import type { ModelAnalysis } from '../modelAnalysis';
import type { FindingRule } from './rule';

function fieldFindings(analysis: ModelAnalysis, finals: string[]): Finding[] {
  const out: Finding[] = [];
  for (const id of finals) {
    const field = analysis.fields.get(id);
    const g = analysis.geometry.byId.get(id);
    if (!field || !g || field.size.some((r) => r === 0)) continue;
    if (!field.size.some((r, a) => r < analysis.input[a]!)) continue;
    const f = finding(
        'RFL004',
        `Each unit of ${g.node.name} sees at most ${sizeText(field.size)} pixels of the ${sizeText(analysis.input)} input${
          field.global ? ' (and a global summary of all of it, through global pooling or a squeeze-and-excitation gate)' : ''
        }: no unit can relate content further apart than its field${field.global ? ' except through that summary' : ''}.`,
        rangeOfRole(g.node),
        id,
      );
    f.data = { code: 'RFL004', field: field.size.slice(), input: analysis.input.slice() };
    out.push(f);
  }
  return out;
}


export const fieldSmallerRule: FindingRule = {
  code: 'RFL004',
  stage: 'fields',
  needsMaps: false,
  run: ({ analysis, finals }) => fieldFindings(analysis, finals),
};
