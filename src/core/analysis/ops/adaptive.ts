/** Adaptive pooling: a fixed output size, PyTorch's start/end windows (not a sliding window). */
import { sizeText } from '../../graph/display';
import { AdaptiveRule, type AxisRule } from '../axisRules';
import { MAX_AXIS } from '../limits';
import { firstInput, RESAMPLING_LAYER, type OpDefinition, type SpecOf } from './op';

export const adaptivePoolOp: OpDefinition<SpecOf<'adaptivePool'>> = {
  ...RESAMPLING_LAYER,
  shape(ctx) {
    const { spec, node, rank } = ctx;
    const src = firstInput(ctx);
    if (!src) return null;
    if (spec.output.length !== rank) return ctx.fail(`${node.name}: the output size ${spec.output.join('x')} does not have ${rank} entries.`);
    // None (null) keeps the input's size on that axis, as PyTorch does.
    const size = spec.output.map((n, a) => n ?? src.size[a]!);
    if (!size.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_AXIS)) {
      return ctx.fail(`${node.name}: the output size ${sizeText(size)} is not whole numbers from 1 to ${MAX_AXIS}.`);
    }
    return { size, spatial: src.spatial, rules: () => [size.map((n, a) => new AdaptiveRule(src.size[a]!, n) as AxisRule)] };
  },
  summary: (s) => `${s.pool} to ${s.output.map((n) => n ?? '-').join('x')}`,
};
