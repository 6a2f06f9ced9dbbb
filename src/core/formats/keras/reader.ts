/**
 * Keras model JSON (`model.to_json()` of Keras 1, 2 and 3, Sequential and
 * Functional, nested models) and `.keras` archives (their `config.json`).
 * Layer ids are the layer names; a layer called more than once (shared) gets
 * `name@1`, `name@2` for its later calls, and the layers of a nested model
 * are prefixed with its name (`encoder/conv1`).
 */
import { unzipSync } from 'fflate';
import { getNodeValue, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { finding, type Finding } from '../../graph/finding';
import type { LayerNode, LayerOp, ModelGraph, Padding, SourceRange } from '../../graph/ir';
import { LineIndex } from '../../graph/text';
import { baseName, uniqueId } from '../common';
import type { ModelReader, ModelSource, ReadResult } from '../reader';
import { KERAS_LAYERS, type KerasLayerInfo } from './layers';

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

function prop(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (!node || node.type !== 'object' || !node.children) return undefined;
  for (const p of node.children) {
    const [k, v] = p.children ?? [];
    if (k && k.value === key) return v;
  }
  return undefined;
}

function propNode(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (!node || node.type !== 'object' || !node.children) return undefined;
  return node.children.find((p) => p.children?.[0]?.value === key);
}

function value(node: JsonNode | undefined): unknown {
  if (!node) return undefined;
  try {
    return getNodeValue(node);
  } catch {
    return undefined;
  }
}

function str(node: JsonNode | undefined): string | undefined {
  return node?.type === 'string' ? (node.value as string) : undefined;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

interface ModelRead {
  outputs: string[];
}

class KerasRead {
  readonly findings: Finding[] = [];
  readonly nodes: LayerNode[] = [];
  readonly ids = new Set<string>();
  /** reference (prefixed layer name, call index) -> node id, for layers that are aliases (nested inputs and models) */
  readonly alias = new Map<string, string>();
  /** whether a node's output still has spatial axes (Dense acts per position on those) */
  readonly spatial = new Map<string, boolean>();
  rank: number | null = null;
  statedInput: number[] | null = null;
  /** the model's tensors are (batch, channels, *spatial): data_format channels_first, Keras 1 'th' */
  channelsFirst = false;
  inputIds: string[] = [];

  constructor(readonly index: LineIndex | null) {}

  range(node: JsonNode | undefined): SourceRange | null {
    if (!node || !this.index) return null;
    return this.index.range(node.offset, node.offset + node.length);
  }

  note(message: string, node: JsonNode | undefined, layer: string | null): void {
    this.findings.push(finding('RFL100', message, this.range(node), layer));
  }

  uniqueId(wanted: string, at: JsonNode | undefined): string {
    const id = uniqueId(this.ids, wanted);
    if (id !== wanted) this.note(`Two layers are named ${wanted}; Keras requires unique names. This one is ${id}.`, at, id);
    return id;
  }

  push(node: LayerNode, spatial: boolean): void {
    this.nodes.push(node);
    this.spatial.set(node.id, spatial);
  }

  isSpatial(ids: string[]): boolean {
    return ids.some((id) => this.spatial.get(id) !== false);
  }

  refId(prefix: string, name: string, call: number): string {
    const key = `${prefix}${name}${call > 0 ? `@${call}` : ''}`;
    return this.alias.get(key) ?? key;
  }

  /** Axes of a config value: an int for every axis or a list of rank ints. */
  axes(v: unknown, rank: number, fallback: number, what: string, at: JsonNode | undefined, layer: string): number[] {
    if (v === undefined || v === null) return new Array<number>(rank).fill(fallback);
    if (isInt(v)) return new Array<number>(rank).fill(v);
    if (Array.isArray(v) && v.every(isInt)) {
      if (v.length === rank) return v.slice();
      if (v.length === 1) return new Array<number>(rank).fill(v[0]!);
    }
    this.note(`${what} ${JSON.stringify(v)} should be an integer or ${rank} integers; ${fallback} is used.`, at, layer);
    return new Array<number>(rank).fill(fallback);
  }

  /** Per-axis (before, after) pairs of ZeroPadding/Cropping: int, per-axis int, or per-axis pairs (Keras 1's 4-tuple for 2-D). */
  margins(v: unknown, rank: number, what: string, at: JsonNode | undefined, layer: string, fallback: number): { before: number[]; after: number[] } | null {
    const zeros = new Array<number>(rank).fill(0);
    if (v === undefined || v === null) return { before: zeros.map(() => fallback), after: zeros.map(() => fallback) };
    if (isInt(v) && v >= 0) return { before: zeros.map(() => v), after: zeros.map(() => v) };
    if (Array.isArray(v)) {
      if (rank === 1 && v.length === 2 && v.every(isInt)) return { before: [v[0]], after: [v[1]] };
      if (v.length === rank && v.every(isInt)) return { before: v.slice(), after: v.slice() };
      if (v.length === rank && v.every((x) => Array.isArray(x) && x.length === 2 && x.every(isInt))) {
        return { before: v.map((x) => (x as number[])[0]!), after: v.map((x) => (x as number[])[1]!) };
      }
      if (rank === 2 && v.length === 4 && v.every(isInt)) return { before: [v[0], v[2]], after: [v[1], v[3]] };
    }
    this.note(`${what} ${JSON.stringify(v)} is not a padding Keras accepts; the layer is left unresolved.`, at, layer);
    return null;
  }
}

type Ranges = { ranges: Record<string, SourceRange>; valueRanges: Record<string, SourceRange> };

function paddingOf(mode: unknown, kernel: number[], dilation: number[]): Padding | string {
  const rank = kernel.length;
  const eff = kernel.map((k, a) => dilation[a]! * (k - 1) + 1);
  switch (mode) {
    case undefined:
    case null:
    case 'valid':
      return { kind: 'explicit', before: new Array<number>(rank).fill(0), after: new Array<number>(rank).fill(0) };
    case 'same':
      return { kind: 'same', rule: 'upper' };
    case 'causal':
      return { kind: 'explicit', before: eff.map((e) => e - 1), after: new Array<number>(rank).fill(0) };
    case 'full':
      return { kind: 'explicit', before: eff.map((e) => e - 1), after: eff.map((e) => e - 1) };
    default:
      return `padding ${JSON.stringify(mode)} is not valid, same, causal or full`;
  }
}

/** The IR op of one layer call, from its class and config. */
function layerSpec(r: KerasRead, cls: string, info: KerasLayerInfo, cfg: JsonNode | undefined, id: string, inputs: string[], rank: number, ranges: Ranges, typeAt: JsonNode | undefined): LayerOp {
  const c = (key: string) => value(prop(cfg, key));
  const at = (key: string) => prop(cfg, key);
  const mark = (role: string, ...keys: string[]) => {
    for (const k of keys) {
      const p = propNode(cfg, k);
      if (p) {
        const rr = r.range(p);
        const vv = r.range(p.children?.[1]);
        if (rr) ranges.ranges[role] = rr;
        if (vv && (role === 'kernel' || role === 'stride')) ranges.valueRanges[role] = vv;
        return;
      }
    }
  };
  const unresolved = (reason: string, key?: string): LayerOp => {
    r.note(`${cls} ${id}: ${reason}.`, (key ? propNode(cfg, key) : undefined) ?? typeAt ?? cfg, id);
    return { op: 'unknown', reason };
  };
  switch (info.kind) {
    case 'conv': {
      const k1 = rank === 2 && c('nb_row') !== undefined ? [c('nb_row'), c('nb_col')] : rank === 1 && c('filter_length') !== undefined ? c('filter_length') : rank === 3 && c('kernel_dim1') !== undefined ? [c('kernel_dim1'), c('kernel_dim2'), c('kernel_dim3')] : c('kernel_size');
      mark('kernel', 'kernel_size', 'nb_row', 'filter_length', 'kernel_dim1');
      mark('stride', 'strides', 'subsample', 'subsample_length');
      mark('padding', 'padding', 'border_mode');
      mark('dilation', 'dilation_rate', 'atrous_rate');
      mark('padMode', 'padding', 'border_mode');
      const kernel = r.axes(k1, rank, 1, 'kernel_size', at('kernel_size') ?? at('nb_row') ?? cfg, id);
      const stride = r.axes(c('strides') ?? c('subsample') ?? c('subsample_length'), rank, 1, 'strides', at('strides') ?? at('subsample'), id);
      const dilation = r.axes(c('dilation_rate') ?? c('atrous_rate'), rank, 1, 'dilation_rate', at('dilation_rate') ?? at('atrous_rate'), id);
      const mode = c('padding') ?? c('border_mode');
      const padding = paddingOf(mode, kernel, dilation);
      if (typeof padding === 'string') return unresolved(padding, cfg && prop(cfg, 'padding') ? 'padding' : 'border_mode');
      const local = cls.startsWith('LocallyConnected');
      return { op: 'conv', sliding: { kernel, stride, dilation, padding, padMode: 'zeros', ceil: false }, ...(local ? { local: true } : {}) };
    }
    case 'pool': {
      mark('kernel', 'pool_size', 'pool_length');
      mark('stride', 'strides', 'stride');
      mark('padding', 'padding', 'border_mode');
      const kernel = r.axes(c('pool_size') ?? c('pool_length'), rank, 2, 'pool_size', at('pool_size') ?? at('pool_length'), id);
      const sv = c('strides') ?? c('stride');
      const stride = sv === null || sv === undefined ? kernel.slice() : r.axes(sv, rank, 1, 'strides', at('strides') ?? at('stride'), id);
      const padding = paddingOf(c('padding') ?? c('border_mode'), kernel, kernel.map(() => 1));
      if (typeof padding === 'string' || (padding.kind === 'explicit' && padding.before.some((p) => p > 0))) {
        return unresolved(typeof padding === 'string' ? padding : 'pooling takes valid or same padding', 'padding');
      }
      return { op: 'pool', pool: info.pool!, sliding: { kernel, stride, dilation: kernel.map(() => 1), padding, padMode: 'zeros', ceil: false } };
    }
    case 'convtranspose': {
      mark('kernel', 'kernel_size', 'nb_row');
      mark('stride', 'strides', 'subsample');
      mark('padding', 'padding', 'border_mode');
      const k1 = rank === 2 && c('nb_row') !== undefined ? [c('nb_row'), c('nb_col')] : c('kernel_size');
      const kernel = r.axes(k1, rank, 1, 'kernel_size', at('kernel_size') ?? at('nb_row'), id);
      const stride = r.axes(c('strides') ?? c('subsample'), rank, 1, 'strides', at('strides') ?? at('subsample'), id);
      const dilation = r.axes(c('dilation_rate'), rank, 1, 'dilation_rate', at('dilation_rate'), id);
      const mode = c('padding') ?? c('border_mode') ?? 'valid';
      const op = c('output_padding');
      const outPad = op === null || op === undefined ? null : r.axes(op, rank, 0, 'output_padding', at('output_padding'), id);
      if (mode !== 'valid' && mode !== 'same') return unresolved(`padding ${JSON.stringify(mode)} is not valid or same`, 'padding');
      // Keras deconv_output_length gives the output size (n-1)*s + C; TensorFlow's conv2d_transpose
      // then crops the 'same' total e - C with floor(total/2) before (the forward conv's rule).
      const padBefore: number[] = [];
      const padAfter: number[] = [];
      const outputPadding: number[] = [];
      kernel.forEach((k, a) => {
        const e = dilation[a]! * (k - 1) + 1;
        const s = stride[a]!;
        const C = outPad ? (mode === 'same' ? e - 2 * Math.floor(e / 2) + outPad[a]! : e + outPad[a]!) : mode === 'same' ? s : Math.max(e, s);
        const total = mode === 'same' ? Math.max(e - C, 0) : 0;
        padBefore.push(Math.floor(total / 2));
        padAfter.push(total - Math.floor(total / 2));
        outputPadding.push(Math.max(C - e + total, 0));
      });
      return { op: 'convtranspose', sliding: { kernel: kernel, stride: stride, dilation: dilation, padding: { kind: 'explicit', before: padBefore, after: padAfter }, padMode: 'zeros', ceil: false }, outputPadding: outputPadding };
    }
    case 'globalPool':
      return { op: 'globalPool' };
    case 'zeroPad': {
      mark('padding', 'padding');
      const m = r.margins(c('padding'), rank, 'padding', at('padding'), id, 1);
      if (!m) return { op: 'unknown', reason: 'unreadable padding' };
      if ([...m.before, ...m.after].some((x) => x < 0)) return unresolved('negative padding', 'padding');
      // a 1x1 stride-1 window with zero padding is spatially exactly a zero pad
      const ones = new Array<number>(rank).fill(1);
      return { op: 'conv', sliding: { kernel: ones, stride: ones.slice(), dilation: ones.slice(), padding: { kind: 'explicit', before: m.before, after: m.after }, padMode: 'zeros', ceil: false } };
    }
    case 'crop': {
      mark('padding', 'cropping');
      const m = r.margins(c('cropping'), rank, 'cropping', at('cropping'), id, 0);
      if (!m) return { op: 'unknown', reason: 'unreadable cropping' };
      if ([...m.before, ...m.after].some((x) => x < 0)) return unresolved('negative cropping', 'cropping');
      return { op: 'crop', offset: m.before, size: m.after.map((trimEnd) => ({ trimEnd })) };
    }
    case 'centerCrop': {
      const h = c('height');
      const w = c('width');
      if (!isInt(h) || !isInt(w) || h < 1 || w < 1) return unresolved('needs positive height and width');
      return { op: 'crop', offset: 'center', size: [h, w] };
    }
    case 'upsample': {
      mark('stride', 'size', 'length');
      const size = r.axes(c('size') ?? c('length'), rank, 2, 'size', at('size') ?? at('length'), id);
      const interp = c('interpolation') ?? 'nearest';
      if (interp !== 'nearest' && interp !== 'bilinear') r.note(`${cls} ${id}: interpolation ${JSON.stringify(interp)} is shown as bilinear (its field is wider).`, propNode(cfg, 'interpolation'), id);
      return { op: 'upsample', mode: interp === 'nearest' ? 'nearest' : 'bilinear', scale: size, size: null, alignCorners: false };
    }
    case 'merge': {
      let merge = info.merge;
      if (!merge) {
        const mode = c('mode') ?? 'sum';
        merge = mode === 'concat' ? 'concat' : mode === 'mul' ? 'mul' : mode === 'sum' || mode === 'ave' || mode === 'max' ? 'add' : undefined;
        if (!merge) return unresolved(`merge mode ${JSON.stringify(mode)} has no spatial meaning the analysis knows`, 'mode');
      }
      if (merge === 'concat') {
        const axis = c('axis') ?? c('concat_axis') ?? -1;
        // (batch, *spatial, channels), or (batch, channels, *spatial) when channels first
        if (isInt(axis) && r.isSpatial(inputs)) {
          const a = axis < 0 ? rank + 2 + axis : axis;
          const channelAxis = r.channelsFirst ? 1 : rank + 1;
          const spatialAxis = r.channelsFirst ? a - 2 : a - 1;
          if (a !== channelAxis && spatialAxis >= 0 && spatialAxis < rank) return { op: 'concat', align: 'exact', spatialAxis };
        }
      }
      return { op: merge, align: 'exact' };
    }
    case 'dense':
      // Dense acts on the last axis: on a map that still has spatial axes it is a 1x1 convolution
      return r.isSpatial(inputs) ? { op: 'pointwise', kind: 'Dense (per position)' } : { op: 'dense' };
    case 'flatten':
      return { op: 'flatten' };
    case 'pointwise':
      return { op: 'pointwise', kind: cls === 'Activation' ? `Activation ${String(c('activation') ?? '')}`.trim() : cls };
    case 'normalize':
      return { op: 'normalize', kind: cls };
    case 'resize': {
      const h = c('height');
      const w = c('width');
      if (!isInt(h) || !isInt(w) || h < 1 || w < 1) return unresolved('needs positive height and width');
      const interp = c('interpolation') ?? 'bilinear';
      if (c('crop_to_aspect_ratio') === true || c('pad_to_aspect_ratio') === true) r.note(`${cls} ${id}: crop_to_aspect_ratio/pad_to_aspect_ratio are not modelled; the whole map is resized.`, cfg, id);
      return { op: 'upsample', mode: interp === 'nearest' ? 'nearest' : 'bilinear', scale: null, size: [h, w], alignCorners: false };
    }
    case 'tfOp':
      return unresolved(`a TensorFlow operation (${String(c('function') ?? 'unnamed')}) is not read; it is treated as the identity of its first input`);
    case 'lambda':
      return unresolved('a Lambda runs Python code that is not read; it is treated as the identity of its input');
    default:
      return unresolved(`${cls} is not a layer the analysis knows; it is treated as the identity of its input`);
  }
}

function channelsFirst(layers: JsonNode[]): boolean {
  for (const l of layers) {
    const cfg = prop(l, 'config');
    const df = value(prop(cfg, 'data_format')) ?? value(prop(cfg, 'dim_ordering'));
    if (df === 'channels_first' || df === 'th') return true;
    if (df === 'channels_last' || df === 'tf') return false;
  }
  return false;
}

function layerRank(cls: string): number {
  return KERAS_LAYERS[cls]?.rank ?? 0;
}

/** Creates an input node from a shape in the config of an InputLayer or a Sequential's first layer. */
function addInput(r: KerasRead, id: string, name: string, cls: string, cfg: JsonNode | undefined, origin: JsonNode | undefined, layersForFormat: JsonNode[], top: boolean): void {
  const shapeNode = prop(cfg, 'batch_input_shape') ?? prop(cfg, 'batch_shape') ?? prop(cfg, 'input_shape');
  const isBatch = !!(prop(cfg, 'batch_input_shape') ?? prop(cfg, 'batch_shape'));
  const shape = value(shapeNode);
  let spatial: Array<number | null> | null = null;
  const ranges: Record<string, SourceRange> = {};
  const valueRanges: Record<string, SourceRange> = {};
  if (Array.isArray(shape)) {
    const dims = isBatch ? shape.slice(1) : shape.slice();
    const cf = channelsFirst(layersForFormat);
    if (top && r.inputIds.length === 0) r.channelsFirst = cf;
    const first = (isBatch ? 1 : 0) + (cf ? 1 : 0);
    const sp = cf ? dims.slice(1) : dims.slice(0, -1);
    spatial = sp.map((d) => (isInt(d) && d > 0 ? d : null));
    spatial.forEach((_, a) => {
      const el = shapeNode?.children?.[first + a];
      const rr = r.range(el);
      if (rr) {
        ranges[`inputSize:${a}`] = rr;
        valueRanges[`inputSize:${a}`] = rr;
      }
    });
  }
  const rank = spatial ? spatial.length : null;
  const stated = spatial && spatial.length > 0 && spatial.every((d) => d !== null) ? (spatial as number[]) : null;
  if (top && r.inputIds.length === 0) {
    if (rank !== null && rank > 0) r.rank = rank;
    r.statedInput = stated;
  }
  if (top) r.inputIds.push(id);
  const nameRange = r.range(propNode(cfg, 'name'));
  if (nameRange) ranges.name = nameRange;
  r.push({ id, name, type: cls, inputs: [], spec: { op: 'input', shape: stated }, origin: r.range(origin), ranges, valueRanges }, true);
}

/** Ids an inbound call reads: Keras 1/2 lists [[name, node, tensor, kwargs], ...], Keras 3 {args, kwargs} with __keras_tensor__ keras_history. */
function inboundRefs(call: unknown): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  if (Array.isArray(call)) {
    for (const e of call) {
      if (Array.isArray(e) && typeof e[0] === 'string') out.push([e[0], isInt(e[1]) ? e[1] : 0]);
    }
    return out;
  }
  const walk = (v: unknown, depth: number): void => {
    if (depth > 16 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if (o.class_name === '__keras_tensor__') {
      const h = (o.config as Record<string, unknown> | undefined)?.keras_history;
      if (Array.isArray(h) && typeof h[0] === 'string') out.push([h[0], isInt(h[1]) ? h[1] : 0]);
      return;
    }
    for (const x of Object.values(o)) walk(x, depth + 1);
  };
  const o = call as Record<string, unknown> | null;
  if (o && typeof o === 'object') {
    walk(o.args, 0);
    walk(o.kwargs, 0);
  }
  return out;
}

function layerList(config: JsonNode | undefined): JsonNode[] | null {
  if (config?.type === 'array') return config.children ?? [];
  const layers = prop(config, 'layers');
  return layers?.type === 'array' ? (layers.children ?? []) : null;
}

/** One model object ({class_name, config}); inputs are the outer tensors of a nested model's call, null at the top. */
function readModel(r: KerasRead, model: JsonNode, prefix: string, inputs: string[] | null, depth: number): ModelRead {
  const cls = str(prop(model, 'class_name')) ?? '';
  const config = prop(model, 'config');
  const layers = layerList(config);
  if (!layers) {
    r.note(`${cls || 'The model'} has no layers list.`, config ?? model, null);
    return { outputs: inputs ?? [] };
  }
  if (depth > 16) {
    r.note('Models nested more than 16 deep are not read.', model, null);
    return { outputs: inputs ?? [] };
  }
  const sequential = cls === 'Sequential' || config?.type === 'array';
  if (sequential) return readSequential(r, layers, prefix, inputs, depth);
  return readFunctional(r, config!, layers, prefix, inputs, depth);
}

function readSequential(r: KerasRead, layers: JsonNode[], prefix: string, inputs: string[] | null, depth: number): ModelRead {
  let prev: string | null = inputs?.[0] ?? null;
  for (const layer of layers) {
    const cls = str(prop(layer, 'class_name')) ?? '';
    const cfg = prop(layer, 'config');
    const name = str(prop(cfg, 'name')) ?? str(prop(layer, 'name')) ?? `${cls.toLowerCase() || 'layer'}_${r.nodes.length}`;
    if (cls === 'InputLayer') {
      if (prev === null) {
        const id = r.uniqueId(prefix + name, layer);
        addInput(r, id, name, cls, cfg, layer, layers, !inputs);
        prev = id;
      } else r.alias.set(prefix + name, prev);
      continue;
    }
    if (prev === null) {
      // Keras 1 and 2 state the input on the first layer; Keras names the implicit input <first>_input
      const id = r.uniqueId(`${prefix}${name}_input`, layer);
      addInput(r, id, `${name}_input`, 'InputLayer', cfg, undefined, layers, !inputs);
      prev = id;
    }
    prev = readLayer(r, layer, cls, cfg, name, prefix, [prev], 0, depth) ?? prev;
  }
  return { outputs: prev ? [prev] : [] };
}

function readFunctional(r: KerasRead, config: JsonNode, layers: JsonNode[], prefix: string, inputs: string[] | null, depth: number): ModelRead {
  const refsOf = (key: string): Array<[string, number]> => {
    const v = value(prop(config, key));
    if (!Array.isArray(v)) return [];
    // [[name, node, tensor], ...] or a single [name, node, tensor]
    const list = typeof v[0] === 'string' ? [v] : v;
    return list.filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string').map((e) => [e[0], isInt(e[1]) ? e[1] : 0]);
  };
  const inputLayers = refsOf('input_layers').map(([n]) => n);
  for (const layer of layers) {
    const cls = str(prop(layer, 'class_name')) ?? '';
    const cfg = prop(layer, 'config');
    const name = str(prop(layer, 'name')) ?? str(prop(cfg, 'name')) ?? `layer_${r.nodes.length}`;
    if (cls === 'InputLayer') {
      if (inputs) {
        const k = Math.max(inputLayers.indexOf(name), 0);
        const outer = inputs[k] ?? inputs[0];
        if (outer) r.alias.set(prefix + name, outer);
        continue;
      }
      addInput(r, r.uniqueId(prefix + name, layer), name, cls, cfg, layer, layers, true);
      continue;
    }
    const inbound = value(prop(layer, 'inbound_nodes'));
    const calls = Array.isArray(inbound) ? inbound : [];
    if (calls.length === 0) {
      r.note(`${cls} ${name} is never called (no inbound_nodes); it is left out.`, layer, prefix + name);
      continue;
    }
    calls.forEach((call, k) => {
      const refs = inboundRefs(call).map(([n, ci]) => r.refId(prefix, n, ci));
      readLayer(r, layer, cls, cfg, name, prefix, refs, k, depth);
    });
  }
  const outs = refsOf('output_layers').map(([n, ci]) => r.refId(prefix, n, ci));
  if (outs.length === 0) {
    const last = r.nodes[r.nodes.length - 1];
    return { outputs: last ? [last.id] : [] };
  }
  return { outputs: outs };
}

/** Adds the node of one call of a layer and returns its id (null when it makes none). */
function readLayer(r: KerasRead, layer: JsonNode, cls: string, cfg: JsonNode | undefined, name: string, prefix: string, inputs: string[], call: number, depth: number): string | null {
  const wanted = `${prefix}${name}${call > 0 ? `@${call}` : ''}`;
  const known = inputs.filter((i) => r.ids.has(i));
  for (const missing of inputs.filter((i) => !r.ids.has(i))) {
    r.note(`${cls} ${name} reads ${missing}, which is not an earlier layer of this model.`, prop(layer, 'inbound_nodes') ?? layer, wanted);
  }
  const info = KERAS_LAYERS[cls];
  if (info?.kind === 'model') {
    const inner = readModel(r, layer, `${wanted}/`, known.length ? known : r.inputIds.slice(0, 1), depth + 1);
    if (inner.outputs.length > 1) r.note(`The nested model ${name} has ${inner.outputs.length} outputs; the analysis follows the first.`, layer, wanted);
    const out = inner.outputs[0];
    if (!out) return null;
    // the nested model's name refers to its output
    const id = r.uniqueId(wanted, layer);
    r.push({ id, name: id, type: cls, inputs: [out], spec: { op: 'pointwise', kind: `${cls} output` }, origin: r.range(layer) }, r.isSpatial([out]));
    return id;
  }
  const id = r.uniqueId(wanted, layer);
  const ranges: Ranges = { ranges: {}, valueRanges: {} };
  const nameRange = r.range(propNode(cfg, 'name') ?? propNode(layer, 'name'));
  if (nameRange) ranges.ranges.name = nameRange;
  const typeRange = r.range(propNode(layer, 'class_name'));
  if (typeRange) ranges.ranges.type = typeRange;
  let rank = r.rank;
  if (rank === null) {
    const lr = layerRank(cls);
    if (lr > 0) r.rank = rank = lr;
  }
  let spec: LayerOp;
  if (!info) {
    r.note(`Unknown layer class ${cls || '(none)'} (${name}): its spatial effect is not known; it is treated as the identity of its input.`, propNode(layer, 'class_name') ?? layer, id);
    spec = { op: 'unknown', reason: `unknown class ${cls}` };
  } else if (info.rank > 0 && rank !== null && info.rank !== rank) {
    r.note(`${cls} ${name} works on ${info.rank} spatial axes but the model's input has ${rank}.`, propNode(layer, 'class_name') ?? layer, id);
    spec = { op: 'unknown', reason: 'rank mismatch' };
  } else spec = layerSpec(r, cls, info, cfg, id, known, rank ?? (info.rank || 2), ranges, propNode(layer, 'class_name'));
  const spatial = spec.op === 'flatten' || spec.op === 'dense' || spec.op === 'globalPool' ? false : r.isSpatial(known);
  if (known.length === 0) {
    r.note(`${cls} ${name} has no input.`, layer, id);
    if (r.inputIds[0]) known.push(r.inputIds[0]);
  }
  r.push({ id, name: id, type: cls, inputs: known, spec, origin: r.range(layer), ranges: ranges.ranges, valueRanges: ranges.valueRanges }, spatial);
  return id;
}

/** Kahn's order, keeping the file's order where it already is one. */
function topological(nodes: LayerNode[]): LayerNode[] | null {
  const placed = new Set<string>();
  const out: LayerNode[] = [];
  let pending = nodes.slice();
  while (pending.length) {
    const next: LayerNode[] = [];
    for (const n of pending) {
      if (n.inputs.every((i) => placed.has(i))) {
        out.push(n);
        placed.add(n.id);
      } else next.push(n);
    }
    if (next.length === pending.length) return null;
    pending = next;
  }
  return out;
}

function isZip(bytes: Uint8Array | undefined): boolean {
  return !!bytes && bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export function readKeras(source: ModelSource, _options: Record<string, string> = {}): ReadResult {
  let text: string;
  let inArchive = false;
  if (isZip(source.bytes)) {
    // a .keras archive: config.json holds the model; ranges cannot point into the archive
    try {
      const files = unzipSync(source.bytes!, { filter: (f) => f.name === 'config.json' });
      const cfg = files['config.json'];
      if (!cfg) return { models: [], findings: [finding('RFL100', 'This .keras archive has no config.json.', null, null)] };
      text = new TextDecoder('utf-8').decode(cfg);
      inArchive = true;
    } catch (e) {
      return { models: [], findings: [finding('RFL100', `This .keras archive cannot be read: ${(e as Error).message}.`, null, null)] };
    }
  } else if (source.text !== undefined) text = source.text;
  else if (source.bytes) text = new TextDecoder('utf-8').decode(source.bytes);
  else text = '';
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const r = new KerasRead(inArchive ? null : new LineIndex(text));
  const errors: ParseError[] = [];
  let root: JsonNode | undefined;
  try {
    root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  } catch (e) {
    return { models: [], findings: [finding('RFL100', `The JSON cannot be parsed: ${(e as Error).message}.`, null, null)] };
  }
  for (const e of errors.slice(0, 20)) {
    r.findings.push(finding('RFL100', `JSON: ${printParseErrorCode(e.error)}${inArchive ? ' (in config.json)' : ''}.`, r.index ? r.index.range(e.offset, e.offset + e.length) : null, null));
  }
  // model.to_json() and config.json are {class_name, config}; some tools wrap them in model_config
  let model = root;
  const wrapped = prop(root, 'model_config');
  if (wrapped && prop(wrapped, 'class_name')) model = wrapped;
  const cls = str(prop(model, 'class_name'));
  if (!model || model.type !== 'object' || !cls || !MODEL_CLASSES.has(cls)) {
    r.findings.push(finding('RFL100', 'This JSON is not a Keras model: it needs a class_name of Sequential, Model or Functional and a config with its layers.', r.range(prop(model, 'class_name') ?? model), null));
    return { models: [], findings: r.findings };
  }
  const { outputs } = readModel(r, model, '', null, 0);
  const modelName = str(prop(prop(model, 'config'), 'name')) ?? baseName(source.fileName);
  if (r.nodes.length === 0 || r.nodes.every((n) => n.spec.op === 'input')) {
    r.findings.push(finding('RFL100', 'The model has no layers.', r.range(model), null));
    return { models: [], findings: r.findings };
  }
  if (r.inputIds.length === 0) {
    // every layer's input is missing (a nested model alone): give the graph an input to start from
    r.nodes.unshift({ id: 'input', name: 'input', type: 'InputLayer', inputs: [], spec: { op: 'input', shape: null }, origin: null });
    r.ids.add('input');
  }
  const sorted = topological(r.nodes);
  if (!sorted) {
    r.findings.push(finding('RFL100', 'The layers form a cycle; the model cannot be analysed.', r.range(model), null));
    return { models: [], findings: r.findings };
  }
  const rank = r.rank ?? 2;
  if (rank < 1 || rank > 3) {
    r.findings.push(finding('RFL100', `The model's input has ${rank} spatial axes; 1 to 3 are supported.`, null, null));
    return { models: [], findings: r.findings };
  }
  if (!sorted.some((n) => n.spec.op !== 'input' && n.spec.op !== 'dense' && n.spec.op !== 'pointwise' && n.spec.op !== 'flatten' && n.spec.op !== 'unknown')) {
    if (r.rank === null) r.findings.push(finding('RFL100', 'The model has no spatial layer (convolution, pooling, resampling): it has no receptive field to show.', r.range(model), null));
  }
  const graph: ModelGraph = {
    format: 'keras-json',
    name: modelName,
    rank,
    nodes: sorted,
    outputs: outputs.filter((o) => r.ids.has(o)),
    statedInput: r.statedInput && r.statedInput.length === rank ? r.statedInput : null,
  };
  if (graph.outputs.length === 0) graph.outputs.push(sorted[sorted.length - 1]!.id);
  return { models: [graph], findings: r.findings };
}

/** displayName and binary anticipate the reader interface of the coming refactor (CONTRACT.md). */
export const kerasReader: ModelReader & { displayName: string; binary: boolean } = {
  format: 'keras-json',
  displayName: 'Keras model JSON / .keras',
  // .keras archives need the bytes; model JSON is read from the text when there is one, else from the bytes
  binary: true,
  extensions: ['.json', '.keras'],
  match(source: ModelSource): boolean {
    if (isZip(source.bytes)) return /\.keras$/i.test(source.fileName);
    const head = (source.text ?? (source.bytes ? new TextDecoder('utf-8').decode(source.bytes.subarray(0, 65536)) : '')).slice(0, 65536);
    return /"class_name"\s*:\s*"(Sequential|Model|Functional)"/.test(head) || (/"keras_version"/.test(head) && /"class_name"/.test(head));
  },
  read: (source: ModelSource) => readKeras(source),
};
