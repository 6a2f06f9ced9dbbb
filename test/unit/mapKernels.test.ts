/**
 * The map engine's fast kernels and the analysis' shortcuts against their
 * plain definitions, bit for bit:
 * the gathered transpose of a tap matrix (paths.ts) against adding band after
 * band into zeros and then the sparse taps, on random window and shift rules
 * with every padding mode, random non-integer values (where the order of
 * additions shows in the last bits) and arrays reused dirty from the pool;
 * the one-pass sums of outer products and of maps against one pass per term;
 * on random networks, the what-if analyses that share work (or are the file's
 * own) against analyses computed from scratch, coverage metrics without a map
 * against the map's, and RFL001's early exit against the coverage it skips.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ShiftRule, WindowRule, type AxisRule } from '../../src/core/analysis/axisRules';
import { addOuter, addOuterTerms } from '../../src/core/analysis/outer';
import { ArrayPool, sumPathMaps, transposeAlongAxis } from '../../src/core/analysis/paths';
import { tapMatrix, type TapMatrix } from '../../src/core/analysis/tapMatrix';
import { ModelAnalysis } from '../../src/core/analysis/modelAnalysis';
import { coverageMetrics } from '../../src/core/analysis/metrics';
import { FINDING_RULES } from '../../src/core/analysis/rules';
import type { PadMode } from '../../src/core/graph/ir';
import { buildFromRecipe, recipeArb } from '../support/randomNets';

const SEED = Number(process.env.RFL_FC_SEED ?? 20261128);
const MODES: PadMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

/** y = M^T x along one axis as the definition reads: each band in turn into zeros, then the sparse taps. */
function reference(m: TapMatrix, x: Float64Array, shape: number[], axis: number): Float64Array {
  const outer = shape.slice(0, axis).reduce((p, n) => p * n, 1);
  const inner = shape.slice(axis + 1).reduce((p, n) => p * n, 1);
  const y = new Float64Array(outer * m.nIn * inner);
  for (let r = 0; r < outer; r++) {
    for (const b of m.bands) {
      for (let o = b.oLo; o <= b.oHi; o++) {
        for (let j = 0; j < inner; j++) y[(r * m.nIn + o * b.stride + b.offset) * inner + j]! += x[(r * m.nOut + o) * inner + j]!;
      }
    }
    for (let o = 0; o < m.nOut; o++) {
      for (let t = m.offsets[o]!; t < m.offsets[o + 1]!; t++) {
        for (let j = 0; j < inner; j++) y[(r * m.nIn + m.index[t]!) * inner + j]! += m.weight[t]! * x[(r * m.nOut + o) * inner + j]!;
      }
    }
  }
  return y;
}

const ruleArb: fc.Arbitrary<AxisRule> = fc.oneof(
  fc
    .record({
      nIn: fc.integer({ min: 1, max: 40 }),
      kernel: fc.integer({ min: 1, max: 9 }),
      stride: fc.integer({ min: 1, max: 4 }),
      dilation: fc.integer({ min: 1, max: 3 }),
      before: fc.integer({ min: 0, max: 9 }),
      after: fc.integer({ min: 0, max: 9 }),
      mode: fc.constantFrom(...MODES),
    })
    .map(({ nIn, kernel, stride, dilation, before, after, mode }) => {
      const extent = dilation * (kernel - 1) + 1;
      const nOut = Math.max(1, Math.floor((nIn + before + after - extent) / stride) + 1);
      // padding copies need a source inside the input (reflect: smaller than it)
      const padMode = mode === 'reflect' && Math.max(before, after) >= nIn ? 'replicate' : mode;
      return new WindowRule(nIn, nOut, kernel, stride, dilation, before, after, padMode) as AxisRule;
    }),
  fc
    .record({ nIn: fc.integer({ min: 1, max: 40 }), nOut: fc.integer({ min: 1, max: 40 }), offset: fc.integer({ min: -10, max: 10 }) })
    .map(({ nIn, nOut, offset }) => new ShiftRule(nIn, nOut, offset) as AxisRule),
);

const caseArb = fc.record({
  rule: ruleArb,
  rank: fc.integer({ min: 1, max: 3 }),
  axisPick: fc.nat(),
  others: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 2 }),
  seed: fc.nat(),
  integral: fc.boolean(),
});

function values(n: number, seed: number, integral: boolean): Float64Array {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  // Non-integers of very different magnitudes: a different order of additions changes the last bits.
  return Float64Array.from({ length: n }, () => (next() < 0.2 ? 0 : integral ? Math.floor(next() * 50) : next() * 2 ** Math.floor(next() * 60 - 30)));
}

describe('map kernels = their definitions, bit for bit', function () {
  this.timeout(120000);
  it('the gathered transpose along any axis equals band after band (fresh arrays and dirty reused ones)', () => {
    fc.assert(
      fc.property(caseArb, ({ rule, rank, axisPick, others, seed, integral }) => {
        const m = tapMatrix(rule);
        if (m.identity) return;
        const axis = axisPick % rank;
        const shape = Array.from({ length: rank }, (_, a) => (a === axis ? m.nOut : others[a % 2]!));
        const x = values(shape.reduce((p, n) => p * n, 1), seed, integral);
        const want = reference(m, x, shape, axis);
        const pool = new ArrayPool();
        // arrays of the result's length full of garbage: whatever is not written must not show
        for (let k = 0; k < 2; k++) pool.give(new Float64Array(want.length).fill(NaN));
        for (const got of [transposeAlongAxis(m, x, shape, axis), transposeAlongAxis(m, x, shape, axis, pool)]) {
          assert.equal(got.length, want.length);
          for (let i = 0; i < want.length; i++) {
            if (!Object.is(got[i], want[i])) assert.fail(`${rule.constructor.name} ${JSON.stringify(m.bands)} axis ${axis} of ${shape}: at ${i} got ${got[i]} want ${want[i]}`);
          }
        }
        // On whole numbers the sliding sums of a wide stride-1 window are exact: the same numbers again.
        if (integral && m.run) {
          const got = transposeAlongAxis(m, x, shape, axis, pool, true);
          for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `sliding sums at ${i}: ${got[i]} vs ${want[i]}`);
        }
      }),
      { seed: SEED, numRuns: 600 },
    );
  });

  const termsArb = fc.record({
    rank: fc.integer({ min: 1, max: 3 }),
    sizes: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
    count: fc.integer({ min: 1, max: 8 }),
    seed: fc.nat(),
    exps: fc.array(fc.integer({ min: -40, max: 0 }), { minLength: 8, maxLength: 8 }),
  });

  it('one pass over a sum of outer products equals one pass per term', () => {
    fc.assert(
      fc.property(termsArb, ({ rank, sizes, count, seed, exps }) => {
        const shape = sizes.slice(0, rank);
        const terms = Array.from({ length: count }, (_, t) => ({
          factors: shape.map((n, a) => values(n, seed + 7 * t + a, false)),
          scale: 2 ** exps[t]!,
        }));
        const n = shape.reduce((p, k) => p * k, 1);
        const want = values(n, seed + 99, false);
        const got = want.slice();
        for (const t of terms) addOuter(want, t.factors, t.scale);
        addOuterTerms(got, terms);
        for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], want[i]), `${shape} x${count} at ${i}: ${got[i]} vs ${want[i]}`);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('the sum of several maps equals adding them one by one', () => {
    fc.assert(
      fc.property(termsArb, ({ sizes, count, seed, exps }) => {
        const shape = sizes.slice(0, 2);
        const n = shape[0]! * shape[1]!;
        const maps = Array.from({ length: Math.min(count, 4) }, (_, k) => ({ shape, values: values(n, seed + k, false), log2Scale: exps[k]! }));
        const exp = Math.max(...maps.map((m) => m.log2Scale));
        const want = new Float64Array(n);
        for (const m of maps) for (let i = 0; i < n; i++) want[i]! += 2 ** (m.log2Scale - exp) * m.values[i]!;
        const got = sumPathMaps(maps);
        // sumPathMaps rescales by a power of two at the end: exact, undone here
        const back = 2 ** (got.log2Scale - exp);
        for (let i = 0; i < n; i++) assert.ok(Object.is(got.values[i]! * back, want[i]), `${maps.length} maps at ${i}`);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('analysis shortcuts = what they skip, on random networks', function () {
  this.timeout(600000);
  const sameBits = (a: Float64Array, b: Float64Array, what: string) => {
    assert.equal(a.length, b.length, what);
    for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what} at ${i}: ${a[i]} vs ${b[i]}`);
  };

  it('a padding what-if (sharing the fields, or the file\'s own analysis when nothing changes) = the same what-if from scratch', () => {
    let reused = 0;
    fc.assert(
      fc.property(recipeArb(2), fc.constantFrom<PadMode>(...MODES), fc.constantFrom<PadMode | undefined>(undefined, ...MODES), (recipe, mode, base) => {
        const graph = buildFromRecipe(recipe);
        const input = graph.statedInput!;
        const own = new ModelAnalysis(graph, input, base ? { padModeOverride: base } : {});
        const shared = own.withPadding(mode);
        if (shared === own) reused++;
        const fresh = new ModelAnalysis(graph, input, { padModeOverride: mode });
        assert.deepEqual([...shared.fields], [...fresh.fields], 'receptive fields');
        for (const g of fresh.geometry.nodes) {
          if (g.node.spec.op === 'input' || !g.spatial) continue;
          const id = g.node.id;
          const a = shared.pathMap([id]);
          const b = fresh.pathMap([id]);
          assert.equal(a.log2Scale, b.log2Scale, `${id} scale`);
          sameBits(a.values, b.values, `${id} paths`);
          sameBits(shared.coverage([id]), fresh.coverage([id]), `${id} coverage`);
        }
      }),
      { seed: SEED + 11, numRuns: 150 },
    );
    // both cases were met: the file's own analysis reused, and a new one sharing the fields
    assert.ok(reused > 10 && reused < 140, `reused ${reused} of 150`);
  });

  it('coverage metrics from per-axis counts = the metrics of the coverage map; RFL001 is silent exactly when no pixel is dead', () => {
    for (const rank of [1, 2, 3] as const) {
      fc.assert(
        fc.property(recipeArb(rank), (recipe) => {
          const graph = buildFromRecipe(recipe);
          const analysis = new ModelAnalysis(graph, graph.statedInput!);
          const ids = analysis.geometry.nodes.filter((g) => g.node.spec.op !== 'input').map((g) => g.node.id);
          for (const id of ids) assert.deepEqual(analysis.coverageMetrics([id]), coverageMetrics(analysis.coverage([id])), `${id}`);
          const finals = analysis.finalSpatialLayers(graph.outputs);
          if (finals.length === 0) return;
          const found = FINDING_RULES.RFL001.run({ analysis, outputs: graph.outputs, finals, options: { edgeRatioThreshold: 0.25, inputFromFile: true, searchMaps: 24 } });
          assert.equal(found.length > 0, analysis.coverage(finals).some((v) => v === 0), 'RFL001 iff a dead pixel');
        }),
        { seed: SEED + 13 + rank, numRuns: rank === 3 ? 60 : 200 },
      );
    }
  });
});
