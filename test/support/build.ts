/** A small builder for model graphs in tests. */
import type { CeilMode, LayerNode, LayerOp, ModelGraph, PadMode, Padding } from '../../src/core/graph/ir';

export interface WindowArgs {
  k: number | number[];
  s?: number | number[];
  d?: number | number[];
  /** symmetric padding, [before, after] per axis as [[b,a],...], or a 'same' rule */
  p?: number | number[] | Array<[number, number]> | 'upper' | 'lower' | 'torch';
  mode?: PadMode;
  ceil?: CeilMode;
}

export class GraphBuilder {
  readonly nodes: LayerNode[] = [];
  private last = 'input';
  constructor(
    readonly rank: number,
    input: number[] | null = null,
  ) {
    this.nodes.push({ id: 'input', name: 'input', type: 'input', inputs: [], spec: { op: 'input', shape: input }, origin: null });
  }

  private axes(v: number | number[] | undefined, fallback: number): number[] {
    if (v === undefined) return new Array<number>(this.rank).fill(fallback);
    return typeof v === 'number' ? new Array<number>(this.rank).fill(v) : v;
  }

  private padding(p: WindowArgs['p']): Padding {
    if (p === 'upper' || p === 'lower' || p === 'torch') return { kind: 'same', rule: p };
    if (p === undefined || typeof p === 'number') {
      const v = this.axes(p, 0);
      return { kind: 'explicit', before: v, after: v.slice() };
    }
    if (Array.isArray(p) && Array.isArray(p[0])) {
      const pairs = p as Array<[number, number]>;
      return { kind: 'explicit', before: pairs.map((x) => x[0]), after: pairs.map((x) => x[1]) };
    }
    return { kind: 'explicit', before: p as number[], after: (p as number[]).slice() };
  }

  add(id: string, spec: LayerOp, inputs?: string[]): this {
    this.nodes.push({ id, name: id, type: spec.op, inputs: inputs ?? [this.last], spec, origin: null });
    this.last = id;
    return this;
  }

  conv(id: string, w: WindowArgs, from?: string): this {
    return this.add(
      id,
      {
        op: 'conv',
        sliding: {
          kernel: this.axes(w.k, 1),
          stride: this.axes(w.s, 1),
          dilation: this.axes(w.d, 1),
          padding: this.padding(w.p),
          padMode: w.mode ?? 'zeros',
          ceil: w.ceil ?? false,
        },
      },
      from ? [from] : undefined,
    );
  }

  pool(id: string, w: WindowArgs, from?: string): this {
    return this.add(
      id,
      {
        op: 'pool',
        pool: 'max',
        sliding: {
          kernel: this.axes(w.k, 1),
          stride: this.axes(w.s, 1),
          dilation: this.axes(w.d, 1),
          padding: this.padding(w.p),
          padMode: 'zeros',
          ceil: w.ceil ?? false,
        },
      },
      from ? [from] : undefined,
    );
  }

  merge(id: string, op: 'add' | 'mul' | 'concat', inputs: string[], align: 'exact' | 'darknet-sample' = 'exact'): this {
    return this.add(id, { op, align }, inputs);
  }

  build(outputs?: string[]): ModelGraph {
    return { format: 'test', name: 'test', rank: this.rank, nodes: this.nodes, outputs: outputs ?? [this.last], statedInput: null };
  }
}

export function net(rank: number, input: number[] | null = null): GraphBuilder {
  return new GraphBuilder(rank, input);
}
