import { TapSink, type AxisRule } from './axisRules';
import type { Geometry } from './geometry';
import { ColumnBuilder, combineColumns, IntervalColumn } from './intervals';
import { MAX_GATHERED_INTERVALS, MAX_HELD_INTERVALS, MAX_INTERVALS, WorkLimitError } from './limits';

/**
 * The field of every unit of a layer: which input positions reach it.
 *
 * Along a chain of separable layers the field of unit (u0, u1, ...) is a
 * product of per-axis sets S0(u0) x S1(u1) x ...; where branches meet, the
 * field is the union of the branches' products, which need not be a product
 * (a 1x3 and a 3x1 branch give a cross). So a layer's fields are kept as a
 * short list of product terms, unioned: exact, and one term on most networks.
 */
export interface FieldTerm {
  /** one column per axis: per unit, its set of input positions along that axis */
  axes: IntervalColumn[];
  /**
   * How many global operations (global pooling, dense, a broadcast gate) the
   * term's paths passed: 0 for a local path. Fields are measured on the terms
   * of the smallest depth a layer has (its local paths when it has any).
   */
  depth: number;
}

export type FieldSupport = FieldTerm[];

/** Per axis, the first unit and the number of units to compute. */
export type UnitRange = Array<[first: number, count: number]>;

export type SupportMode = 'real' | 'virtual';

/** Intervals gathered (before merging) in one propagation, counted down to refuse pathological networks. */
interface Budget {
  left: number;
}

function propagateColumn(
  rule: AxisRule,
  mode: SupportMode,
  input: IntervalColumn,
  first: number,
  count: number,
  sink: TapSink,
  budget: Budget,
): IntervalColumn {
  if (rule.identity && input.has(first) && input.has(first + count - 1)) return input.view(first, count);
  const out = new ColumnBuilder(first, count);
  for (let q = first; q < first + count; q++) {
    sink.reset();
    if (mode === 'real') rule.real(q, sink);
    else rule.virtual(q, sink);
    for (let t = 0; t < sink.length; t++) {
      if (!(sink.w[t]! > 0)) continue;
      const i = sink.idx[t]!;
      if (!input.has(i)) throw new Error(`internal: unit ${i} is outside the computed range of its layer`);
      const s = input.start(i);
      const e = input.end(i);
      budget.left -= e - s;
      for (let k = s; k < e; k++) out.add(input.lo[k]!, input.hi[k]!);
    }
    if (budget.left < 0) throw new WorkLimitError(`the fields of this network are too fragmented to follow (more than ${MAX_GATHERED_INTERVALS} pieces gathered)`);
    out.endUnit();
  }
  return out.finish();
}

function columnEmpty(col: IntervalColumn): boolean {
  return col.empty;
}

function termWithin(a: FieldTerm, b: FieldTerm): boolean {
  return a.axes.every((col, k) => col.within(b.axes[k]!));
}

/**
 * Removes terms contained in another (per unit, on every axis) and merges
 * terms that agree on all axes but one (A x B u A x C = A x (B u C)). A term
 * is never absorbed by one that passed more global operations, so the fields
 * of the local paths (and of the least global ones) stay measurable.
 */
export function simplifyTerms(terms: FieldTerm[]): FieldTerm[] {
  const list = terms.slice();
  let changed = true;
  while (changed) {
    changed = false;
    outer: for (let i = 0; i < list.length; i++) {
      for (let j = 0; j < list.length; j++) {
        if (i === j) continue;
        const a = list[i]!;
        const b = list[j]!;
        if (b.depth >= a.depth && termWithin(b, a)) {
          list.splice(j, 1);
          changed = true;
          break outer;
        }
        if (a.depth !== b.depth || j < i) continue;
        let differing = -1;
        let count = 0;
        for (let k = 0; k < a.axes.length; k++) {
          if (!a.axes[k]!.equals(b.axes[k]!)) {
            differing = k;
            count++;
          }
        }
        if (count === 1) {
          const axes = a.axes.slice();
          axes[differing] = combineColumns(a.axes[differing]!, b.axes[differing]!, 'or');
          list[i] = { axes, depth: a.depth };
          list.splice(j, 1);
          changed = true;
          break outer;
        }
      }
    }
  }
  return list;
}

/**
 * Inclusion-exclusion over a union of product terms: calls `each` with the
 * per-axis intersection of every non-empty subset of terms and its sign (+1
 * for odd subsets, -1 for even), so that counts of the union are the signed
 * sum of counts of products (the intersection of products is a product).
 */
export function forEachIntersection(terms: FieldTerm[], each: (cols: IntervalColumn[], sign: number) => void): void {
  const subsets = 1 << terms.length;
  for (let mask = 1; mask < subsets; mask++) {
    let cols: IntervalColumn[] | null = null;
    let bits = 0;
    for (let t = 0; t < terms.length; t++) {
      if (!(mask & (1 << t))) continue;
      bits++;
      const axes = terms[t]!.axes;
      cols = cols ? cols.map((c, a) => combineColumns(c, axes[a]!, 'and')) : axes.slice();
    }
    each(cols!, bits % 2 === 1 ? 1 : -1);
  }
}

/**
 * Computes the field terms of every layer, in graph order. In 'real' mode the
 * units are the layer's own [0, n) and fields are sets of input pixels; in
 * 'virtual' mode units and positions run over the unbounded axis and `ranges`
 * says which units to compute (it must include every unit a consumer reads).
 */
export function propagateSupports(
  geometry: Geometry,
  mode: SupportMode,
  ranges?: Map<string, UnitRange>,
): Map<string, FieldSupport> {
  const out = new Map<string, FieldSupport>();
  const sink = new TapSink();
  const budget: Budget = { left: MAX_GATHERED_INTERVALS };
  let held = 0;
  for (const g of geometry.nodes) {
    const range: UnitRange = ranges?.get(g.node.id) ?? g.size.map((n) => [0, n] as [number, number]);
    if (g.node.spec.op === 'input') {
      const axes = range.map(([first, count]) => {
        const b = new ColumnBuilder(first, count);
        for (let q = first; q < first + count; q++) {
          b.add(q, q);
          b.endUnit();
        }
        return b.finish();
      });
      out.set(g.node.id, [{ axes, depth: 0 }]);
      continue;
    }
    // A layer that copies its only input has its input's fields.
    if (g.node.inputs.length === 1 && g.rules[0]?.every((r) => r.identity)) {
      const support = out.get(g.node.inputs[0]!);
      if (support) {
        out.set(
          g.node.id,
          support.map((t) => ({ axes: t.axes.map((c, a) => c.view(range[a]![0], range[a]![1])), depth: t.depth })),
        );
        continue;
      }
    }
    const terms: FieldTerm[] = [];
    g.node.inputs.forEach((inputId, k) => {
      const rules = g.rules[k];
      const support = out.get(inputId);
      if (!rules || !support) return;
      const global = rules.some((r) => r.global === true);
      for (const term of support) {
        const axes = rules.map((rule, a) => propagateColumn(rule, mode, term.axes[a]!, range[a]![0], range[a]![1], sink, budget));
        if (axes.some(columnEmpty)) continue;
        terms.push({ axes, depth: term.depth + (global ? 1 : 0) });
      }
    });
    const simplified = simplifyTerms(terms);
    let intervals = 0;
    for (const t of simplified) for (const c of t.axes) intervals += c.offs[c.count]! - c.offs[0]!;
    if (intervals > MAX_INTERVALS) {
      throw new WorkLimitError(`the fields of this network are too fragmented to follow (more than ${MAX_INTERVALS} pieces at ${g.node.name})`);
    }
    held += intervals;
    if (held > MAX_HELD_INTERVALS) {
      throw new WorkLimitError(`the fields of this network are too large to follow (more than ${MAX_HELD_INTERVALS} pieces up to ${g.node.name})`);
    }
    out.set(g.node.id, simplified);
  }
  return out;
}
