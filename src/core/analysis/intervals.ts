/**
 * Sets of input positions along one axis, one set per unit, stored as sorted
 * disjoint closed intervals. A receptive field along an axis is usually one
 * interval; dilation and strides larger than the kernel leave holes.
 */
export class IntervalColumn {
  constructor(
    /** index of the first unit stored */
    readonly first: number,
    /** number of units stored */
    readonly count: number,
    /** intervals of unit first+k are lo/hi[offs[k] .. offs[k+1]) */
    readonly offs: Int32Array,
    readonly lo: Int32Array,
    readonly hi: Int32Array,
  ) {}

  /** The same sets for a sub-range of units, sharing storage. */
  view(first: number, count: number): IntervalColumn {
    if (first === this.first && count === this.count) return this;
    const k = first - this.first;
    return new IntervalColumn(first, count, this.offs.subarray(k, k + count + 1), this.lo, this.hi);
  }

  /** True when no unit has any position. */
  get empty(): boolean {
    return this.offs[0] === this.offs[this.count];
  }

  has(unit: number): boolean {
    return unit >= this.first && unit < this.first + this.count;
  }

  start(unit: number): number {
    return this.offs[unit - this.first]!;
  }

  end(unit: number): number {
    return this.offs[unit - this.first + 1]!;
  }

  isEmpty(unit: number): boolean {
    return this.start(unit) === this.end(unit);
  }

  /** Smallest and largest position of a unit's set, or null when it is empty. */
  hull(unit: number): [number, number] | null {
    const s = this.start(unit);
    const e = this.end(unit);
    return s === e ? null : [this.lo[s]!, this.hi[e - 1]!];
  }

  /** True when every unit's set equals the other column's. */
  equals(other: IntervalColumn): boolean {
    if (this.first !== other.first || this.count !== other.count) return false;
    if (this === other) return true;
    const shift = other.offs[0]! - this.offs[0]!;
    for (let k = 0; k <= this.count; k++) if (this.offs[k]! + shift !== other.offs[k]) return false;
    for (let i = this.offs[0]!; i < this.offs[this.count]!; i++) {
      if (this.lo[i] !== other.lo[i + shift] || this.hi[i] !== other.hi[i + shift]) return false;
    }
    return true;
  }

  /** True when every unit's set is contained in the other column's set of the same unit. */
  within(other: IntervalColumn): boolean {
    if (this.first !== other.first || this.count !== other.count) return false;
    for (let u = this.first; u < this.first + this.count; u++) {
      let j = other.start(u);
      const je = other.end(u);
      for (let i = this.start(u); i < this.end(u); i++) {
        const a = this.lo[i]!;
        const b = this.hi[i]!;
        while (j < je && other.hi[j]! < a) j++;
        if (j >= je || other.lo[j]! > a || other.hi[j]! < b) return false;
      }
    }
    return true;
  }
}

/** Scratch space for one unit's intervals, shared by every builder (building is never nested). */
let scratchLo = new Float64Array(256);
let scratchHi = new Float64Array(256);

/** Builds an IntervalColumn unit by unit; each unit's intervals may come in any order and overlap. */
export class ColumnBuilder {
  private offs: Int32Array;
  private lo: Int32Array;
  private hi: Int32Array;
  private size = 0;
  private unitIndex = 0;
  private tmpCount = 0;

  constructor(
    readonly first: number,
    readonly count: number,
  ) {
    this.offs = new Int32Array(count + 1);
    // Most fields are one interval per unit.
    this.lo = new Int32Array(count + 8);
    this.hi = new Int32Array(count + 8);
  }

  add(lo: number, hi: number): void {
    if (this.tmpCount === scratchLo.length) {
      const l = new Float64Array(this.tmpCount * 2);
      const h = new Float64Array(this.tmpCount * 2);
      l.set(scratchLo);
      h.set(scratchHi);
      scratchLo = l;
      scratchHi = h;
    }
    scratchLo[this.tmpCount] = lo;
    scratchHi[this.tmpCount] = hi;
    this.tmpCount++;
  }

  /** Closes the current unit: sorts and merges its intervals (touching intervals join). */
  endUnit(): void {
    const L = scratchLo;
    const H = scratchHi;
    const n = this.tmpCount;
    // The taps of a unit mostly arrive in order; sort only when they do not.
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) if (L[i - 1]! > L[i]!) sorted = false;
    if (!sorted) {
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => L[a]! - L[b]!);
      const l = order.map((i) => L[i]!);
      const h = order.map((i) => H[i]!);
      for (let i = 0; i < n; i++) {
        L[i] = l[i]!;
        H[i] = h[i]!;
      }
    }
    let i = 0;
    while (i < n) {
      const a = L[i]!;
      let b = H[i]!;
      i++;
      while (i < n && L[i]! <= b + 1) {
        if (H[i]! > b) b = H[i]!;
        i++;
      }
      this.push(a, b);
    }
    this.tmpCount = 0;
    this.unitIndex++;
    this.offs[this.unitIndex] = this.size;
  }

  private push(a: number, b: number): void {
    if (this.size === this.lo.length) {
      const lo = new Int32Array(this.size * 2);
      const hi = new Int32Array(this.size * 2);
      lo.set(this.lo);
      hi.set(this.hi);
      this.lo = lo;
      this.hi = hi;
    }
    this.lo[this.size] = a;
    this.hi[this.size] = b;
    this.size++;
  }

  finish(): IntervalColumn {
    while (this.unitIndex < this.count) this.endUnit();
    return new IntervalColumn(this.first, this.count, this.offs, this.lo.subarray(0, this.size), this.hi.subarray(0, this.size));
  }
}

/** Per unit, the union (op 'or') or intersection ('and') of two columns over the same units. */
export function combineColumns(a: IntervalColumn, b: IntervalColumn, op: 'or' | 'and'): IntervalColumn {
  const out = new ColumnBuilder(a.first, a.count);
  for (let u = a.first; u < a.first + a.count; u++) {
    if (op === 'or') {
      for (let i = a.start(u); i < a.end(u); i++) out.add(a.lo[i]!, a.hi[i]!);
      for (let i = b.start(u); i < b.end(u); i++) out.add(b.lo[i]!, b.hi[i]!);
    } else {
      let i = a.start(u);
      let j = b.start(u);
      const ie = a.end(u);
      const je = b.end(u);
      while (i < ie && j < je) {
        const lo = Math.max(a.lo[i]!, b.lo[j]!);
        const hi = Math.min(a.hi[i]!, b.hi[j]!);
        if (lo <= hi) out.add(lo, hi);
        if (a.hi[i]! < b.hi[j]!) i++;
        else j++;
      }
    }
    out.endUnit();
  }
  return out.finish();
}

/** For each position p in [0, n): how many units' sets contain p (a difference array over the intervals). */
export function countCover(col: IntervalColumn, n: number): Float64Array {
  const diff = new Float64Array(n + 1);
  for (let i = col.offs[0]!; i < col.offs[col.count]!; i++) {
    const a = Math.max(col.lo[i]!, 0);
    const b = Math.min(col.hi[i]!, n - 1);
    if (a > b) continue;
    diff[a]! += 1;
    diff[b + 1]! -= 1;
  }
  const out = new Float64Array(n);
  let run = 0;
  for (let p = 0; p < n; p++) {
    run += diff[p]!;
    out[p] = run;
  }
  return out;
}

/**
 * For the units [from, from + units): how many positions of their sets fall
 * in each residue class modulo `period` (the coverage an unbounded input shows
 * over one period, see receptiveField.ts).
 */
export function foldCount(col: IntervalColumn, from: number, units: number, period: number): Float64Array {
  const out = new Float64Array(period);
  for (let u = from; u < from + units; u++) {
    for (let i = col.start(u); i < col.end(u); i++) addFolded(out, col.lo[i]!, col.hi[i]!, period);
  }
  return out;
}

function addFolded(out: Float64Array, lo: number, hi: number, period: number): void {
  const len = hi - lo + 1;
  const full = Math.floor(len / period);
  if (full > 0) for (let r = 0; r < period; r++) out[r]! += full;
  const rest = len - full * period;
  let r = ((lo % period) + period) % period;
  for (let k = 0; k < rest; k++) {
    out[r]! += 1;
    r++;
    if (r === period) r = 0;
  }
}
