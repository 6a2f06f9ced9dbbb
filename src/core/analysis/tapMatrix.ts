import { TapSink, type AxisRule } from './axisRules';

/**
 * The real taps of one axis rule in the form the map engine multiplies with:
 * runs of outputs that each read one input at a fixed stride and offset
 * ("bands", one per kernel tap of a window), then whatever is left (padding
 * copies, resampling, gathers) as a compressed sparse list.
 */
export interface Band {
  /** outputs o in [oLo, oHi] read input o * stride + offset with weight 1 */
  oLo: number;
  oHi: number;
  stride: number;
  offset: number;
}

export interface TapMatrix {
  nIn: number;
  nOut: number;
  /** the rule copies input i to output i: nothing to compute */
  identity: boolean;
  bands: Band[];
  /** remaining taps, per output: index[offsets[o] .. offsets[o+1]) with their weights */
  offsets: Int32Array;
  index: Int32Array;
  weight: Float64Array;
  /** the largest total weight one input receives: a bound on how much values grow */
  maxColumnSum: number;
  /** every weight is a whole number (integer maps stay integer through it) */
  integerWeights: boolean;
  /**
   * Set when the bands are a run of consecutive offsets at stride 1 (a wide
   * stride-1 window): input i then receives the outputs i - offMax .. i - offMin,
   * a sliding sum that running sums compute in O(1) per element.
   */
  run: { offMin: number; offMax: number } | null;
  /**
   * The bands read the other way round, for gathering: input i receives the
   * outputs gatherIndex[gatherOffsets[i] .. gatherOffsets[i+1]), listed in
   * band order, so a sum over them adds in the same order as the bands do one
   * after the other (and gives the same floating-point result).
   */
  gatherOffsets: Int32Array;
  gatherIndex: Int32Array;
  /**
   * The same gather along the last axis without the index lists where they
   * are not needed (set when every band has the same stride s): the inputs
   * of one phase (i = start + s*q) that every band of that phase reaches read
   * output bases[b] + q of each, in band order; the other inputs (`edges`,
   * near the borders) use the lists.
   */
  rowPlan: { phases: GatherPhase[]; edges: Int32Array } | null;
}

export interface GatherPhase {
  /** the first input of the run, the step between inputs, how many */
  start: number;
  step: number;
  count: number;
  /** per band of the phase, in band order: the output the first input reads */
  bases: Int32Array;
}

/** Runs shorter than this are summed band by band (as fast, and no prefix sums needed). */
const MIN_RUN = 4;

export function tapMatrix(rule: AxisRule): TapMatrix {
  const nIn = rule.nIn;
  const nOut = rule.nOut;
  const bands: Band[] = [];
  const offsets = new Int32Array(nOut + 1);
  const idx: number[] = [];
  const w: number[] = [];
  for (const { stride, offset } of rule.bandTaps) {
    // o * stride + offset in [0, nIn)
    const oLo = Math.max(0, Math.ceil(-offset / stride));
    const oHi = Math.min(nOut - 1, Math.floor((nIn - 1 - offset) / stride));
    if (oLo <= oHi) bands.push({ oLo, oHi, stride, offset });
  }
  // Whatever the bands leave (padding copies, resampling, gathers) as a sparse list.
  let colSum: Float64Array | null = null;
  const sink = new TapSink();
  for (let o = 0; o < nOut; o++) {
    sink.reset();
    rule.residual(o, sink);
    for (let t = 0; t < sink.length; t++) {
      const wt = sink.w[t]!;
      if (wt === 0) continue;
      idx.push(sink.idx[t]!);
      w.push(wt);
      colSum ??= new Float64Array(nIn);
      colSum[sink.idx[t]!]! += wt;
    }
    offsets[o + 1] = idx.length;
  }
  const { gatherOffsets, gatherIndex } = gatherPlan(bands, nIn);
  let residualMax = 0;
  if (colSum) for (const v of colSum as Float64Array) if (v > residualMax) residualMax = v;
  const sliding = rule.slidingRun;
  // Each band gives an input at most one tap: the number of bands bounds the column sums.
  return {
    nIn,
    nOut,
    identity: rule.identity,
    bands,
    offsets,
    index: Int32Array.from(idx),
    weight: Float64Array.from(w),
    maxColumnSum: bands.length + residualMax,
    integerWeights: w.every((x) => Number.isInteger(x)),
    run: sliding && rule.bandTaps.length >= MIN_RUN && bands.length === rule.bandTaps.length ? sliding : null,
    gatherOffsets,
    gatherIndex,
    rowPlan: rowPlan(bands, nIn),
  };
}

/** See TapMatrix.rowPlan. */
function rowPlan(bands: Band[], nIn: number): TapMatrix['rowPlan'] {
  if (bands.length === 0) return null;
  const s = bands[0]!.stride;
  if (bands.some((b) => b.stride !== s)) return null;
  const inside = new Uint8Array(nIn);
  const phases: GatherPhase[] = [];
  for (let phase = 0; phase < s; phase++) {
    const own = bands.filter((b) => (((b.offset % s) + s) % s) === phase);
    if (own.length === 0) continue;
    // inputs every band of the phase reaches: [max of the first, min of the last]
    let lo = -Infinity;
    let hi = Infinity;
    for (const b of own) {
      lo = Math.max(lo, b.oLo * s + b.offset);
      hi = Math.min(hi, b.oHi * s + b.offset);
    }
    if (lo > hi) continue;
    const count = (hi - lo) / s + 1;
    phases.push({ start: lo, step: s, count, bases: Int32Array.from(own, (b) => (lo - b.offset) / s) });
    for (let i = lo; i <= hi; i += s) inside[i] = 1;
  }
  const edges: number[] = [];
  for (let i = 0; i < nIn; i++) if (!inside[i]) edges.push(i);
  return { phases, edges: Int32Array.from(edges) };
}

/** For each input, the outputs the bands send to it, in band order (see TapMatrix.gatherIndex). */
function gatherPlan(bands: Band[], nIn: number): { gatherOffsets: Int32Array; gatherIndex: Int32Array } {
  const gatherOffsets = new Int32Array(nIn + 1);
  for (const b of bands) for (let o = b.oLo; o <= b.oHi; o++) gatherOffsets[o * b.stride + b.offset + 1]!++;
  for (let i = 0; i < nIn; i++) gatherOffsets[i + 1]! += gatherOffsets[i]!;
  const gatherIndex = new Int32Array(gatherOffsets[nIn]!);
  const next = gatherOffsets.slice(0, nIn);
  // Bands in order, each filling its slot of every input it reaches: the lists come out in band order.
  for (const b of bands) for (let o = b.oLo; o <= b.oHi; o++) gatherIndex[next[o * b.stride + b.offset]!++] = o;
  return { gatherOffsets, gatherIndex };
}
