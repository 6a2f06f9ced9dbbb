/** Arithmetic on per-axis sizes and row-major arrays, shared by every part of the engine. */

/** Number of elements of a map of this shape. */
export function product(shape: readonly number[]): number {
  let p = 1;
  for (const n of shape) p *= n;
  return p;
}

/** Largest value of an array of non-negative numbers (0 for an empty one). */
export function maxOf(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  return m;
}

/** Per-axis coordinates of a row-major flat index. */
export function coordsOf(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let r = flat;
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = r % shape[a]!;
    r = Math.floor(r / shape[a]!);
  }
  return out;
}

/** Row-major flat index of per-axis coordinates. */
export function flatIndexOf(coords: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let a = 0; a < shape.length; a++) flat = flat * shape[a]! + coords[a]!;
  return flat;
}

/** Runs of a sorted list of flat indices: [first, count] pairs (compact pixel sets for finding data). */
export function indexRuns(sorted: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const i of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === i) last[1]++;
    else runs.push([i, 1]);
  }
  return runs;
}
