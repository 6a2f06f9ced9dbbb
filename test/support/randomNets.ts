/**
 * Random small networks for property tests: a recipe of random numbers is
 * turned into a valid graph, layer by layer, keeping only layers whose output
 * the textbook shape formulas accept and that keep the brute force cheap.
 */
import fc from 'fast-check';
import type { LayerNode, LayerOp, ModelGraph, PadMode, Padding } from '../../src/core/graph/ir';
import { refShapes } from './reference';

export interface Recipe {
  rank: number;
  input: number[];
  steps: number[][];
  outputsFromEnd: number;
}

const MODES: PadMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

export function recipeArb(rank: 1 | 2 | 3): fc.Arbitrary<Recipe> {
  const size = rank === 1 ? fc.integer({ min: 3, max: 24 }) : rank === 2 ? fc.integer({ min: 3, max: 11 }) : fc.integer({ min: 3, max: 5 });
  return fc.record({
    rank: fc.constant(rank),
    input: fc.array(size, { minLength: rank, maxLength: rank }),
    steps: fc.array(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: 7 }),
    outputsFromEnd: fc.integer({ min: 1, max: 2 }),
  });
}

function pick<T>(list: readonly T[], r: number): T {
  return list[r % list.length]!;
}

/** Builds the graph a recipe describes; every layer it keeps has a valid shape. */
export function buildFromRecipe(recipe: Recipe, maxElements = recipe.rank === 1 ? 64 : recipe.rank === 2 ? 169 : 125): ModelGraph {
  const rank = recipe.rank;
  const nodes: LayerNode[] = [{ id: 'input', name: 'input', type: 'input', inputs: [], spec: { op: 'input', shape: recipe.input }, origin: null }];
  const graph = (): ModelGraph => ({ format: 'test', name: 'random', rank, nodes, outputs: [nodes[nodes.length - 1]!.id], statedInput: recipe.input });
  let counter = 0;
  const per = (r: number[], k: number, lo: number, hi: number) =>
    Array.from({ length: rank }, (_, a) => lo + ((r[(k + a) % r.length]! >> a) % (hi - lo + 1)));
  const tryAdd = (spec: LayerOp, inputs: string[], extra: LayerNode[] = []): boolean => {
    const id = `L${counter++}`;
    const candidate: LayerNode = { id, name: id, type: spec.op, inputs, spec, origin: null };
    const all = [...nodes, ...extra, candidate];
    const shapes = refShapes({ ...graph(), nodes: all }, recipe.input);
    const mine = shapes.get(id);
    if (!mine || extra.some((e) => !shapes.get(e.id))) return false;
    const elements = mine.size.reduce((p, x) => p * x, 1);
    if (mine.size.some((x) => x < 1) || elements > maxElements) return false;
    nodes.push(...extra, candidate);
    return true;
  };
  const padding = (r: number[], k: number): Padding => {
    const choice = r[k]! % 6;
    if (choice === 4) return { kind: 'same', rule: 'upper' };
    if (choice === 5) return { kind: 'same', rule: 'lower' };
    return { kind: 'explicit', before: per(r, k + 1, 0, 2), after: per(r, k + 2, 0, 2) };
  };
  for (const r of recipe.steps) {
    const last = nodes[nodes.length - 1]!.id;
    const earlier = nodes[r[11]! % nodes.length]!.id;
    switch (r[0]! % 12) {
      case 0:
      case 1:
      case 2: {
        const mode = pick(MODES, r[6]!);
        tryAdd(
          {
            op: 'conv',
            window: { kernel: per(r, 1, 1, 4), stride: per(r, 2, 1, 3), dilation: per(r, 3, 1, 2), padding: padding(r, 4), padMode: mode, ceil: false },
          },
          [last],
        );
        break;
      }
      case 3: {
        const ceil = pick([false, 'always', 'when-padded'] as const, r[6]!);
        tryAdd(
          {
            op: 'pool',
            pool: 'max',
            window: { kernel: per(r, 1, 1, 3), stride: per(r, 2, 1, 3), dilation: per(r, 3, 1, 1), padding: { kind: 'explicit', before: per(r, 4, 0, 1), after: per(r, 5, 0, 1) }, padMode: 'zeros', ceil },
          },
          [last],
        );
        break;
      }
      case 4: {
        const stride = per(r, 2, 1, 3);
        tryAdd(
          {
            op: 'convtranspose',
            kernel: per(r, 1, 1, 4),
            stride,
            dilation: per(r, 3, 1, 2),
            padBefore: per(r, 4, 0, 1),
            padAfter: per(r, 5, 0, 1),
            outputPadding: stride.map((s, a) => (r[7 + a]! % s)),
          },
          [last],
        );
        break;
      }
      case 5: {
        const bilinear = r[1]! % 2 === 1;
        tryAdd(
          bilinear
            ? { op: 'upsample', mode: 'bilinear', scale: per(r, 2, 2, 3), size: null, alignCorners: r[3]! % 2 === 1 }
            : { op: 'upsample', mode: 'nearest', scale: per(r, 2, 1, 3), size: null, alignCorners: false },
          [last],
        );
        break;
      }
      case 6: {
        const layout = rank === 2 ? pick(['clean', 'darknet-pjreddie', 'darknet-alexeyab'] as const, r[1]!) : 'clean';
        const sizes = refShapes(graph(), recipe.input).get(last)!.size;
        // Darknet's reorg needs sizes divisible by the block.
        if (layout !== 'clean' && sizes.some((n) => n % 2 !== 0)) break;
        tryAdd({ op: 'spaceToDepth', block: new Array<number>(rank).fill(2), layout }, [last]);
        break;
      }
      case 7: {
        const sizes = refShapes(graph(), recipe.input).get(last)!.size;
        const size = sizes.map((n, a) => 1 + (r[1 + a]! % n));
        const offset = sizes.map((n, a) => r[4 + a]! % (n - size[a]! + 1));
        tryAdd({ op: 'crop', offset: r[8]! % 3 === 0 ? 'center' : offset, size }, [last]);
        break;
      }
      case 8:
      case 9: {
        // A branch from an earlier layer of the same size, merged with the last one.
        const shapes = refShapes(graph(), recipe.input);
        const want = shapes.get(last)!.size;
        const same = nodes.filter((n) => shapes.get(n.id)!.size.every((x, a) => x === want[a]) && shapes.get(n.id)!.spatial);
        const from = same[r[1]! % same.length]!.id;
        const k = 1 + 2 * (r[2]! % 2);
        const branchId = `L${counter++}`;
        const branch: LayerNode = {
          id: branchId,
          name: branchId,
          type: 'conv',
          inputs: [from],
          origin: null,
          spec: {
            op: 'conv',
            window: {
              kernel: per(r, 3, 1, k).map((v) => (v % 2 === 0 ? v + 1 : v)).map((v) => Math.min(v, k)),
              stride: new Array<number>(rank).fill(1),
              dilation: new Array<number>(rank).fill(1),
              padding: { kind: 'same', rule: r[5]! % 2 ? 'upper' : 'lower' },
              padMode: pick(MODES, r[6]!),
              ceil: false,
            },
          },
        };
        tryAdd({ op: pick(['add', 'concat', 'mul'] as const, r[7]!), align: 'exact' }, [last, branchId], [branch]);
        break;
      }
      case 10: {
        if (rank !== 2) {
          tryAdd({ op: 'pixelShuffle', factor: new Array<number>(rank).fill(2) }, [last]);
          break;
        }
        // Darknet shortcut between sizes: an earlier layer of another size, sampled.
        const shapes = refShapes(graph(), recipe.input);
        const want = shapes.get(last)!.size;
        const other = shapes.get(earlier)!;
        const ratio = (a: number, b: number) => Math.trunc(a / b);
        const sameRatio =
          ratio(other.size[0]!, want[0]!) === ratio(other.size[1]!, want[1]!) && ratio(want[0]!, other.size[0]!) === ratio(want[1]!, other.size[1]!);
        if (!other.spatial || other.size.every((x, a) => x === want[a]) || !sameRatio) {
          tryAdd({ op: 'pixelShuffle', factor: [2, 2] }, [last]);
          break;
        }
        tryAdd({ op: 'add', align: 'darknet-sample' }, [last, earlier]);
        break;
      }
      case 11: {
        // A squeeze-and-excitation gate.
        const gapId = `L${counter++}`;
        const gap: LayerNode = { id: gapId, name: gapId, type: 'globalPool', inputs: [last], origin: null, spec: { op: 'globalPool' } };
        tryAdd({ op: 'mul', align: 'exact' }, [last, gapId], [gap]);
        break;
      }
    }
  }
  return graph();
}
