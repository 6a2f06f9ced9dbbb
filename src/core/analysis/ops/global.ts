/** The input, layers whose every unit reads every pixel (global pooling, dense, flatten), and constants. */
import { sizeText } from '../../graph/display';
import { GlobalRule, type AxisRule } from '../axisRules';
import { MAX_AXIS } from '../limits';
import { firstInput, type OpContext, type OpDefinition, type OpShape, type SpecOf } from './op';

export const inputOp: OpDefinition<SpecOf<'input'>> = {
  singleInput: false,
  resamples: false,
  flat: 'first-input',
  sameMap: 'never',
  shape(ctx) {
    const { networkInput: input, rank } = ctx;
    if (input.length !== rank || input.some((n) => !(n >= 1 && n <= MAX_AXIS && Number.isInteger(n)))) {
      return ctx.fail(`The input size ${sizeText(input)} is not ${rank} whole numbers between 1 and ${MAX_AXIS}.`);
    }
    return { size: input.slice(), spatial: true, rules: () => [] };
  },
  summary: () => '',
};

function globalShape(ctx: OpContext): OpShape | null {
  if (!firstInput(ctx)) return null;
  const rules = () => ctx.inputs.map((g) => g.size.map((n) => new GlobalRule(n) as AxisRule));
  return { size: new Array<number>(ctx.rank).fill(1), spatial: false, rules };
}

/** A global pool keeps a 1x1 map (flat stays as its input's); dense and flatten remove the spatial axes. */
export const globalPoolOp: OpDefinition<SpecOf<'globalPool'>> = {
  singleInput: false,
  resamples: false,
  flat: 'first-input',
  sameMap: 'one-unit',
  shape: globalShape,
  summary: () => '',
};

export const denseOp: OpDefinition<SpecOf<'dense'>> = { ...globalPoolOp, flat: 'always' } as OpDefinition<SpecOf<'dense'>>;
export const flattenOp: OpDefinition<SpecOf<'flatten'>> = { ...globalPoolOp, flat: 'always' } as OpDefinition<SpecOf<'flatten'>>;

/** A value that does not depend on the pixels (Caffe's PriorBox). */
export const constantOp: OpDefinition<SpecOf<'constant'>> = {
  singleInput: false,
  resamples: false,
  flat: 'always',
  sameMap: 'never',
  shape: (ctx) => ({ size: new Array<number>(ctx.rank).fill(1), spatial: false, rules: () => [] }),
  summary: () => '',
};
