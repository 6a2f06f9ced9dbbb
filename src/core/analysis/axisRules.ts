import type { NearestRounding, PadMode, ResizeCoordinates } from '../graph/ir';

/**
 * What one layer does along one spatial axis, as index arithmetic: for an
 * output unit, the input units it reads and with what weight (every kernel
 * weight is 1, pools are sums, upsampling copies).
 *
 * Two views of the same rule:
 * - `virtual` is the rule on an unbounded axis: indices run over all integers,
 *   padding positions are units like any other and nothing is clamped. The
 *   theoretical receptive field (size, jump, start) and the ripple of an
 *   unbounded input are measured in it.
 * - `real` is what the layer computes on the actual input: zero padding reads
 *   nothing, reflect/replicate/circular padding read the pixel they copy,
 *   interpolation clamps at the border. Path counts and coverage use it.
 */
export interface AxisRule {
  readonly nIn: number;
  readonly nOut: number;
  /**
   * The rule repeats: virtual(o + periodOut) = virtual(o) + periodIn.
   * periodIn is 0 for a broadcast; periodOut is 0 when the rule has no period.
   */
  readonly periodOut: number;
  readonly periodIn: number;
  /** True when every output reads the whole input (global pooling, dense, a broadcast gate). */
  readonly global?: boolean;
  /**
   * False when the virtual taps of consecutive outputs do not move forward
   * together (a gather); then the taps of a range of outputs are not bounded
   * by those of its two ends.
   */
  readonly scrambled?: boolean;
  virtual(o: number, sink: TapSink): void;
  real(o: number, sink: TapSink): void;
  /** An upper bound of the taps one output reads (the work estimates). */
  readonly tapsPerUnit: number;
  /** True when the rule copies input i to output i, so values and fields pass through unchanged. */
  readonly identity: boolean;
  /** True when the rule reads nothing: an input that only lends its shape (Caffe Crop's reference blob). */
  readonly readsNothing: boolean;
  /**
   * The map engine's fast path: runs of outputs that each read input
   * o*stride + offset with weight 1 (one run per kernel tap of a window);
   * the real taps outside them come from residual(). Empty when the rule has
   * no such runs (resampling, gathers).
   */
  readonly bandTaps: ReadonlyArray<{ stride: number; offset: number }>;
  /** The real taps of output o that bandTaps do not cover (all of them when there are no bands). */
  residual(o: number, sink: TapSink): void;
  /**
   * Set when the bands are consecutive offsets at stride 1 (a stride-1,
   * undilated window): input i then receives outputs i - offMax .. i - offMin,
   * a sliding sum.
   */
  readonly slidingRun: { offMin: number; offMax: number } | null;
}

/** Defaults of the fast-path members: no bands, every real tap is residual. */
abstract class RuleBase {
  readonly identity: boolean = false;
  readonly readsNothing: boolean = false;
  readonly bandTaps: ReadonlyArray<{ stride: number; offset: number }> = [];
  readonly slidingRun: { offMin: number; offMax: number } | null = null;
  abstract real(o: number, sink: TapSink): void;
  residual(o: number, sink: TapSink): void {
    this.real(o, sink);
  }
}

/** A reusable list of (input index, weight) pairs. */
export class TapSink {
  idx = new Float64Array(16);
  w = new Float64Array(16);
  length = 0;
  reset(): void {
    this.length = 0;
  }
  push(i: number, w: number): void {
    if (this.length === this.idx.length) {
      const idx = new Float64Array(this.length * 2);
      const wt = new Float64Array(this.length * 2);
      idx.set(this.idx);
      wt.set(this.w);
      this.idx = idx;
      this.w = wt;
    }
    this.idx[this.length] = i;
    this.w[this.length] = w;
    this.length++;
  }
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

export function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Where a padded position's value comes from under each padding mode (PyTorch's definitions). */
export function paddedSource(i: number, n: number, mode: PadMode): number {
  switch (mode) {
    case 'reflect': {
      if (n === 1) return 0;
      const p = 2 * (n - 1);
      const m = mod(i, p);
      return m < n ? m : p - m;
    }
    case 'replicate':
      return i < 0 ? 0 : n - 1;
    case 'circular':
      return mod(i, n);
    case 'zeros':
      return -1;
  }
}

/** Convolution, pooling and locally connected layers: output o reads o*s - before + t*d. */
export class WindowRule extends RuleBase implements AxisRule {
  readonly periodOut = 1;
  readonly periodIn: number;
  override readonly identity: boolean;
  override readonly bandTaps: ReadonlyArray<{ stride: number; offset: number }>;
  override readonly slidingRun: { offMin: number; offMax: number } | null;
  readonly tapsPerUnit: number;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
    readonly kernel: number,
    readonly stride: number,
    readonly dilation: number,
    readonly before: number,
    readonly after: number,
    readonly padMode: PadMode,
  ) {
    super();
    this.periodIn = stride;
    this.tapsPerUnit = kernel;
    this.identity = nIn === nOut && kernel === 1 && stride === 1 && before === 0;
    this.bandTaps = Array.from({ length: kernel }, (_, t) => ({ stride, offset: t * dilation - before }));
    this.slidingRun = stride === 1 && dilation === 1 ? { offMin: -before, offMax: kernel - 1 - before } : null;
  }

  virtual(o: number, sink: TapSink): void {
    const base = o * this.stride - this.before;
    for (let t = 0; t < this.kernel; t++) sink.push(base + t * this.dilation, 1);
  }

  /** Taps outside the input: padding copies (reflect, replicate, circular) land on a pixel; zeros read nothing. */
  override residual(o: number, sink: TapSink): void {
    if (this.padMode === 'zeros') return;
    const n = this.nIn;
    const base = o * this.stride - this.before;
    for (let t = 0; t < this.kernel; t++) {
      const i = base + t * this.dilation;
      if ((i < 0 && i >= -this.before) || (i >= n && i < n + this.after)) sink.push(paddedSource(i, n, this.padMode), 1);
    }
  }

  real(o: number, sink: TapSink): void {
    const base = o * this.stride - this.before;
    const n = this.nIn;
    for (let t = 0; t < this.kernel; t++) {
      const i = base + t * this.dilation;
      if (i >= 0 && i < n) sink.push(i, 1);
      // Padded positions copy a pixel unless the padding is zeros; positions past
      // the padding (a ceil-mode window hanging over the edge) read nothing.
      else if (this.padMode !== 'zeros' && i >= -this.before && i < n + this.after) {
        sink.push(paddedSource(i, n, this.padMode), 1);
      }
    }
  }
}

/**
 * Adaptive pooling (PyTorch's adaptive_avg_pool / adaptive_max_pool): output o
 * of nOut over nIn reads start(o) = floor(o*nIn/nOut) .. end(o) - 1 with
 * end(o) = ceil((o+1)*nIn/nOut), each with weight 1 (pools are sums). The
 * windows differ in size by at most one and overlap where nIn/nOut is not a
 * whole number; with nOut > nIn they repeat inputs (upsampling-like). On the
 * unbounded axis the same formula holds for every integer o, which repeats
 * with periodOut = nOut/g units and periodIn = nIn/g pixels (g = gcd). When
 * nOut divides nIn it is a window of kernel = stride = nIn/nOut (bands); when
 * nOut = nIn the identity.
 */
export class AdaptiveRule extends RuleBase implements AxisRule {
  readonly periodOut: number;
  readonly periodIn: number;
  readonly tapsPerUnit: number;
  override readonly identity: boolean;
  override readonly bandTaps: ReadonlyArray<{ stride: number; offset: number }>;
  /** nIn / nOut when it is a whole number (the windows are then bands), else 0 */
  private readonly uniform: number;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
  ) {
    super();
    const g = gcd(nIn, nOut) || 1;
    this.periodOut = nOut / g;
    this.periodIn = nIn / g;
    this.tapsPerUnit = Math.ceil(nIn / nOut) + 1;
    this.identity = nIn === nOut;
    this.uniform = nIn % nOut === 0 ? nIn / nOut : 0;
    const k = this.uniform;
    this.bandTaps = k ? Array.from({ length: k }, (_, t) => ({ stride: k, offset: t })) : [];
  }

  /** First input of the window of output o. */
  start(o: number): number {
    return floorDiv(o * this.nIn, this.nOut);
  }

  /** One past the last input of the window of output o. */
  end(o: number): number {
    return -floorDiv(-(o + 1) * this.nIn, this.nOut);
  }

  virtual(o: number, sink: TapSink): void {
    const e = this.end(o);
    for (let i = this.start(o); i < e; i++) sink.push(i, 1);
  }

  real(o: number, sink: TapSink): void {
    const e = Math.min(this.end(o), this.nIn);
    for (let i = Math.max(this.start(o), 0); i < e; i++) sink.push(i, 1);
  }

  /** With whole windows the bands cover every tap. */
  override residual(o: number, sink: TapSink): void {
    if (!this.uniform) this.real(o, sink);
  }
}

/** Transposed convolution: input i writes to i*s - before + t*d. */
export class TransposedRule extends RuleBase implements AxisRule {
  readonly periodOut: number;
  readonly periodIn = 1;
  readonly tapsPerUnit: number;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
    readonly kernel: number,
    readonly stride: number,
    readonly dilation: number,
    readonly before: number,
  ) {
    super();
    this.periodOut = stride;
    this.tapsPerUnit = Math.ceil(kernel / stride);
  }

  virtual(o: number, sink: TapSink): void {
    for (let t = 0; t < this.kernel; t++) {
      const num = o + this.before - t * this.dilation;
      if (mod(num, this.stride) === 0) sink.push(num / this.stride, 1);
    }
  }

  real(o: number, sink: TapSink): void {
    for (let t = 0; t < this.kernel; t++) {
      const num = o + this.before - t * this.dilation;
      if (mod(num, this.stride) !== 0) continue;
      const i = num / this.stride;
      if (i >= 0 && i < this.nIn) sink.push(i, 1);
    }
  }
}

/**
 * Nearest-neighbour resampling: output o copies floor(o * num / den), the
 * source index PyTorch and Keras compute from the scale (num/den = 1/scale).
 */
export class NearestRule extends RuleBase implements AxisRule {
  readonly periodOut: number;
  readonly periodIn: number;
  readonly tapsPerUnit = 1;
  /**
   * Output o copies input round((num*o + offset) / den) under `rounding`
   * (floor: PyTorch's nearest and pixel shuffles; the others: ONNX Resize's
   * nearest_mode), clamped to the input on the real axis.
   */
  constructor(
    readonly nIn: number,
    readonly nOut: number,
    readonly num: number,
    readonly den: number,
    readonly offset = 0,
    readonly rounding: NearestRounding = 'floor',
  ) {
    super();
    const g = gcd(num, den) || 1;
    this.periodOut = num === 0 ? 1 : den / g;
    this.periodIn = num / g;
  }

  private source(o: number): number {
    const x = this.num * o + this.offset;
    const d = this.den;
    switch (this.rounding) {
      case 'floor':
        return floorDiv(x, d);
      case 'ceil':
        return -floorDiv(-x, d);
      case 'round_prefer_floor':
        // ceil(x/d - 1/2)
        return -floorDiv(d - 2 * x, 2 * d);
      case 'round_prefer_ceil':
        // floor(x/d + 1/2)
        return floorDiv(2 * x + d, 2 * d);
    }
  }

  virtual(o: number, sink: TapSink): void {
    sink.push(this.source(o), 1);
  }

  real(o: number, sink: TapSink): void {
    sink.push(Math.max(0, Math.min(this.source(o), this.nIn - 1)), 1);
  }
}

/**
 * The source coordinate of output o of a resize as (a*o + b) / c, in whole
 * numbers so ties round exactly: ONNX Resize's coordinate_transformation_mode
 * with `inPerOut` = 1/scale as a fraction (nIn/nOut when the sizes are given).
 */
export function resizeCoordinate(mode: ResizeCoordinates, nIn: number, nOut: number, inPerOut: [number, number]): { a: number; b: number; c: number } {
  const [n, d] = inPerOut;
  switch (mode) {
    case 'align_corners':
      return nOut > 1 ? { a: nIn - 1, b: 0, c: nOut - 1 } : { a: 0, b: 0, c: 1 };
    case 'asymmetric':
      return { a: n, b: 0, c: d };
    case 'tf_half_pixel_for_nn':
      return { a: 2 * n, b: n, c: 2 * d };
    case 'pytorch_half_pixel':
      if (nOut <= 1) return { a: 0, b: 0, c: 1 };
      return { a: 2 * n, b: n - d, c: 2 * d };
    case 'half_pixel':
      return { a: 2 * n, b: n - d, c: 2 * d };
  }
}

/**
 * Linear interpolation (one axis of bilinear/trilinear), in exact rational
 * arithmetic: source position = (a*o + b) / c. With align_corners=False
 * src = (o + 0.5) * nIn/nOut - 0.5; with True src = o * (nIn-1)/(nOut-1).
 * Weights are the interpolation weights, so each output is a copy spread over
 * its two neighbours.
 */
export class LinearRule extends RuleBase implements AxisRule {
  readonly periodOut: number;
  readonly periodIn: number;
  readonly tapsPerUnit = 2;
  private readonly a: number;
  private readonly b: number;
  private readonly c: number;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
    readonly alignCorners: boolean,
    /** the source coordinate (a*o + b) / c when it is not PyTorch's (see resizeCoordinate) */
    coordinate?: { a: number; b: number; c: number },
  ) {
    super();
    if (coordinate) {
      this.a = coordinate.a;
      this.b = coordinate.b;
      this.c = coordinate.c;
    } else if (alignCorners) {
      this.a = nOut > 1 ? nIn - 1 : 0;
      this.b = 0;
      this.c = nOut > 1 ? nOut - 1 : 1;
    } else {
      this.a = 2 * nIn;
      this.b = nIn - nOut;
      this.c = 2 * nOut;
    }
    const g = gcd(this.a, this.c) || 1;
    this.periodOut = this.a === 0 ? 1 : this.c / g;
    this.periodIn = this.a === 0 ? 0 : this.a / g;
  }

  private taps(o: number, sink: TapSink, clamp: boolean): void {
    let num = this.a * o + this.b;
    // PyTorch's area_pixel_compute_source_index clamps a negative source to 0.
    if (clamp && num < 0) num = 0;
    const i0 = floorDiv(num, this.c);
    const frac = num - i0 * this.c;
    const w1 = frac / this.c;
    const w0 = 1 - w1;
    let i1 = i0 + 1;
    if (clamp && i1 > this.nIn - 1) i1 = this.nIn - 1;
    if (i1 === i0) {
      sink.push(i0, 1);
      return;
    }
    if (w0 > 0) sink.push(i0, w0);
    if (w1 > 0) sink.push(i1, w1);
  }

  virtual(o: number, sink: TapSink): void {
    this.taps(o, sink, false);
  }

  real(o: number, sink: TapSink): void {
    this.taps(o, sink, true);
  }
}

/** The taps of one row of a gather table, shifted by `shift` inputs. */
function pushRow(idx: readonly number[], weight: readonly number[], shift: number, sink: TapSink): void {
  for (let t = 0; t < idx.length; t++) sink.push(idx[t]! + shift, weight[t]!);
}

/** Output o of a gather table that repeats every nOut outputs and nIn inputs (the unbounded axis). */
function pushPeriodicRow(idx: readonly number[][], weight: readonly number[][], nOut: number, nIn: number, o: number, sink: TapSink): void {
  const r = mod(o, nOut);
  pushRow(idx[r]!, weight[r]!, ((o - r) / nOut) * nIn, sink);
}

/** A fixed gather: output o reads table[o] (weights included); periodic outside [0, nOut). */
export class TableRule extends RuleBase implements AxisRule {
  readonly scrambled = true;
  readonly periodOut: number;
  readonly periodIn: number;
  readonly tapsPerUnit: number;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
    private readonly idx: number[][],
    private readonly weight: number[][],
  ) {
    super();
    this.tapsPerUnit = nIn;
    this.periodOut = nOut;
    this.periodIn = nIn;
  }

  virtual(o: number, sink: TapSink): void {
    pushPeriodicRow(this.idx, this.weight, this.nOut, this.nIn, o, sink);
  }

  real(o: number, sink: TapSink): void {
    pushRow(this.idx[o]!, this.weight[o]!, 0, sink);
  }
}

/** Output o reads input o + offset (crops, and the identity with offset 0). */
export class ShiftRule extends RuleBase implements AxisRule {
  readonly periodOut = 1;
  readonly periodIn = 1;
  readonly tapsPerUnit = 1;
  override readonly identity: boolean;
  override readonly bandTaps: ReadonlyArray<{ stride: number; offset: number }>;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
    readonly offset: number,
  ) {
    super();
    this.identity = nIn === nOut && offset === 0;
    this.bandTaps = [{ stride: 1, offset }];
  }

  /** The band covers every real tap. */
  override residual(): void {}

  virtual(o: number, sink: TapSink): void {
    sink.push(o + this.offset, 1);
  }

  real(o: number, sink: TapSink): void {
    const i = o + this.offset;
    if (i >= 0 && i < this.nIn) sink.push(i, 1);
  }
}

/** An input of size 1 broadcast to every output (a squeeze-and-excitation gate). */
export class BroadcastRule extends RuleBase implements AxisRule {
  readonly global = true;
  readonly nIn = 1;
  readonly periodOut = 1;
  readonly periodIn = 0;
  readonly tapsPerUnit = 1;
  constructor(readonly nOut: number) {
    super();
  }

  virtual(_o: number, sink: TapSink): void {
    sink.push(0, 1);
  }

  real(_o: number, sink: TapSink): void {
    sink.push(0, 1);
  }
}

/** Every output unit reads every input unit (global pooling, dense, flatten). */
export class GlobalRule extends RuleBase implements AxisRule {
  readonly global = true;
  readonly nOut = 1;
  readonly periodOut = 1;
  readonly periodIn: number;
  readonly tapsPerUnit: number;
  constructor(readonly nIn: number) {
    super();
    this.periodIn = nIn;
    this.tapsPerUnit = nIn;
  }

  virtual(o: number, sink: TapSink): void {
    const base = o * this.nIn;
    for (let i = 0; i < this.nIn; i++) sink.push(base + i, 1);
  }

  real(_o: number, sink: TapSink): void {
    for (let i = 0; i < this.nIn; i++) sink.push(i, 1);
  }
}

/**
 * Darknet shortcut_cpu between maps of different sizes:
 * for i < min(w1, w2): out[i*sample] += add[i*stride], with
 * stride = max(w1/w2, 1) and sample = max(w2/w1, 1) in integer division.
 */
export class DarknetSampleRule extends RuleBase implements AxisRule {
  readonly tapsPerUnit = 1;
  readonly stride: number;
  readonly sample: number;
  readonly periodOut: number;
  readonly periodIn: number;
  private readonly count: number;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
  ) {
    super();
    this.stride = Math.max(Math.trunc(nIn / nOut), 1);
    this.sample = Math.max(Math.trunc(nOut / nIn), 1);
    this.count = Math.min(nIn, nOut);
    this.periodOut = this.sample;
    this.periodIn = this.stride;
  }

  virtual(o: number, sink: TapSink): void {
    if (mod(o, this.sample) === 0) sink.push((o / this.sample) * this.stride, 1);
  }

  real(o: number, sink: TapSink): void {
    if (o % this.sample !== 0) return;
    const i = o / this.sample;
    if (i < this.count && i * this.stride < this.nIn) sink.push(i * this.stride, 1);
  }
}

/**
 * pjreddie/darknet's [reorg] along the height axis, from
 * reorg_cpu(input, w, h, c, batch, s, forward=0, output) called with the
 * input's own dimensions (reorg_layer.c): output element in_index = i + w*(j + h*k)
 * reads input element out_index = w2 + w*s*(h2 + h*s*c2) with w2 = i*s + off%s,
 * h2 = j*s + off/s. Reading both flat indices back as positions of the
 * (w/s, h/s) output and the (w, h) input, with w and h multiples of s:
 * - width: output column ox reads input columns s*ox .. s*ox + s-1 (clean);
 * - height: with t = floor(i / (w/s)), output row oy = (t + s*j) mod (h/s)
 *   reads input row (t + s*s*j + s*q) mod h, q = off/s.
 * Each (t, q, j) is one copy of c/s^2 channels, so with one channel the weight
 * is 1/s^2 and every input row is read with total weight 1, as in a clean
 * space-to-depth.
 *
 * Both reductions wrap together: when t + s*j = oy + m*(h/s), the unreduced
 * input row t + s*s*j + s*q is s*oy + s*q - (s-1)*t + m*h. So each read has
 * an unwrapped row s*oy + s*q - (s-1)*t, between s*oy - (s-1)^2 and
 * s*oy + s*(s-1), around the output's own block of s rows. `real` reads it
 * reduced modulo h (past the last row it lands on the first, as circular
 * padding does); `virtual` reads the unwrapped row, so that size, jump and
 * start are those of a sliding window; with g = gcd(s, h/s) the rows an output
 * reads depend on oy mod g: the rule repeats every g outputs and s*g rows.
 * At s = 2 and an odd h/s, output row oy reads rows 2*oy-1 .. 2*oy+2 (weight
 * 1/2 each); with h/s even, rows 2*oy and 2*oy+2 for an even oy, 2*oy-1 and
 * 2*oy+1 for an odd one (weight 1 each), and no read wraps.
 */
export class PjreddieReorgRule extends RuleBase implements AxisRule {
  readonly periodOut: number;
  readonly periodIn: number;
  /** most input rows one output reads */
  readonly taps: number;
  get tapsPerUnit(): number {
    return this.taps;
  }
  private readonly virtualIdx: number[][] = [];
  private readonly virtualWeight: number[][] = [];
  private readonly realIdx: number[][] = [];
  private readonly realWeight: number[][] = [];
  constructor(
    readonly nIn: number,
    readonly nOut: number,
    readonly stride: number,
  ) {
    super();
    const h = nIn;
    const s = stride;
    const oh = nOut;
    const g = gcd(s, oh);
    this.periodOut = g;
    this.periodIn = s * g;
    const rows = Array.from({ length: oh }, () => new Map<number, number>());
    for (let t = 0; t < s; t++) {
      for (let j = 0; j < h; j++) {
        const raw = t + s * j;
        const oy = raw % oh;
        const m = (raw - oy) / oh;
        for (let q = 0; q < s; q++) {
          const y = t + s * s * j + s * q - m * h;
          const map = rows[oy]!;
          map.set(y, (map.get(y) ?? 0) + 1 / (s * s));
        }
      }
    }
    let taps = 0;
    for (const map of rows) {
      const keys = [...map.keys()].sort((a, b) => a - b);
      this.virtualIdx.push(keys);
      this.virtualWeight.push(keys.map((k) => map.get(k)!));
      const real = new Map<number, number>();
      for (const k of keys) real.set(mod(k, h), (real.get(mod(k, h)) ?? 0) + map.get(k)!);
      const rk = [...real.keys()].sort((a, b) => a - b);
      this.realIdx.push(rk);
      this.realWeight.push(rk.map((k) => real.get(k)!));
      taps = Math.max(taps, keys.length);
    }
    this.taps = taps;
  }

  virtual(o: number, sink: TapSink): void {
    pushPeriodicRow(this.virtualIdx, this.virtualWeight, this.nOut, this.nIn, o, sink);
  }

  real(o: number, sink: TapSink): void {
    pushRow(this.realIdx[o]!, this.realWeight[o]!, 0, sink);
  }
}

/** Reads nothing: an input that only lends its shape (Caffe Crop's reference blob). */
export class EmptyRule extends RuleBase implements AxisRule {
  readonly periodOut = 1;
  readonly periodIn = 0;
  readonly tapsPerUnit = 0;
  override readonly readsNothing = true;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
  ) {
    super();
  }
  virtual(): void {}
  real(): void {}
}

/** Smallest and largest input index the virtual taps of outputs lo..hi read. */
export function virtualTapHull(rule: AxisRule, lo: number, hi: number, sink: TapSink): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  const visit = (o: number) => {
    sink.reset();
    rule.virtual(o, sink);
    for (let t = 0; t < sink.length; t++) {
      const i = sink.idx[t]!;
      if (i < min) min = i;
      if (i > max) max = i;
    }
  };
  if (rule.scrambled || rule.global) {
    for (let o = lo; o <= hi; o++) visit(o);
  } else {
    // Taps move forward with the output: the ends bound the range (a few
    // outputs at each end, since a transposed convolution's output may read nothing).
    const span = Math.max(1, rule.periodOut);
    for (let o = lo; o <= Math.min(hi, lo + span); o++) visit(o);
    for (let o = Math.max(lo, hi - span); o <= hi; o++) visit(o);
  }
  return min <= max ? [min, max] : null;
}

/** Every output reads every input unit (statistics over the whole map, as in a normalisation). */
export class AllRule extends RuleBase implements AxisRule {
  readonly global = true;
  readonly periodOut = 1;
  readonly periodIn = 0;
  readonly tapsPerUnit: number;
  constructor(
    readonly nIn: number,
    readonly nOut: number,
  ) {
    super();
    this.tapsPerUnit = nIn;
  }

  virtual(_o: number, sink: TapSink): void {
    for (let i = 0; i < this.nIn; i++) sink.push(i, 1);
  }

  real(_o: number, sink: TapSink): void {
    for (let i = 0; i < this.nIn; i++) sink.push(i, 1);
  }
}
