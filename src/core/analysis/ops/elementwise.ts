/** Layers that keep the grid: activations and norms, unresolved layers, normalisations over the whole map. */
import { AllRule, EmptyRule, ShiftRule, type AxisRule } from '../axisRules';
import { firstInput, type OpContext, type OpDefinition, type OpShape, type SpecOf } from './op';

function identityShape(ctx: OpContext): OpShape | null {
  const { inputs } = ctx;
  const src = firstInput(ctx);
  if (!src) return null;
  // The other inputs of an unresolved layer are still its inputs: keep the paths of those of its size.
  const rules = () =>
    inputs.map((g) =>
      g === src || g.size.every((n, a) => n === src.size[a])
        ? src.size.map((n) => new ShiftRule(n, n, 0) as AxisRule)
        : src.size.map((n, a) => new EmptyRule(g.size[a]!, n) as AxisRule),
    );
  return { size: src.size.slice(), spatial: src.spatial, rules };
}

export const pointwiseOp: OpDefinition<SpecOf<'pointwise'>> = {
  singleInput: true,
  resamples: false,
  flat: 'first-input',
  sameMap: 'always',
  shape: identityShape,
  summary: (s) => s.kind,
};

/** A layer the reader could not resolve: the identity of its first input (a finding says so). */
export const unknownOp: OpDefinition<SpecOf<'unknown'>> = {
  singleInput: false,
  resamples: false,
  flat: 'first-input',
  sameMap: 'always',
  shape: identityShape,
  summary: (s) => s.reason,
};

/** A position plus the statistics of the whole map (SSD's Normalize, Caffe's MVN): the input is listed twice. */
export const normalizeOp: OpDefinition<SpecOf<'normalize'>> = {
  singleInput: false,
  resamples: false,
  flat: 'first-input',
  sameMap: 'never',
  shape(ctx) {
    const src = firstInput(ctx);
    if (!src) return null;
    // Read twice: position by position, and whole (the map's statistics).
    const rules = () => ctx.inputs.map((g, k) => src.size.map((n, a) => (k === 0 ? new ShiftRule(n, n, 0) : new AllRule(g.size[a]!, n)) as AxisRule));
    return { size: src.size.slice(), spatial: src.spatial, rules };
  },
  summary: (s) => s.kind,
};
