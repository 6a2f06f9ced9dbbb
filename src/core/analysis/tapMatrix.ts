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
  };
}
