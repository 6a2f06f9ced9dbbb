/**
 * The engine against the brute-force reference (test/support/reference.ts) on
 * random small networks: shapes, path counts, coverage, receptive fields and
 * ripple, in 1-D, 2-D and 3-D, with every padding mode and the what-if override.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ModelAnalysis } from '../../src/core/analysis/session';
import type { ModelGraph, PadMode } from '../../src/core/graph/ir';
import { buildFromRecipe, recipeArb } from '../support/randomNets';
import { refField, refMaps, refRipple1D, refShapes } from '../support/reference';

const SEED = Number(process.env.RFL_FC_SEED ?? 20261128);

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = 1e-9) {
  assert.equal(got.length, want.length, `${what}: length`);
  let peak = 0;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!)) peak = Math.max(peak, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]!) && Number.isNaN(got[i]!)) continue;
    if (!(Math.abs(got[i]! - want[i]!) <= rel * Math.max(peak, 1e-300))) {
      assert.fail(`${what}: at ${i} got ${got[i]} want ${want[i]} (peak ${peak})`);
    }
  }
}

function check(graph: ModelGraph, override?: PadMode) {
  const input = graph.statedInput!;
  const analysis = new ModelAnalysis(graph, input, override ? { padModeOverride: override } : {});
  const shapes = refShapes(graph, input);
  for (const node of graph.nodes) {
    const ref = shapes.get(node.id);
    const g = analysis.geometry.byId.get(node.id);
    assert.ok(ref && g, `${node.id} has a shape in both`);
    assert.deepEqual(g!.size, ref!.size, `${node.id} size`);
    assert.equal(g!.spatial, ref!.spatial, `${node.id} spatial`);
  }
  if (graph.nodes.length < 2) return;
  const last = graph.nodes[graph.nodes.length - 1]!.id;
  const middle = graph.nodes[Math.max(1, graph.nodes.length >> 1)]!.id;
  for (const targets of [[last], [middle], [last, middle].filter((v, i, a) => a.indexOf(v) === i)]) {
    const ref = refMaps(graph, input, targets, override);
    const map = analysis.pathMap(targets);
    const scaled = Array.from(map.values, (v) => v * 2 ** map.log2Scale);
    assertClose(scaled, ref.paths, `paths of ${targets.join('+')}`);
    assert.deepEqual(Array.from(analysis.coverage(targets)), Array.from(ref.coverage), `coverage of ${targets.join('+')}`);
  }
  for (const node of graph.nodes) {
    const want = refField(graph, shapes, node.id);
    const got = analysis.fields.get(node.id);
    assert.ok(got, `${node.id} has a field`);
    assert.deepEqual(got!.size, want.size, `${node.id} rf size`);
    assertClose(got!.jump, want.jump, `${node.id} jump`, 1e-12);
    assertClose(got!.start, want.start, `${node.id} start`, 1e-12);
  }
}

describe('engine = brute force on random networks', function () {
  this.timeout(600000);
  for (const rank of [1, 2, 3] as const) {
    it(`${rank}-D: shapes, path counts, coverage and receptive fields`, () => {
      fc.assert(
        fc.property(recipeArb(rank), (recipe) => {
          check(buildFromRecipe(recipe));
        }),
        { numRuns: rank === 3 ? 40 : 150, seed: SEED + rank },
      );
    });
  }

  it('2-D with the padding what-if overriding every convolution', () => {
    fc.assert(
      fc.property(recipeArb(2), fc.constantFrom<PadMode>('zeros', 'reflect', 'replicate', 'circular'), (recipe, mode) => {
        check(buildFromRecipe(recipe), mode);
      }),
      { numRuns: 80, seed: SEED + 7 },
    );
  });

  it('1-D ripple equals the coverage of an unbounded input counted unit by unit', () => {
    let compared = 0;
    fc.assert(
      fc.property(recipeArb(1), (recipe) => {
        const graph = buildFromRecipe(recipe);
        const analysis = new ModelAnalysis(graph, recipe.input);
        const shapes = refShapes(graph, recipe.input);
        for (const node of graph.nodes) {
          const f = analysis.fields.get(node.id)!;
          if (f.ripple === null || !f.period || f.period.in[0]! > 12) continue;
          const hasGlobal = graph.nodes.some((n) => n.spec.op === 'globalPool' || n.spec.op === 'dense');
          if (hasGlobal) continue;
          // enough units on each side to cover the window: units per pixel is periodOut/periodIn
          const radius = Math.min(3000, Math.ceil((40 * f.period.out[0]!) / f.period.in[0]!) + 20);
          const want = refRipple1D(graph, shapes, node.id, radius, 12);
          assert.ok(Math.abs(f.ripple - want) < 1e-12, `${node.id}: ripple ${f.ripple} vs ${want}`);
          compared++;
        }
      }),
      { numRuns: 120, seed: SEED + 11 },
    );
    assert.ok(compared > 50, `compared ${compared} ripples`);
  });
});
