import type { PathMap } from './paths';

/** Metrics of a layer's maps over the input, as docs/design-notes.md defines them. */
export interface LayerMetrics {
  /** log10 of the largest path count */
  peakLog10: number | null;
  /** mean path count on the one-pixel border ring / peak */
  edgeRatio: number | null;
  /** smallest corner value / peak */
  cornerRatio: number | null;
  /** share of pixels with at least half the peak's path count */
  wellRepresented: number | null;
  /** pixels that no unit covers */
  deadPixels: number;
  coverageMin: number;
  coverageMax: number;
  /** min/max of the coverage of an unbounded input over one period; null when not periodic */
  ripple: number | null;
}

/** Flat indices of the border ring (every position with some coordinate at 0 or n-1). */
export function borderIndices(shape: number[]): number[] {
  const out: number[] = [];
  const rank = shape.length;
  const total = shape.reduce((p, n) => p * n, 1);
  const coord = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let r = flat;
    let border = false;
    for (let a = rank - 1; a >= 0; a--) {
      coord[a] = r % shape[a]!;
      r = Math.floor(r / shape[a]!);
      if (coord[a] === 0 || coord[a] === shape[a]! - 1) border = true;
    }
    if (border) out.push(flat);
  }
  return out;
}

export function cornerIndices(shape: number[]): number[] {
  const rank = shape.length;
  const out: number[] = [];
  for (let mask = 0; mask < 1 << rank; mask++) {
    let flat = 0;
    for (let a = 0; a < rank; a++) flat = flat * shape[a]! + (mask & (1 << (rank - 1 - a)) ? shape[a]! - 1 : 0);
    out.push(flat);
  }
  return out;
}

/** Border ring sum without listing every index (the ring of a 608x608 map has 2428 pixels, the map 369664). */
function ringMean(values: Float64Array, shape: number[]): number {
  if (shape.length === 2) {
    const [h, w] = shape as [number, number];
    let sum = 0;
    let count = 0;
    for (let y = 0; y < h; y++) {
      if (y === 0 || y === h - 1) {
        for (let x = 0; x < w; x++) sum += values[y * w + x]!;
        count += w;
      } else {
        sum += values[y * w]!;
        count++;
        if (w > 1) {
          sum += values[y * w + w - 1]!;
          count++;
        }
      }
    }
    return sum / count;
  }
  const idx = borderIndices(shape);
  let sum = 0;
  for (const i of idx) sum += values[i]!;
  return sum / idx.length;
}

export function pathMetrics(map: PathMap): Pick<LayerMetrics, 'peakLog10' | 'edgeRatio' | 'cornerRatio' | 'wellRepresented'> {
  const v = map.values;
  let peak = 0;
  for (let i = 0; i < v.length; i++) if (v[i]! > peak) peak = v[i]!;
  if (!(peak > 0)) return { peakLog10: null, edgeRatio: null, cornerRatio: null, wellRepresented: null };
  let well = 0;
  const half = 0.5 * peak;
  for (let i = 0; i < v.length; i++) if (v[i]! >= half) well++;
  let corner = Infinity;
  for (const i of cornerIndices(map.shape)) corner = Math.min(corner, v[i]!);
  return {
    peakLog10: Math.log10(peak) + map.log2Scale * Math.log10(2),
    edgeRatio: ringMean(v, map.shape) / peak,
    cornerRatio: corner / peak,
    wellRepresented: well / v.length,
  };
}

export function coverageMetrics(coverage: Float64Array): Pick<LayerMetrics, 'deadPixels' | 'coverageMin' | 'coverageMax'> {
  let dead = 0;
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < coverage.length; i++) {
    const c = coverage[i]!;
    if (c === 0) dead++;
    if (c < min) min = c;
    if (c > max) max = c;
  }
  return { deadPixels: dead, coverageMin: coverage.length ? min : 0, coverageMax: max };
}
