/** Layers that change the grid without a kernel: upsampling, pixel shuffles, space-to-depth, crops. */
import { sizeText } from '../../graph/display';
import { EmptyRule, LinearRule, NearestRule, PjreddieReorgRule, resizeCoordinate, ShiftRule, WindowRule, type AxisRule } from '../axisRules';
import { MAX_AXIS } from '../limits';
import { firstInput, perAxisText, RESAMPLING_LAYER, type OpDefinition, type SpecOf } from './op';

const wholeFactor = (f: number) => Number.isInteger(f) && f >= 1 && f <= MAX_AXIS;

export const upsampleOp: OpDefinition<SpecOf<'upsample'>> = {
  ...RESAMPLING_LAYER,
  // a second input may lend its size (size 'reference'); it carries no paths
  singleInput: false,
  shape(ctx) {
    const { spec, node, inputs } = ctx;
    const src = firstInput(ctx);
    if (!src) return null;
    const ref = inputs[1];
    if (spec.size === 'reference' && !ref) return ctx.fail(`${node.name}: the upsampling takes its size from a second input, which is missing.`);
    const target = spec.size === 'reference' ? ref!.size : spec.size;
    const size = src.size.map((n, a) => (target ? target[a]! : Math.floor(n * (spec.scale?.[a] ?? 1))));
    if (size.some((s) => !(s > 0))) return ctx.fail(`${node.name}: the upsampling gives an empty output.`);
    const rules = () => {
      const list = [size.map((nOut, a) => {
        const nIn = src.size[a]!;
        const f = spec.size ? 0 : (spec.scale?.[a] ?? 1);
        if (spec.coordinates) {
          // input units per output unit: 1/scale when a scale is given (ONNX and PyTorch use it, not the size ratio), else nIn/nOut
          const inPerOut = (f > 0 ? inverseFraction(f) : null) ?? [nIn, nOut];
          const { a: num, b, c } = resizeCoordinate(spec.coordinates, nIn, nOut, inPerOut);
          if (spec.mode === 'bilinear') return new LinearRule(nIn, nOut, false, { a: num, b, c }) as AxisRule;
          return new NearestRule(nIn, nOut, num, c, b, spec.rounding ?? 'floor') as AxisRule;
        }
        if (spec.mode === 'bilinear') return new LinearRule(nIn, nOut, spec.alignCorners) as AxisRule;
        // With an integer scale the source index is floor(o / scale); otherwise floor(o * nIn / nOut).
        return (Number.isInteger(f) && f > 0 ? new NearestRule(nIn, nOut, 1, f) : new NearestRule(nIn, nOut, nIn, nOut)) as AxisRule;
      })];
      // an input that lends its size reads nothing
      for (const extra of inputs.slice(1)) if (extra) list.push(size.map((n, a) => new EmptyRule(extra.size[a]!, n) as AxisRule));
      return list;
    };
    return { size, spatial: src.spatial, rules };
  },
  summary: (s) => `${s.mode} ${s.size === 'reference' ? "to the second input's size" : s.size ? `to ${sizeText(s.size)}` : `x${perAxisText(s.scale ?? [1])}`}`,
};

/**
 * 1/x as a fraction [num, den] when x is one with a small denominator (1.5 is
 * 3/2, 0.25 is 1/4): the continued fraction of x, to double precision. Null
 * for a scale that is no simple fraction; the caller then uses the sizes.
 */
function inverseFraction(x: number): [number, number] | null {
  let h0 = 0, h1 = 1, k0 = 1, k1 = 0;
  let v = x;
  for (let step = 0; step < 32; step++) {
    const q = Math.floor(v);
    [h0, h1] = [h1, q * h1 + h0];
    [k0, k1] = [k1, q * k1 + k0];
    if (h1 > MAX_AXIS || k1 > MAX_AXIS) return null;
    if (Math.abs(h1 / k1 - x) <= 1e-12 * Math.max(1, x)) return [k1, h1];
    const rest = v - q;
    if (rest < 1e-12) return null;
    v = 1 / rest;
  }
  return null;
}

export const pixelShuffleOp: OpDefinition<SpecOf<'pixelShuffle'>> = {
  ...RESAMPLING_LAYER,
  shape(ctx) {
    const { spec, node } = ctx;
    const src = firstInput(ctx);
    if (!src) return null;
    if (!spec.factor.every(wholeFactor)) return ctx.fail(`${node.name}: the upscale factor ${sizeText(spec.factor)} is not a whole number from 1 to ${MAX_AXIS}.`);
    const size = src.size.map((n, a) => n * spec.factor[a]!);
    return { size, spatial: src.spatial, rules: () => [size.map((n, a) => new NearestRule(src.size[a]!, n, 1, spec.factor[a]!) as AxisRule)] };
  },
  summary: (s) => `x${perAxisText(s.factor)}`,
};

export const spaceToDepthOp: OpDefinition<SpecOf<'spaceToDepth'>> = {
  ...RESAMPLING_LAYER,
  shape(ctx) {
    const { spec, node, rank } = ctx;
    const src = firstInput(ctx);
    if (!src) return null;
    if (!spec.block.every(wholeFactor)) return ctx.fail(`${node.name}: the block ${sizeText(spec.block)} is not a whole number from 1 to ${MAX_AXIS}.`);
    const size = src.size.map((n, a) => Math.floor(n / spec.block[a]!));
    if (size.some((s) => s <= 0)) return ctx.fail(`${node.name}: a ${sizeText(src.size)} input is smaller than the ${sizeText(spec.block)} block.`);
    let layout = spec.layout;
    if (layout !== 'clean' && src.size.some((n, a) => n % spec.block[a]! !== 0)) {
      ctx.warn(
        `${node.name}: Darknet's reorg needs a size divisible by its stride (got ${sizeText(src.size)}); it would read out of place, shown here as a clean space-to-depth.`,
      );
      layout = 'clean';
    }
    if (layout !== 'clean' && rank !== 2) layout = 'clean';
    const rules = () => [
      size.map((nOut, a) => {
        const b = spec.block[a]!;
        const nIn = src.size[a]!;
        // [reorg] gathers rows (axis 0 of H, W) around each block, wrapping at the border, and keeps columns clean.
        if (layout === 'darknet-reorg' && a === 0) return new PjreddieReorgRule(nIn, nOut, b) as AxisRule;
        return new WindowRule(nIn, nOut, b, b, 1, 0, 0, 'zeros') as AxisRule;
      }),
    ];
    return { size, spatial: src.spatial, rules };
  },
  summary: (s) => `block ${perAxisText(s.block)}${s.layout === 'clean' ? '' : ` (${s.layout})`}`,
};

export const cropOp: OpDefinition<SpecOf<'crop'>> = {
  singleInput: false,
  resamples: true,
  flat: 'first-input',
  sameMap: 'never',
  shape(ctx) {
    const { spec, node, rank, inputs } = ctx;
    const src = firstInput(ctx);
    if (!src) return null;
    const ref = inputs[1];
    const size: number[] = [];
    for (let a = 0; a < rank; a++) {
      const s = spec.size[a];
      if (s === 'reference') {
        if (!ref) return ctx.fail(`${node.name}: the crop takes its size from a second input, which is missing.`);
        size.push(ref.size[a]!);
      } else if (s === 'keep' || s === undefined) size.push(src.size[a]!);
      else if (typeof s === 'object') {
        const o = spec.offset === 'center' ? 0 : spec.offset[a]!;
        size.push(src.size[a]! - o - s.trimEnd);
        if (size[a]! <= 0) return ctx.fail(`${node.name}: cutting ${o} and ${s.trimEnd} pixels leaves nothing of the ${sizeText(src.size)} input.`);
      } else size.push(s);
    }
    const offset = size.map((n, a) => (spec.offset === 'center' ? Math.trunc((src.size[a]! - n) / 2) : spec.offset[a]!));
    if (offset.some((o, a) => o < 0 || o + size[a]! > src.size[a]!)) {
      return ctx.fail(`${node.name}: a ${sizeText(size)} crop at offset ${sizeText(offset)} does not fit the ${sizeText(src.size)} input.`);
    }
    const rules = () => {
      const list = [size.map((n, a) => new ShiftRule(src.size[a]!, n, offset[a]!) as AxisRule)];
      // The reference input only lends its size: it carries no paths.
      if (ref) list.push(size.map((n, a) => new EmptyRule(ref.size[a]!, n) as AxisRule));
      return list;
    };
    return { size, spatial: src.spatial, rules };
  },
  summary: (s) => (s.offset === 'center' ? 'centre' : `offset ${s.offset.join(',')}`),
};
