/** Merges of branches: add, mul, concat (their path counts add). */
import { sizeText } from '../../graph/display';
import { BroadcastRule, DarknetSampleRule, ShiftRule, type AxisRule } from '../axisRules';
import type { OpContext, OpDefinition, OpShape, SpecOf } from './op';

type MergeSpec = SpecOf<'add'> | SpecOf<'mul'> | SpecOf<'concat'>;

function mergeShape(ctx: OpContext<MergeSpec>): OpShape | null {
  const { spec, node, rank, inputs } = ctx;
  if (inputs.length === 0) return ctx.fail(`${node.name} has no input.`);
  const spatial = inputs.some((g) => g.spatial);
  if (spec.op === 'concat' && spec.spatialAxis !== undefined && spatial) return ctx.fail(`${node.name}: joining maps along a spatial axis is not modelled.`);
  const size: number[] = [];
  for (let a = 0; a < rank; a++) {
    if (spec.align !== 'exact') size.push(inputs[0]!.size[a]!);
    else size.push(Math.max(...inputs.map((g) => (g.spatial ? g.size[a]! : 1))));
  }
  const rules: AxisRule[][] = [];
  for (const g of inputs) {
    const r: AxisRule[] = [];
    for (let a = 0; a < rank; a++) {
      const nIn = g.size[a]!;
      const nOut = size[a]!;
      // An input without spatial extent (a gate after global pooling) reaches every unit, virtual ones too.
      if (!g.spatial) r.push(new BroadcastRule(nOut));
      else if (nIn === nOut) r.push(new ShiftRule(nIn, nOut, 0));
      // shortcut_cpu samples whatever the sizes, a 1-pixel map included
      else if (spec.align === 'darknet-sample' || spec.align === 'darknet-flat') r.push(new DarknetSampleRule(nIn, nOut));
      else if (nIn === 1) r.push(new BroadcastRule(nOut));
      else {
        return ctx.fail(
          `${node.name}: inputs of sizes ${inputs.map((x) => sizeText(x.size)).join(', ')} cannot be ${spec.op === 'concat' ? 'concatenated' : 'combined'}.`,
        );
      }
    }
    rules.push(r);
  }
  if (spec.align === 'darknet-flat' && inputs.some((g) => g.spatial && g.size.some((n, a) => n !== size[a]))) {
    ctx.warn(
      `${node.name}: AlexeyAB's Darknet adds maps of different sizes (${inputs.map((g) => sizeText(g.size)).join(', ')}) by memory index, which has no spatial meaning; shown as pjreddie's sampling (every ratio-th pixel).`,
    );
  }
  if (spec.align === 'darknet-sample' && rank === 2) {
    // shortcut_cpu asserts that both axes scale by the same integer ratio.
    const bad = inputs.find(
      (g) =>
        g.spatial &&
        (Math.trunc(g.size[1]! / size[1]!) !== Math.trunc(g.size[0]! / size[0]!) || Math.trunc(size[1]! / g.size[1]!) !== Math.trunc(size[0]! / g.size[0]!)),
    );
    if (bad) {
      ctx.warn(
        `${node.name}: Darknet's shortcut needs the same size ratio on both axes (${sizeText(bad.size)} into ${sizeText(size)}); Darknet stops on this assertion. Each axis is sampled on its own here.`,
      );
    }
  }
  return { size, spatial, rules: () => rules };
}

function mergeOp<S extends MergeSpec>(): OpDefinition<S> {
  return { singleInput: false, resamples: false, flat: 'all-inputs', sameMap: 'never', shape: mergeShape, summary: () => '' };
}

export const addOp = mergeOp<SpecOf<'add'>>();
export const mulOp = mergeOp<SpecOf<'mul'>>();
export const concatOp = mergeOp<SpecOf<'concat'>>();
