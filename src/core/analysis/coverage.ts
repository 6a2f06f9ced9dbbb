import { countCover, type IntervalColumn } from './intervals';
import { addOuter } from './outer';
import { forEachIntersection, type FieldSupport } from './supports';

/**
 * Coverage C_L(p): how many units of layer L have p in their field. With the
 * fields of L a union of product terms (supports.ts), one term gives the outer
 * product of per-axis counts; several are combined by inclusion-exclusion
 * (the intersection of two products is a product), and past a few terms by
 * painting each unit's field.
 */
const MAX_INCLUSION_EXCLUSION_TERMS = 6;

export function coverageMap(support: FieldSupport, shape: number[]): Float64Array {
  const size = shape.reduce((p, n) => p * n, 1);
  const out = new Float64Array(size);
  addCoverage(out, support, shape);
  return out;
}

/** Adds the coverage of one layer into `out` (several outputs count together). */
export function addCoverage(out: Float64Array, support: FieldSupport, shape: number[]): void {
  if (support.length === 0) return;
  if (support.length <= MAX_INCLUSION_EXCLUSION_TERMS) {
    forEachIntersection(support, (cols, sign) =>
      addOuter(
        out,
        cols.map((c, a) => countCover(c, shape[a]!)),
        sign,
      ),
    );
    return;
  }
  paintUnits(out, support, shape);
}

/**
 * Paints every unit's field (union of its terms) into out, one row of the
 * last axis at a time, visiting only the rows inside the unit's field.
 */
function paintUnits(out: Float64Array, support: FieldSupport, shape: number[]): void {
  const rank = shape.length;
  const last = shape[rank - 1]!;
  const units = support[0]!.axes.map((c) => c.count);
  const unit = new Array<number>(rank).fill(0);
  const mark = new Uint8Array(last);
  const total = units.reduce((p, n) => p * n, 1);
  const lo = new Array<number>(rank - 1);
  const hi = new Array<number>(rank - 1);
  for (let flat = 0; flat < total; flat++) {
    let r = flat;
    for (let a = rank - 1; a >= 0; a--) {
      unit[a] = r % units[a]!;
      r = Math.floor(r / units[a]!);
    }
    // The rows of the outer axes this unit's field can touch.
    let empty = false;
    for (let a = 0; a < rank - 1; a++) {
      lo[a] = Infinity;
      hi[a] = -Infinity;
      for (const term of support) {
        const h = term.axes[a]!.hull(unit[a]!);
        if (!h) continue;
        lo[a] = Math.min(lo[a]!, Math.max(0, h[0]));
        hi[a] = Math.max(hi[a]!, Math.min(shape[a]! - 1, h[1]));
      }
      if (!(lo[a]! <= hi[a]!)) empty = true;
    }
    if (empty) continue;
    const pos = lo.slice();
    for (;;) {
      mark.fill(0);
      let any = false;
      for (const term of support) {
        let inside = true;
        for (let a = 0; a < rank - 1 && inside; a++) inside = contains(term.axes[a]!, unit[a]!, pos[a]!);
        if (!inside) continue;
        const col = term.axes[rank - 1]!;
        const u = unit[rank - 1]!;
        for (let i = col.start(u); i < col.end(u); i++) {
          for (let p = Math.max(col.lo[i]!, 0); p <= Math.min(col.hi[i]!, last - 1); p++) mark[p] = 1;
          any = true;
        }
      }
      if (any) {
        let row = 0;
        for (let a = 0; a < rank - 1; a++) row = row * shape[a]! + pos[a]!;
        const base = row * last;
        for (let p = 0; p < last; p++) if (mark[p]) out[base + p]! += 1;
      }
      // next row within the hull
      let a = rank - 2;
      while (a >= 0) {
        pos[a]!++;
        if (pos[a]! <= hi[a]!) break;
        pos[a] = lo[a]!;
        a--;
      }
      if (a < 0) break;
    }
  }
}

function contains(col: IntervalColumn, unit: number, p: number): boolean {
  for (let i = col.start(unit); i < col.end(unit); i++) if (col.lo[i]! <= p && p <= col.hi[i]!) return true;
  return false;
}
