/**
 * The engine against the brute-force reference (test/support/reference.ts) on
 * random small networks: shapes, path counts, coverage, receptive fields and
 * ripple, in 1-D, 2-D and 3-D, with every padding mode and the what-if override.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { EmptyRule } from '../../src/core/analysis/axisRules';
import { pathMap, TapCache } from '../../src/core/analysis/paths';
import { ModelAnalysis } from '../../src/core/analysis/modelAnalysis';
import type { LayerNode, ModelGraph, PadMode } from '../../src/core/graph/ir';
import { net } from '../support/build';
import { buildFromRecipe, recipeArb } from '../support/randomNets';
import { refField, refMaps, refRipple, refShapes } from '../support/reference';

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
    assert.equal(g!.flat, ref!.flat, `${node.id} flat`);
  }
  if (graph.nodes.length < 2) return;
  const last = graph.nodes[graph.nodes.length - 1]!.id;
  const middle = graph.nodes[Math.max(1, graph.nodes.length >> 1)]!.id;
  for (const targets of [[last], [middle], [last, middle].filter((v, i, a) => a.indexOf(v) === i)]) {
    const ref = refMaps(graph, input, targets, override);
    const map = analysis.pathMap(targets);
    const scaled = Array.from(map.values, (v) => v * 2 ** map.log2Scale);
    assertClose(scaled, ref.paths, `paths of ${targets.join('+')}`);
    // The dense path (with its running sums) must agree as well: force it everywhere.
    const dense = pathMap(analysis.geometry, targets, new TapCache(), { separableTerms: 0 });
    assertClose(
      Array.from(dense.values, (v) => v * 2 ** dense.log2Scale),
      ref.paths,
      `dense paths of ${targets.join('+')}`,
    );
    assert.deepEqual(Array.from(analysis.coverage(targets)), Array.from(ref.coverage), `coverage of ${targets.join('+')}`);
  }
  const connected = new Set<string>(['input']);
  for (const node of graph.nodes) {
    if (node.inputs.some((i) => connected.has(i))) connected.add(node.id);
    const got = analysis.fields.get(node.id);
    if (!connected.has(node.id)) {
      assert.equal(got, null, `${node.id} depends on no pixel: no field`);
      continue;
    }
    const want = refField(graph, shapes, node.id);
    assert.ok(got, `${node.id} has a field`);
    assert.deepEqual(got!.size, want.size, `${node.id} rf size`);
    assertClose(got!.jump, want.jump, `${node.id} jump`, 1e-12);
    assertClose(got!.start, want.start, `${node.id} start`, 1e-12);
    assert.equal(got!.global, want.global, `${node.id} global`);
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
        { numRuns: rank === 3 ? 60 : 250, seed: SEED + rank },
      );
    });
  }

  it('2-D with the padding what-if overriding every convolution', () => {
    fc.assert(
      fc.property(recipeArb(2), fc.constantFrom<PadMode>('zeros', 'reflect', 'replicate', 'circular'), (recipe, mode) => {
        check(buildFromRecipe(recipe), mode);
      }),
      { numRuns: 120, seed: SEED + 7 },
    );
  });

  for (const rank of [1, 2] as const) {
    it(`${rank}-D ripple equals the coverage of an unbounded input counted unit by unit`, () => {
      let compared = 0;
      fc.assert(
        fc.property(recipeArb(rank, rank === 1 ? 7 : 4), (recipe) => {
          const graph = buildFromRecipe(recipe);
          const analysis = new ModelAnalysis(graph, recipe.input);
          const shapes = refShapes(graph, recipe.input);
          for (const node of graph.nodes) {
            const f = analysis.fields.get(node.id);
            if (!f || f.ripple === null || !f.period || f.period.in.some((p) => p > 8)) continue;
            // Enough units on each side to reach a window of one period: units per pixel is periodOut/periodIn.
            const radius = f.period.in.map((pi, a) => Math.ceil(((f.size[a]! + pi + 2) * f.period!.out[a]!) / pi) + 2);
            if (radius.reduce((p, r) => p * (2 * r + 1), 1) > (rank === 1 ? 4000 : 2500)) continue;
            const want = refRipple(graph, shapes, node.id, radius, f.period.in);
            // the unbounded count includes paths through global operations only as a constant: compare without them
            if (graph.nodes.some((n) => ['globalPool', 'dense', 'flatten', 'normalize'].includes(n.spec.op))) continue;
            assert.ok(Math.abs(f.ripple - want) < 1e-12, `${node.id}: ripple ${f.ripple} vs ${want}`);
            compared++;
          }
        }),
        { numRuns: rank === 1 ? 150 : 80, seed: SEED + 11 + rank },
      );
      assert.ok(compared > 40, `compared ${compared} ripples`);
    });
  }
});

/**
 * The same network with a squeeze-and-excitation gate after some of its
 * spatial layers X: gap = globalPool(X), fc = 1x1 conv(gap) (or two with an
 * activation between), scale = mul(X, fc); X's consumers read scale instead.
 */
function withGates(graph: ModelGraph, gated: Set<string>, twoConvs: boolean, gateFirst: boolean): ModelGraph {
  const rename = new Map<string, string>();
  const nodes: LayerNode[] = [];
  const ones = new Array<number>(graph.rank).fill(1);
  const zeros = ones.map(() => 0);
  const conv = (id: string, from: string): LayerNode => ({
    id,
    name: id,
    type: 'conv',
    inputs: [from],
    origin: null,
    spec: { op: 'conv', sliding: { kernel: ones, stride: ones, dilation: ones, padding: { kind: 'explicit', before: zeros, after: zeros }, padMode: 'zeros', ceil: false } },
  });
  for (const n of graph.nodes) {
    nodes.push({ ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i) });
    if (!gated.has(n.id)) continue;
    nodes.push({ id: `${n.id}.gap`, name: 'gap', type: 'globalPool', inputs: [n.id], origin: null, spec: { op: 'globalPool' } });
    nodes.push(conv(`${n.id}.fc1`, `${n.id}.gap`));
    let gate = `${n.id}.fc1`;
    if (twoConvs) {
      nodes.push({ id: `${n.id}.act`, name: 'act', type: 'pointwise', inputs: [gate], origin: null, spec: { op: 'pointwise', kind: 'relu' } });
      nodes.push(conv(`${n.id}.fc2`, `${n.id}.act`));
      gate = `${n.id}.fc2`;
    }
    nodes.push({ id: `${n.id}.scale`, name: 'scale', type: 'mul', inputs: gateFirst ? [gate, n.id] : [n.id, gate], origin: null, spec: { op: 'mul', align: 'exact' } });
    rename.set(n.id, `${n.id}.scale`);
  }
  return { ...graph, nodes, outputs: graph.outputs.map((o) => rename.get(o) ?? o) };
}

describe('squeeze-and-excitation gates add global context, not geometry', function () {
  this.timeout(600000);
  for (const rank of [1, 2] as const) {
    it(`${rank}-D: with and without gates, every layer has the same size, jump and start; the gated net agrees with brute force`, () => {
      let gatedLayers = 0;
      fc.assert(
        fc.property(recipeArb(rank, 6), fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean(), (recipe, picks, twoConvs, gateFirst) => {
          const plain = buildFromRecipe(recipe);
          const input = recipe.input;
          const a = new ModelAnalysis(plain, input);
          const spatial = plain.nodes.filter((n) => a.geometry.byId.get(n.id)?.spatial);
          const gated = new Set(picks.map((p) => spatial[p % spatial.length]!.id));
          const graph = withGates(plain, gated, twoConvs, gateFirst);
          const b = new ModelAnalysis(graph, input);
          for (const n of plain.nodes) {
            const f = a.fields.get(n.id);
            const g = b.fields.get(n.id);
            if (!f) {
              assert.equal(g, null, n.id);
              continue;
            }
            assert.deepEqual(g!.size, f.size, `${n.id} size`);
            assertClose(g!.jump, f.jump, `${n.id} jump`, 0);
            assertClose(g!.start, f.start, `${n.id} start`, 0);
            if (f.global) assert.ok(g!.global, `${n.id} stays global`);
          }
          for (const x of gated) {
            const scale = b.fields.get(`${x}.scale`)!;
            const local = a.fields.get(x)!;
            assert.deepEqual([scale.size, scale.global], [local.size, true], `${x}.scale`);
            assertClose(scale.jump, local.jump, `${x}.scale jump`, 0);
            assertClose(scale.start, local.start, `${x}.scale start`, 0);
            // every layer that reads the gated map depends on the whole input
            for (const n of plain.nodes) {
              if (n.inputs.includes(x) && n.spec.op !== 'crop' && n.spec.op !== 'constant' && b.fields.get(n.id)) {
                const rules = b.geometry.byId.get(n.id)!.rules[n.inputs.indexOf(x)]!;
                if (!rules.some((r) => r instanceof EmptyRule)) assert.ok(b.fields.get(n.id)!.global, `${n.id} after the gate is global`);
              }
            }
            gatedLayers++;
          }
          // and maps, fields and the global flag of the gated net against the brute force
          check(graph);
        }),
        { numRuns: rank === 1 ? 50 : 30, seed: SEED + 21 + rank },
      );
      assert.ok(gatedLayers > 40, `gated ${gatedLayers} layers`);
    });
  }
});

describe('unions of many product terms', () => {
  it('eight branches of different shapes and offsets: coverage painted unit by unit equals brute force', () => {
    const b = net(2);
    const branches: string[] = [];
    // [kernel, padding before]: squares on a diagonal and bars, each pair different on both axes, none inside another
    const shapes: Array<[number[], number[]]> = [
      [[4, 4], [0, 0]],
      [[4, 4], [1, 1]],
      [[4, 4], [2, 2]],
      [[4, 4], [3, 3]],
      [[1, 7], [0, 3]],
      [[7, 1], [3, 0]],
      [[2, 5], [1, 4]],
      [[5, 2], [4, 1]],
    ];
    shapes.forEach(([k, before], i) => {
      const after = k.map((v, a) => v - 1 - before[a]!);
      b.conv(`b${i}`, { k, p: before.map((v, a) => [v, after[a]!] as [number, number]) }, 'input');
      branches.push(`b${i}`);
    });
    b.merge('cat', 'concat', branches).conv('top', { k: 3, s: 2, p: 1 });
    const graph = b.build();
    const a = new ModelAnalysis(graph, [9, 7]);
    assert.ok(a.support('cat').length > 6, `terms: ${a.support('cat').length}`);
    for (const target of ['cat', 'top']) {
      const ref = refMaps(graph, [9, 7], [target]);
      assert.deepEqual(Array.from(a.coverage([target])), Array.from(ref.coverage), target);
    }
  });
});
