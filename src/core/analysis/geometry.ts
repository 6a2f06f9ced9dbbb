import { sizeText } from '../graph/display';
import { finding, type Finding } from '../graph/finding';
import type { LayerNode, ModelGraph, PadMode } from '../graph/ir';
import { product } from '../graph/shape';
import { EmptyRule, GlobalRule, type AxisRule } from './axisRules';
import { MAX_AXIS } from './limits';
import { opOf, type OpShape } from './ops';

/** Shape inference and index rules of one layer. */
export interface NodeGeometry {
  node: LayerNode;
  /** Output size per axis; 1 on every axis for layers without spatial extent. */
  size: number[];
  /**
   * False for layers without spatial extent: global pooling, dense, flatten and
   * what follows them (one unit that sums up the whole map; a gate built on it
   * is broadcast over the map it multiplies).
   */
  spatial: boolean;
  /**
   * True once a dense, flatten or reshape layer has removed the spatial axes.
   * A global pool and the 1x1 convolutions of a squeeze-and-excitation block
   * keep a 1x1 map: spatial false, flat false.
   */
  flat: boolean;
  /** rules[k][axis]: how the layer reads its k-th input along each axis (built on first use). */
  readonly rules: AxisRule[][];
  /** For window layers: the padding applied before and after, per axis, after resolving 'same'. */
  padBefore?: number[];
  padAfter?: number[];
}

export interface GeometryOptions {
  /** What-if: replace the padding mode of every convolution. */
  padModeOverride?: PadMode;
  /**
   * Stop shape inference after the first layer for which this returns true
   * (the geometry then holds the layers up to it). RFL006's search of input
   * sizes rejects most candidates at their first inexact layer.
   */
  stopAfter?: (layer: NodeGeometry, inputSize: number[] | null) => boolean;
}

export interface Geometry {
  graph: ModelGraph;
  rank: number;
  input: number[];
  /** Geometry of every layer whose shape could be inferred, in graph order. */
  nodes: NodeGeometry[];
  byId: Map<string, NodeGeometry>;
  /** consumers of each layer: the layers that read it and at which input position */
  consumers: Map<string, Array<{ geometry: NodeGeometry; input: number }>>;
  findings: Finding[];
}

/**
 * A layer's geometry; its rules are built on first use (shape inference alone,
 * as RFL006's search of input sizes, never needs them). Kept free of extra
 * closures per layer: V8 promotes chains of loop closures, which made shape
 * inference five times slower in garbage collection.
 */
class LayerGeometry implements NodeGeometry {
  private built: AxisRule[][] | null = null;
  constructor(
    readonly node: LayerNode,
    readonly size: number[],
    readonly spatial: boolean,
    readonly flat: boolean,
    private readonly inputs: NodeGeometry[],
    private readonly make: () => AxisRule[][],
    readonly padBefore?: number[],
    readonly padAfter?: number[],
  ) {}

  get rules(): AxisRule[][] {
    if (!this.built) {
      const rules = this.make();
      // Every input gets its rules; one the layer does not read carries nothing.
      for (let k = rules.length; k < this.inputs.length; k++) {
        const src = this.inputs[k]!;
        rules.push(this.size.map((n, a) => new EmptyRule(src.size[a]!, n) as AxisRule));
      }
      this.built = rules;
    }
    return this.built;
  }
}

/**
 * Infers every layer's output size and builds its per-axis index rules. A
 * layer whose shape cannot be inferred gets an RFL100 finding; the layers that
 * depend on it are left out, the rest is analysed.
 */
export function inferGeometry(graph: ModelGraph, input: number[], options: GeometryOptions = {}): Geometry {
  const rank = graph.rank;
  const byId = new Map<string, NodeGeometry>();
  const nodes: NodeGeometry[] = [];
  const findings: Finding[] = [];
  const consumers = new Map<string, Array<{ geometry: NodeGeometry; input: number }>>();
  let known: Set<string> | null = null;

  for (const node of graph.nodes) {
    const range = node.origin;
    const fail = (message: string) => {
      findings.push(finding('RFL100', message, range, node.id));
    };
    const inputs: NodeGeometry[] = [];
    let missing = false;
    for (const id of node.inputs) {
      const g = byId.get(id);
      if (g) inputs.push(g);
      else {
        missing = true;
        known ??= new Set(graph.nodes.map((n) => n.id));
        if (!known.has(id)) fail(`${node.name} reads "${id}", which is not defined before it.`);
      }
    }
    if (missing) continue;
    const spec = node.spec;
    const first = inputs[0];
    const op = opOf(spec);
    let result: OpShape | null;
    if (op.resamples && first && !first.spatial) {
      // After a dense layer or global pooling there is no spatial axis left to slide, resample or crop:
      // the layer passes its single unit on (a 1x1 convolution on a pooled vector, as MobileNet's classifier).
      result = {
        size: first.size.map(() => 1),
        spatial: false,
        rules: () => inputs.map((g, k) => g.size.map((n) => (k === 0 ? new GlobalRule(n) : new EmptyRule(n, 1)) as AxisRule)),
      };
    } else {
      result = op.shape({
        spec,
        node,
        inputs,
        rank,
        networkInput: input,
        options,
        fail: (message) => {
          fail(message);
          return null;
        },
        warn: fail,
      });
    }
    if (!result) continue;
    if (op.singleInput && inputs.length > 1) {
      findings.push(finding('RFL100', `${node.name} reads one input; the other ${inputs.length - 1} carry no paths here.`, range, node.id));
    }
    if (result.size.some((n) => n > MAX_AXIS)) {
      fail(`${node.name}: an output of ${sizeText(result.size)} is beyond the ${MAX_AXIS} units per axis this analysis handles.`);
      continue;
    }
    // Dense, flatten and reshape remove the spatial axes; a merge keeps them while any input has them.
    const flat = op.flat === 'always' || (op.flat === 'all-inputs' ? inputs.every((g) => g.flat) : (first?.flat ?? false));
    const geometry = new LayerGeometry(node, result.size, result.spatial, flat, inputs, result.rules, result.padBefore, result.padAfter);
    byId.set(node.id, geometry);
    nodes.push(geometry);
    inputs.forEach((g, k) => {
      const list = consumers.get(g.node.id) ?? [];
      list.push({ geometry, input: k });
      consumers.set(g.node.id, list);
    });
    if (options.stopAfter?.(geometry, first ? first.size : null)) break;
  }
  return { graph, rank, input, nodes, byId, consumers, findings };
}

/**
 * Rough operation counts of the two costly computations, so that absurd
 * inputs (a kernel of 30000, a 100000-pixel axis) are refused up front
 * instead of hanging: fields visit every tap of every unit along each axis;
 * dense maps visit every tap of every unit of the whole layer.
 */
export function workload(geometry: Geometry): { fields: number; maps: number } {
  let fields = 0;
  let maps = 0;
  for (const g of geometry.nodes) {
    const units = product(g.size);
    for (const rules of g.rules) {
      let perUnit = 0;
      rules.forEach((rule, a) => {
        const taps = rule.tapsPerUnit;
        fields += 2 * g.size[a]! * taps;
        perUnit += taps;
      });
      maps += units * perUnit;
    }
  }
  return { fields, maps };
}
