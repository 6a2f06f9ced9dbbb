import { EmptyRule, gcd, TapSink, virtualTapHull } from './axisRules';
import type { Geometry, NodeGeometry } from './geometry';
import { foldCount, type IntervalColumn } from './intervals';
import { MAX_FOLD_CELLS, MAX_PERIOD, MAX_RIPPLE_TERMS, MAX_VIRTUAL_UNITS, WorkLimitError } from './limits';
import { addOuter } from './outer';
import { forEachIntersection, propagateSupports, type FieldSupport, type FieldTerm, type UnitRange } from './supports';

/**
 * Receptive field of a layer, per axis, as docs/design-notes.md defines it (Araujo,
 * Norris & Sim, Distill 2019), measured on the unbounded ("virtual") axis so
 * that the image border does not clip it:
 * - size: extent of the field of the centre unit floor((n-1)/2); on
 *   multi-path graphs the field is the union over paths, so the size is that
 *   of the widest path when branches are centred;
 * - jump: (centre of the last unit's field - centre of unit 0's) / (n-1);
 *   for n = 1 the distance to the next (virtual) unit;
 * - start: centre of unit 0's field, = (size-1)/2 - effective padding.
 * Paths through a global operation (global pooling, a dense layer, a
 * squeeze-and-excitation gate broadcast over the map, a normalisation by the
 * map's statistics) add global context, not geometry: a layer that has a path
 * without one measures size, jump and start on those local paths only, and
 * reports the global dependence as `global`. A layer all of whose paths are
 * global (a global pool, a dense layer, an SE block's 1x1 convolutions) is
 * measured on the paths that passed the fewest global operations: a global
 * pool gets the union of the local fields of the map it pools (the whole map;
 * its jump, to the next virtual unit, one map), not the gates inside that map.
 */
export interface ReceptiveField {
  size: number[];
  jump: number[];
  start: number[];
  /** some path to the layer passes a global operation: it depends on every pixel beyond its field */
  global: boolean;
  /**
   * min/max of the coverage an unbounded input would show over one period
   * (below 1: a checkerboard). Paths through global operations are left out:
   * they cover every pixel alike. Null for layers without spatial extent or
   * without a period.
   */
  ripple: number | null;
  /** Per axis: shifting the layer by periodOut units shifts its fields by periodIn input pixels. */
  period: { out: number[]; in: number[] } | null;
}


function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/**
 * For every layer and axis, (periodOut, periodIn) relative to the network
 * input: units q and q + periodOut have fields shifted by periodIn pixels.
 * Broadcast and global edges are skipped (they cover everything alike).
 */
export function layerPeriods(geometry: Geometry): Map<string, Array<[number, number]> | null> {
  const periods = new Map<string, Array<[number, number]> | null>();
  for (const g of geometry.nodes) {
    if (g.node.spec.op === 'input') {
      periods.set(g.node.id, g.size.map(() => [1, 1]));
      continue;
    }
    if (!g.spatial) {
      periods.set(g.node.id, null);
      continue;
    }
    const axes: Array<[number, number]> = [];
    let ok = true;
    for (let a = 0; a < geometry.rank && ok; a++) {
      let po = 1;
      // input pixels per unit, as a reduced fraction num/den; every path must agree
      let num = 0;
      let den = 0;
      for (let k = 0; k < g.node.inputs.length && ok; k++) {
        const rule = g.rules[k]?.[a];
        // Global and broadcast edges cover everything alike; an input that only lends its shape reads nothing.
        if (!rule || rule.global || rule.periodIn === 0) continue;
        const src = periods.get(g.node.inputs[k]!);
        if (!src || rule.periodOut === 0) {
          ok = false;
          break;
        }
        const [poX, piX] = src[a]!;
        const t = poX / gcd(rule.periodIn, poX);
        const m = rule.periodOut * t;
        const shift = ((t * rule.periodIn) / poX) * piX;
        const d = gcd(shift, m);
        if (den !== 0 && (num !== shift / d || den !== m / d)) {
          ok = false;
          break;
        }
        num = shift / d;
        den = m / d;
        po = lcm(po, m);
      }
      if (!ok || den === 0) {
        ok = false;
        break;
      }
      // po units must shift the field by a whole number of pixels.
      po = lcm(po, den / gcd(num, den));
      const pi = (po * num) / den;
      if (po > MAX_PERIOD || pi > MAX_PERIOD || pi === 0) ok = false;
      axes.push([po, pi]);
    }
    periods.set(g.node.id, ok ? axes : null);
  }
  return periods;
}

function centre(n: number): number {
  return Math.floor((n - 1) / 2);
}

/**
 * Units each layer needs on the unbounded axis: its own 0, centre and last
 * unit (and unit 1 when it has only one, for the jump), one period from the
 * centre for the ripple, and whatever its consumers read.
 */
function neededRanges(geometry: Geometry, periods: Map<string, Array<[number, number]> | null>): Map<string, UnitRange> {
  const lo = new Map<string, number[]>();
  const hi = new Map<string, number[]>();
  for (const g of geometry.nodes) {
    const per = periods.get(g.node.id);
    lo.set(g.node.id, g.size.map(() => 0));
    hi.set(
      g.node.id,
      g.size.map((n, a) => Math.max(n - 1, n === 1 ? 1 : 0, per ? centre(n) + per[a]![0] - 1 : 0)),
    );
  }
  const sink = new TapSink();
  for (let idx = geometry.nodes.length - 1; idx >= 0; idx--) {
    const g = geometry.nodes[idx]!;
    const l = lo.get(g.node.id)!;
    const h = hi.get(g.node.id)!;
    g.node.inputs.forEach((id, k) => {
      const rules = g.rules[k];
      const il = lo.get(id);
      const ih = hi.get(id);
      if (!rules || !il || !ih) return;
      rules.forEach((rule, a) => {
        const hull = virtualTapHull(rule, l[a]!, h[a]!, sink);
        if (!hull) return;
        if (hull[0] < il[a]!) il[a] = hull[0];
        if (hull[1] > ih[a]!) ih[a] = hull[1];
      });
    });
  }
  const ranges = new Map<string, UnitRange>();
  for (const g of geometry.nodes) {
    const l = lo.get(g.node.id)!;
    const h = hi.get(g.node.id)!;
    ranges.set(
      g.node.id,
      l.map((v, a) => [v, h[a]! - v + 1] as [number, number]),
    );
  }
  return ranges;
}

/** Extent along one axis of the field of a unit (one index per axis); terms empty on another axis add nothing. */
function unitHull(support: FieldSupport, axis: number, unit: number[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const term of support) {
    if (term.axes.some((col, a) => a !== axis && col.isEmpty(unit[a]!))) continue;
    const h = term.axes[axis]!.hull(unit[axis]!);
    if (!h) continue;
    if (h[0] < lo) lo = h[0];
    if (h[1] > hi) hi = h[1];
  }
  return lo <= hi ? [lo, hi] : null;
}

function mid(h: [number, number] | null): number {
  return h ? (h[0] + h[1]) / 2 : NaN;
}

/**
 * The coverage of an unbounded input over one period: with fields periodic
 * (F(q + po) = F(q) + pi), the number of units whose field holds pixel p is
 * the number of positions congruent to p (mod pi) in the fields of any po
 * consecutive units. Exact for unions of product terms by inclusion-exclusion.
 */
function ripple(terms: FieldTerm[], first: number[], period: Array<[number, number]>): number | null {
  const local = terms.filter((t) => t.depth === 0);
  if (local.length === 0 || local.length > MAX_RIPPLE_TERMS) return null;
  const folds = (cols: IntervalColumn[]) => cols.map((c, a) => foldCount(c, first[a]!, period[a]![0], period[a]![1]));
  if (local.length === 1) {
    let min = 1;
    let max = 1;
    for (const f of folds(local[0]!.axes)) {
      let fmin = Infinity;
      let fmax = 0;
      for (const v of f) {
        if (v < fmin) fmin = v;
        if (v > fmax) fmax = v;
      }
      min *= fmin;
      max *= fmax;
    }
    return max > 0 ? min / max : null;
  }
  const cells = period.reduce((p, [, pi]) => p * pi, 1);
  if (cells > MAX_FOLD_CELLS) return null;
  const grid = new Float64Array(cells);
  forEachIntersection(local, (cols, sign) => addOuter(grid, folds(cols), sign));
  let min = Infinity;
  let max = 0;
  for (const v of grid) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max > 0 ? min / max : null;
}

/**
 * Per layer: the fewest global operations a path from the input passes to
 * reach it (0: it has a local path; Infinity: none reaches it), and whether
 * some path passes one. An edge is global when any axis rule of it is
 * (GlobalRule, BroadcastRule, AllRule); an edge that reads nothing (EmptyRule:
 * a shape reference, an extra input of a one-input layer) carries no path.
 */
function pathDepths(geometry: Geometry): Map<string, { depth: number; global: boolean }> {
  const kinds = new Map<string, { depth: number; global: boolean }>();
  for (const g of geometry.nodes) {
    if (g.node.spec.op === 'input') {
      kinds.set(g.node.id, { depth: 0, global: false });
      continue;
    }
    let depth = Infinity;
    let global = false;
    g.node.inputs.forEach((id, k) => {
      const src = kinds.get(id);
      const rules = g.rules[k];
      if (!src || !rules || src.depth === Infinity || rules.some((r) => r instanceof EmptyRule)) return;
      const step = rules.some((r) => r.global === true) ? 1 : 0;
      depth = Math.min(depth, src.depth + step);
      global ||= step === 1 || src.global;
    });
    kinds.set(g.node.id, { depth, global });
  }
  return kinds;
}

export function receptiveFields(geometry: Geometry): Map<string, ReceptiveField | null> {
  const periods = layerPeriods(geometry);
  const ranges = neededRanges(geometry, periods);
  // Deep strided chains on a small map (twenty stride-2 layers after the map is 1x1) need units far
  // outside it: their count doubles per layer, and following them would take minutes.
  let units = 0;
  for (const r of ranges.values()) for (const [, count] of r) units += count;
  if (units > MAX_VIRTUAL_UNITS) {
    throw new WorkLimitError(`the receptive fields of this network span more than ${MAX_VIRTUAL_UNITS} units (its strides multiply to more than the input can hold)`);
  }
  const supports = propagateSupports(geometry, 'virtual', ranges);
  const depths = pathDepths(geometry);
  const out = new Map<string, ReceptiveField | null>();
  // A layer that no path connects to the input (SSD's prior boxes) has no field at all.
  const connected = new Set<string>();
  for (const g of geometry.nodes) {
    if (g.node.spec.op === 'input' || g.node.inputs.some((id) => connected.has(id))) connected.add(g.node.id);
    const kind = depths.get(g.node.id) ?? { depth: Infinity, global: false };
    const support = supports.get(g.node.id) ?? [];
    // Global context is no window: measure the local paths, or the least global ones.
    const measured = kind.depth === Infinity ? support : support.filter((t) => t.depth === kind.depth);
    out.set(g.node.id, connected.has(g.node.id) ? fieldOf(g, measured, support, periods.get(g.node.id) ?? null, kind.global) : null);
  }
  return out;
}

function fieldOf(
  g: NodeGeometry,
  support: FieldSupport,
  all: FieldSupport,
  period: Array<[number, number]> | null,
  global: boolean,
): ReceptiveField | null {
  // No input pixel reaches any unit (every path ends in padding): an empty field.
  if (support.length === 0) {
    return { size: g.size.map(() => 0), jump: g.size.map(() => NaN), start: g.size.map(() => NaN), global, ripple: null, period: null };
  }
  const size: number[] = [];
  const jump: number[] = [];
  const start: number[] = [];
  const rank = g.size.length;
  const zero = new Array<number>(rank).fill(0);
  const middle = g.size.map(centre);
  for (let a = 0; a < rank; a++) {
    const n = g.size[a]!;
    const lastUnit = zero.slice();
    lastUnit[a] = n === 1 ? 1 : n - 1;
    const c = unitHull(support, a, middle);
    const first = unitHull(support, a, zero);
    const last = unitHull(support, a, lastUnit);
    size.push(c ? c[1] - c[0] + 1 : 0);
    start.push(mid(first));
    jump.push(n === 1 ? mid(last) - mid(first) : (mid(last) - mid(first)) / (n - 1));
  }
  const rip = period && g.spatial ? ripple(all, g.size.map(centre), period) : null;
  return {
    size,
    jump,
    start,
    global,
    ripple: rip,
    period: period ? { out: period.map((p) => p[0]), in: period.map((p) => p[1]) } : null,
  };
}
