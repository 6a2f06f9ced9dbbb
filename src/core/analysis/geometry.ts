import { finding, type Finding } from '../graph/finding';
import type { LayerNode, ModelGraph, PadMode, Padding, Window, WindowCount } from '../graph/ir';
import {
  AllRule,
  BroadcastRule,
  DarknetSampleRule,
  EmptyRule,
  GlobalRule,
  LinearRule,
  NearestRule,
  PjreddieReorgRule,
  ShiftRule,
  TransposedRule,
  WindowRule,
  type AxisRule,
} from './axisRules';
import { MAX_AXIS } from './limits';

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

/** Layers that change the grid: after a layer without spatial extent they pass its single unit on. */
const RESAMPLING_OPS = new Set(['conv', 'pool', 'convtranspose', 'upsample', 'spaceToDepth', 'pixelShuffle', 'crop']);
/** Layers that read one input; extra inputs given to them carry nothing. */
const SINGLE_INPUT_OPS = new Set(['conv', 'pool', 'convtranspose', 'upsample', 'spaceToDepth', 'pixelShuffle', 'pointwise']);

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

/** Output size of a sliding window, with ceil mode dropping a window that starts in the trailing padding. */
export function windowOutputSize(
  n: number,
  effectiveKernel: number,
  stride: number,
  before: number,
  after: number,
  ceil: Window['ceil'],
  anyPadding: boolean,
  count: WindowCount = 'floor',
): number {
  if (count === 'darknet-local') {
    // local_layer.c: h -= pad ? 1 : size; return h/stride + 1 (C division)
    return Math.max(0, Math.trunc((n - (before > 0 ? 1 : effectiveKernel)) / stride) + 1);
  }
  const span = n + before + after - effectiveKernel;
  // A negative span leaves no window when rounding down; rounding up (ceil mode) or
  // toward zero (C division) still starts one window inside a too-small input.
  const div = ceil ? Math.ceil(span / stride) : count === 'c' ? Math.trunc(span / stride) : Math.floor(span / stride);
  let out = div + 1;
  if (ceil && (ceil === 'always' || anyPadding) && (out - 1) * stride >= n + before) out--;
  return Math.max(out, 0);
}

/**
 * Resolves 'same' padding for one axis. TensorFlow's rule: total =
 * max((ceil(n/s) - 1)*s + e - n, 0), the odd pixel after (upper) or before (lower).
 */
export function samePadding(n: number, effectiveKernel: number, stride: number, rule: 'upper' | 'lower' | 'torch'): [number, number] {
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + effectiveKernel - n, 0);
  const small = Math.floor(total / 2);
  return rule === 'lower' ? [total - small, small] : [small, total - small];
}

function windowParamsSane(kernel: number[], stride: number[], dilation: number[], padding: number[]): boolean {
  const whole = (v: number, min: number) => Number.isInteger(v) && v >= min && v <= MAX_AXIS;
  return (
    kernel.every((k) => whole(k, 1)) &&
    stride.every((s) => whole(s, 1)) &&
    dilation.every((d) => whole(d, 1)) &&
    padding.every((p) => whole(p, 0)) &&
    kernel.every((k, a) => dilation[a]! * (k - 1) + 1 <= MAX_AXIS)
  );
}

function effective(kernel: number, dilation: number): number {
  return dilation * (kernel - 1) + 1;
}

function arraysFit(rank: number, ...arrays: Array<number[] | undefined>): boolean {
  return arrays.every((a) => !a || a.length === rank);
}

function fmt(size: number[]): string {
  return size.join('x');
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
    let result: (Omit<NodeGeometry, 'node' | 'rules' | 'flat'> & { rules: () => AxisRule[][] }) | null = null;
    const needInput = (): NodeGeometry | null => {
      if (!first) fail(`${node.name} has no input.`);
      return first ?? null;
    };

    const resampling = RESAMPLING_OPS.has(spec.op);
    if (resampling && first && !first.spatial) {
      // After a dense layer or global pooling there is no spatial axis left to slide, resample or crop:
      // the layer passes its single unit on (a 1x1 convolution on a pooled vector, as MobileNet's classifier).
      result = {
        size: first.size.map(() => 1),
        spatial: false,
        rules: () => inputs.map((g, k) => g.size.map((n) => (k === 0 ? new GlobalRule(n) : new EmptyRule(n, 1)) as AxisRule)),
      };
    } else switch (spec.op) {
      case 'input':
        if (input.length !== rank || input.some((n) => !(n >= 1 && n <= MAX_AXIS && Number.isInteger(n)))) {
          fail(`The input size ${fmt(input)} is not ${rank} whole numbers between 1 and ${MAX_AXIS}.`);
          break;
        }
        result = { size: input.slice(), spatial: true, rules: () => [] };
        break;
      case 'conv':
      case 'pool': {
        const src = needInput();
        if (!src) break;
        const w = spec.sliding;
        const padding: Padding = w.padding;
        if (!arraysFit(rank, w.kernel, w.stride, w.dilation) || (padding.kind === 'explicit' && !arraysFit(rank, padding.before, padding.after))) {
          fail(`${node.name}: kernel, stride, dilation or padding do not have ${rank} entries.`);
          break;
        }
        if (!windowParamsSane(w.kernel, w.stride, w.dilation, padding.kind === 'explicit' ? [...padding.before, ...padding.after] : [])) {
          fail(`${node.name}: kernel ${fmt(w.kernel)}, stride ${fmt(w.stride)}, dilation ${fmt(w.dilation)} are not all whole numbers from 1 to ${MAX_AXIS} (padding from 0) with a window of at most ${MAX_AXIS}.`);
          break;
        }
        const before: number[] = [];
        const after: number[] = [];
        for (let a = 0; a < rank; a++) {
          const e = effective(w.kernel[a]!, w.dilation[a]!);
          if (padding.kind === 'explicit') {
            before.push(padding.before[a]!);
            after.push(padding.after[a]!);
          } else {
            const [b, c] = samePadding(src.size[a]!, e, w.stride[a]!, padding.rule);
            before.push(b);
            after.push(c);
          }
        }
        if (padding.kind === 'same' && padding.rule === 'torch' && w.stride.some((s) => s > 1)) {
          fail(`${node.name}: PyTorch rejects padding='same' with a stride above 1.`);
        }
        const anyPadding = before.some((p) => p > 0) || after.some((p) => p > 0);
        const size: number[] = [];
        for (let a = 0; a < rank; a++) {
          size.push(
            windowOutputSize(src.size[a]!, effective(w.kernel[a]!, w.dilation[a]!), w.stride[a]!, before[a]!, after[a]!, w.ceil, anyPadding, w.count),
          );
        }
        if (size.some((s) => s <= 0)) {
          fail(
            `${node.name}: its ${fmt(w.kernel)} window does not fit the ${fmt(src.size)} input with padding ${fmt(before)}/${fmt(after)}; the layers after it cannot be analysed at this input size.`,
          );
          break;
        }
        const padMode: PadMode = spec.op === 'conv' ? (options.padModeOverride ?? w.padMode) : 'zeros';
        if (padMode === 'reflect' && before.some((p, a) => Math.max(p, after[a]!) >= src.size[a]!)) {
          fail(`${node.name}: reflect padding must be smaller than the input (${fmt(src.size)}).`);
        }
        const rules = () => [
          size.map(
            (n, a) =>
              new WindowRule(src.size[a]!, n, w.kernel[a]!, w.stride[a]!, w.dilation[a]!, before[a]!, after[a]!, padMode) as AxisRule,
          ),
        ];
        result = { size, spatial: src.spatial, rules, padBefore: before, padAfter: after };
        break;
      }
      case 'convtranspose': {
        const src = needInput();
        if (!src) break;
        if (!arraysFit(rank, spec.kernel, spec.stride, spec.dilation, spec.padBefore, spec.padAfter, spec.outputPadding)) {
          fail(`${node.name}: transposed convolution parameters do not have ${rank} entries.`);
          break;
        }
        if (!windowParamsSane(spec.kernel, spec.stride, spec.dilation, [...spec.padBefore, ...spec.padAfter, ...spec.outputPadding])) {
          fail(`${node.name}: transposed convolution parameters are not all whole numbers from 1 to ${MAX_AXIS} (padding from 0) with a window of at most ${MAX_AXIS}.`);
          break;
        }
        const size = src.size.map(
          (n, a) =>
            (n - 1) * spec.stride[a]! - spec.padBefore[a]! - spec.padAfter[a]! + effective(spec.kernel[a]!, spec.dilation[a]!) + spec.outputPadding[a]!,
        );
        if (size.some((s) => s <= 0)) {
          fail(`${node.name}: the transposed convolution gives an empty output for a ${fmt(src.size)} input.`);
          break;
        }
        const rules = () => [
          size.map((n, a) => new TransposedRule(src.size[a]!, n, spec.kernel[a]!, spec.stride[a]!, spec.dilation[a]!, spec.padBefore[a]!) as AxisRule),
        ];
        result = { size, spatial: src.spatial, rules };
        break;
      }
      case 'upsample': {
        const src = needInput();
        if (!src) break;
        const size = src.size.map((n, a) => (spec.size ? spec.size[a]! : Math.floor(n * (spec.scale?.[a] ?? 1))));
        if (size.some((s) => !(s > 0))) {
          fail(`${node.name}: the upsampling gives an empty output.`);
          break;
        }
        const rules = () => [
          size.map((nOut, a) => {
            const nIn = src.size[a]!;
            if (spec.mode === 'bilinear') return new LinearRule(nIn, nOut, spec.alignCorners) as AxisRule;
            // With an integer scale the source index is floor(o / scale); otherwise floor(o * nIn / nOut).
            const f = spec.size ? 0 : (spec.scale?.[a] ?? 1);
            return (Number.isInteger(f) && f > 0 ? new NearestRule(nIn, nOut, 1, f) : new NearestRule(nIn, nOut, nIn, nOut)) as AxisRule;
          }),
        ];
        result = { size, spatial: src.spatial, rules };
        break;
      }
      case 'pixelShuffle': {
        const src = needInput();
        if (!src) break;
        if (!spec.factor.every((f) => Number.isInteger(f) && f >= 1 && f <= MAX_AXIS)) {
          fail(`${node.name}: the upscale factor ${fmt(spec.factor)} is not a whole number from 1 to ${MAX_AXIS}.`);
          break;
        }
        const size = src.size.map((n, a) => n * spec.factor[a]!);
        result = { size, spatial: src.spatial, rules: () => [size.map((n, a) => new NearestRule(src.size[a]!, n, 1, spec.factor[a]!) as AxisRule)] };
        break;
      }
      case 'spaceToDepth': {
        const src = needInput();
        if (!src) break;
        if (!spec.block.every((b) => Number.isInteger(b) && b >= 1 && b <= MAX_AXIS)) {
          fail(`${node.name}: the block ${fmt(spec.block)} is not a whole number from 1 to ${MAX_AXIS}.`);
          break;
        }
        const size = src.size.map((n, a) => Math.floor(n / spec.block[a]!));
        if (size.some((s) => s <= 0)) {
          fail(`${node.name}: a ${fmt(src.size)} input is smaller than the ${fmt(spec.block)} block.`);
          break;
        }
        let layout = spec.layout;
        if (layout !== 'clean' && src.size.some((n, a) => n % spec.block[a]! !== 0)) {
          fail(
            `${node.name}: Darknet's reorg needs a size divisible by its stride (got ${fmt(src.size)}); it would read out of place, shown here as a clean space-to-depth.`,
          );
          layout = 'clean';
        }
        if (layout !== 'clean' && rank !== 2) layout = 'clean';
        const rules = () => [
          size.map((nOut, a) => {
            const b = spec.block[a]!;
            const nIn = src.size[a]!;
            // [reorg] gathers rows (axis 0 of H, W) around each block, wrapping at the border, and keeps columns clean.
            if (layout === 'darknet-reorg' && a === 0) return new PjreddieReorgRule(nIn, nOut, b) as AxisRule;
            return new WindowRule(nIn, nOut, b, b, 1, 0, 0, 'zeros') as AxisRule;
          }),
        ];
        result = { size, spatial: src.spatial, rules };
        break;
      }
      case 'crop': {
        const src = needInput();
        if (!src) break;
        const ref = inputs[1];
        const size: number[] = [];
        let ok = true;
        for (let a = 0; a < rank; a++) {
          const s = spec.size[a];
          if (s === 'reference') {
            if (!ref) {
              fail(`${node.name}: the crop takes its size from a second input, which is missing.`);
              ok = false;
              break;
            }
            size.push(ref.size[a]!);
          } else if (s === 'keep' || s === undefined) size.push(src.size[a]!);
          else size.push(s);
        }
        if (!ok) break;
        const offset = size.map((n, a) => (spec.offset === 'center' ? Math.trunc((src.size[a]! - n) / 2) : spec.offset[a]!));
        if (offset.some((o, a) => o < 0 || o + size[a]! > src.size[a]!)) {
          fail(`${node.name}: a ${fmt(size)} crop at offset ${fmt(offset)} does not fit the ${fmt(src.size)} input.`);
          break;
        }
        const rules = () => {
          const list = [size.map((n, a) => new ShiftRule(src.size[a]!, n, offset[a]!) as AxisRule)];
          // The reference input only lends its size: it carries no paths.
          if (ref) list.push(size.map((n, a) => new EmptyRule(ref.size[a]!, n) as AxisRule));
          return list;
        };
        result = { size, spatial: src.spatial, rules };
        break;
      }
      case 'add':
      case 'mul':
      case 'concat': {
        if (inputs.length === 0) {
          fail(`${node.name} has no input.`);
          break;
        }
        const spatial = inputs.some((g) => g.spatial);
        if (spec.op === 'concat' && spec.spatialAxis !== undefined && spatial) {
          fail(`${node.name}: joining maps along a spatial axis is not modelled.`);
          break;
        }
        const size: number[] = [];
        for (let a = 0; a < rank; a++) {
          if (spec.align !== 'exact') size.push(first!.size[a]!);
          else size.push(Math.max(...inputs.map((g) => (g.spatial ? g.size[a]! : 1))));
        }
        const rules: AxisRule[][] = [];
        let ok = true;
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
              ok = false;
              break;
            }
          }
          if (!ok) break;
          rules.push(r);
        }
        if (ok && spec.align === 'darknet-flat' && inputs.some((g) => g.spatial && g.size.some((n, a) => n !== size[a]))) {
          findings.push(
            finding(
              'RFL100',
              `${node.name}: AlexeyAB's Darknet adds maps of different sizes (${inputs.map((g) => fmt(g.size)).join(', ')}) by memory index, which has no spatial meaning; shown as pjreddie's sampling (every ratio-th pixel).`,
              range,
              node.id,
            ),
          );
        }
        if (ok && spec.align === 'darknet-sample' && rank === 2) {
          // shortcut_cpu asserts that both axes scale by the same integer ratio.
          const bad = inputs.find(
            (g) =>
              g.spatial &&
              (Math.trunc(g.size[1]! / size[1]!) !== Math.trunc(g.size[0]! / size[0]!) ||
                Math.trunc(size[1]! / g.size[1]!) !== Math.trunc(size[0]! / g.size[0]!)),
          );
          if (bad) {
            findings.push(
              finding(
                'RFL100',
                `${node.name}: Darknet's shortcut needs the same size ratio on both axes (${fmt(bad.size)} into ${fmt(size)}); Darknet stops on this assertion. Each axis is sampled on its own here.`,
                range,
                node.id,
              ),
            );
          }
        }
        if (!ok) {
          fail(`${node.name}: inputs of sizes ${inputs.map((g) => fmt(g.size)).join(', ')} cannot be ${spec.op === 'concat' ? 'concatenated' : 'combined'}.`);
          break;
        }
        result = { size, spatial, rules: () => rules };
        break;
      }
      case 'normalize': {
        const src = needInput();
        if (!src) break;
        // Read twice: position by position, and whole (the map's statistics).
        const rules = () => inputs.map((g, k) => src.size.map((n, a) => (k === 0 ? new ShiftRule(n, n, 0) : new AllRule(g.size[a]!, n)) as AxisRule));
        result = { size: src.size.slice(), spatial: src.spatial, rules };
        break;
      }
      case 'pointwise':
      case 'unknown': {
        const src = needInput();
        if (!src) break;
        // The other inputs of an unresolved layer are still its inputs: keep the paths of those of its size.
        const rules = () =>
          inputs.map((g) =>
            g === src || g.size.every((n, a) => n === src.size[a])
              ? src.size.map((n) => new ShiftRule(n, n, 0) as AxisRule)
              : src.size.map((n, a) => new EmptyRule(g.size[a]!, n) as AxisRule),
          );
        result = { size: src.size.slice(), spatial: src.spatial, rules };
        break;
      }
      case 'globalPool':
      case 'dense':
      case 'flatten': {
        const src = needInput();
        if (!src) break;
        const rules = () => inputs.map((g) => g.size.map((n) => new GlobalRule(n) as AxisRule));
        result = { size: new Array<number>(rank).fill(1), spatial: false, rules };
        break;
      }
      case 'constant':
        result = { size: new Array<number>(rank).fill(1), spatial: false, rules: () => [] };
        break;
    }
    if (!result) continue;
    if (SINGLE_INPUT_OPS.has(spec.op) && inputs.length > 1) {
      findings.push(finding('RFL100', `${node.name} reads one input; the other ${inputs.length - 1} carry no paths here.`, range, node.id));
    }
    if (result.size.some((n) => n > MAX_AXIS)) {
      fail(`${node.name}: an output of ${fmt(result.size)} is beyond the ${MAX_AXIS} units per axis this analysis handles.`);
      continue;
    }
    // Dense, flatten and reshape remove the spatial axes; a merge keeps them while any input has them.
    const merge = spec.op === 'add' || spec.op === 'mul' || spec.op === 'concat';
    const flat =
      spec.op === 'dense' || spec.op === 'flatten' || spec.op === 'constant' || (merge ? inputs.every((g) => g.flat) : (first?.flat ?? false));
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
    const units = g.size.reduce((p, n) => p * n, 1);
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
