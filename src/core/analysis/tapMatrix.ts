import { isIdentityRule, paddedSource, ShiftRule, TapSink, WindowRule, type AxisRule } from './axisRules';

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
  // Each band gives an input at most one tap: the number of bands bounds the column sums.
  let bandBound = 0;
  const addBand = (stride: number, offset: number) => {
    // o * stride + offset in [0, nIn)
    const oLo = Math.max(0, Math.ceil(-offset / stride));
    const oHi = Math.min(nOut - 1, Math.floor((nIn - 1 - offset) / stride));
    if (oLo <= oHi) {
      bands.push({ oLo, oHi, stride, offset });
      bandBound++;
    }
  };
  if (rule instanceof WindowRule) {
    for (let t = 0; t < rule.kernel; t++) addBand(rule.stride, t * rule.dilation - rule.before);
  } else if (rule instanceof ShiftRule) addBand(1, rule.offset);
  let colSum: Float64Array | null = null;
  const push = (i: number, wt: number) => {
    idx.push(i);
    w.push(wt);
    colSum ??= new Float64Array(nIn);
    colSum[i]! += wt;
  };
  if (rule instanceof WindowRule) {
    // Out-of-range taps: padding copies (reflect, replicate, circular) land on a pixel; zeros read nothing.
    if (rule.padMode !== 'zeros') {
      for (let o = 0; o < nOut; o++) {
        for (let t = 0; t < rule.kernel; t++) {
          const i = o * rule.stride - rule.before + t * rule.dilation;
          if ((i < 0 && i >= -rule.before) || (i >= nIn && i < nIn + rule.after)) push(paddedSource(i, nIn, rule.padMode), 1);
        }
        offsets[o + 1] = idx.length;
      }
    }
  } else if (!(rule instanceof ShiftRule)) {
    const sink = new TapSink();
    for (let o = 0; o < nOut; o++) {
      sink.reset();
      rule.real(o, sink);
      for (let t = 0; t < sink.length; t++) if (sink.w[t]! !== 0) push(sink.idx[t]!, sink.w[t]!);
      offsets[o + 1] = idx.length;
    }
  }
  let residualMax = 0;
  if (colSum) for (const v of colSum as Float64Array) if (v > residualMax) residualMax = v;
  let run: TapMatrix['run'] = null;
  if (rule instanceof WindowRule && rule.stride === 1 && rule.dilation === 1 && rule.kernel >= MIN_RUN && bands.length === rule.kernel) {
    run = { offMin: -rule.before, offMax: rule.kernel - 1 - rule.before };
  }
  return {
    nIn,
    nOut,
    identity: isIdentityRule(rule),
    bands,
    offsets,
    index: Int32Array.from(idx),
    weight: Float64Array.from(w),
    maxColumnSum: bandBound + residualMax,
    integerWeights: w.every((x) => Number.isInteger(x)),
    run,
  };
}
