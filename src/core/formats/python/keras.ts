/**
 * Keras (tf.keras and Keras 3) as the interpreter sees it: layer classes as
 * data, Input() and layer calls that build the graph as the code runs (the
 * functional API), Sequential, and subclassed models with call(). Keras is
 * channels-last; 'same' puts the odd padding pixel after. Layer ids are the
 * name= given, else Keras's automatic names (conv2d, conv2d_1, ...).
 */
import type { LayerOp, ModelGraph, Padding, SourceRange } from '../../graph/ir';
import { effectiveExtent } from '../../graph/window';
import type { Interp } from './interp';
import { bindSignature, perAxis } from './torch';
import { Tracer } from './trace';
import {
  int,
  isSeq,
  isUnknown,
  list,
  mro,
  nativeOf,
  NONE,
  str,
  TRUE,
  tuple,
  unknown,
  type BuiltinFn,
  type CallSite,
  type ClassValue,
  type NativeLayer,
  type ObjectValue,
  type PyModuleValue,
  type TensorValue,
  type Value,
} from './values';

type KerasKind = 'conv' | 'depthwise' | 'separable' | 'convT' | 'maxpool' | 'avgpool' | 'global' | 'zeropad' | 'crop' | 'upsample' | 'merge' | 'concat' | 'dense' | 'flatten' | 'pointwise' | 'lambda' | 'input' | 'unknown';

interface KerasLayerDef {
  kind: KerasKind;
  rank?: number;
  sig: string[];
  merge?: 'add' | 'mul';
}

const CONV = ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate'];
const POOL = ['pool_size', 'strides', 'padding', 'data_format'];

export const KERAS_LAYERS: Record<string, KerasLayerDef> = {
  Conv1D: { kind: 'conv', rank: 1, sig: CONV },
  Conv2D: { kind: 'conv', rank: 2, sig: CONV },
  Conv3D: { kind: 'conv', rank: 3, sig: CONV },
  Convolution2D: { kind: 'conv', rank: 2, sig: CONV },
  DepthwiseConv2D: { kind: 'depthwise', rank: 2, sig: ['kernel_size', 'strides', 'padding', 'depth_multiplier', 'data_format', 'dilation_rate'] },
  DepthwiseConv1D: { kind: 'depthwise', rank: 1, sig: ['kernel_size', 'strides', 'padding', 'depth_multiplier', 'data_format', 'dilation_rate'] },
  SeparableConv1D: { kind: 'separable', rank: 1, sig: CONV },
  SeparableConv2D: { kind: 'separable', rank: 2, sig: CONV },
  Conv1DTranspose: { kind: 'convT', rank: 1, sig: ['filters', 'kernel_size', 'strides', 'padding', 'output_padding', 'data_format', 'dilation_rate'] },
  Conv2DTranspose: { kind: 'convT', rank: 2, sig: ['filters', 'kernel_size', 'strides', 'padding', 'output_padding', 'data_format', 'dilation_rate'] },
  Conv3DTranspose: { kind: 'convT', rank: 3, sig: ['filters', 'kernel_size', 'strides', 'padding', 'output_padding', 'data_format', 'dilation_rate'] },
  MaxPooling1D: { kind: 'maxpool', rank: 1, sig: POOL },
  MaxPooling2D: { kind: 'maxpool', rank: 2, sig: POOL },
  MaxPooling3D: { kind: 'maxpool', rank: 3, sig: POOL },
  MaxPool1D: { kind: 'maxpool', rank: 1, sig: POOL },
  MaxPool2D: { kind: 'maxpool', rank: 2, sig: POOL },
  MaxPool3D: { kind: 'maxpool', rank: 3, sig: POOL },
  AveragePooling1D: { kind: 'avgpool', rank: 1, sig: POOL },
  AveragePooling2D: { kind: 'avgpool', rank: 2, sig: POOL },
  AveragePooling3D: { kind: 'avgpool', rank: 3, sig: POOL },
  AvgPool1D: { kind: 'avgpool', rank: 1, sig: POOL },
  AvgPool2D: { kind: 'avgpool', rank: 2, sig: POOL },
  AvgPool3D: { kind: 'avgpool', rank: 3, sig: POOL },
  GlobalAveragePooling1D: { kind: 'global', rank: 1, sig: ['data_format', 'keepdims'] },
  GlobalAveragePooling2D: { kind: 'global', rank: 2, sig: ['data_format', 'keepdims'] },
  GlobalAveragePooling3D: { kind: 'global', rank: 3, sig: ['data_format', 'keepdims'] },
  GlobalMaxPooling1D: { kind: 'global', rank: 1, sig: ['data_format', 'keepdims'] },
  GlobalMaxPooling2D: { kind: 'global', rank: 2, sig: ['data_format', 'keepdims'] },
  GlobalMaxPooling3D: { kind: 'global', rank: 3, sig: ['data_format', 'keepdims'] },
  GlobalAvgPool2D: { kind: 'global', rank: 2, sig: ['data_format', 'keepdims'] },
  GlobalMaxPool2D: { kind: 'global', rank: 2, sig: ['data_format', 'keepdims'] },
  ZeroPadding1D: { kind: 'zeropad', rank: 1, sig: ['padding'] },
  ZeroPadding2D: { kind: 'zeropad', rank: 2, sig: ['padding', 'data_format'] },
  ZeroPadding3D: { kind: 'zeropad', rank: 3, sig: ['padding', 'data_format'] },
  Cropping1D: { kind: 'crop', rank: 1, sig: ['cropping'] },
  Cropping2D: { kind: 'crop', rank: 2, sig: ['cropping', 'data_format'] },
  Cropping3D: { kind: 'crop', rank: 3, sig: ['cropping', 'data_format'] },
  UpSampling1D: { kind: 'upsample', rank: 1, sig: ['size'] },
  UpSampling2D: { kind: 'upsample', rank: 2, sig: ['size', 'data_format', 'interpolation'] },
  UpSampling3D: { kind: 'upsample', rank: 3, sig: ['size', 'data_format'] },
  Add: { kind: 'merge', sig: [], merge: 'add' },
  Subtract: { kind: 'merge', sig: [], merge: 'add' },
  Average: { kind: 'merge', sig: [], merge: 'add' },
  Maximum: { kind: 'merge', sig: [], merge: 'add' },
  Minimum: { kind: 'merge', sig: [], merge: 'add' },
  Multiply: { kind: 'merge', sig: [], merge: 'mul' },
  Concatenate: { kind: 'concat', sig: ['axis'] },
  Dense: { kind: 'dense', sig: ['units'] },
  Flatten: { kind: 'flatten', sig: ['data_format'] },
  Reshape: { kind: 'flatten', sig: ['target_shape'] },
  Lambda: { kind: 'lambda', sig: ['function', 'output_shape'] },
  InputLayer: { kind: 'input', sig: ['input_shape', 'batch_size', 'dtype'] },
  LSTM: { kind: 'unknown', sig: ['units'] },
  GRU: { kind: 'unknown', sig: ['units'] },
  Permute: { kind: 'unknown', sig: ['dims'] },
  Embedding: { kind: 'unknown', sig: ['input_dim', 'output_dim'] },
  MultiHeadAttention: { kind: 'unknown', sig: ['num_heads', 'key_dim'] },
};

const KERAS_POINTWISE = [
  'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax', 'BatchNormalization', 'LayerNormalization',
  'GroupNormalization', 'UnitNormalization', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise',
  'GaussianDropout', 'AlphaDropout', 'Rescaling', 'Normalization', 'Identity', 'ActivityRegularization', 'Masking', 'CenterCrop',
];

/**
 * The static shape Keras knows while the functional code runs
 * (`backend.int_shape`): spatial sizes (null where the input's is None) and
 * channels (null where not known); `size` is empty once the spatial axes are
 * gone. Library code branches on it (NASNet's `_adjust_block` compares
 * widths, MobileNetV2 adds its residual only when the channels match).
 */
export interface KerasShape {
  size: Array<number | null>;
  channels: number | null;
}

/** Output sizes of the ops the Keras reader builds, by the ops' own arithmetic (TF 'same': ceil(n / s)). */
function sizeAfter(spec: LayerOp, n: number | null, a: number): number | null {
  if (n === null) return null;
  switch (spec.op) {
    case 'conv':
    case 'pool': {
      const w = spec.sliding;
      const extent = effectiveExtent(w.kernel[a]!, w.dilation[a]!);
      if (w.padding.kind === 'same') return Math.ceil(n / w.stride[a]!);
      const out = Math.floor((n + w.padding.before[a]! + w.padding.after[a]! - extent) / w.stride[a]!) + 1;
      return out > 0 ? out : null;
    }
    case 'convtranspose': {
      const w = spec.sliding;
      const extent = effectiveExtent(w.kernel[a]!, w.dilation[a]!);
      const pad = w.padding.kind === 'explicit' ? w.padding.before[a]! + w.padding.after[a]! : 0;
      return (n - 1) * w.stride[a]! + extent - pad + spec.outputPadding[a]!;
    }
    case 'crop': {
      const c = spec.size[a];
      if (spec.offset === 'center' || !c || typeof c !== 'object' || !('trimEnd' in c)) return null;
      return n - spec.offset[a]! - c.trimEnd;
    }
    case 'upsample':
      return spec.size === 'reference' ? null : spec.size ? spec.size[a]! : spec.scale ? n * spec.scale[a]! : null;
    default:
      return n;
  }
}

/** Keras's to_snake_case: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, ReLU -> re_lu. */
export function snakeCase(name: string): string {
  const a = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  return a.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

export class KerasState {
  readonly exampleInputs: Array<{ shape: number[]; range: SourceRange | null }> = [];
  /** the graph the running code builds (the functional API calls layers as it runs) */
  tracer = new Tracer('python');
  readonly names = new Map<string, number>();
  inputCount = 0;
  classes = new Map<string, ClassValue>();
  modelClass: ClassValue | null = null;
  /** the static shapes of the Keras tensors built so far, per graph (the functional one, a subclassed model's call) */
  readonly shapes = new WeakMap<Tracer, Map<string, KerasShape>>();
  /** input shapes stated by Input(shape=...) per input node */
  readonly inputShapes = new Map<string, { shape: number[] | null; range: SourceRange | null }>();

  constructor(readonly interp: Interp) {}

  reset(): void {
    this.tracer = new Tracer('python');
    this.names.clear();
    this.inputCount = 0;
  }

  isKerasModel(v: Value): boolean {
    if (v.k !== 'object') return false;
    const n = nativeOf(v.cls);
    return n?.lib === 'keras' && (n.native === 'Model' || n.native === 'Sequential');
  }

  /** Builds the graph of a Keras model object: functional (already traced), Sequential (chained now) or subclassed (call() traced now). */
  build(model: ObjectValue, c: { name: string; range: SourceRange | null }, graph: ModelGraph, stated: (rank: number) => { shape: number[]; range: SourceRange | null } | null): ModelGraph {
    if (model.keras) return this.graphOf(model, c, this.tracer, graph, stated);
    const n = nativeOf(model.cls)?.native;
    this.tracer = new Tracer('python');
    const t = this.tracer;
    let layers: Value[] = [];
    let statedShape: number[] | null = null;
    let inputName: string | null = null;
    if (n === 'Sequential') {
      const l = model.attrs.get('__layers__');
      layers = l && isSeq(l) ? l.items.slice() : [];
      const first = layers[0];
      if (first && first.k === 'object' && first.native) {
        const is = first.native.kwargs.get('input_shape') ?? (first.native.type === 'InputLayer' ? first.native.args[0] : undefined);
        if (is && isSeq(is)) statedShape = is.items.slice(0, -1).map((x) => numOf(x) ?? -1);
        if (first.native.type === 'InputLayer') layers.shift();
      }
      // Keras 3's idiom: Sequential([keras.Input(shape=...), ...]) states the input size through the Input
      if (first && first.k === 'tensor') {
        statedShape = this.inputShapes.get(first.node)?.shape ?? null;
        inputName = first.node;
        layers.shift();
      }
    }
    const rankFrom = (objs: Value[]): number => {
      for (const o of objs) if (o.k === 'object' && o.native) {
        const d = KERAS_LAYERS[o.native.type];
        if (d?.rank) return d.rank;
      }
      return statedShape?.length ?? 2;
    };
    t.rank = n === 'Sequential' ? rankFrom(layers) : rankFrom([...model.attrs.values()]);
    if (!inputName) this.inputCount++;
    const inputId = t.freshId(inputName ?? `input_${this.inputCount}`);
    const x = t.add(inputId, { op: 'input', shape: null }, [], { type: 'Input', origin: c.range });
    x.layout = 'nhwc';
    this.inputShapes.set(inputId, { shape: statedShape, range: c.range });
    let out: Value = x;
    const site = { node: null, module: this.interp.mainCtx };
    const saved = this.interp.tracer;
    if (n === 'Sequential') {
      for (const l of layers) out = this.interp.call(l, [out], new Map(), site);
    } else {
      const call = this.interp.lookupClassAttr(model.cls, 'call');
      if (call && call.k === 'func') out = this.interp.callFunction(call, [model, x], new Map(), site, model);
      else out = this.interp.call(model, [x], new Map(), site);
    }
    this.interp.tracer = saved;
    const fake: ObjectValue = { ...model, keras: { inputs: x, outputs: out, tracer: t } as unknown as ObjectValue['keras'] };
    return this.graphOf(fake, c, t, graph, stated);
  }

  autoName(cls: string): string {
    const base = snakeCase(cls);
    const n = this.names.get(base);
    this.names.set(base, (n ?? -1) + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  }

  isKerasModelClass(cls: ClassValue): boolean {
    return !!this.modelClass && mro(cls).includes(this.modelClass) && cls !== this.modelClass;
  }

  /** The IR graph of a Keras model object: the nodes its outputs depend on. */
  graphOf(model: ObjectValue, c: { name: string; range: SourceRange | null }, _tracer: Tracer, graph: ModelGraph, stated: (rank: number) => { shape: number[]; range: SourceRange | null } | null): ModelGraph {
    const k = model.keras!;
    const t = (k as unknown as { tracer: Tracer }).tracer;
    const outs: TensorValue[] = [];
    const collect = (v: Value) => {
      if (v.k === 'tensor') outs.push(v);
      else if (isSeq(v)) v.items.forEach(collect);
      else if (v.k === 'dict') for (const [, [, x]] of v.map) collect(x);
    };
    collect(k.outputs);
    const byId = new Map(t.nodes.map((n) => [n.id, n]));
    const keep = new Set<string>();
    const stack = outs.map((o) => o.node);
    while (stack.length) {
      const id = stack.pop()!;
      if (keep.has(id)) continue;
      keep.add(id);
      for (const i of byId.get(id)?.inputs ?? []) stack.push(i);
    }
    graph.nodes = t.nodes.filter((n) => keep.has(n.id));
    graph.outputs = [...new Set(outs.map((o) => o.node))];
    graph.rank = t.rank;
    const inputs = graph.nodes.filter((n) => n.spec.op === 'input');
    const first = inputs[0];
    const shape = first ? this.inputShapes.get(first.id) : undefined;
    const s = stated(graph.rank);
    graph.statedInput = s?.shape ?? (shape?.shape && shape.shape.length === graph.rank && shape.shape.every((x) => x > 0) ? shape.shape : null);
    if (first && first.spec.op === 'input') first.spec = { op: 'input', shape: graph.statedInput };
    if (graph.nodes.length <= 1) this.interp.findings.push({ code: 'RFL100', severity: 'warning', message: `${c.name} has no layers the reader could follow.`, range: c.range, layer: null });
    return graph;
  }
}

function numOf(v: Value | undefined): number | null {
  if (!v) return null;
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  return null;
}

export function installKeras(interp: Interp, state: KerasState): void {
  const B = (name: string, fn: BuiltinFn): Value => ({ k: 'builtin', name, fn });
  const mk = (name: string, native: string, bases: ClassValue[] = []): ClassValue => ({ k: 'class', name, qualname: `keras.layers.${name}`, bases, unknownBase: false, attrs: new Map(), native, lib: 'keras', module: null, range: null });
  const Layer = mk('Layer', 'Layer');
  const classes = new Map<string, ClassValue>([['Layer', Layer]]);
  for (const n of Object.keys(KERAS_LAYERS)) classes.set(n, mk(n, n, [Layer]));
  for (const n of KERAS_POINTWISE) classes.set(n, mk(n, n, [Layer]));
  const Model = mk('Model', 'Model', [Layer]);
  const Sequential = mk('Sequential', 'Sequential', [Model]);
  classes.set('Model', Model);
  classes.set('Functional', Model);
  classes.set('Sequential', Sequential);
  state.classes = classes;
  state.modelClass = Model;

  const prevInit = interp.hooks.nativeInit;
  interp.hooks.nativeInit = (obj, c, args, kwargs, site) => {
    if (c.lib !== 'keras') return prevInit?.(obj, c, args, kwargs, site);
    const top = interp.callStack[interp.callStack.length - 1];
    const argRanges = new Map<string | number, SourceRange>();
    let typeRange: SourceRange | null = null;
    if (top && top.ctx === interp.mainCtx && top.node === site.node) {
      for (const [k, n] of top.argNodes) argRanges.set(k, top.ctx.lines.range(n.from, n.to));
      const callee = top.node.firstChild;
      if (callee) typeRange = top.ctx.lines.range(callee.from, callee.to);
    }
    const type = c.native!;
    const native: NativeLayer = { type, lib: 'keras', args, kwargs, range: obj.range ?? interp.rangeOf(site.node, site.module), argRanges, typeRange };
    obj.native = native;
    const nameV = kwargs.get('name');
    obj.kerasName = nameV && nameV.k === 'str' ? nameV.v : state.autoName(type === 'Model' ? 'model' : type);
    if (type === 'Model') {
      const inputs = args[0] ?? kwargs.get('inputs');
      const outputs = args[1] ?? kwargs.get('outputs');
      if (inputs && outputs) obj.keras = { inputs, outputs, tracer: state.tracer } as unknown as ObjectValue['keras'];
    } else if (type === 'Sequential') {
      const layers = args[0] ?? kwargs.get('layers');
      const items = layers ? (interp.iterate(layers, null, null) ?? []) : [];
      obj.attrs.set('__layers__', list(items));
    }
  };

  const layerRange = (native: NativeLayer, name: string, sig: string[]): SourceRange | null => {
    const r = native.argRanges.get(name);
    if (r) return r;
    const i = sig.indexOf(name);
    return i >= 0 ? (native.argRanges.get(i) ?? null) : null;
  };

  const report = (native: NativeLayer | null, role: string | null, message: string, id: string | null) => {
    const def = native ? KERAS_LAYERS[native.type] : undefined;
    const range = (native && role && def ? layerRange(native, role, def.sig) : null) ?? native?.range ?? interp.anchor;
    interp.findings.push({ code: 'RFL100', severity: 'warning', message, range, layer: id });
  };

  const paddingOf = (v: Value | undefined, r: number, k: number[], d: number[]): Padding | null => {
    const s = v && v.k === 'str' ? v.v.toLowerCase() : 'valid';
    if (s === 'same') return { kind: 'same', rule: 'upper' };
    if (s === 'valid') return { kind: 'explicit', before: new Array<number>(r).fill(0), after: new Array<number>(r).fill(0) };
    if (s === 'causal') return { kind: 'explicit', before: k.map((kk, a) => d[a]! * (kk - 1)), after: new Array<number>(r).fill(0) };
    return null;
  };

  const layerOp = (native: NativeLayer, def: KerasLayerDef, r: number, id: string): LayerOp => {
    const p = bindSignature(def.sig, native.args, native.kwargs);
    const need = (name: string, fallback?: number[]): number[] | null => {
      const v = p.get(name);
      if (v === undefined || v.k === 'none') return fallback ? (fallback.length === 1 && r > 1 ? new Array<number>(r).fill(fallback[0]!) : fallback) : null;
      const a = perAxis(v, r);
      if (!a) report(native, name, `${native.type} ${name} is not known before running (${isUnknown(v) ? v.why : v.k}); the layer is shown as the identity.`, id);
      return a;
    };
    const fail = (reason: string): LayerOp => ({ op: 'unknown', reason });
    switch (def.kind) {
      case 'conv':
      case 'depthwise':
      case 'separable':
      case 'maxpool':
      case 'avgpool': {
        const pool = def.kind === 'maxpool' || def.kind === 'avgpool';
        const kernel = pool ? need('pool_size', new Array<number>(r).fill(2)) : need('kernel_size');
        if (!kernel) return fail('kernel not known');
        const stride = pool ? need('strides', kernel) : need('strides', [1]);
        const dilation = pool ? new Array<number>(r).fill(1) : need('dilation_rate', [1]);
        if (!stride || !dilation) return fail('strides not known');
        const padding = paddingOf(p.get('padding'), r, kernel, dilation);
        if (!padding) return fail('padding not known');
        const sliding = { kernel, stride, dilation, padding, padMode: 'zeros' as const, ceil: false as const };
        return pool ? { op: 'pool', pool: def.kind === 'maxpool' ? 'max' : 'avg', sliding } : { op: 'conv', sliding };
      }
      case 'convT': {
        const kernel = need('kernel_size');
        const stride = need('strides', [1]);
        const dilation = need('dilation_rate', [1]);
        if (!kernel || !stride || !dilation) return fail('parameters not known');
        const padV = p.get('padding');
        const same = padV && padV.k === 'str' && padV.v === 'same';
        const op = p.get('output_padding');
        const outPad = op && op.k !== 'none' ? perAxis(op, r) : null;
        // Keras: 'valid' gives (n-1)s + k (+ output_padding); 'same' gives n*s (the padding cut is k - s, the extra after)
        const padBefore = kernel.map((k, a) => (same ? Math.floor(Math.max(0, dilation[a]! * (k - 1) + 1 - stride[a]!) / 2) : 0));
        const padAfter = kernel.map((k, a) => (same ? Math.max(0, dilation[a]! * (k - 1) + 1 - stride[a]!) - padBefore[a]! : 0));
        return { op: 'convtranspose', sliding: { kernel: kernel, stride: stride, dilation: dilation, padding: { kind: 'explicit', before: padBefore, after: padAfter }, padMode: 'zeros', ceil: false }, outputPadding: outPad ?? new Array<number>(r).fill(0) };
      }
      case 'global':
        return { op: 'globalPool' };
      case 'zeropad': {
        const v = p.get('padding') ?? { k: 'num', v: 1, int: true };
        const pads = pairs(v, r);
        if (!pads) {
          report(native, 'padding', `${native.type} padding is not known before running; the layer is shown as the identity.`, id);
          return fail('padding not known');
        }
        return { op: 'conv', sliding: { kernel: new Array<number>(r).fill(1), stride: new Array<number>(r).fill(1), dilation: new Array<number>(r).fill(1), padding: { kind: 'explicit', before: pads.map((x) => x[0]), after: pads.map((x) => x[1]) }, padMode: 'zeros', ceil: false } };
      }
      case 'crop': {
        const v = p.get('cropping') ?? { k: 'num', v: 0, int: true };
        const c = pairs(v, r);
        if (!c) return fail('cropping not known');
        return { op: 'crop', offset: c.map((x) => x[0]), size: c.map((x) => ({ trimEnd: x[1] })) };
      }
      case 'upsample': {
        const s = need('size', new Array<number>(r).fill(2));
        if (!s) return fail('size not known');
        const interp2 = p.get('interpolation');
        return { op: 'upsample', mode: interp2 && interp2.k === 'str' && interp2.v === 'bilinear' ? 'bilinear' : 'nearest', scale: s, size: null, alignCorners: false };
      }
      case 'dense':
        return { op: 'dense' };
      case 'flatten':
        return { op: 'flatten' };
      case 'pointwise':
        return { op: 'pointwise', kind: native.type };
      case 'lambda':
        report(native, 'function', `Lambda layer: its function is not read; it is shown as the identity.`, id);
        return { op: 'pointwise', kind: 'Lambda (not read)' };
      default:
        report(native, null, `${native.type} is not modelled; it is shown as the identity.`, id);
        return fail(native.type);
    }
  };

  /** Keras padding/cropping: int, (a, b) per axis symmetric, or ((before, after), ...). */
  const pairs = (v: Value, r: number): Array<[number, number]> | null => {
    const n = numOf(v);
    if (n !== null) return new Array(r).fill(0).map(() => [n, n] as [number, number]);
    if (!isSeq(v) || v.items.length !== r) {
      if (isSeq(v) && r === 1 && v.items.length === 2) {
        const a = numOf(v.items[0]);
        const b = numOf(v.items[1]);
        return a !== null && b !== null ? [[a, b]] : null;
      }
      return null;
    }
    const out: Array<[number, number]> = [];
    for (const it of v.items) {
      const x = numOf(it);
      if (x !== null) out.push([x, x]);
      else if (isSeq(it) && it.items.length === 2 && numOf(it.items[0]) !== null && numOf(it.items[1]) !== null) out.push([numOf(it.items[0])!, numOf(it.items[1])!]);
      else return null;
    }
    return out;
  };

  /** The graph a Keras layer call builds into: a subclassed model's call() being traced, else the functional code's. */
  const layerTracer = (): Tracer => (state.interp.tracer && state.interp.tracer.format === 'keras-call' ? state.interp.tracer : state.tracer);

  const callLayer = (obj: ObjectValue, args: Value[], kwargs: Map<string, Value>, site: CallSite): Value => {
    const native = obj.native!;
    const type = native.type;
    const t = layerTracer();
    const x = args[0] ?? kwargs.get('inputs');
    const inputs: TensorValue[] = [];
    const collect = (v: Value | undefined) => {
      if (!v) return;
      if (v.k === 'tensor') inputs.push(v);
      else if (isSeq(v)) v.items.forEach(collect);
    };
    collect(x);
    if (inputs.length === 0) return unknown(`${type} applied to ${x ? (isUnknown(x) ? x.why : x.k) : 'nothing'}`);
    const def: KerasLayerDef = KERAS_LAYERS[type] ?? { kind: 'pointwise', sig: [] };
    if (def.rank && t.nodes.length <= 1) t.rank = def.rank;
    const base = obj.kerasName ?? state.autoName(type);
    obj.kerasCalls = (obj.kerasCalls ?? 0) + 1;
    const id = t.freshId(base);
    const ranges: Record<string, SourceRange> = {};
    const roles: Record<string, string> = { kernel_size: 'kernel', pool_size: 'kernel', strides: 'stride', padding: 'padding', dilation_rate: 'dilation' };
    for (const [k, r] of native.argRanges) {
      const name = typeof k === 'number' ? def.sig[k] : k;
      if (name && roles[name]) ranges[roles[name]!] = r;
    }
    if (native.typeRange) ranges.type = native.typeRange;
    const info = { type, origin: native.range, ranges, valueRanges: { ...ranges }, name: obj.kerasName ?? id };
    const first = inputs[0]!;
    const known = shapesOf(t);
    const inShapes = inputs.map((i) => known.get(i.node) ?? null);
    const channels = (units: string): number | null => numOf(bindSignature(def.sig, native.args, native.kwargs).get(units));
    /** the layer's output, with the static shape Keras would give it */
    const done = (out: TensorValue, shape: KerasShape | null): TensorValue => {
      if (shape) known.set(out.node, shape);
      return out;
    };
    if (def.kind === 'merge') {
      return done(t.add(id, { op: def.merge === 'mul' ? 'mul' : 'add', align: 'exact' }, inputs.map((i) => i.node), info, inputs.some((i) => i.spatial), first.layout), inShapes[0]!);
    }
    if (def.kind === 'concat') {
      const c = inShapes.every((sh) => sh?.channels != null) ? inShapes.reduce((sum, sh) => sum + sh!.channels!, 0) : null;
      const out = t.add(id, { op: 'concat', align: 'exact' }, inputs.map((i) => i.node), info, inputs.some((i) => i.spatial), first.layout);
      return done(out, inShapes[0] ? { size: inShapes[0].size, channels: c } : null);
    }
    if (def.kind === 'dense' && first.spatial) {
      return done(t.add(id, { op: 'pointwise', kind: 'Dense over channels' }, [first.node], info, true, first.layout), inShapes[0] ? { size: inShapes[0].size, channels: channels('units') } : null);
    }
    if (type === 'Reshape' && first.spatial && inShapes[0]) {
      // a Reshape that keeps the spatial sizes only regroups the channels (ResNeXt's grouped convolution as
      // DepthwiseConv2D + Reshape(x_shape + (groups, c, c)) + a sum over the last axis): pointwise
      const target = bindSignature(def.sig, native.args, native.kwargs).get('target_shape');
      const dims = target && isSeq(target) ? target.items.map((v) => numOf(v)) : null;
      const size = inShapes[0].size;
      if (dims && dims.length > size.length && size.every((n, a) => n !== null && dims[a] === n)) {
        const rest = dims.slice(size.length);
        const channels = rest.every((d) => d !== null) ? rest.reduce((a, b) => a! * b!, 1) : null;
        return done(t.add(id, { op: 'pointwise', kind: 'Reshape of the channels' }, [first.node], info, true, first.layout), { size, channels });
      }
    }
    if (def.kind === 'lambda') {
      const body = lambdaBody(native, x!, t, id, site);
      if (body) return done(t.add(id, { op: 'pointwise', kind: 'Lambda' }, [body.node], info, body.spatial, body.layout), known.get(body.node) ?? null);
    }
    const spec = layerOp(native, def, t.rank, id);
    const keep = def.kind === 'global' ? (native.kwargs.get('keepdims')?.k === 'bool' && (native.kwargs.get('keepdims') as { v: boolean }).v) : true;
    const spatial = spec.op === 'dense' || spec.op === 'flatten' ? false : def.kind === 'global' ? keep : first.spatial;
    void site;
    const out = t.add(id, spec, [first.node], info, spatial, spatial ? first.layout : 'flat');
    const inShape = inShapes[0];
    if (!inShape) return out;
    const outChannels =
      def.kind === 'conv' || def.kind === 'separable' || def.kind === 'convT'
        ? channels('filters')
        : def.kind === 'depthwise'
          ? inShape.channels === null ? null : inShape.channels * (channels('depth_multiplier') ?? 1)
          : def.kind === 'dense'
            ? channels('units')
            : spec.op === 'flatten' || spec.op === 'unknown'
              ? null
              : inShape.channels;
    const size = !spatial ? [] : def.kind === 'global' ? inShape.size.map(() => 1) : inShape.size.map((n, a) => sizeAfter(spec, n, a));
    return done(out, { size, channels: outChannels });
  };

  const shapesOf = (t: Tracer): Map<string, KerasShape> => {
    let m = state.shapes.get(t);
    if (!m) state.shapes.set(t, (m = new Map()));
    return m;
  };

  /** backend.int_shape(x): (None, sizes..., channels), a size or channel count not known being an unknown value (never None, which would decide comparisons). */
  const intShape = (a: Value[]): Value => {
    const x = a[0];
    if (!x || x.k !== 'tensor') return unknown('the static shape of a value that is not a Keras tensor');
    const sh = shapesOf(layerTracer()).get(x.node);
    if (!sh) return unknown('the static shape of a tensor');
    const dim = (n: number | null) => (n === null ? unknown('a size not known before running') : int(n));
    return tuple([NONE, ...sh.size.map(dim), dim(sh.channels)]);
  };

  /**
   * Where the Keras tensor operators of a Lambda body go: its tracer and the
   * Lambda's id (the ops it builds are named after it). Null outside a body;
   * then functional code's own `x + y` goes to the functional graph.
   */
  let lambdaScope: { t: Tracer; id: string } | null = null;

  /**
   * Runs a Lambda's function on its inputs (and its `arguments`), as Keras
   * does when it builds the layer: a body of known ops (InceptionResNetV2's
   * scaled residual `inputs[0] + inputs[1] * scale`) becomes those ops. Null
   * when the body gives no tensor built from its inputs (a backend function
   * the reader does not know): then the layer is the identity with an RFL100.
   */
  const lambdaBody = (native: NativeLayer, x: Value, t: Tracer, id: string, site: CallSite): TensorValue | null => {
    const fn = native.args[0] ?? native.kwargs.get('function');
    if (!fn || (fn.k !== 'func' && fn.k !== 'builtin')) return null;
    const extra = native.kwargs.get('arguments');
    const kwargs = new Map<string, Value>();
    if (extra && extra.k === 'dict') for (const [k, v] of extra.map.values()) if (k.k === 'str') kwargs.set(k.v, v);
    const before = t.nodes.length;
    const findings = interp.findings.length;
    const saved = lambdaScope;
    lambdaScope = { t, id };
    let out: Value;
    try {
      out = interp.call(fn, [x], kwargs, site);
    } finally {
      lambdaScope = saved;
    }
    const known = out.k === 'tensor' && interp.findings.length === findings && t.nodes.slice(before).every((n) => n.spec.op !== 'unknown');
    if (known) return out as TensorValue;
    // not read: forget what the body built, so the layer is one identity with its finding
    t.truncate(before);
    interp.findings.length = findings;
    return null;
  };

  /** The graph Keras tensor operators build into: a Lambda body's, else the functional code's (outside a traced forward or call). */
  const operatorScope = (): { t: Tracer; id: string } | null => lambdaScope ?? (interp.tracer === null ? { t: state.tracer, id: '' } : null);

  /** `x[:, :, :, ...]` on a Keras tensor that keeps every spatial axis whole picks channels: the same pixels. */
  const prevIndex = interp.hooks.indexTensor;
  interp.hooks.indexTensor = (x, index, site) => {
    const t = operatorScope()?.t;
    if (t && x.layout === 'nhwc' && x.spatial && t.has(x.node)) {
      const items = index.k === 'tuple' ? index.items : [index];
      const whole = (v: Value | undefined) => v?.k === 'slice' && v.start.k === 'none' && v.stop.k === 'none' && v.step.k === 'none';
      if (items.length > t.rank + 1 && items.slice(0, t.rank + 1).every(whole)) return x;
    }
    return prevIndex?.(x, index, site) ?? null;
  };

  /** Keras tensors' operators (`x + y`, `x * 0.2`): add and multiply layers; a number times a tensor is pointwise. */
  const prevBinary = interp.hooks.tensorBinary;
  interp.hooks.tensorBinary = (op, a, b, site) => {
    const scope = operatorScope();
    const ta = a.k === 'tensor' ? a : null;
    const tb = b.k === 'tensor' ? b : null;
    const mine = scope && [ta, tb].every((v) => !v || scope.t.has(v.node));
    if (!scope || !mine) return prevBinary?.(op, a, b, site) ?? null;
    const kind = op === '+' || op === '-' ? 'add' : op === '*' || op === '/' ? 'multiply' : null;
    if (kind === null) return unknown(`the ${op} operator on Keras tensors`);
    if (!ta || !tb) return ta ?? tb;
    // channel slices of one tensor added together (ResNeXt's grouped convolution): channels are not modelled, so
    // this is the tensor itself, as a grouped Conv2D would be
    if (ta.node === tb.node) return ta;
    const id = scope.t.freshId(scope.id ? `${scope.id}.${kind}` : `tf.__operators__.${kind}`);
    const spec: LayerOp = { op: kind === 'add' ? 'add' : 'mul', align: 'exact' };
    const out = scope.t.add(id, spec, [ta.node, tb.node], { type: op, origin: interp.rangeOf(site.node, site.module) }, ta.spatial || tb.spatial, ta.spatial ? ta.layout : tb.layout);
    const known = shapesOf(scope.t);
    const shape = known.get(ta.node) ?? known.get(tb.node);
    if (shape) known.set(out.node, shape);
    return out;
  };

  const input = (args: Value[], kwargs: Map<string, Value>, site: CallSite): Value => {
    const p = bindSignature(['shape', 'batch_size', 'name', 'dtype'], args, kwargs);
    const shapeV = p.get('shape') ?? kwargs.get('batch_shape') ?? kwargs.get('input_shape');
    const items = shapeV && isSeq(shapeV) ? shapeV.items : null;
    const fmt = 'channels_last';
    let shape: number[] | null = null;
    if (items && items.length >= 2) {
      const dims = items.map((x) => (x.k === 'none' ? -1 : (numOf(x) ?? -1)));
      shape = fmt === 'channels_last' ? dims.slice(0, -1) : dims.slice(1);
      if (kwargs.has('batch_shape')) shape = shape.slice(1);
    }
    const nameV = p.get('name');
    const t = state.tracer;
    if (shape && shape.length >= 1 && shape.length <= 3) t.rank = shape.length;
    state.inputCount++;
    const id = t.freshId(nameV && nameV.k === 'str' ? nameV.v : `input_${state.inputCount}`);
    const range = interp.rangeOf(site.node, site.module);
    state.inputShapes.set(id, { shape, range });
    const tensor = t.add(id, { op: 'input', shape: null }, [], { type: 'Input', origin: range });
    tensor.layout = 'nhwc';
    if (items && items.length >= 2) {
      const dims = items.map((v) => numOf(v));
      shapesOf(t).set(id, { size: dims.slice(kwargs.has('batch_shape') ? 1 : 0, -1), channels: dims[dims.length - 1] ?? null });
    }
    return tensor;
  };

  const prevCall = interp.hooks.callObject;
  interp.hooks.callObject = (obj, args, kwargs, site) => {
    const native = nativeOf(obj.cls);
    if (native?.lib !== 'keras') return prevCall?.(obj, args, kwargs, site) ?? null;
    if (native.native === 'Model' || native.native === 'Sequential') {
      // a model used as a layer: its graph inlined is beyond this reader; shown as one unknown layer
      const x = args[0];
      if (x && x.k === 'tensor') {
        const t = state.tracer;
        const id = t.freshId(obj.kerasName ?? 'model');
        if (native.native === 'Sequential') {
          let cur: Value = x;
          const layers = obj.attrs.get('__layers__');
          for (const l of layers && isSeq(layers) ? layers.items : []) cur = interp.call(l, [cur], new Map(), site);
          return cur;
        }
        report(obj.native ?? null, null, `a Keras model called as a layer is shown as the identity`, id);
        return t.add(id, { op: 'unknown', reason: 'nested model' }, [x.node], { type: 'Model', origin: obj.range });
      }
      return unknown('calling a Keras model');
    }
    // a subclassed layer with call(): run it
    for (const c of mro(obj.cls)) {
      if (c.native) break;
      const f = c.attrs.get('call');
      if (f && f.k === 'func') return interp.callFunction(f, [obj, ...args], kwargs, site, obj);
    }
    if (!obj.native) return unknown(`${obj.cls.name} without call()`);
    return callLayer(obj, args, kwargs, site);
  };

  const prevAttr = interp.hooks.nativeAttr;
  interp.hooks.nativeAttr = (obj, name) => {
    const native = nativeOf(obj.cls);
    if (native?.lib !== 'keras') return prevAttr?.(obj, name);
    if (name === 'add' && native.native === 'Sequential') {
      return B('Sequential.add', (a) => {
        const layers = obj.attrs.get('__layers__');
        if (layers && layers.k === 'list' && a[0]) layers.items.push(a[0]);
        else obj.attrs.set('__layers__', list(a[0] ? [a[0]] : []));
        return NONE;
      });
    }
    if (name === 'name') return obj.kerasName ? str(obj.kerasName) : unknown('name');
    if (name === 'output' || name === 'input') return obj.keras ? (name === 'output' ? obj.keras.outputs : obj.keras.inputs) : unknown(name);
    if (['compile', 'summary', 'load_weights', 'build', 'fit', 'save'].includes(name)) return B(name, () => NONE);
    return undefined;
  };

  // ----- modules -----
  const backend = (): PyModuleValue => ({
    k: 'pymodule',
    name: 'keras.backend',
    ctx: null,
    attrs: new Map<string, Value>([
      ['image_data_format', B('image_data_format', () => str('channels_last'))],
      ['int_shape', B('int_shape', intShape)],
      ['is_keras_tensor', B('is_keras_tensor', (a) => (a[0]?.k === 'tensor' ? TRUE : unknown('is_keras_tensor')))],
      ['backend', B('backend', () => str('tensorflow'))],
    ]),
  });
  const layersModule = (name: string) => (): PyModuleValue => {
    const attrs = new Map<string, Value>();
    for (const [k, v] of classes) if (k !== 'Model' && k !== 'Sequential' && k !== 'Functional') attrs.set(k, v);
    attrs.set('Input', B('Input', input));
    return { k: 'pymodule', name, ctx: null, attrs };
  };
  const modelsModule = (name: string) => (): PyModuleValue => ({ k: 'pymodule', name, ctx: null, attrs: new Map<string, Value>([['Model', Model], ['Sequential', Sequential]]) });
  const kerasModule = (name: string) => (): PyModuleValue => {
    const attrs = new Map<string, Value>([
      ['layers', interp.loadModule(`${name}.layers`, null, null)],
      ['models', interp.loadModule(`${name}.models`, null, null)],
      ['backend', interp.loadModule(`${name}.backend`, null, null)],
      ['Model', Model],
      ['Sequential', Sequential],
      ['Input', B('Input', input)],
      ['utils', { k: 'pymodule', name: `${name}.utils`, ctx: null, attrs: new Map(), opaque: true }],
      ['applications', { k: 'pymodule', name: `${name}.applications`, ctx: null, attrs: new Map(), opaque: true }],
    ]);
    return { k: 'pymodule', name, ctx: null, attrs };
  };
  for (const root of ['keras', 'tensorflow.keras', 'tf_keras', 'tensorflow.python.keras']) {
    interp.builtinModules.set(root, kerasModule(root));
    interp.builtinModules.set(`${root}.layers`, layersModule(`${root}.layers`));
    interp.builtinModules.set(`${root}.models`, modelsModule(`${root}.models`));
    interp.builtinModules.set(`${root}.backend`, backend);
  }
  interp.builtinModules.set('tensorflow', () => ({
    k: 'pymodule',
    name: 'tensorflow',
    ctx: null,
    attrs: new Map<string, Value>([
      ['keras', interp.loadModule('tensorflow.keras', null, null)],
      ['nn', { k: 'pymodule', name: 'tensorflow.nn', ctx: null, attrs: new Map(), opaque: true }],
    ]),
  }));

  const prevByName = interp.hooks.classByName;
  interp.hooks.classByName = (name) => {
    if (interp.framework === 'keras') {
      const c = classes.get(name);
      if (c) return c;
    }
    return prevByName?.(name) ?? (classes.get(name) && !/^(Dropout|Flatten|Identity|ReLU|Softmax|LeakyReLU|PReLU|ELU)$/.test(name) ? classes.get(name)! : null);
  };
  // names of a Keras module object reached at run time (layers.Input, backend.image_data_format)
  const byNameFns = new Map<string, Value>([
    ['Input', B('Input', input)],
    ['image_data_format', B('image_data_format', () => str('channels_last'))],
    ['int_shape', B('int_shape', intShape)],
  ]);
  for (const f of ['add', 'multiply', 'subtract', 'average', 'maximum', 'minimum', 'concatenate']) {
    const cname = f === 'concatenate' ? 'Concatenate' : f[0]!.toUpperCase() + f.slice(1);
    byNameFns.set(f, B(`layers.${f}`, (a, kw, site) => {
      const layer = interp.instantiate(classes.get(cname)!, [], kw, site);
      return interp.call(layer, [a[0] ?? NONE], new Map(), site);
    }));
  }
  const prevValue = interp.hooks.valueByName;
  interp.hooks.valueByName = (name) => byNameFns.get(name) ?? (name === 'Model' ? Model : name === 'Sequential' ? Sequential : (prevValue?.(name) ?? null));
  for (const [root] of [['keras'], ['tensorflow.keras'], ['tf_keras'], ['tensorflow.python.keras']]) {
    const lm = interp.builtinModules.get(`${root}.layers`)!;
    interp.builtinModules.set(`${root}.layers`, () => {
      const m = lm();
      for (const [k, v] of byNameFns) if (k !== 'image_data_format' && k !== 'int_shape') m.attrs.set(k, v);
      return m;
    });
  }
  void tuple;
}
