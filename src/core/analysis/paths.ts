import { maxOf, product } from '../graph/shape';
import type { Geometry, NodeGeometry } from './geometry';
import { addOuterTerms } from './outer';
import { tapMatrix, type TapMatrix } from './tapMatrix';

/**
 * Path counts: with every kernel weight 1, one channel, no bias and no
 * nonlinearity, P_L(p) = d(sum of the units of L) / d(input pixel p). The
 * network is then linear and separable per axis, so the engine backpropagates
 * a vector of ones through the transposed per-axis tap matrices:
 * - as a sum of outer products of per-axis vectors (a chain of layers keeps
 *   one term; cost O(n) per axis and layer instead of O(n^rank));
 * - as a dense array once branches have produced more terms than that is
 *   worth.
 * Layers that copy their input (activations, 1x1 convolutions, concatenation)
 * pass the gradient through untouched. Values carry a power-of-two scale, so
 * depth never overflows float64; while they stay below 2^53 they are exact
 * integers.
 */
export interface PathMap {
  shape: number[];
  /** row-major; the path count is values[i] * 2^log2Scale */
  values: Float64Array;
  log2Scale: number;
}

interface SeparableTerm {
  factors: Float64Array[];
  exp: number;
}

type Gradient =
  | { kind: 'separable'; terms: SeparableTerm[] }
  | {
      kind: 'dense';
      data: Float64Array;
      exp: number;
      /** an upper bound of the largest value in data */
      bound: number;
      /** false when another gradient shares data: copy before writing */
      owned: boolean;
      /** every value is a whole number (exp 0): running sums of them are exact below 2^53 */
      integral: boolean;
    };

const MAX_SEPARABLE_TERMS = 8;
/** Rescale when values may leave [0, 2^LIMIT]; far from float64's range, far above 2^53. */
const RESCALE_LIMIT = 2 ** 256;

/**
 * Dense arrays no longer needed during one backward pass, for reuse: a
 * network of hundreds of layers otherwise allocates (and collects) hundreds of
 * full-resolution arrays per map.
 */
export class ArrayPool {
  private readonly free = new Map<number, Float64Array[]>();
  /** An array of length n: zeroed, unless the caller writes every value anyway (`zeroed` false). */
  take(n: number, zeroed = true): Float64Array {
    const list = this.free.get(n);
    const a = list?.pop();
    if (a) {
      if (zeroed) a.fill(0);
      return a;
    }
    return new Float64Array(n);
  }
  give(a: Float64Array): void {
    const list = this.free.get(a.length) ?? [];
    if (list.length < 8) list.push(a);
    this.free.set(a.length, list);
  }
}

/** Caches the tap matrices of a geometry, built on first use. */
export class TapCache {
  private readonly cache = new Map<string, TapMatrix>();
  get(g: NodeGeometry, input: number, axis: number): TapMatrix {
    const key = `${g.node.id}\u0000${input}\u0000${axis}`;
    let m = this.cache.get(key);
    if (!m) {
      m = tapMatrix(g.rules[input]![axis]!);
      this.cache.set(key, m);
    }
    return m;
  }
}


/** Multiplies by a power of two so the largest value is near 1; returns the exponent taken out. */
function rescale(a: Float64Array): number {
  const m = maxOf(a);
  if (m === 0 || (m <= RESCALE_LIMIT && m >= 1 / RESCALE_LIMIT)) return 0;
  const e = Math.floor(Math.log2(m));
  scaleBy(a, -e);
  return e;
}

function scaleBy(a: Float64Array, log2: number): void {
  if (log2 === 0) return;
  // Two factors keep each representable for large shifts.
  const half = Math.trunc(log2 / 2);
  const f1 = 2 ** half;
  const f2 = 2 ** (log2 - half);
  for (let i = 0; i < a.length; i++) a[i] = a[i]! * f1 * f2;
}

/** y = M^T x along a vector. */
function transposeVector(m: TapMatrix, x: Float64Array): Float64Array {
  if (m.identity) return x.slice();
  const y = new Float64Array(m.nIn);
  for (const b of m.bands) {
    const s = b.stride;
    const off = b.offset;
    for (let o = b.oLo; o <= b.oHi; o++) y[o * s + off]! += x[o]!;
  }
  const { offsets, index, weight } = m;
  if (index.length) {
    for (let o = 0; o < m.nOut; o++) {
      const g = x[o]!;
      if (g === 0) continue;
      for (let t = offsets[o]!; t < offsets[o + 1]!; t++) y[index[t]!]! += weight[t]! * g;
    }
  }
  return y;
}

/**
 * Applies the transposed tap matrix along one axis of a row-major array.
 * `sumsExact` says that running sums are exact here (whole numbers whose sums
 * stay below 2^53): a wide stride-1 window is then one sliding sum per row
 * instead of one pass per kernel tap.
 *
 * The bands are gathered: each element (or row) of the result is written
 * once, as the sum of the values the bands send to it, in band order. That is
 * the order in which adding one band after the other accumulates them, so the
 * result is the same to the last bit; but each value is read and written once
 * instead of once per kernel tap (a 608x608 map is several times the cache).
 */
export function transposeAlongAxis(
  m: TapMatrix,
  data: Float64Array,
  shape: number[],
  axis: number,
  pool?: ArrayPool,
  sumsExact = false,
): Float64Array {
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= shape[a]!;
  let inner = 1;
  for (let a = axis + 1; a < shape.length; a++) inner *= shape[a]!;
  const nOut = m.nOut;
  const nIn = m.nIn;
  const run = sumsExact ? m.run : null;
  // The gather writes every value; the sliding sum adds into zeros.
  const y = pool ? pool.take(outer * nIn * inner, run !== null) : new Float64Array(outer * nIn * inner);
  const { offsets, index, weight } = m;
  const sparse = index.length > 0;
  // With a run, its bands are summed by the sliding sum; only padding copies (sparse) remain.
  if (run) slidingSums(run, data, y, outer, nOut, nIn, inner);
  else if (inner === 1) gatherRows(m, data, y, outer);
  else gatherSlabs(m, data, y, outer, inner);
  if (!sparse) return y;
  if (inner === 1) {
    for (let r = 0; r < outer; r++) {
      const xb = r * nOut;
      const yb = r * nIn;
      for (let o = 0; o < nOut; o++) {
        const g = data[xb + o]!;
        if (g === 0) continue;
        for (let t = offsets[o]!; t < offsets[o + 1]!; t++) y[yb + index[t]!]! += weight[t]! * g;
      }
    }
    return y;
  }
  for (let r = 0; r < outer; r++) {
    const xr = r * nOut * inner;
    const yr = r * nIn * inner;
    for (let o = 0; o < nOut; o++) {
      const xb = xr + o * inner;
      for (let t = offsets[o]!; t < offsets[o + 1]!; t++) {
        const w = weight[t]!;
        const yb = yr + index[t]! * inner;
        for (let j = 0; j < inner; j++) y[yb + j]! += w * data[xb + j]!;
      }
    }
  }
  return y;
}

/** The bands along the last axis: y[r, i] = sum of x[r, o] over the outputs o that reach i, in band order. */
function gatherRows(m: TapMatrix, x: Float64Array, y: Float64Array, outer: number): void {
  const { nIn, nOut, gatherOffsets: go, gatherIndex: gi, rowPlan } = m;
  if (!rowPlan) {
    for (let r = 0; r < outer; r++) {
      const xb = r * nOut;
      const yb = r * nIn;
      for (let i = 0; i < nIn; i++) {
        let acc = 0;
        const end = go[i + 1]!;
        for (let t = go[i]!; t < end; t++) acc += x[xb + gi[t]!]!;
        y[yb + i] = acc;
      }
    }
    return;
  }
  const { phases, edges } = rowPlan;
  for (let r = 0; r < outer; r++) {
    const xb = r * nOut;
    const yb = r * nIn;
    for (let e = 0; e < edges.length; e++) {
      const i = edges[e]!;
      let acc = 0;
      const end = go[i + 1]!;
      for (let t = go[i]!; t < end; t++) acc += x[xb + gi[t]!]!;
      y[yb + i] = acc;
    }
    for (const p of phases) {
      const { step, count, bases } = p;
      const y0 = yb + p.start;
      const k = bases.length;
      const a = xb + bases[0]!;
      if (k === 1) {
        for (let q = 0; q < count; q++) y[y0 + q * step] = 0 + x[a + q]!;
        continue;
      }
      const b = xb + bases[1]!;
      if (k === 2) {
        for (let q = 0; q < count; q++) y[y0 + q * step] = 0 + x[a + q]! + x[b + q]!;
        continue;
      }
      const c = xb + bases[2]!;
      if (k === 3) {
        for (let q = 0; q < count; q++) y[y0 + q * step] = 0 + x[a + q]! + x[b + q]! + x[c + q]!;
        continue;
      }
      const d = xb + bases[3]!;
      for (let q = 0; q < count; q++) y[y0 + q * step] = 0 + x[a + q]! + x[b + q]! + x[c + q]! + x[d + q]!;
      for (let t = 4; t < k; t++) {
        const e = xb + bases[t]!;
        for (let q = 0; q < count; q++) y[y0 + q * step]! += x[e + q]!;
      }
    }
  }
}

/**
 * The bands along an outer axis: each slab (the `inner` values of one
 * position) of the result is the sum of the input slabs that reach it, added
 * in band order, up to four per pass over the slab.
 */
function gatherSlabs(m: TapMatrix, x: Float64Array, y: Float64Array, outer: number, inner: number): void {
  const { nIn, nOut, gatherOffsets: go, gatherIndex: gi } = m;
  for (let r = 0; r < outer; r++) {
    const xr = r * nOut * inner;
    const yr = r * nIn * inner;
    for (let i = 0; i < nIn; i++) {
      const yb = yr + i * inner;
      const lo = go[i]!;
      const hi = go[i + 1]!;
      const count = hi - lo;
      if (count === 0) {
        y.fill(0, yb, yb + inner);
        continue;
      }
      // 0 + first: the same value (and the same +0 for a -0) as adding it to the zeros of a fresh array.
      const a = xr + gi[lo]! * inner;
      if (count === 1) {
        for (let j = 0; j < inner; j++) y[yb + j] = 0 + x[a + j]!;
        continue;
      }
      const b = xr + gi[lo + 1]! * inner;
      if (count === 2) {
        for (let j = 0; j < inner; j++) y[yb + j] = 0 + x[a + j]! + x[b + j]!;
        continue;
      }
      const c = xr + gi[lo + 2]! * inner;
      if (count === 3) {
        for (let j = 0; j < inner; j++) y[yb + j] = 0 + x[a + j]! + x[b + j]! + x[c + j]!;
        continue;
      }
      const d = xr + gi[lo + 3]! * inner;
      for (let j = 0; j < inner; j++) y[yb + j] = 0 + x[a + j]! + x[b + j]! + x[c + j]! + x[d + j]!;
      for (let t = lo + 4; t < hi; t++) {
        const e = xr + gi[t]! * inner;
        for (let j = 0; j < inner; j++) y[yb + j]! += x[e + j]!;
      }
    }
  }
}

/**
 * y[i] += sum of x[o] for o in [i - offMax, i - offMin] clipped to [0, nOut),
 * along the middle axis of an (outer, n, inner) array: running sums, one
 * addition and one subtraction per element whatever the window's width.
 */
function slidingSums(run: { offMin: number; offMax: number }, x: Float64Array, y: Float64Array, outer: number, nOut: number, nIn: number, inner: number): void {
  const acc = new Float64Array(inner);
  for (let r = 0; r < outer; r++) {
    acc.fill(0);
    const xr = r * nOut * inner;
    const yr = r * nIn * inner;
    // window of output rows for input i: lo(i) = i - offMax, hi(i) = i - offMin
    let lo = -run.offMax;
    let hi = lo - 1;
    for (let i = 0; i < nIn; i++) {
      const wantHi = Math.min(nOut - 1, i - run.offMin);
      while (hi < wantHi) {
        hi++;
        if (hi >= 0) {
          const b = xr + hi * inner;
          for (let j = 0; j < inner; j++) acc[j]! += x[b + j]!;
        }
      }
      const wantLo = i - run.offMax;
      while (lo < wantLo) {
        if (lo >= 0 && lo < nOut && lo <= hi) {
          const b = xr + lo * inner;
          for (let j = 0; j < inner; j++) acc[j]! -= x[b + j]!;
        }
        lo++;
      }
      const b = yr + i * inner;
      for (let j = 0; j < inner; j++) y[b + j]! += acc[j]!;
    }
  }
}


type Dense = Extract<Gradient, { kind: 'dense' }>;

function densify(g: Gradient, shape: number[], pool?: ArrayPool): Dense {
  if (g.kind === 'dense') return g;
  const exp = Math.max(...g.terms.map((t) => t.exp));
  const data = pool ? pool.take(product(shape)) : new Float64Array(product(shape));
  let bound = 0;
  const integral = g.terms.every((t) => t.exp === 0 && t.factors.every(wholeNumbers));
  const scaled = g.terms.map((t) => ({ factors: t.factors, scale: 2 ** (t.exp - exp) }));
  for (const { factors, scale } of scaled) {
    // all values are non-negative: the product of the factors' maxima bounds the term
    bound += scale * factors.reduce((p, f) => p * maxOf(f), 1);
  }
  const only = scaled[0]!;
  if (scaled.length === 1 && only.factors.length === 2 && only.scale === 1) outer2(data, only.factors[0]!, only.factors[1]!);
  else addOuterTerms(data, scaled);
  return { kind: 'dense', data, exp, bound, owned: true, integral };
}

function wholeNumbers(f: Float64Array): boolean {
  for (let i = 0; i < f.length; i++) if (!Number.isInteger(f[i]!)) return false;
  return true;
}

/** out = f0 outer f1 into a fresh array (the common case: one term, two axes). */
function outer2(out: Float64Array, f0: Float64Array, f1: Float64Array): void {
  const n1 = f1.length;
  for (let i = 0; i < f0.length; i++) {
    const v = f0[i]!;
    if (v === 0) continue;
    const b = i * n1;
    for (let j = 0; j < n1; j++) out[b + j] = v * f1[j]!;
  }
}

function addGradients(a: Gradient | undefined, b: Gradient, shape: number[], pool: ArrayPool, maxTerms: number): Gradient {
  if (!a) return b;
  if (a.kind === 'separable' && b.kind === 'separable' && a.terms.length + b.terms.length <= maxTerms) {
    return { kind: 'separable', terms: a.terms.concat(b.terms) };
  }
  // Accumulate into whichever dense array we own, else into a fresh copy.
  let [acc, other] = a.kind === 'dense' && a.owned ? [a, b] : b.kind === 'dense' && b.owned ? [b, a] : [densify(a, shape, pool), b];
  if (!acc.owned || acc === other) acc = { ...acc, data: acc.data.slice(), owned: true };
  const od = densify(other, shape, pool);
  const exp = Math.max(acc.exp, od.exp);
  if (acc.exp !== exp) scaleBy(acc.data, acc.exp - exp);
  const f = 2 ** (od.exp - exp);
  const data = acc.data;
  const src = od.data;
  if (f === 1) for (let i = 0; i < data.length; i++) data[i]! += src[i]!;
  else for (let i = 0; i < data.length; i++) data[i]! += f * src[i]!;
  // The other array is spent: ours unless it is shared with another layer's gradient.
  if (other.kind === 'separable' || other.owned) pool.give(od.data);
  let bound = acc.bound * 2 ** (acc.exp - exp) + od.bound * f;
  let e = 0;
  if (bound > RESCALE_LIMIT) {
    e = rescale(data);
    bound = maxOf(data);
  }
  const integral = acc.integral && od.integral && acc.exp === od.exp && e === 0;
  return { kind: 'dense', data, exp: exp + e, bound, owned: true, integral };
}

/** The gradient arriving at input k of layer g, from the gradient at g's output. */
function backThrough(g: NodeGeometry, k: number, grad: Gradient, taps: TapCache, inputShape: number[], pool: ArrayPool): Gradient {
  const rank = g.size.length;
  const matrices = inputShape.map((_, a) => taps.get(g, k, a));
  if (matrices.every((m) => m.identity)) {
    return grad.kind === 'dense' ? { ...grad, owned: false } : grad;
  }
  if (grad.kind === 'separable') {
    const terms: SeparableTerm[] = [];
    for (const t of grad.terms) {
      let exp = t.exp;
      const factors: Float64Array[] = [];
      let zero = false;
      for (let a = 0; a < rank; a++) {
        const m = matrices[a]!;
        const f = m.identity ? t.factors[a]! : transposeVector(m, t.factors[a]!);
        exp += m.identity ? 0 : rescale(f);
        if (maxOf(f) === 0) zero = true;
        factors.push(f);
      }
      if (!zero) terms.push({ factors, exp });
    }
    if (terms.length === 0) terms.push({ factors: inputShape.map((n) => new Float64Array(n)), exp: 0 });
    return { kind: 'separable', terms };
  }
  let data = grad.data;
  let bound = grad.bound;
  let integral = grad.integral;
  const shape = g.size.slice();
  // Shrinking axes first keeps the intermediate arrays small.
  const order = [...Array(rank).keys()].sort((x, y) => inputShape[x]! / shape[x]! - inputShape[y]! / shape[y]!);
  for (const a of order) {
    const m = matrices[a]!;
    if (m.identity) continue;
    // Running sums are exact on whole numbers as long as a window's sum stays below 2^53.
    const sumsExact = integral && bound * m.maxColumnSum <= 2 ** 53;
    const next = transposeAlongAxis(m, data, shape, a, pool, sumsExact);
    integral = integral && m.integerWeights;
    // An intermediate array (between two axes) is spent; the layer's own gradient is not ours to give.
    if (data !== grad.data) pool.give(data);
    data = next;
    shape[a] = inputShape[a]!;
    bound *= m.maxColumnSum;
  }
  let exp = grad.exp;
  if (data === grad.data) data = data.slice();
  if (bound > RESCALE_LIMIT || bound === Infinity) {
    const e = rescale(data);
    exp += e;
    if (e !== 0) integral = false;
    bound = maxOf(data);
  }
  return { kind: 'dense', data, exp, bound, owned: true, integral };
}

/**
 * P for the sum of the units of the given layers (several outputs together,
 * or one layer), over the network input.
 */
export interface PathMapOptions {
  /** separable terms kept before switching to dense arrays (tests set 0 to run the dense path everywhere) */
  separableTerms?: number;
  /** one unit (an index per axis) of each target instead of all its units: that unit's own map */
  unit?: number[];
}

export function pathMap(geometry: Geometry, targets: string[], taps: TapCache = new TapCache(), options: PathMapOptions = {}): PathMap {
  const maxTerms = options.separableTerms ?? MAX_SEPARABLE_TERMS;
  const inputGeometry = geometry.nodes.find((g) => g.node.spec.op === 'input');
  const inputShape = geometry.input;
  const empty = (): PathMap => ({ shape: inputShape.slice(), values: new Float64Array(product(inputShape)), log2Scale: 0 });
  if (!inputGeometry) return empty();
  const grads = new Map<string, Gradient>();
  const pool = new ArrayPool();
  for (const id of new Set(targets)) {
    const g = geometry.byId.get(id);
    if (!g) continue;
    const unit = options.unit;
    // All units: a vector of ones per axis; one unit: the vector that picks it.
    const factors = g.size.map((n, a) => {
      const f = new Float64Array(n);
      if (unit) {
        if (unit[a]! >= 0 && unit[a]! < n) f[unit[a]!] = 1;
      } else f.fill(1);
      return f;
    });
    const seed: Gradient = { kind: 'separable', terms: [{ factors, exp: 0 }] };
    grads.set(id, maxTerms === 0 ? densify(seed, g.size, pool) : seed);
  }
  for (let idx = geometry.nodes.length - 1; idx >= 0; idx--) {
    const g = geometry.nodes[idx]!;
    const grad = grads.get(g.node.id);
    if (!grad || g === inputGeometry) continue;
    grads.delete(g.node.id);
    let lent = false;
    g.node.inputs.forEach((id, k) => {
      const src = geometry.byId.get(id);
      if (!src || !g.rules[k]) return;
      const contribution = backThrough(g, k, grad, taps, src.size, pool);
      if (grad.kind === 'dense' && contribution.kind === 'dense' && contribution.data === grad.data) lent = true;
      const merged = addGradients(grads.get(id), contribution, src.size, pool, maxTerms);
      // With no separable terms allowed, even a single one goes dense.
      grads.set(id, maxTerms === 0 && merged.kind === 'separable' ? densify(merged, src.size, pool) : merged);
    });
    // This layer's gradient is spent unless an identity edge passed it on.
    if (grad.kind === 'dense' && grad.owned && !lent) pool.give(grad.data);
  }
  const at = grads.get(inputGeometry.node.id);
  if (!at) return empty();
  const dense = densify(at, inputShape);
  const values = dense.owned ? dense.data : dense.data.slice();
  const e = dense.bound > RESCALE_LIMIT || dense.bound < 1 / RESCALE_LIMIT ? rescale(values) : 0;
  return { shape: inputShape.slice(), values, log2Scale: dense.exp + e };
}

/** log10 of the largest path count, or null when no path reaches the input. */
export function peakLog10(map: PathMap): number | null {
  const m = maxOf(map.values);
  return m > 0 ? Math.log10(m) + map.log2Scale * Math.log10(2) : null;
}

/** The map of several layers together from their own maps: P is linear in the units summed. */
export function sumPathMaps(maps: PathMap[]): PathMap {
  const exp = Math.max(...maps.map((m) => m.log2Scale));
  const values = new Float64Array(maps[0]!.values.length);
  // One pass, the maps added in their order (the same bits as one pass per map).
  const f = maps.map((m) => 2 ** (m.log2Scale - exp));
  const v = maps.map((m) => m.values);
  const n = values.length;
  if (maps.length === 3) {
    const [f0, f1, f2] = f as [number, number, number];
    const [v0, v1, v2] = v as [Float64Array, Float64Array, Float64Array];
    for (let i = 0; i < n; i++) values[i] = 0 + f0 * v0[i]! + f1 * v1[i]! + f2 * v2[i]!;
  } else if (maps.length === 2) {
    const [f0, f1] = f as [number, number];
    const [v0, v1] = v as [Float64Array, Float64Array];
    for (let i = 0; i < n; i++) values[i] = 0 + f0 * v0[i]! + f1 * v1[i]!;
  } else {
    for (let k = 0; k < maps.length; k++) {
      const fk = f[k]!;
      const vk = v[k]!;
      for (let i = 0; i < n; i++) values[i]! += fk * vk[i]!;
    }
  }
  const e = rescale(values);
  return { shape: maps[0]!.shape.slice(), values, log2Scale: exp + e };
}
