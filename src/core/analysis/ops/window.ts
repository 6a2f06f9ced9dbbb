/** Sliding windows: convolutions, pools and locally connected layers, and transposed convolutions. */
import { sizeText } from '../../graph/display';
import type { PadMode, Padding, Window, WindowCount } from '../../graph/ir';
import { effectiveExtent } from '../../graph/window';
import { TransposedRule, WindowRule, type AxisRule } from '../axisRules';
import { MAX_AXIS } from '../limits';
import { arraysFit, firstInput, perAxisText, RESAMPLING_LAYER, windowParamsSane, type OpContext, type OpDefinition, type OpShape, type SpecOf } from './op';

/** Output size of a sliding window, with ceil mode dropping a window that starts in the trailing padding. */
export function windowOutputSize(
  n: number,
  effectiveKernel: number,
  stride: number,
  before: number,
  after: number,
  ceil: Window['ceil'],
  anyPadding: boolean,
  count: WindowCount = 'floor',
): number {
  if (count === 'darknet-local') {
    // local_layer.c: h -= pad ? 1 : size; return h/stride + 1 (C division)
    return Math.max(0, Math.trunc((n - (before > 0 ? 1 : effectiveKernel)) / stride) + 1);
  }
  const span = n + before + after - effectiveKernel;
  // A negative span leaves no window when rounding down; rounding up (ceil mode) or
  // toward zero (C division) still starts one window inside a too-small input.
  const div = ceil ? Math.ceil(span / stride) : count === 'c' ? Math.trunc(span / stride) : Math.floor(span / stride);
  let out = div + 1;
  if (ceil && (ceil === 'always' || anyPadding) && (out - 1) * stride >= n + before) out--;
  return Math.max(out, 0);
}

/**
 * Resolves 'same' padding for one axis. TensorFlow's rule: total =
 * max((ceil(n/s) - 1)*s + e - n, 0), the odd pixel after (upper) or before (lower).
 */
export function samePadding(n: number, effectiveKernel: number, stride: number, rule: 'upper' | 'lower' | 'torch'): [number, number] {
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + effectiveKernel - n, 0);
  const small = Math.floor(total / 2);
  return rule === 'lower' ? [total - small, small] : [small, total - small];
}

/** Checks a window's parameters against the rank and the limits; null (with a finding) when they do not fit. */
function checkedWindow(ctx: OpContext, w: Window, extra: number[] = []): Window | null {
  const { rank, node } = ctx;
  const padding: Padding = w.padding;
  if (!arraysFit(rank, w.kernel, w.stride, w.dilation) || (padding.kind === 'explicit' && !arraysFit(rank, padding.before, padding.after))) {
    return ctx.fail(`${node.name}: kernel, stride, dilation or padding do not have ${rank} entries.`);
  }
  if (!windowParamsSane(w.kernel, w.stride, w.dilation, [...(padding.kind === 'explicit' ? [...padding.before, ...padding.after] : []), ...extra])) {
    return ctx.fail(
      `${node.name}: kernel ${sizeText(w.kernel)}, stride ${sizeText(w.stride)}, dilation ${sizeText(w.dilation)} are not all whole numbers from 1 to ${MAX_AXIS} (padding from 0) with a window of at most ${MAX_AXIS}.`,
    );
  }
  return w;
}

function slidingShape(ctx: OpContext<SpecOf<'conv'> | SpecOf<'pool'>>): OpShape | null {
  const { spec, node, rank, options } = ctx;
  const src = firstInput(ctx);
  if (!src) return null;
  const w = checkedWindow(ctx, spec.sliding);
  if (!w) return null;
  const padding = w.padding;
  const before: number[] = [];
  const after: number[] = [];
  for (let a = 0; a < rank; a++) {
    if (padding.kind === 'explicit') {
      before.push(padding.before[a]!);
      after.push(padding.after[a]!);
    } else {
      const [b, c] = samePadding(src.size[a]!, effectiveExtent(w.kernel[a]!, w.dilation[a]!), w.stride[a]!, padding.rule);
      before.push(b);
      after.push(c);
    }
  }
  if (padding.kind === 'same' && padding.rule === 'torch' && w.stride.some((s) => s > 1)) {
    ctx.warn(`${node.name}: PyTorch rejects padding='same' with a stride above 1.`);
  }
  const anyPadding = before.some((p) => p > 0) || after.some((p) => p > 0);
  const size: number[] = [];
  for (let a = 0; a < rank; a++) {
    size.push(windowOutputSize(src.size[a]!, effectiveExtent(w.kernel[a]!, w.dilation[a]!), w.stride[a]!, before[a]!, after[a]!, w.ceil, anyPadding, w.count));
  }
  if (size.some((s) => s <= 0)) {
    return ctx.fail(
      `${node.name}: its ${sizeText(w.kernel)} window does not fit the ${sizeText(src.size)} input with padding ${sizeText(before)}/${sizeText(after)}; the layers after it cannot be analysed at this input size.`,
    );
  }
  // The padding what-if changes convolutions only: no framework pads a pool by copying.
  const padMode: PadMode = spec.op === 'conv' ? (options.padModeOverride ?? w.padMode) : 'zeros';
  if (padMode === 'reflect' && before.some((p, a) => Math.max(p, after[a]!) >= src.size[a]!)) {
    ctx.warn(`${node.name}: reflect padding must be smaller than the input (${sizeText(src.size)}).`);
  }
  const rules = () => [
    size.map((n, a) => new WindowRule(src.size[a]!, n, w.kernel[a]!, w.stride[a]!, w.dilation[a]!, before[a]!, after[a]!, padMode) as AxisRule),
  ];
  return { size, spatial: src.spatial, rules, padBefore: before, padAfter: after };
}

function windowSummary(w: Window): string[] {
  const parts = [`k${perAxisText(w.kernel)}`, `s${perAxisText(w.stride)}`];
  if (w.dilation.some((d) => d !== 1)) parts.push(`d${perAxisText(w.dilation)}`);
  if (w.padding.kind === 'same') parts.push(`same(${w.padding.rule})`);
  else {
    const { before, after } = w.padding;
    if (before.some((p) => p > 0) || after.some((p) => p > 0)) {
      parts.push(before.every((p, a) => p === after[a]) ? `p${perAxisText(before)}` : `p${perAxisText(before)}/${perAxisText(after)}`);
    }
  }
  if (w.padMode !== 'zeros') parts.push(w.padMode);
  if (w.ceil) parts.push('ceil');
  return parts;
}

export const convOp: OpDefinition<SpecOf<'conv'>> = {
  ...RESAMPLING_LAYER,
  shape: slidingShape,
  summary: (spec) => windowSummary(spec.sliding).join(' '),
};

export const poolOp: OpDefinition<SpecOf<'pool'>> = {
  ...RESAMPLING_LAYER,
  shape: slidingShape,
  summary: (spec) => `${spec.pool} ${windowSummary(spec.sliding).join(' ')}`,
};

/**
 * Transposed convolution: input i writes outputs i*s - before + t*d. 'same'
 * (Keras Conv2DTranspose, ONNX auto_pad) gives n*s outputs and takes
 * e - s of padding, the odd one after (upper) or before (lower).
 */
export const convTransposeOp: OpDefinition<SpecOf<'convtranspose'>> = {
  ...RESAMPLING_LAYER,
  shape(ctx) {
    const { spec, node, rank } = ctx;
    const src = firstInput(ctx);
    if (!src) return null;
    if (!arraysFit(rank, spec.outputPadding)) return ctx.fail(`${node.name}: transposed convolution parameters do not have ${rank} entries.`);
    const w = checkedWindow(ctx, spec.sliding, spec.outputPadding);
    if (!w) return null;
    const before: number[] = [];
    const size: number[] = [];
    for (let a = 0; a < rank; a++) {
      const n = src.size[a]!;
      const e = effectiveExtent(w.kernel[a]!, w.dilation[a]!);
      const s = w.stride[a]!;
      if (w.padding.kind === 'same') {
        const total = Math.max(e - s + spec.outputPadding[a]!, 0);
        const small = Math.floor(total / 2);
        before.push(w.padding.rule === 'lower' ? total - small : small);
        size.push(n * s);
      } else {
        before.push(w.padding.before[a]!);
        size.push((n - 1) * s - w.padding.before[a]! - w.padding.after[a]! + e + spec.outputPadding[a]!);
      }
    }
    if (size.some((s) => s <= 0)) return ctx.fail(`${node.name}: the transposed convolution gives an empty output for a ${sizeText(src.size)} input.`);
    const rules = () => [size.map((n, a) => new TransposedRule(src.size[a]!, n, w.kernel[a]!, w.stride[a]!, w.dilation[a]!, before[a]!) as AxisRule)];
    return { size, spatial: src.spatial, rules };
  },
  summary: (spec) => windowSummary(spec.sliding).join(' '),
};
