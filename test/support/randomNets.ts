/**
 * Random small networks for property tests: a recipe of random numbers is
 * turned into a valid graph, layer by layer, keeping only layers whose output
 * the textbook shape formulas accept and that keep the brute force cheap.
 * Every op of the IR appears, with every padding rule, ceil and C rounding,
 * branches that are not centred and branches of different shapes (whose
 * union of fields is not a product), merges of up to three inputs.
 */
import fc from 'fast-check';
import type { LayerNode, LayerOp, ModelGraph, PadMode, Padding, WindowCount } from '../../src/core/graph/ir';
import { refShapes } from './reference';

export interface Recipe {
  rank: number;
  input: number[];
  steps: number[][];
}

const MODES: PadMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

export function recipeArb(rank: 1 | 2 | 3, maxSteps = 7): fc.Arbitrary<Recipe> {
  const size = rank === 1 ? fc.integer({ min: 1, max: 24 }) : rank === 2 ? fc.integer({ min: 1, max: 11 }) : fc.integer({ min: 1, max: 5 });
  return fc.record({
    rank: fc.constant(rank),
    input: fc.array(size, { minLength: rank, maxLength: rank }),
    steps: fc.array(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: maxSteps }),
  });
}

function pick<T>(list: readonly T[], r: number): T {
  return list[r % list.length]!;
}

/** Builds the graph a recipe describes; every layer it keeps has a valid shape. */
export function buildFromRecipe(recipe: Recipe, maxElements = recipe.rank === 1 ? 64 : recipe.rank === 2 ? 169 : 125): ModelGraph {
  const rank = recipe.rank;
  const nodes: LayerNode[] = [{ id: 'input', name: 'input', type: 'input', inputs: [], spec: { op: 'input', shape: recipe.input }, origin: null }];
  const graph = (list = nodes): ModelGraph => ({ format: 'test', name: 'random', rank, nodes: list, outputs: [list[list.length - 1]!.id], statedInput: recipe.input });
  let counter = 0;
  const newId = () => `L${counter++}`;
  const per = (r: number[], k: number, lo: number, hi: number) =>
    Array.from({ length: rank }, (_, a) => lo + ((r[(k + a) % r.length]! >> a) % (hi - lo + 1)));
  const shapes = () => refShapes(graph(), recipe.input);
  /** Adds `extra` nodes then a node with `spec`, if every one of them has a valid, small enough shape. */
  const tryAdd = (spec: LayerOp, inputs: string[], extra: LayerNode[] = []): boolean => {
    const id = newId();
    const candidate: LayerNode = { id, name: id, type: spec.op, inputs, spec, origin: null };
    const all = [...nodes, ...extra, candidate];
    const s = refShapes(graph(all), recipe.input);
    for (const n of [...extra, candidate]) {
      const mine = s.get(n.id);
      if (!mine || mine.size.some((x) => x < 1) || mine.size.reduce((p, x) => p * x, 1) > maxElements) return false;
    }
    nodes.push(...extra, candidate);
    return true;
  };
  const padding = (r: number[], k: number, stride: number[]): Padding => {
    const choice = r[k]! % 7;
    if (choice === 4) return { kind: 'same', rule: 'upper' };
    if (choice === 5) return { kind: 'same', rule: 'lower' };
    if (choice === 6 && stride.every((s) => s === 1)) return { kind: 'same', rule: 'torch' };
    return { kind: 'explicit', before: per(r, k + 1, 0, 2), after: per(r, k + 2, 0, 2) };
  };
  const count = (r: number): WindowCount => pick(['floor', 'floor', 'c', 'darknet-local'] as const, r);
  /** A stride-1 branch that keeps the size, with a kernel per axis and its padding split unevenly (not centred). */
  const keepSizeBranch = (from: string, r: number[]): LayerNode => {
    const kernel = per(r, 2, 1, 3);
    const before = kernel.map((k, a) => (r[5 + a]! % k));
    return {
      id: newId(),
      name: 'branch',
      type: 'conv',
      inputs: [from],
      origin: null,
      spec: {
        op: 'conv',
        sliding: {
          kernel,
          stride: new Array<number>(rank).fill(1),
          dilation: new Array<number>(rank).fill(1),
          padding: { kind: 'explicit', before, after: kernel.map((k, a) => k - 1 - before[a]!) },
          padMode: pick(MODES, r[9]!),
          ceil: false,
        },
      },
    };
  };
  for (const r of recipe.steps) {
    const last = nodes[nodes.length - 1]!.id;
    const earlier = nodes[r[11]! % nodes.length]!.id;
    switch (r[0]! % 16) {
      case 0:
      case 1:
      case 2: {
        const stride = per(r, 2, 1, 3);
        const c = count(r[8]!);
        tryAdd(
          {
            op: 'conv',
            sliding: {
              kernel: per(r, 1, 1, 4),
              stride,
              dilation: per(r, 3, 1, 2),
              padding: c === 'darknet-local' ? { kind: 'explicit', before: per(r, 5, 0, 1), after: per(r, 5, 0, 1) } : padding(r, 4, stride),
              padMode: c === 'darknet-local' ? 'zeros' : pick(MODES, r[6]!),
              ceil: r[7]! % 5 === 0 && c === 'floor' ? 'always' : false,
              count: c,
            },
          },
          [last],
        );
        break;
      }
      case 3: {
        if (r[10]! % 4 === 0) {
          // adaptive pooling to a size below, equal to or above the input's (None keeps an axis)
          const sizes = shapes().get(last)!.size;
          tryAdd({ op: 'adaptivePool', pool: 'avg', output: sizes.map((n, a) => (r[8]! % 5 === a ? null : 1 + (r[1 + a]! % (n + 2)))) }, [last]);
          break;
        }
        const ceil = pick([false, 'always', 'when-padded'] as const, r[6]!);
        const stride = per(r, 2, 1, 3);
        tryAdd(
          {
            op: 'pool',
            pool: 'max',
            sliding: {
              kernel: per(r, 1, 1, 3),
              stride,
              dilation: per(r, 3, 1, 2),
              padding: r[9]! % 4 === 0 ? { kind: 'same', rule: 'upper' } : { kind: 'explicit', before: per(r, 4, 0, 2), after: per(r, 5, 0, 2) },
              padMode: 'zeros',
              ceil,
              count: ceil ? 'floor' : pick(['floor', 'c'] as const, r[7]!),
            },
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
            sliding: {
              kernel: per(r, 1, 1, 4),
              stride,
              dilation: per(r, 3, 1, 2),
              padding: { kind: 'explicit', before: per(r, 4, 0, 1), after: per(r, 5, 0, 1) },
              padMode: 'zeros',
              ceil: false,
            },
            outputPadding: stride.map((s, a) => r[7 + a]! % s),
          },
          [last],
        );
        break;
      }
      case 5: {
        const mode = r[1]! % 2 === 1 ? 'bilinear' : 'nearest';
        const sizes = shapes().get(last)!.size;
        const explicit = r[4]! % 3 === 0;
        tryAdd(
          explicit
            ? { op: 'upsample', mode, scale: null, size: sizes.map((n, a) => 1 + (r[5 + a]! % (2 * n + 1))), alignCorners: r[3]! % 2 === 1 }
            : { op: 'upsample', mode, scale: per(r, 2, 1, 3), size: null, alignCorners: mode === 'bilinear' && r[3]! % 2 === 1 },
          [last],
        );
        break;
      }
      case 6: {
        const layout = rank === 2 ? pick(['clean', 'darknet-reorg', 'darknet-reorg3d'] as const, r[1]!) : 'clean';
        const sizes = shapes().get(last)!.size;
        // Darknet's reorg needs sizes divisible by the block.
        if (layout !== 'clean' && sizes.some((n) => n % 2 !== 0)) break;
        tryAdd({ op: 'spaceToDepth', block: new Array<number>(rank).fill(2), layout }, [last]);
        break;
      }
      case 7: {
        const s = shapes();
        const sizes = s.get(last)!.size;
        // Crop to a reference layer's size (Caffe), to given sizes, or by margins (Keras Cropping2D); some axes kept.
        const ref = nodes.find((n) => n.id !== last && s.get(n.id)!.spatial && s.get(n.id)!.size.every((x, a) => x <= sizes[a]!));
        const useRef = ref && r[9]! % 2 === 0;
        if (!useRef && r[11]! % 3 === 0) {
          const offset = sizes.map((n, a) => r[4 + a]! % n);
          const size = sizes.map((n, a) => ({ trimEnd: r[1 + a]! % (n - offset[a]!) }));
          tryAdd({ op: 'crop', offset, size }, [last]);
          break;
        }
        const size = sizes.map((n, a) => (useRef ? ('reference' as const) : r[10]! % 4 === a ? ('keep' as const) : 1 + (r[1 + a]! % n)));
        const target = size.map((v, a) => (v === 'reference' ? s.get(ref!.id)!.size[a]! : v === 'keep' ? sizes[a]! : v));
        const offset = sizes.map((n, a) => r[4 + a]! % (n - target[a]! + 1));
        tryAdd({ op: 'crop', offset: !useRef && r[8]! % 3 === 0 ? 'center' : offset, size }, useRef ? [last, ref!.id] : [last]);
        break;
      }
      case 8:
      case 9: {
        // Up to two branches from an earlier layer of the same size, merged with the last one.
        const s = shapes();
        const want = s.get(last)!.size;
        const same = nodes.filter((n) => s.get(n.id)!.size.every((x, a) => x === want[a]) && s.get(n.id)!.spatial);
        if (same.length === 0) break;
        const b1 = keepSizeBranch(same[r[1]! % same.length]!.id, r);
        const extra = [b1];
        if (r[3]! % 3 === 0) extra.push(keepSizeBranch(same[r[4]! % same.length]!.id, [...r.slice(6), ...r.slice(0, 6)]));
        tryAdd({ op: pick(['add', 'concat', 'mul'] as const, r[7]!), align: 'exact' }, [last, ...extra.map((e) => e.id)], extra);
        break;
      }
      case 10: {
        if (rank !== 2) {
          tryAdd({ op: 'pixelShuffle', factor: new Array<number>(rank).fill(2) }, [last]);
          break;
        }
        // Darknet shortcut between sizes: an earlier layer of another size, sampled.
        const s = shapes();
        const want = s.get(last)!.size;
        const other = s.get(earlier)!;
        const ratio = (a: number, b: number) => Math.trunc(a / b);
        const sameRatio =
          ratio(other.size[0]!, want[0]!) === ratio(other.size[1]!, want[1]!) && ratio(want[0]!, other.size[0]!) === ratio(want[1]!, other.size[1]!);
        if (!other.spatial || other.size.every((x, a) => x === want[a]) || !sameRatio) {
          tryAdd({ op: 'pixelShuffle', factor: [2, 2] }, [last]);
          break;
        }
        tryAdd({ op: 'add', align: pick(['darknet-sample', 'darknet-flat'] as const, r[1]!) }, [last, earlier]);
        break;
      }
      case 11: {
        // A squeeze-and-excitation gate: global pool, then nothing, one or two 1x1 convolutions (with an
        // activation between), or a dense layer; multiplied with the local map, either operand first,
        // and sometimes added back to it (a residual block).
        const gap: LayerNode = { id: newId(), name: 'gap', type: 'globalPool', inputs: [last], origin: null, spec: { op: 'globalPool' } };
        const extra: LayerNode[] = [gap];
        const ones = new Array<number>(rank).fill(1);
        const conv1x1 = (from: string): LayerNode => ({
          id: newId(),
          name: 'fc',
          type: 'conv',
          inputs: [from],
          origin: null,
          spec: {
            op: 'conv',
            sliding: { kernel: ones, stride: ones, dilation: ones, padding: { kind: 'explicit', before: ones.map(() => 0), after: ones.map(() => 0) }, padMode: 'zeros', ceil: false },
          },
        });
        const form = r[1]! % 4;
        if (form === 1 || form === 2) extra.push(conv1x1(gap.id));
        if (form === 2) {
          extra.push({ id: newId(), name: 'act', type: 'pointwise', inputs: [extra[extra.length - 1]!.id], origin: null, spec: { op: 'pointwise', kind: 'relu' } });
          extra.push(conv1x1(extra[extra.length - 1]!.id));
        }
        if (form === 3) extra.push({ id: newId(), name: 'dense', type: 'dense', inputs: [gap.id], origin: null, spec: { op: 'dense' } });
        const gate = extra[extra.length - 1]!.id;
        if (r[2]! % 3 === 0) {
          const mul: LayerNode = { id: newId(), name: 'scale', type: 'mul', inputs: [gate, last], origin: null, spec: { op: 'mul', align: 'exact' } };
          tryAdd({ op: 'add', align: 'exact' }, [last, mul.id], [...extra, mul]);
        } else tryAdd({ op: 'mul', align: 'exact' }, r[2]! % 3 === 1 ? [last, gate] : [gate, last], extra);
        break;
      }
      case 12:
        tryAdd({ op: 'normalize', kind: 'Normalize' }, [last, last]);
        break;
      case 13: {
        // An unresolved layer over one or two inputs.
        const s = shapes();
        const want = s.get(last)!.size;
        const other = nodes.find((n) => n.id !== last && s.get(n.id)!.size.every((x, a) => x === want[a]));
        tryAdd({ op: 'unknown', reason: 'test' }, other && r[1]! % 2 ? [last, other.id] : [last]);
        break;
      }
      case 14:
        tryAdd({ op: pick(['pointwise', 'pointwise', 'dense', 'flatten'] as const, r[1]!), kind: 'act' } as LayerOp, [last]);
        break;
      case 15: {
        // A constant joined to the map: it carries no path.
        const c: LayerNode = { id: newId(), name: 'const', type: 'constant', inputs: [], origin: null, spec: { op: 'constant' } };
        tryAdd({ op: 'add', align: 'exact' }, [last, c.id], [c]);
        break;
      }
    }
  }
  return graph();
}
