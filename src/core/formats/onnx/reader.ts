/**
 * ONNX reader (`.onnx`, binary protobuf).
 *
 * The graph is walked in topological order while every tensor is tracked as
 * either *data* (it depends on the image input: an IR node produced it) or a
 * *constant* (initializers, Constant nodes, shape computations). Constant
 * subgraphs are evaluated where their values are small (shapes, pads, scales,
 * axes); weights are never read, only their dims. Data tensors carry their
 * dims (at the file's input size, or 224 where it is symbolic) and a *role*
 * per dimension: batch, channel-like, spatial axis k, all spatial positions
 * flattened into one ('P', as attention blocks do), or positions already
 * mixed ('g'). Roles follow Transpose, Reshape, Flatten and friends, which
 * is how NHWC inputs, channels-last LayerNorm, pixel shuffles spelled as
 * Reshape/Transpose/Reshape and attention over positions are recognised.
 *
 * Layer ids are node names (the first output's name where a node has none).
 * Decisions (see docs/design-notes.md):
 * - A separate `Pad` node becomes a kernel-1 stride-1 'conv' window with the
 *   explicit padding and the pad mode (spatially exact); it is not folded.
 * - `Resize`/`Upsample`: the node's coordinate_transformation_mode and
 *   nearest_mode travel in the IR, and the engine's rules follow them
 *   exactly at any ratio; cubic is shown as linear (an RFL100 says so).
 */
import { finding, type Finding } from '../../graph/finding';
import type { LayerNode, LayerOp, ModelGraph, NearestRounding, PadMode, ResizeCoordinates, Window } from '../../graph/ir';
import { baseName, uniqueId } from '../common';
import type { ModelReader, ModelSource, ReadContext, ReadResult } from '../reader';
import { Attrs, decodeModel, elementCount, tensorRefOf, tensorValues, type GraphData, type TensorRef, type ValueInfo } from './decode';
import { CONV_OPS, GLOBAL_POOL_OPS, MERGE_OPS, PAD_MODE, POINTWISE_OPS, POOL_OPS, REDUCE_OPS, SHAPE_ONLY_OPS, SOFTMAX_OPS, STAT_NORM_OPS } from './layers';
import type { onnx } from 'onnx-proto';

/**
 * n: batch; c: channel-like (no spatial meaning); a number: spatial axis; P: all positions flattened;
 * Q: channel factors and all positions flattened together, positions innermost (GroupNorm exports); g: positions already mixed
 */
export type Role = 'n' | 'c' | 'P' | 'Q' | 'g' | number;

interface DataVal {
  kind: 'data';
  id: string;
  dims: number[] | null;
  roles: Role[] | null;
}

interface ConstVal {
  kind: 'const';
  dims: number[] | null;
  /** values when known and small */
  values: number[] | null;
  /** whether the value depends on the input size (a Shape of data) */
  shapeOfData?: boolean;
}

type Val = DataVal | ConstVal;

/** Large enough for any shape, pads or scales tensor; small enough never to be a weight worth decoding. */
const VALUE_LIMIT = 4096;
const DEFAULT_NOMINAL = 224;

export interface OnnxTensorInfo {
  /** IR node whose output the tensor is */
  id: string;
  dims: number[] | null;
  roles: Role[] | null;
}

export interface OnnxReadDetail extends ReadResult {
  /** every data tensor by name, for checks against the shapes a file declares */
  tensors: Map<string, OnnxTensorInfo>;
  /** shapes the file declares (graph inputs, outputs, value_info) */
  declared: ValueInfo[];
}

const isSpatial = (r: Role) => typeof r === 'number' || r === 'P' || r === 'Q';

function hasSpatial(v: DataVal): boolean {
  return v.roles === null ? true : v.roles.some(isSpatial);
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function prod(list: readonly number[]): number {
  return list.reduce((p, n) => p * n, 1);
}

function windowOut(n: number, e: number, s: number, before: number, after: number, ceil: boolean): number {
  const span = n + before + after - e;
  if (span < 0) return 0;
  let out = ceil ? Math.ceil(span / s) + 1 : Math.floor(span / s) + 1;
  if (ceil && (out - 1) * s >= n + before) out--;
  return out;
}

export function readOnnxDetailed(source: ModelSource, _context: ReadContext = { options: {} }): OnnxReadDetail {
  const findings: Finding[] = [];
  const empty = (message: string): OnnxReadDetail => {
    findings.push(finding('RFL100', message, null, null));
    return { models: [], findings, tensors: new Map(), declared: [] };
  };
  const bytes = source.bytes ?? (source.text !== undefined ? new TextEncoder().encode(source.text) : undefined);
  if (!bytes || bytes.length === 0) return empty('The ONNX file is empty.');
  let graphData: GraphData | null;
  let opset = 0;
  try {
    const model = decodeModel(bytes);
    graphData = model.graph;
    opset = model.opsets.get('') ?? model.opsets.get('ai.onnx') ?? 0;
  } catch (e) {
    return empty(`Not a readable ONNX model (${(e as Error).message ?? String(e)}): the file is truncated or corrupted.`);
  }
  if (!graphData) return empty('The ONNX model has no graph.');
  try {
    return new OnnxGraphReader(graphData, opset, baseName(source.fileName), findings).read();
  } catch (e) {
    return empty(`The ONNX graph could not be read: ${(e as Error).message ?? String(e)}.`);
  }
}

class OnnxGraphReader {
  private readonly vals = new Map<string, Val>();
  private readonly nodes: LayerNode[] = [];
  private readonly ids = new Set<string>();
  private rank = 2;
  private inputId: string | null = null;
  /** dims the file declares for a tensor (value_info, graph outputs), where they are all numbers */
  private readonly declaredDims = new Map<string, number[]>();

  constructor(
    private readonly g: GraphData,
    private readonly opset: number,
    private readonly modelName: string,
    private readonly findings: Finding[],
  ) {}

  read(): OnnxReadDetail {
    const g = this.g;
    // Initializers (and graph inputs that are initializers in IR < 4) are constants with known dims.
    for (const [name, t] of g.initializers) this.vals.set(name, this.constOfTensor(t));
    for (const v of [...g.valueInfo, ...g.outputs]) {
      if (v.dims && v.dims.every((d) => typeof d === 'number' && d > 0)) this.declaredDims.set(v.name, v.dims as number[]);
    }
    const candidates = g.inputs.filter((i) => !g.initializers.has(i.name));
    const image = candidates.find((i) => i.dims && i.dims.length >= 3) ?? candidates[0];
    let statedInput: number[] | null = null;
    if (image) {
      const { roles, dims, stated } = this.imageLayout(image);
      this.rank = roles.filter(isSpatial).length || 1;
      statedInput = stated;
      const id = this.uniqueId(image.name || 'input');
      this.inputId = id;
      this.nodes.push({ id, name: image.name, type: 'input', inputs: [], spec: { op: 'input', shape: stated }, origin: null });
      this.vals.set(image.name, { kind: 'data', id, dims, roles });
      if (!roles.some(isSpatial)) {
        this.findings.push(finding('RFL100', `The input "${image.name}" has no spatial axes (${(image.dims ?? []).join('x')}); a 1-D input is assumed.`, null, id));
      }
    } else {
      this.findings.push(finding('RFL100', 'The ONNX graph has no input; a 2-D input is assumed.', null, null));
      const id = this.uniqueId('input');
      this.inputId = id;
      this.nodes.push({ id, name: 'input', type: 'input', inputs: [], spec: { op: 'input', shape: null }, origin: null });
    }
    for (const i of candidates) {
      if (i === image) continue;
      this.vals.set(i.name, { kind: 'const', dims: i.dims && i.dims.every((d) => typeof d === 'number') ? (i.dims as number[]) : null, values: null });
    }
    const usedAsFirst = new Set(g.nodes.map((n) => n.input[0]));
    for (const i of candidates) {
      if (i !== image && i.dims && i.dims.length >= 3 && usedAsFirst.has(i.name)) {
        this.findings.push(finding('RFL100', `Second input "${i.name}": only the first input's pixels are analysed.`, null, null));
      }
    }

    for (const node of this.sorted()) {
      try {
        this.visit(node);
      } catch (e) {
        const id = this.nodeName(node);
        this.findings.push(finding('RFL100', `${node.opType} "${id}" could not be read (${(e as Error).message ?? String(e)}); it is treated as the identity.`, null, null));
        this.passThrough(node, 'unknown');
      }
    }

    const outputs: string[] = [];
    for (const o of g.outputs) {
      const v = this.vals.get(o.name);
      if (v && v.kind === 'data' && !outputs.includes(v.id) && v.id !== this.inputId) outputs.push(v.id);
    }
    if (outputs.length === 0 && this.nodes.length > 1) outputs.push(this.nodes[this.nodes.length - 1]!.id);
    if (this.nodes.length <= 1) this.findings.push(finding('RFL100', 'The ONNX graph has no layer that reads the input.', null, null));
    const model: ModelGraph = {
      format: 'onnx',
      name: g.name || this.modelName,
      rank: this.rank >= 1 && this.rank <= 3 ? this.rank : 2,
      nodes: this.nodes,
      outputs,
      statedInput: statedInput && statedInput.length === this.rank ? statedInput : null,
    };
    const tensors = new Map<string, OnnxTensorInfo>();
    for (const [name, v] of this.vals) if (v.kind === 'data') tensors.set(name, { id: v.id, dims: v.dims, roles: v.roles });
    return { models: [model], findings: this.findings, tensors, declared: [...g.inputs, ...g.outputs, ...g.valueInfo] };
  }

  // ---------------------------------------------------------------- setup

  private constOfTensor(t: TensorRef): ConstVal {
    return { kind: 'const', dims: t.dims.slice(), values: elementCount(t.dims) <= VALUE_LIMIT ? tensorValues(t, VALUE_LIMIT) : null };
  }

  /** Roles of the image input's dims: NCHW unless the graph treats it as channels-last. */
  private imageLayout(info: ValueInfo): { roles: Role[]; dims: number[]; stated: number[] | null } {
    const raw = info.dims ?? [1, 3, DEFAULT_NOMINAL, DEFAULT_NOMINAL];
    const r = raw.length;
    if (r < 3 || r > 5) {
      if (r > 5) this.findings.push(finding('RFL100', `The input "${info.name}" has ${r} dimensions; at most 3 spatial axes (5 dimensions) are analysed, so it is read as having none.`, null, null));
      return { roles: raw.map((_, k) => (k === 0 ? 'n' : 'c')), dims: raw.map((d) => (typeof d === 'number' && d > 0 ? d : 1)), stated: null };
    }
    const nhwc = this.looksChannelsLast(info, r);
    const roles: Role[] = nhwc ? ['n', ...Array.from({ length: r - 2 }, (_, k) => k), 'c'] : ['n', 'c', ...Array.from({ length: r - 2 }, (_, k) => k)];
    const spatialAt = nhwc ? (k: number) => k + 1 : (k: number) => k + 2;
    const stated: number[] = [];
    let known = true;
    for (let k = 0; k < r - 2; k++) {
      const d = raw[spatialAt(k)];
      if (typeof d === 'number' && d > 0) stated.push(d);
      else known = false;
    }
    const dims = raw.map((d, k) => {
      if (typeof d === 'number' && d > 0) return d;
      const role = roles[k]!;
      return role === 'n' ? 1 : role === 'c' ? 3 : DEFAULT_NOMINAL;
    });
    return { roles, dims, stated: known ? stated : null };
  }

  /** NHWC when the first Transpose reading the input moves its last axis to position 1, or the first Conv's weight has the last axis's channels. */
  private looksChannelsLast(info: ValueInfo, r: number): boolean {
    // follow element-wise preprocessing (Cast, Sub/Mul/Div by constants: tf2onnx's normalisation) to the first Transpose or Conv
    const consumers = new Map<string, onnx.NodeProto[]>();
    for (const n of this.g.nodes) for (const i of n.input) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
    let readers = consumers.get(info.name) ?? [];
    for (let hop = 0; hop < 8 && readers.length && !readers.some((n) => n.opType === 'Transpose' || n.opType in CONV_OPS); hop++) {
      const next = readers.find((n) => POINTWISE_OPS.has(n.opType) || n.opType in MERGE_OPS);
      if (!next || !next.output[0]) break;
      readers = consumers.get(next.output[0]) ?? [];
    }
    const t = readers.find((n) => n.opType === 'Transpose');
    if (t) {
      const perm = new Attrs(t).ints('perm');
      if (perm && perm.length === r && perm[0] === 0 && perm[1] === r - 1) return true;
      if (perm && perm.length === r) return false;
    }
    const conv = readers.find((n) => n.opType in CONV_OPS);
    const dims = info.dims ?? [];
    if (conv) {
      const w = this.vals.get(conv.input[CONV_OPS[conv.opType]!.weight] ?? '');
      const cin = w && w.kind === 'const' && w.dims && w.dims.length === r ? w.dims[1]! * (new Attrs(conv).int('group') ?? 1) : null;
      return cin !== null && dims[r - 1] === cin && dims[1] !== cin;
    }
    return false;
  }

  private nodeName(node: onnx.NodeProto): string {
    return node.name || node.output?.find((o) => o) || node.opType || 'node';
  }

  private uniqueId(wanted: string): string {
    return uniqueId(this.ids, wanted);
  }

  /** Nodes in an order where each comes after the producers of its inputs (Kahn's algorithm; files need not be sorted). */
  private sorted(): onnx.NodeProto[] {
    const nodes = this.g.nodes;
    const producer = new Map<string, number>();
    nodes.forEach((n, k) => n.output.forEach((o) => o && !producer.has(o) && producer.set(o, k)));
    const indegree = new Array<number>(nodes.length).fill(0);
    const users: number[][] = nodes.map(() => []);
    nodes.forEach((n, k) => {
      const seen = new Set<number>();
      for (const i of n.input) {
        const p = producer.get(i);
        if (p === undefined || p === k || seen.has(p)) continue;
        seen.add(p);
        indegree[k]!++;
        users[p]!.push(k);
      }
    });
    // ready nodes in file order: a binary min-heap of indices
    const heap: number[] = [];
    const push = (k: number) => {
      let i = heap.push(k) - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p]! <= k) break;
        heap[i] = heap[p]!;
        i = p;
      }
      heap[i] = k;
    };
    const pop = (): number => {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= heap.length) break;
          const c = l + 1 < heap.length && heap[l + 1]! < heap[l]! ? l + 1 : l;
          if (heap[c]! >= last) break;
          heap[i] = heap[c]!;
          i = c;
        }
        heap[i] = last;
      }
      return top;
    };
    const order: number[] = [];
    indegree.forEach((d, k) => d === 0 && push(k));
    while (heap.length) {
      const k = pop();
      order.push(k);
      for (const u of users[k]!) if (--indegree[u]! === 0) push(u);
    }
    if (order.length < nodes.length) {
      const stuck = nodes.filter((_, k) => indegree[k]! > 0);
      this.findings.push(
        finding('RFL100', `${stuck.length} node(s) form a cycle or read each other (${stuck.slice(0, 3).map((n) => this.nodeName(n)).join(', ')}); they are left out.`, null, null),
      );
    }
    return order.map((k) => nodes[k]!);
  }

  // ---------------------------------------------------------------- emitting

  private emit(node: onnx.NodeProto, inputs: string[], spec: LayerOp, suffix = ''): string {
    const name = this.nodeName(node) + suffix;
    const id = this.uniqueId(name);
    this.nodes.push({ id, name, type: node.opType ?? '', inputs, spec, origin: null });
    return id;
  }

  private unresolved(node: onnx.NodeProto, message: string, id: string | null): void {
    this.findings.push(finding('RFL100', `${node.opType} "${this.nodeName(node)}": ${message}`, null, id));
  }

  private setOut(node: onnx.NodeProto, k: number, v: Val): void {
    const name = node.output[k];
    if (name) this.vals.set(name, v);
  }

  private setAll(node: onnx.NodeProto, v: Val): void {
    node.output.forEach((_, k) => this.setOut(node, k, v));
  }

  /** The node as the identity of its first data input (or an unresolved layer). */
  private passThrough(node: onnx.NodeProto, as: 'pointwise' | 'unknown', reason = '', roles?: Role[] | null, dims?: number[] | null): void {
    const data = node.input.map((i) => this.vals.get(i)).filter((v): v is DataVal => !!v && v.kind === 'data');
    const src = data[0];
    if (!src) {
      this.setAll(node, { kind: 'const', dims: null, values: null });
      return;
    }
    const spec: LayerOp = as === 'pointwise' ? { op: 'pointwise', kind: node.opType ?? '' } : { op: 'unknown', reason };
    const id = this.emit(node, [src.id], spec);
    if (as === 'unknown' && reason) this.unresolved(node, reason, id);
    this.setAll(node, { kind: 'data', id, dims: dims === undefined ? src.dims : dims, roles: roles === undefined ? src.roles : roles });
  }

  // ---------------------------------------------------------------- visiting

  private visit(node: onnx.NodeProto): void {
    const op = node.opType;
    const ins: Array<Val | undefined> = node.input.map((name) => {
      if (!name) return undefined;
      const v = this.vals.get(name);
      if (!v) {
        this.findings.push(finding('RFL100', `${op} "${this.nodeName(node)}" reads "${name}", which no node, initializer or input defines.`, null, null));
        const c: ConstVal = { kind: 'const', dims: null, values: null };
        this.vals.set(name, c);
        return c;
      }
      return v;
    });
    const attrs = new Attrs(node);
    const dataIn = ins.filter((v): v is DataVal => !!v && v.kind === 'data');
    if (op === 'Constant') {
      this.setAll(node, this.constantNode(attrs));
      return;
    }
    if (op === 'Shape' || op === 'Size') {
      const v = ins[0];
      const dims = v?.dims ?? null;
      let values: number[] | null = null;
      if (dims) {
        if (op === 'Size') values = [prod(dims)];
        else {
          const start = normAxis(attrs.int('start') ?? 0, dims.length);
          const end = attrs.has('end') ? normAxis(attrs.int('end')!, dims.length) : dims.length;
          values = dims.slice(Math.max(0, start), Math.min(dims.length, end));
        }
      }
      this.setAll(node, { kind: 'const', dims: values ? (op === 'Size' ? [] : [values.length]) : null, values, shapeOfData: !!v && v.kind === 'data' });
      return;
    }
    if (dataIn.length === 0 || SHAPE_ONLY_OPS.has(op)) {
      this.setAll(node, this.fold(node, attrs, ins as Array<ConstVal | undefined>));
      return;
    }
    const x = ins[0] && ins[0].kind === 'data' ? ins[0] : dataIn[0]!;

    if (op in CONV_OPS) return this.conv(node, attrs, x, ins[CONV_OPS[op]!.weight]);
    if (op in POOL_OPS) return this.pool(node, attrs, x, POOL_OPS[op]!);
    if (op === 'ConvTranspose') return this.convTranspose(node, attrs, x, ins[1]);
    if (GLOBAL_POOL_OPS.has(op)) {
      const id = this.emit(node, [x.id], { op: 'globalPool' });
      const roles = x.roles ? x.roles.map((r) => (isSpatial(r) ? 'c' : r)) : null;
      const dims = x.dims && x.roles ? x.dims.map((d, k) => (isSpatial(x.roles![k]!) ? 1 : d)) : null;
      this.setAll(node, { kind: 'data', id, dims, roles });
      return;
    }
    if (op === 'Resize' || op === 'Upsample') return this.resize(node, attrs, x, ins);
    if (op === 'DepthToSpace' || op === 'SpaceToDepth') return this.depthSpace(node, attrs, x);
    if (op === 'Pad') return this.pad(node, attrs, x, ins);
    if (op in MERGE_OPS) return this.merge(node, ins, MERGE_OPS[op]!);
    if (op === 'Concat') return this.concat(node, attrs, x, ins);
    if (op === 'Split') return this.split(node, attrs, x);
    if (op === 'Slice') return this.slice(node, attrs, x, ins);
    if (op === 'Gather') return this.gather(node, attrs, x, ins);
    if (op === 'Transpose') return this.transpose(node, attrs, x);
    if (op === 'Reshape') {
      const shape = ins[1] && ins[1].kind === 'const' ? ins[1].values : attrs.ints('shape') ?? null;
      return this.reshape(node, x, shape, attrs.int('allowzero') === 1);
    }
    if (op === 'Flatten') {
      const axis = attrs.int('axis') ?? 1;
      if (!x.dims) return this.reshape(node, x, null, false);
      const a = normAxis(axis, x.dims.length);
      return this.reshape(node, x, [prod(x.dims.slice(0, a)), prod(x.dims.slice(a))], false);
    }
    if (op === 'Squeeze' || op === 'Unsqueeze') return this.squeeze(node, attrs, x, ins, op === 'Unsqueeze');
    if (op === 'Expand' || op === 'Tile') return this.expand(node, x, ins, op === 'Tile');
    if (op === 'Gemm') return this.dense(node, x);
    if (op === 'MatMul' || op === 'MatMulInteger' || op === 'QLinearMatMul' || op === 'Einsum') return this.matmul(node, ins);
    if (REDUCE_OPS.has(op)) return this.reduce(node, attrs, x, ins);
    if (SOFTMAX_OPS.has(op)) return this.softmax(node, attrs, x);
    if (STAT_NORM_OPS.has(op)) return this.statNorm(node, attrs, x);
    if (POINTWISE_OPS.has(op)) return this.passThrough(node, 'pointwise');
    if (op === 'If' || op === 'Loop' || op === 'Scan') {
      return this.passThrough(node, 'unknown', 'control flow over the image is not analysed; it is treated as the identity.');
    }
    this.passThrough(node, 'unknown', `the operator ${op} is not modelled; it is treated as the identity so the rest can be analysed.`);
  }

  private constantNode(attrs: Attrs): ConstVal {
    const t = attrs.tensor('value');
    if (t) return this.constOfTensor(tensorRefOf(t));
    const ints = attrs.ints('value_ints');
    if (ints) return { kind: 'const', dims: [ints.length], values: ints };
    const floats = attrs.floats('value_floats');
    if (floats) return { kind: 'const', dims: [floats.length], values: floats };
    const i = attrs.int('value_int');
    if (i !== undefined) return { kind: 'const', dims: [], values: [i] };
    const f = attrs.float('value_float');
    if (f !== undefined) return { kind: 'const', dims: [], values: [f] };
    return { kind: 'const', dims: null, values: null };
  }

  // ---------------------------------------------------------------- windows

  /** Spatial dims of a data tensor in NC(D)HW order, or null when the layout is not that. */
  private nchwSpatial(x: DataVal): number[] | null {
    if (!x.roles) return null;
    const sp = x.roles.slice(2);
    if (sp.length !== this.rank || !sp.every((r, k) => r === k)) return null;
    return x.dims ? x.dims.slice(2) : sp.map(() => DEFAULT_NOMINAL);
  }

  private windowParams(
    node: onnx.NodeProto,
    attrs: Attrs,
    x: DataVal,
    kernel: number[] | null,
    kind: 'conv' | 'pool',
  ): { window: Window; outSpatial: number[] | null } | string {
    const r = this.rank;
    if (!kernel || kernel.length !== r) return `its kernel ${kernel ? kernel.join('x') : '(unknown)'} does not fit the ${r}-D input.`;
    const ones = () => new Array<number>(r).fill(1);
    const stride = attrs.ints('strides') ?? ones();
    const dilation = attrs.ints('dilations') ?? ones();
    const pads = attrs.ints('pads') ?? new Array<number>(2 * r).fill(0);
    if (stride.length !== r || dilation.length !== r || pads.length !== 2 * r) return `strides, dilations or pads do not have ${r} entries per side.`;
    const autoPad = attrs.string('auto_pad') ?? 'NOTSET';
    const ceil = kind === 'pool' && attrs.int('ceil_mode') === 1;
    let padding: Window['padding'];
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') padding = { kind: 'same', rule: autoPad === 'SAME_UPPER' ? 'upper' : 'lower' };
    else if (autoPad === 'VALID') padding = { kind: 'explicit', before: new Array<number>(r).fill(0), after: new Array<number>(r).fill(0) };
    else padding = { kind: 'explicit', before: pads.slice(0, r), after: pads.slice(r) };
    const window: Window = { kernel, stride, dilation, padding, padMode: 'zeros', ceil: ceil ? 'always' : false };
    const sp = this.nchwSpatial(x);
    let outSpatial: number[] | null = null;
    if (sp) {
      outSpatial = sp.map((n, a) => {
        const e = dilation[a]! * (kernel[a]! - 1) + 1;
        if (padding.kind === 'same') return Math.ceil(n / stride[a]!);
        return windowOut(n, e, stride[a]!, padding.before[a]!, padding.after[a]!, ceil);
      });
    }
    void node;
    return { window, outSpatial };
  }

  private windowOutput(x: DataVal, outSpatial: number[] | null, channels: number | null): Pick<DataVal, 'dims' | 'roles'> {
    if (!x.dims || !outSpatial) return { dims: null, roles: x.roles };
    return { dims: [x.dims[0]!, channels ?? x.dims[1]!, ...outSpatial], roles: x.roles };
  }

  private conv(node: onnx.NodeProto, attrs: Attrs, x: DataVal, w: Val | undefined): void {
    const r = this.rank;
    const wDims = w && w.dims ? w.dims : null;
    let kernel = attrs.ints('kernel_shape') ?? (wDims && wDims.length >= 3 ? wDims.slice(2) : null);
    if (!hasSpatial(x)) {
      // a 1x1 convolution on a pooled vector (a squeeze-and-excitation gate)
      kernel = kernel && kernel.length === r ? kernel : new Array<number>(r).fill(1);
    } else if (!this.nchwSpatial(x)) {
      return this.passThrough(node, 'unknown', `the convolution reads a tensor whose axes are not batch, channels, then the ${r} spatial axes in order; it is treated as the identity.`);
    }
    const p = this.windowParams(node, attrs, x, kernel, 'conv');
    if (typeof p === 'string') return this.passThrough(node, 'unknown', p);
    const id = this.emit(node, [x.id], { op: 'conv', sliding: p.window });
    const out = hasSpatial(x) ? this.windowOutput(x, p.outSpatial, wDims ? wDims[0]! : null) : { dims: x.dims && wDims ? [x.dims[0]!, wDims[0]!, ...x.dims.slice(2)] : null, roles: x.roles };
    this.setAll(node, { kind: 'data', id, ...out });
  }

  private pool(node: onnx.NodeProto, attrs: Attrs, x: DataVal, pool: 'max' | 'avg'): void {
    if (hasSpatial(x) && !this.nchwSpatial(x)) {
      return this.passThrough(node, 'unknown', 'the pool reads a tensor whose axes are not batch, channels, then the spatial axes in order; it is treated as the identity.');
    }
    const p = this.windowParams(node, attrs, x, attrs.ints('kernel_shape') ?? null, 'pool');
    if (typeof p === 'string') return this.passThrough(node, 'unknown', p);
    const id = this.emit(node, [x.id], { op: 'pool', pool, sliding: p.window });
    this.setAll(node, { kind: 'data', id, ...this.windowOutput(x, p.outSpatial, null) });
  }

  private convTranspose(node: onnx.NodeProto, attrs: Attrs, x: DataVal, w: Val | undefined): void {
    const r = this.rank;
    if (hasSpatial(x) && !this.nchwSpatial(x)) {
      return this.passThrough(node, 'unknown', 'the transposed convolution reads a tensor whose axes are not batch, channels, then the spatial axes in order.');
    }
    const wDims = w && w.dims ? w.dims : null;
    const kernel = attrs.ints('kernel_shape') ?? (wDims && wDims.length >= 3 ? wDims.slice(2) : null);
    if (!kernel || kernel.length !== r) return this.passThrough(node, 'unknown', `its kernel ${kernel ? kernel.join('x') : '(unknown: no kernel_shape and no weight dims)'} does not fit the ${r}-D input.`);
    const ones = () => new Array<number>(r).fill(1);
    const stride = attrs.ints('strides') ?? ones();
    const dilation = attrs.ints('dilations') ?? ones();
    const outputPadding = attrs.ints('output_padding') ?? new Array<number>(r).fill(0);
    let pads = attrs.ints('pads') ?? new Array<number>(2 * r).fill(0);
    const outputShape = attrs.ints('output_shape');
    const autoPad = attrs.string('auto_pad') ?? 'NOTSET';
    if (stride.length !== r || dilation.length !== r || outputPadding.length !== r || pads.length !== 2 * r) {
      return this.passThrough(node, 'unknown', `strides, dilations, pads or output_padding do not have ${r} entries per side.`);
    }
    const sp = this.nchwSpatial(x);
    const extra = outputPadding.slice();
    if (outputShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      if (!sp) return this.passThrough(node, 'unknown', 'output_shape or auto_pad needs the input size, which is unknown here.');
      const target = outputShape ? outputShape.slice(-r) : sp.map((n, a) => n * stride[a]!);
      const begin: number[] = [];
      const end: number[] = [];
      sp.forEach((n, a) => {
        const total = stride[a]! * (n - 1) + outputPadding[a]! + dilation[a]! * (kernel[a]! - 1) + 1 - target[a]!;
        if (total < 0) {
          // a larger output than the kernel reaches: the extra rows at the end read nothing
          begin.push(0);
          end.push(0);
          extra[a] = outputPadding[a]! - total;
          return;
        }
        const half = Math.floor(total / 2);
        if (autoPad === 'SAME_UPPER') {
          begin.push(half);
          end.push(total - half);
        } else {
          begin.push(total - half);
          end.push(half);
        }
      });
      pads = [...begin, ...end];
      if (outputShape) this.notePadsFromSize(node, sp);
    } else if (autoPad === 'VALID') pads = new Array<number>(2 * r).fill(0);
    const spec: LayerOp = {
      op: 'convtranspose',
      sliding: { kernel, stride, dilation, padding: { kind: 'explicit', before: pads.slice(0, r), after: pads.slice(r) }, padMode: 'zeros', ceil: false },
      outputPadding: extra,
    };
    const id = this.emit(node, [x.id], spec);
    const outSp = sp ? sp.map((n, a) => (n - 1) * stride[a]! - pads[a]! - pads[r + a]! + dilation[a]! * (kernel[a]! - 1) + 1 + extra[a]!) : null;
    const group = attrs.int('group') ?? 1;
    this.setAll(node, { kind: 'data', id, ...this.windowOutput(x, outSp, wDims ? wDims[1]! * group : null) });
  }

  /** Paddings derived from an explicit output size hold at the file's input size only. */
  private notePadsFromSize(_node: onnx.NodeProto, _sp: number[]): void {
    // The IR has no output-size rule for transposed convolutions; the paddings computed at the
    // file's size are exact there (the size the graph declares). Nothing to report.
  }

  // ---------------------------------------------------------------- resampling

  private resize(node: onnx.NodeProto, attrs: Attrs, x: DataVal, ins: Array<Val | undefined>): void {
    const op = node.opType;
    const r = this.rank;
    if (!hasSpatial(x)) return this.passThrough(node, 'pointwise');
    if (!x.roles || !x.dims) return this.passThrough(node, 'unknown', 'the input layout is unknown.');
    const tensorRank = x.dims.length;
    let scales: number[] | null = null;
    let sizes: number[] | null = null;
    const constValues = (v: Val | undefined) => (v && v.kind === 'const' && v.values && v.values.length ? v.values : null);
    if (op === 'Upsample') scales = attrs.floats('scales') ?? constValues(ins[1]);
    else if (this.opset > 0 && this.opset < 11) scales = constValues(ins[1]);
    else {
      scales = constValues(ins[2]);
      sizes = constValues(ins[3]);
    }
    // Resize-18: scales and sizes may list only the given axes
    const axes = attrs.ints('axes');
    const expand = (list: number[] | null, fill: (k: number) => number): number[] | null => {
      if (!list) return null;
      if (axes && list.length === axes.length) {
        const full = Array.from({ length: tensorRank }, (_, k) => fill(k));
        axes.forEach((a, k) => (full[normAxis(a, tensorRank)] = list[k]!));
        return full;
      }
      return list.length === tensorRank ? list : null;
    };
    scales = expand(scales, () => 1);
    sizes = expand(sizes, (k) => x.dims![k]!);
    if (!scales && !sizes) {
      // scales fed at run time: the output size the file declares, when it does
      const declared = this.declaredDims.get(node.output[0] ?? '');
      if (declared && declared.length === tensorRank) sizes = declared;
    }
    if (!scales && !sizes) {
      return this.passThrough(node, 'unknown', 'its scales or sizes are not constants of the graph; it is treated as the identity.');
    }
    // spatial tensor dims in axis order
    const spatialDims: number[] = [];
    for (let a = 0; a < r; a++) spatialDims.push(x.roles.indexOf(a));
    if (spatialDims.some((d) => d < 0)) return this.passThrough(node, 'unknown', 'the resized tensor has its spatial axes flattened.');
    const nonSpatialChanged = x.roles.some((role, k) => !isSpatial(role) && (sizes ? sizes[k] !== x.dims![k] : scales![k] !== 1));
    const nIn = spatialDims.map((d) => x.dims![d]!);
    let scale: number[] | null = null;
    let size: number[] | null = null;
    const outSp: number[] = [];
    if (sizes) {
      const s = spatialDims.map((d) => sizes![d]!);
      // sizes that are whole multiples of the input (F.interpolate(size=...) from a shape chain) follow the input size
      if (s.every((n, a) => n % nIn[a]! === 0)) scale = s.map((n, a) => n / nIn[a]!);
      else size = s;
      outSp.push(...s);
    } else {
      scale = spatialDims.map((d) => scales![d]!);
      outSp.push(...nIn.map((n, a) => Math.floor(n * scale![a]!)));
    }
    const rawMode = (attrs.string('mode') ?? 'nearest').toLowerCase();
    const mode: 'nearest' | 'bilinear' = rawMode === 'nearest' ? 'nearest' : 'bilinear';
    const legacy = op === 'Upsample' || (this.opset > 0 && this.opset < 11);
    const ctm = legacy ? 'asymmetric' : (attrs.string('coordinate_transformation_mode') ?? 'half_pixel');
    const nearestMode = legacy ? 'floor' : (attrs.string('nearest_mode') ?? 'round_prefer_floor');
    const alignCorners = ctm === 'align_corners';
    const coordinates = RESIZE_COORDINATES.find((c) => c === ctm);
    const rounding = NEAREST_ROUNDING.find((m) => m === nearestMode);
    const spec: LayerOp = { op: 'upsample', mode, scale, size, alignCorners };
    if (coordinates) spec.coordinates = coordinates;
    if (mode === 'nearest' && rounding) spec.rounding = rounding;
    const id = this.emit(node, [x.id], spec);
    const notes: string[] = [];
    if (nonSpatialChanged) notes.push('it also resizes the batch or channel axes, which carry no pixels; only the spatial axes are followed');
    if (rawMode === 'cubic') notes.push('cubic interpolation is shown as linear (it reads one more pixel on each side)');
    if (!coordinates) notes.push(`coordinate_transformation_mode=${ctm} is not one ONNX defines; half-pixel centres are shown`);
    if (mode === 'nearest' && !rounding) notes.push(`nearest_mode=${nearestMode} is not one ONNX defines; round_prefer_floor is shown`);
    if (notes.length) this.unresolved(node, `${notes.join('; ')}.`, id);
    const dims = x.dims.slice();
    spatialDims.forEach((d, a) => (dims[d] = outSp[a]!));
    this.setAll(node, { kind: 'data', id, dims, roles: x.roles });
  }

  private depthSpace(node: onnx.NodeProto, attrs: Attrs, x: DataVal): void {
    const b = attrs.int('blocksize') ?? 0;
    if (!(b >= 1)) return this.passThrough(node, 'unknown', 'blocksize is missing.');
    const sp = this.nchwSpatial(x);
    if (!sp) return this.passThrough(node, 'unknown', 'it reads a tensor that is not batch, channels, spatial axes.');
    const block = new Array<number>(this.rank).fill(b);
    const toSpace = node.opType === 'DepthToSpace';
    const id = this.emit(node, [x.id], toSpace ? { op: 'pixelShuffle', factor: block } : { op: 'spaceToDepth', block, layout: 'clean' });
    const c = x.dims![1]!;
    const f = b ** this.rank;
    const dims = [x.dims![0]!, toSpace ? c / f : c * f, ...sp.map((n) => (toSpace ? n * b : Math.floor(n / b)))];
    this.setAll(node, { kind: 'data', id, dims, roles: x.roles });
  }

  private pad(node: onnx.NodeProto, attrs: Attrs, x: DataVal, ins: Array<Val | undefined>): void {
    const r = this.rank;
    const padsIn = ins[1];
    let pads = this.opset >= 11 || !attrs.has('pads') ? (padsIn && padsIn.kind === 'const' ? padsIn.values : null) : null;
    pads ??= attrs.ints('pads') ?? attrs.ints('paddings') ?? null;
    const mode = attrs.string('mode') ?? 'constant';
    const padMode: PadMode | undefined = PAD_MODE[mode];
    if (!pads) return this.passThrough(node, 'unknown', 'its pads are not constants of the graph; it is treated as the identity.');
    if (!padMode) return this.passThrough(node, 'unknown', `the pad mode "${mode}" is unknown; it is treated as the identity.`);
    if (!x.roles || !x.dims) return this.passThrough(node, 'unknown', 'the input layout is unknown.');
    const tr = x.dims.length;
    const axesIn = ins[3];
    let full = pads;
    if (axesIn && axesIn.kind === 'const' && axesIn.values) {
      full = new Array<number>(2 * tr).fill(0);
      const ax = axesIn.values.map((a) => normAxis(a, tr));
      ax.forEach((a, k) => {
        full[a] = pads![k]!;
        full[tr + a] = pads![ax.length + k]!;
      });
    }
    if (full.length !== 2 * tr) return this.passThrough(node, 'unknown', `pads has ${full.length} entries for a ${tr}-D tensor.`);
    const before = new Array<number>(r).fill(0);
    const after = new Array<number>(r).fill(0);
    x.roles.forEach((role, k) => {
      if (typeof role === 'number') {
        before[role] = full[k]!;
        after[role] = full[tr + k]!;
      }
    });
    const dims = x.dims.map((d, k) => d + full[k]! + full[tr + k]!);
    if (before.every((p) => p === 0) && after.every((p) => p === 0)) {
      return this.passThrough(node, 'pointwise', '', x.roles, dims);
    }
    if (before.some((p) => p < 0) || after.some((p) => p < 0)) {
      if (before.some((p) => p > 0) || after.some((p) => p > 0)) {
        return this.passThrough(node, 'unknown', 'pads that crop one side and pad another are not modelled.');
      }
      const size = x.roles.filter((role): role is number => typeof role === 'number').map(() => 0);
      x.roles.forEach((role, k) => typeof role === 'number' && (size[role] = dims[k]!));
      const id = this.emit(node, [x.id], { op: 'crop', offset: before.map((p) => -p), size });
      this.setAll(node, { kind: 'data', id, dims, roles: x.roles });
      return;
    }
    const ones = new Array<number>(r).fill(1);
    const id = this.emit(node, [x.id], {
      op: 'conv',
      sliding: { kernel: ones, stride: ones.slice(), dilation: ones.slice(), padding: { kind: 'explicit', before, after }, padMode, ceil: false },
    });
    this.setAll(node, { kind: 'data', id, dims, roles: x.roles });
  }

  // ---------------------------------------------------------------- merges and channel ops

  private merge(node: onnx.NodeProto, ins: Array<Val | undefined>, op: 'add' | 'mul'): void {
    const data = ins.filter((v): v is DataVal => !!v && v.kind === 'data');
    const all = ins.filter((v): v is Val => !!v);
    const dims = broadcastDims(all.map((v) => v.dims));
    const best = data.reduce((b, v) => ((v.roles?.filter(isSpatial).length ?? 0) > (b.roles?.filter(isSpatial).length ?? 0) ? v : b), data[0]!);
    let roles = best.roles;
    if (roles && dims && dims.length > roles.length) roles = [...new Array<Role>(dims.length - roles.length).fill('c'), ...roles];
    const ids = [...new Set(data.map((v) => v.id))];
    if (ids.length === 1) {
      const id = this.emit(node, ids, { op: 'pointwise', kind: node.opType ?? '' });
      this.setAll(node, { kind: 'data', id, dims: dims ?? best.dims, roles });
      return;
    }
    const id = this.emit(node, ids, { op, align: 'exact' });
    this.setAll(node, { kind: 'data', id, dims: dims ?? best.dims, roles });
  }

  private concat(node: onnx.NodeProto, attrs: Attrs, x: DataVal, ins: Array<Val | undefined>): void {
    const data = ins.filter((v): v is DataVal => !!v && v.kind === 'data');
    const rank = x.dims?.length ?? x.roles?.length ?? 0;
    const axis = normAxis(attrs.int('axis') ?? 1, rank);
    const role = x.roles?.[axis];
    let dims: number[] | null = null;
    if (ins.every((v) => v && v.dims && v.dims.length === rank)) {
      dims = x.dims!.slice();
      dims[axis] = ins.reduce((s, v) => s + v!.dims![axis]!, 0);
    }
    if (role === 'P' && data.length === 1) {
      // learned tokens joined to the flattened positions (ViT's class token): they carry no pixels
      return this.passThrough(node, 'pointwise', '', x.roles, dims);
    }
    if (role !== undefined && isSpatial(role)) {
      return this.passThrough(node, 'unknown', 'joining tensors along a spatial axis is not modelled; it is treated as the identity of the first.');
    }
    const ids = [...new Set(data.map((v) => v.id))];
    const spec: LayerOp = ids.length > 1 ? { op: 'concat', align: 'exact' } : { op: 'pointwise', kind: 'Concat' };
    const id = this.emit(node, ids, spec);
    this.setAll(node, { kind: 'data', id, dims, roles: x.roles });
  }

  private split(node: onnx.NodeProto, attrs: Attrs, x: DataVal): void {
    const rank = x.dims?.length ?? x.roles?.length ?? 0;
    const axis = normAxis(attrs.int('axis') ?? 0, rank);
    const role = x.roles?.[axis];
    if (role !== undefined && isSpatial(role)) return this.passThrough(node, 'unknown', 'splitting along a spatial axis is not modelled; each part is treated as the whole.');
    const id = this.emit(node, [x.id], { op: 'pointwise', kind: 'Split' });
    const splitIn = node.input[1] ? this.vals.get(node.input[1]) : undefined;
    const parts = attrs.ints('split') ?? (splitIn && splitIn.kind === 'const' ? splitIn.values : null);
    node.output.forEach((_, k) => {
      let dims: number[] | null = null;
      if (x.dims) {
        dims = x.dims.slice();
        dims[axis] = parts && parts[k] !== undefined ? parts[k]! : Math.ceil(x.dims[axis]! / node.output.length);
      }
      this.setOut(node, k, { kind: 'data', id, dims, roles: x.roles });
    });
  }

  private slice(node: onnx.NodeProto, attrs: Attrs, x: DataVal, ins: Array<Val | undefined>): void {
    const vals = (k: number, attr: string) => {
      if (this.opset > 0 && this.opset < 10) return attrs.ints(attr) ?? null;
      const v = ins[k];
      return v && v.kind === 'const' ? v.values : null;
    };
    const starts = vals(1, 'starts');
    const ends = vals(2, 'ends');
    if (!starts || !ends || !x.dims || !x.roles) return this.passThrough(node, 'unknown', 'its starts and ends are not constants of the graph; it is treated as the identity.');
    const tr = x.dims.length;
    const axes = (this.opset > 0 && this.opset < 10 ? attrs.ints('axes') : vals(3, 'axes')) ?? starts.map((_, k) => k);
    const steps = (this.opset > 0 && this.opset < 10 ? null : vals(4, 'steps')) ?? starts.map(() => 1);
    const dims = x.dims.slice();
    const offset = new Array<number>(this.rank).fill(0);
    const stride = new Array<number>(this.rank).fill(1);
    const size: number[] = [];
    for (let a = 0; a < this.rank; a++) size.push(x.dims[x.roles.indexOf(a)] ?? 1);
    let spatial = false;
    for (let k = 0; k < axes.length; k++) {
      const d = normAxis(axes[k]!, tr);
      const n = x.dims[d];
      if (n === undefined) continue;
      const step = steps[k] ?? 1;
      if (step < 1) return this.passThrough(node, 'unknown', 'slices with a negative step (reversals) are not modelled.');
      const clamp = (v: number) => Math.max(0, Math.min(n, v < 0 ? v + n : v));
      const s = clamp(starts[k]!);
      const e = clamp(ends[k]!);
      const len = Math.max(0, Math.ceil((e - s) / step));
      dims[d] = len;
      const role = x.roles[d]!;
      if (typeof role === 'number') {
        if (len !== n || step !== 1) spatial = true;
        offset[role] = s;
        stride[role] = step;
        size[role] = step === 1 ? len : e - s;
      } else if (role === 'P' && len !== n) {
        return this.passThrough(node, 'unknown', 'slicing the flattened positions is not modelled.');
      }
    }
    if (!spatial) return this.passThrough(node, 'pointwise', '', x.roles, dims);
    const steps1 = stride.every((s) => s === 1);
    const cropId = this.emit(node, [x.id], { op: 'crop', offset, size }, steps1 ? '' : ':crop');
    let id = cropId;
    if (!steps1) {
      const ones = new Array<number>(this.rank).fill(1);
      id = this.emit(node, [cropId], {
        op: 'conv',
        sliding: { kernel: ones, stride, dilation: ones.slice(), padding: { kind: 'explicit', before: ones.map(() => 0), after: ones.map(() => 0) }, padMode: 'zeros', ceil: 'always' },
      });
    }
    this.setAll(node, { kind: 'data', id, dims, roles: x.roles });
  }

  private gather(node: onnx.NodeProto, attrs: Attrs, x: DataVal, ins: Array<Val | undefined>): void {
    if (ins[0] !== x) {
      // a lookup of constants by data indices (an embedding): the data decides which entries
      return this.passThrough(node, 'pointwise');
    }
    const rank = x.dims?.length ?? x.roles?.length ?? 0;
    const axis = normAxis(attrs.int('axis') ?? 0, rank);
    const role = x.roles?.[axis];
    const idx = ins[1];
    if (role === 'P' || role === 'g') {
      // a token picked from the flattened positions (ViT's class token after attention): it reads them all
      const dims = x.dims && idx?.dims ? [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)] : null;
      const roles = x.roles ? [...x.roles.slice(0, axis), ...(idx?.dims ?? []).map((): Role => 'c'), ...x.roles.slice(axis + 1)] : null;
      const id = this.emit(node, [x.id], { op: 'globalPool' });
      this.setAll(node, { kind: 'data', id, dims, roles: roles ? roles.map((r) => (isSpatial(r) ? 'g' : r)) : null });
      return;
    }
    if (role !== undefined && isSpatial(role)) return this.passThrough(node, 'unknown', 'gathering along a spatial axis is not modelled; it is treated as the identity.');
    const idxDims = idx && idx.dims ? idx.dims : null;
    let dims: number[] | null = null;
    let roles: Role[] | null = null;
    if (x.dims && x.roles && idxDims) {
      dims = [...x.dims.slice(0, axis), ...idxDims, ...x.dims.slice(axis + 1)];
      roles = [...x.roles.slice(0, axis), ...idxDims.map((): Role => 'c'), ...x.roles.slice(axis + 1)];
    }
    this.passThrough(node, 'pointwise', '', roles, dims);
  }

  private transpose(node: onnx.NodeProto, attrs: Attrs, x: DataVal): void {
    const rank = x.dims?.length ?? x.roles?.length ?? 0;
    const perm = attrs.ints('perm') ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
    const dims = x.dims && perm.length === x.dims.length ? perm.map((p) => x.dims![p]!) : null;
    const roles = x.roles && perm.length === x.roles.length ? perm.map((p) => x.roles![p]!) : null;
    this.passThrough(node, 'pointwise', '', roles, dims);
  }

  private squeeze(node: onnx.NodeProto, attrs: Attrs, x: DataVal, ins: Array<Val | undefined>, unsqueeze: boolean): void {
    const axesIn = ins[1];
    const axes = attrs.ints('axes') ?? (axesIn && axesIn.kind === 'const' ? axesIn.values : null);
    if (!x.dims || !x.roles) return this.passThrough(node, 'pointwise', '', null, null);
    let dims = x.dims.slice();
    let roles = x.roles.slice();
    if (unsqueeze) {
      if (!axes) return this.passThrough(node, 'pointwise', '', null, null);
      const outRank = dims.length + axes.length;
      for (const a of axes.map((v) => normAxis(v, outRank)).sort((p, q) => p - q)) {
        dims.splice(a, 0, 1);
        roles.splice(a, 0, 'c');
      }
    } else {
      const drop = new Set(axes ? axes.map((a) => normAxis(a, dims.length)) : dims.map((d, k) => (d === 1 ? k : -1)).filter((k) => k >= 0));
      if ([...drop].some((k) => isSpatial(roles[k]!) && dims[k] !== 1)) return this.passThrough(node, 'unknown', 'it removes a spatial axis.');
      // a spatial axis of size 1 that is squeezed away leaves the map
      dims = dims.filter((_, k) => !drop.has(k));
      roles = roles.filter((_, k) => !drop.has(k));
      if ([...drop].some((k) => typeof x.roles![k] === 'number')) return this.flattenTo(node, x, dims);
    }
    this.passThrough(node, 'pointwise', '', roles, dims);
  }

  private expand(node: onnx.NodeProto, x: DataVal, ins: Array<Val | undefined>, tile: boolean): void {
    const shape = ins[1] && ins[1].kind === 'const' ? ins[1].values : null;
    if (!shape || !x.dims || !x.roles) return this.passThrough(node, 'pointwise', '', null, null);
    if (tile) {
      if (shape.some((rep, k) => rep !== 1 && isSpatial(x.roles![k]!))) return this.passThrough(node, 'unknown', 'tiling along a spatial axis is not modelled.');
      return this.passThrough(node, 'pointwise', '', x.roles, x.dims.map((d, k) => d * (shape[k] ?? 1)));
    }
    const dims = broadcastDims([x.dims, shape]);
    let roles = x.roles;
    if (dims && dims.length > roles.length) roles = [...new Array<Role>(dims.length - roles.length).fill('c'), ...roles];
    this.passThrough(node, 'pointwise', '', roles, dims);
  }

  // ---------------------------------------------------------------- reshaping

  private flattenTo(node: onnx.NodeProto, x: DataVal, dims: number[] | null): void {
    const id = this.emit(node, [x.id], { op: 'flatten' });
    this.setAll(node, { kind: 'data', id, dims, roles: dims ? dims.map((_, k) => (k === 0 && x.roles?.[0] === 'n' ? 'n' : 'c')) : null });
  }

  private reshape(node: onnx.NodeProto, x: DataVal, shape: number[] | null, allowZero: boolean): void {
    if (!hasSpatial(x)) {
      let dims: number[] | null = null;
      if (shape && x.dims) dims = resolveShape(x.dims, shape, allowZero);
      // [N, C, 1, 1] -> [N, C] after a global pool is the classifier's flatten
      if (node.opType === 'Flatten' || (dims && dims.length <= 2)) return this.flattenTo(node, x, dims);
      return this.passThrough(node, 'pointwise', '', dims ? dims.map((_, k) => (k === 0 && x.roles?.[0] === 'n' ? 'n' : 'c')) : x.roles, dims);
    }
    if (!shape) {
      const declared = this.declaredDims.get(node.output[0] ?? '');
      if (declared) shape = declared;
    }
    if (!shape || !x.dims || !x.roles) {
      if (shape && shape.length <= 2) return this.flattenTo(node, x, null);
      return this.passThrough(node, 'unknown', 'the target shape is not a constant of the graph; it is treated as the identity.');
    }
    const out = resolveShape(x.dims, shape, allowZero);
    if (!out) return this.passThrough(node, 'unknown', `the target shape ${shape.join('x')} does not fit the ${x.dims.join('x')} input.`);
    const mapped = mapReshape(x.dims, x.roles, out, this.rank);
    if (mapped === 'flatten') return this.flattenTo(node, x, out);
    const factor = mapped.factor;
    if (factor.some((f) => f !== 1)) {
      const id = this.emit(node, [x.id], { op: 'pixelShuffle', factor });
      this.setAll(node, { kind: 'data', id, dims: out, roles: mapped.roles });
      return;
    }
    this.passThrough(node, 'pointwise', '', mapped.roles, out);
  }

  // ---------------------------------------------------------------- dense, attention, reductions

  private dense(node: onnx.NodeProto, x: DataVal): void {
    const id = this.emit(node, [x.id], { op: 'dense' });
    this.setAll(node, { kind: 'data', id, dims: null, roles: ['n', 'c'] });
  }

  private matmul(node: onnx.NodeProto, ins: Array<Val | undefined>): void {
    const a = ins[0];
    const b = node.opType === 'QLinearMatMul' ? ins[3] : ins[1];
    if (node.opType === 'Einsum' || !a || !b) {
      const x = [a, b].find((v): v is DataVal => !!v && v.kind === 'data')!;
      return hasSpatial(x) ? this.passThrough(node, 'unknown', 'Einsum is not modelled; it is treated as the identity.') : this.dense(node, x);
    }
    const ra = a.dims?.length ?? (a.kind === 'data' ? a.roles?.length : undefined) ?? 0;
    const rb = b.dims?.length ?? (b.kind === 'data' ? b.roles?.length : undefined) ?? 0;
    const roleOf = (v: Val, k: number): Role => (v.kind === 'data' && v.roles ? v.roles[k] ?? 'c' : 'c');
    // contracted dims: a's last, b's second to last (b's only dim when it is a vector)
    const ka = ra - 1;
    const kb = rb >= 2 ? rb - 2 : 0;
    const contractA = roleOf(a, ka);
    const contractB = roleOf(b, kb);
    const keptA: Role[] = a.kind === 'data' && a.roles ? a.roles.slice(0, ka) : new Array<Role>(Math.max(0, ra - 1)).fill('c');
    const keptB: Role = rb >= 2 ? roleOf(b, rb - 1) : 'c';
    const outRoles: Role[] = [...keptA, keptB];
    let outDims: number[] | null = null;
    if (a.dims && b.dims && ra >= 1 && rb >= 1) {
      const batch = broadcastDims([a.dims.slice(0, -2), b.dims.slice(0, -2)]) ?? [];
      outDims = rb >= 2 ? [...batch, ...(ra >= 2 ? [a.dims[ra - 2]!] : []), b.dims[rb - 1]!] : a.dims.slice(0, -1);
      if (outDims.length !== outRoles.length) outDims = null;
    }
    const positional = (r: Role) => isSpatial(r);
    const fix = (roles: Role[]): Role[] => {
      // only one copy of the positions can stay local; others are already mixed
      let seen = false;
      return roles.map((r) => {
        if (!positional(r)) return r;
        if (seen) return 'g';
        seen = true;
        return r;
      });
    };
    const data = [a, b].filter((v): v is DataVal => v.kind === 'data');
    if (data.length === 1) {
      const x = data[0]!;
      const contracted = x === a ? contractA : contractB;
      if (positional(contracted)) {
        // a fixed matrix over positions (token mixing): every output reads every position
        if (contracted !== 'P' && contracted !== 'Q' && this.rank > 1) return this.passThrough(node, 'unknown', 'a matrix product along one spatial axis is not modelled; it is treated as the identity.');
        const id = this.emit(node, [x.id], { op: 'dense' });
        this.setAll(node, { kind: 'data', id, dims: outDims, roles: outRoles.map((r) => (positional(r) ? 'g' : r === 'g' ? 'c' : r)) });
        return;
      }
      if (!hasSpatial(x) || !outRoles.some(positional)) return this.denseLike(node, x, outDims, outRoles);
      // a Linear over channels at every position (channels-last MLPs): a 1x1 convolution
      return this.passThrough(node, 'pointwise', '', fix(outRoles), outDims);
    }
    // both operands carry pixels: attention-like products
    const aLocal = keptA.some(positional);
    const bLocal = positional(keptB);
    const aMixed = positional(contractA);
    const bMixed = positional(contractB);
    if (!aLocal && !bLocal) {
      const id = this.emit(node, [...new Set([a as DataVal, b as DataVal].map((v) => v.id))], { op: 'globalPool' });
      this.setAll(node, { kind: 'data', id, dims: outDims, roles: outRoles.map((r) => (r === 'g' ? 'c' : r)) });
      return;
    }
    const local = (aLocal ? a : b) as DataVal;
    const other = (aLocal ? b : a) as DataVal;
    const otherPositionsGone = aLocal ? bMixed || !hasSpatial(other) || !bLocal : aMixed || !hasSpatial(other);
    let otherId = other.id;
    if (hasSpatial(other) && (otherPositionsGone || (aLocal && bLocal))) {
      // x -> globalPool(other) -> mul(x, that): the engine's global-context rule
      otherId = this.emit(node, [other.id], { op: 'globalPool' }, ':context');
    }
    const ids = [...new Set([local.id, otherId])];
    const id = this.emit(node, ids, ids.length > 1 ? { op: 'mul', align: 'exact' } : { op: 'pointwise', kind: node.opType ?? '' });
    this.setAll(node, { kind: 'data', id, dims: outDims, roles: fix(outRoles) });
  }

  private denseLike(node: onnx.NodeProto, x: DataVal, dims: number[] | null, roles: Role[]): void {
    if (!hasSpatial(x)) return this.passThrough(node, 'pointwise', '', roles.map((r) => (r === 'g' ? 'c' : r)), dims);
    const id = this.emit(node, [x.id], { op: 'dense' });
    this.setAll(node, { kind: 'data', id, dims, roles: roles.map((r) => (isSpatial(r) || r === 'g' ? 'c' : r)) });
  }

  private reduce(node: onnx.NodeProto, attrs: Attrs, x: DataVal, ins: Array<Val | undefined>): void {
    const rank = x.dims?.length ?? x.roles?.length ?? 0;
    const isArg = node.opType === 'ArgMax' || node.opType === 'ArgMin';
    const axesIn = ins[1];
    let axes = isArg ? [attrs.int('axis') ?? 0] : (attrs.ints('axes') ?? (axesIn && axesIn.kind === 'const' ? axesIn.values : null));
    const keep = (attrs.int('keepdims') ?? 1) === 1;
    if (!axes || axes.length === 0) {
      if (attrs.int('noop_with_empty_axes') === 1) return this.passThrough(node, 'pointwise');
      axes = Array.from({ length: rank }, (_, k) => k);
    }
    const set = new Set(axes.map((a) => normAxis(a, rank)));
    const roles = x.roles;
    if (!roles) return this.passThrough(node, 'unknown', 'the input layout is unknown.');
    const spatialRoles = roles.map((r, k) => (isSpatial(r) ? k : -1)).filter((k) => k >= 0);
    const reducedSpatial = spatialRoles.filter((k) => set.has(k));
    const outDims = x.dims ? (keep ? x.dims.map((d, k) => (set.has(k) ? 1 : d)) : x.dims.filter((_, k) => !set.has(k))) : null;
    const outRoles = keep ? roles.map((r, k) => (set.has(k) ? 'c' : r)) : roles.filter((_, k) => !set.has(k));
    if (reducedSpatial.length === 0) return this.passThrough(node, 'pointwise', '', outRoles, outDims);
    if (reducedSpatial.length < spatialRoles.length) {
      return this.passThrough(node, 'unknown', 'a reduction over some but not all spatial axes is not modelled; it is treated as the identity.');
    }
    const id = this.emit(node, [x.id], { op: 'globalPool' });
    this.setAll(node, { kind: 'data', id, dims: outDims, roles: outRoles });
  }

  private softmax(node: onnx.NodeProto, attrs: Attrs, x: DataVal): void {
    const rank = x.dims?.length ?? x.roles?.length ?? 0;
    const legacy = this.opset > 0 && this.opset < 13;
    const axis = normAxis(attrs.int('axis') ?? (legacy ? 1 : -1), rank);
    const roles = x.roles ?? [];
    // before opset 13 the input is coerced to 2-D at axis: the normalisation runs over every later axis
    const span = legacy ? roles.slice(axis) : [roles[axis]];
    if (span.some((r) => r !== undefined && isSpatial(r))) {
      const id = this.emit(node, [x.id, x.id], { op: 'normalize', kind: node.opType ?? '' });
      this.setAll(node, { kind: 'data', id, dims: x.dims, roles: x.roles });
      return;
    }
    this.passThrough(node, 'pointwise');
  }

  private statNorm(node: onnx.NodeProto, attrs: Attrs, x: DataVal): void {
    const op = node.opType;
    const rank = x.dims?.length ?? x.roles?.length ?? 0;
    let over: number[];
    if (op === 'InstanceNormalization' || op === 'GroupNormalization') over = Array.from({ length: Math.max(0, rank - 2) }, (_, k) => k + 2);
    else if (op === 'MeanVarianceNormalization') over = (attrs.ints('axes') ?? [0, 2, 3]).map((a) => normAxis(a, rank));
    else if (op === 'LpNormalization') over = [normAxis(attrs.int('axis') ?? -1, rank)];
    else {
      const a = normAxis(attrs.int('axis') ?? -1, rank);
      over = Array.from({ length: Math.max(0, rank - a) }, (_, k) => a + k);
    }
    const roles = x.roles ?? [];
    if (over.some((k) => roles[k] !== undefined && isSpatial(roles[k]!))) {
      const id = this.emit(node, [x.id, x.id], { op: 'normalize', kind: op ?? '' });
      this.setAll(node, { kind: 'data', id, dims: x.dims, roles: x.roles });
      return;
    }
    this.passThrough(node, 'pointwise');
  }

  // ---------------------------------------------------------------- constant folding

  private fold(node: onnx.NodeProto, attrs: Attrs, ins: Array<ConstVal | undefined>): ConstVal {
    const op = node.opType;
    const unknown: ConstVal = { kind: 'const', dims: null, values: null };
    const v = (k: number) => ins[k]?.values ?? null;
    const d = (k: number) => ins[k]?.dims ?? null;
    const shapeOfData = ins.some((c) => c?.shapeOfData);
    const out = (dims: number[] | null, values: number[] | null): ConstVal => {
      const c: ConstVal = { kind: 'const', dims, values: values && values.length <= VALUE_LIMIT ? values : null };
      if (shapeOfData) c.shapeOfData = true;
      return c;
    };
    switch (op) {
      case 'Identity':
      case 'Cast':
      case 'CastLike':
      case 'Dropout':
        return out(d(0), v(0));
      case 'ConstantOfShape': {
        const shape = v(0);
        if (!shape) return unknown;
        const t = attrs.tensor('value');
        const fill = t ? (tensorValues(tensorRefOf(t), 1)?.[0] ?? 0) : 0;
        const count = prod(shape);
        return out(shape, count <= VALUE_LIMIT ? new Array<number>(count).fill(fill) : null);
      }
      case 'Gather': {
        const data = v(0);
        const idx = v(1);
        const dd = d(0);
        const id = d(1);
        if (!dd || !id) return unknown;
        const axis = normAxis(attrs.int('axis') ?? 0, dd.length);
        const dims = [...dd.slice(0, axis), ...id, ...dd.slice(axis + 1)];
        if (!data || !idx || dd.length !== 1) return out(dims, null);
        return out(dims, idx.map((i) => data[i < 0 ? i + data.length : i]!));
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const dd = d(0);
        const axes = attrs.ints('axes') ?? v(1);
        if (!dd) return unknown;
        let dims = dd.slice();
        if (op === 'Unsqueeze') {
          if (!axes) return unknown;
          const outRank = dims.length + axes.length;
          for (const a of axes.map((x) => normAxis(x, outRank)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
        } else {
          const drop = new Set(axes ? axes.map((a) => normAxis(a, dims.length)) : dims.map((x, k) => (x === 1 ? k : -1)));
          dims = dims.filter((_, k) => !drop.has(k));
        }
        return out(dims, v(0));
      }
      case 'Concat': {
        const dims = ins.map((c) => c?.dims ?? null);
        if (dims.some((x) => !x) || dims.length === 0) return unknown;
        const rank = dims[0]!.length;
        const axis = normAxis(attrs.int('axis') ?? 0, rank);
        const outDims = dims[0]!.slice();
        outDims[axis] = dims.reduce((s, x) => s + (x![axis] ?? 0), 0);
        const values = rank === 1 && ins.every((c) => c?.values) ? ins.flatMap((c) => c!.values!) : null;
        return out(outDims, values);
      }
      case 'Slice': {
        const dd = d(0);
        if (!dd) return unknown;
        const legacy = this.opset > 0 && this.opset < 10;
        const starts = legacy ? attrs.ints('starts') : v(1);
        const ends = legacy ? attrs.ints('ends') : v(2);
        const axes = (legacy ? attrs.ints('axes') : v(3)) ?? starts?.map((_, k) => k);
        const steps = (legacy ? null : v(4)) ?? starts?.map(() => 1);
        if (!starts || !ends || !axes || !steps) return unknown;
        const data = v(0);
        // values only for small tensors; the dims of large ones by arithmetic
        const small = !!data && data.length === prod(dd);
        const picks: Array<number[] | null> = dd.map((n) => (small ? Array.from({ length: n }, (_, k) => k) : null));
        const dims = dd.slice();
        for (let k = 0; k < axes.length; k++) {
          const a = normAxis(axes[k]!, dd.length);
          if (a < 0 || a >= dd.length) return unknown;
          dims[a] = sliceCount(dd[a]!, starts[k]!, ends[k]!, steps[k] ?? 1);
          if (small) picks[a] = sliceIndices(dd[a]!, starts[k]!, ends[k]!, steps[k] ?? 1);
        }
        return out(dims, small ? gatherValues(data!, dd, picks as number[][]) : null);
      }
      case 'Reshape': {
        const dd = d(0);
        const shape = v(1);
        if (!dd || !shape) return unknown;
        const dims = resolveShape(dd, shape, attrs.int('allowzero') === 1);
        return out(dims, v(0));
      }
      case 'Flatten': {
        const dd = d(0);
        if (!dd) return unknown;
        const a = normAxis(attrs.int('axis') ?? 1, dd.length);
        return out([prod(dd.slice(0, a)), prod(dd.slice(a))], v(0));
      }
      case 'Transpose': {
        const dd = d(0);
        if (!dd) return unknown;
        const perm = attrs.ints('perm') ?? dd.map((_, k) => dd.length - 1 - k);
        const data = v(0);
        return out(perm.map((p) => dd[p]!), data && data.length === prod(dd) ? transposeValues(data, dd, perm) : null);
      }
      case 'Expand': {
        const dd = d(0);
        const shape = v(1);
        if (!dd || !shape) return unknown;
        const dims = broadcastDims([dd, shape]);
        return out(dims, dims && prod(dims) === prod(dd) ? v(0) : null);
      }
      case 'Tile': {
        const dd = d(0);
        const reps = v(1);
        if (!dd || !reps || reps.length !== dd.length) return unknown;
        return out(dd.map((n, k) => n * reps[k]!), null);
      }
      case 'Range': {
        const [s, l, dl] = [v(0)?.[0], v(1)?.[0], v(2)?.[0]];
        if (s === undefined || l === undefined || !dl) return unknown;
        const n = Math.max(0, Math.ceil((l - s) / dl));
        if (n > VALUE_LIMIT) return out([n], null);
        return out([n], Array.from({ length: n }, (_, k) => s + k * dl));
      }
      case 'Neg':
      case 'Abs':
      case 'Floor':
      case 'Ceil':
      case 'Sqrt':
      case 'Round':
      case 'Not': {
        const x = v(0);
        const f = { Neg: (a: number) => -a, Abs: Math.abs, Floor: Math.floor, Ceil: Math.ceil, Sqrt: Math.sqrt, Round: roundHalfEven, Not: (a: number) => (a ? 0 : 1) }[op]!;
        return out(d(0), x ? x.map(f) : null);
      }
      case 'ReduceProd':
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceMin': {
        const x = v(0);
        const dd = d(0);
        if (!x || !dd || dd.length !== 1) return unknown;
        const keep = (attrs.int('keepdims') ?? 1) === 1;
        const r = op === 'ReduceProd' ? prod(x) : op === 'ReduceSum' ? x.reduce((p, q) => p + q, 0) : op === 'ReduceMax' ? Math.max(...x) : Math.min(...x);
        return out(keep ? [1] : [], [r]);
      }
      case 'Where': {
        const c = v(0);
        const a = v(1);
        const b = v(2);
        const dims = broadcastDims([d(0), d(1), d(2)]);
        if (!c || !a || !b || !dims) return out(dims, null);
        const n = prod(dims);
        const at = (list: number[], k: number) => (list.length === 1 ? list[0]! : list[k]!);
        if ([c, a, b].some((l) => l.length !== 1 && l.length !== n)) return out(dims, null);
        return out(dims, Array.from({ length: n }, (_, k) => (at(c, k) ? at(a, k) : at(b, k))));
      }
      default:
        if (op in MERGE_OPS) {
          const dims = broadcastDims(ins.map((c) => c?.dims ?? null));
          const lists = ins.map((c) => c?.values ?? null);
          if (!dims || lists.some((l) => !l)) return out(dims, null);
          const n = prod(dims);
          if (lists.some((l) => l!.length !== 1 && l!.length !== n) || n > VALUE_LIMIT) return out(dims, null);
          const at = (list: number[], k: number) => (list.length === 1 ? list[0]! : list[k]!);
          const f = BINARY[op];
          if (!f) return out(dims, null);
          return out(
            dims,
            Array.from({ length: n }, (_, k) => lists.slice(1).reduce((acc, l) => f(acc, at(l!, k)), at(lists[0]!, k))),
          );
        }
        return { kind: 'const', dims: null, values: null, ...(shapeOfData ? { shapeOfData } : {}) };
    }
  }
}

/** How many indices a Slice takes along an axis of n. */
function sliceCount(n: number, start: number, end: number, step: number): number {
  if (!step) return 0;
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step > 0) {
    s = Math.max(0, Math.min(n, s));
    e = Math.max(0, Math.min(n, e));
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = Math.max(-1, Math.min(n - 1, s));
  e = Math.max(-1, Math.min(n - 1, e));
  return Math.max(0, Math.ceil((s - e) / -step));
}

/** Indices a Slice takes along an axis of n (ONNX clamping, negative steps included). */
function sliceIndices(n: number, start: number, end: number, step: number): number[] {
  if (!step) return [];
  const out: number[] = [];
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step > 0) {
    s = Math.max(0, Math.min(n, s));
    e = Math.max(0, Math.min(n, e));
    for (let i = s; i < e && out.length <= VALUE_LIMIT; i += step) out.push(i);
  } else {
    s = Math.max(-1, Math.min(n - 1, s));
    e = Math.max(-1, Math.min(n - 1, e));
    for (let i = s; i > e && out.length <= VALUE_LIMIT; i += step) out.push(i);
  }
  return out;
}

function strides(dims: readonly number[]): number[] {
  const st = new Array<number>(dims.length).fill(1);
  for (let k = dims.length - 2; k >= 0; k--) st[k] = st[k + 1]! * dims[k + 1]!;
  return st;
}

/** The values at the cartesian product of per-axis index lists (row-major). */
function gatherValues(data: readonly number[], dims: readonly number[], picks: number[][]): number[] | null {
  const count = prod(picks.map((p) => p.length));
  if (count > VALUE_LIMIT) return null;
  const st = strides(dims);
  let offsets = [0];
  picks.forEach((p, a) => {
    const next: number[] = [];
    for (const o of offsets) for (const i of p) next.push(o + i * st[a]!);
    offsets = next;
  });
  return offsets.map((o) => data[o]!);
}

function transposeValues(data: readonly number[], dims: readonly number[], perm: readonly number[]): number[] | null {
  if (perm.length !== dims.length) return null;
  const st = strides(dims);
  const outDims = perm.map((p) => dims[p]!);
  let offsets = [0];
  outDims.forEach((n, a) => {
    const next: number[] = [];
    for (const o of offsets) for (let i = 0; i < n; i++) next.push(o + i * st[perm[a]!]!);
    offsets = next;
  });
  return offsets.map((o) => data[o]!);
}

const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  // integer division truncates in ONNX for integer tensors; shape arithmetic is integer
  Div: (a, b) => (Number.isInteger(a) && Number.isInteger(b) && b !== 0 ? Math.trunc(a / b) : a / b),
  Max: Math.max,
  Min: Math.min,
  Mod: (a, b) => (b === 0 ? NaN : a - Math.floor(a / b) * b),
  Pow: (a, b) => a ** b,
  Equal: (a, b) => (a === b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  And: (a, b) => (a && b ? 1 : 0),
  Or: (a, b) => (a || b ? 1 : 0),
  Sum: (a, b) => a + b,
};

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function broadcastDims(list: Array<number[] | null>): number[] | null {
  if (list.some((d) => !d)) return null;
  const rank = Math.max(0, ...list.map((d) => d!.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    let n = 1;
    for (const d of list) {
      const x = d![d!.length - rank + k];
      if (x === undefined || x === 1) continue;
      if (n !== 1 && n !== x) return null;
      n = x;
    }
    out.push(n);
  }
  return out;
}

/** Reshape's target with 0 (copy) and -1 (infer) resolved, or null when it does not fit. */
export function resolveShape(dims: readonly number[], shape: readonly number[], allowZero: boolean): number[] | null {
  const total = prod(dims);
  const out = shape.map((s, k) => (s === 0 && !allowZero ? (dims[k] ?? 0) : s));
  const unknown = out.filter((s) => s === -1).length;
  if (unknown > 1) return null;
  if (unknown === 1) {
    const known = prod(out.filter((s) => s !== -1));
    if (known === 0 || total % known !== 0) return null;
    out[out.indexOf(-1)] = total / known;
  }
  if (out.some((s) => s < 0) || prod(out) !== total) return null;
  return out;
}

/**
 * How a reshape moves the roles: dims are grouped into runs of equal products
 * on both sides. A run without spatial roles stays channel-like; a run that
 * is one spatial axis (plus size-1 dims) keeps it; all spatial axes merged
 * alone become 'P' (positions flattened) and 'P' split back into the spatial
 * sizes becomes the axes again; a spatial axis merged with channel factors
 * after it is a pixel shuffle on that axis. Anything else flattens.
 */
export function mapReshape(dims: readonly number[], roles: readonly Role[], out: readonly number[], rank: number): 'flatten' | { roles: Role[]; factor: number[] } {
  const outRoles: Role[] = new Array<Role>(out.length).fill('c');
  const factor = new Array<number>(rank).fill(1);
  let i = 0;
  let j = 0;
  const spatialSizes = new Array<number>(rank).fill(0);
  roles.forEach((r, k) => typeof r === 'number' && (spatialSizes[r] = dims[k]!));
  while (i < dims.length || j < out.length) {
    const gi: number[] = [];
    const gj: number[] = [];
    let pi = 1;
    let pj = 1;
    // take at least one dim from each side, then grow the smaller product
    if (i < dims.length) {
      pi *= dims[i]!;
      gi.push(i++);
    }
    if (j < out.length) {
      pj *= out[j]!;
      gj.push(j++);
    }
    while (pi !== pj) {
      if (pi < pj && i < dims.length) {
        pi *= dims[i]!;
        gi.push(i++);
      } else if (pj < pi && j < out.length) {
        pj *= out[j]!;
        gj.push(j++);
      } else return 'flatten';
    }
    // trailing size-1 dims join the run on their side
    while (i < dims.length && dims[i] === 1 && !isSpatial(roles[i]!)) gi.push(i++);
    while (j < out.length && out[j] === 1 && (i >= dims.length || dims[i] !== 1)) gj.push(j++);
    const inRoles = gi.map((k) => roles[k]!);
    const big = (ks: number[], sizes: readonly number[]) => ks.filter((k) => sizes[k] !== 1);
    const inBig = big(gi, dims);
    const outBig = big(gj, out);
    const spatialIn = gi.filter((k) => isSpatial(roles[k]!));
    if (spatialIn.length === 0) {
      const hasN = inRoles.includes('n');
      const g = inRoles.includes('g');
      gj.forEach((k, idx) => (outRoles[k] = g ? 'g' : hasN && idx === 0 ? 'n' : 'c'));
      continue;
    }
    // the run's spatial dims all of size 1 (a 1x1 map): its positions are gone
    if (spatialIn.every((k) => dims[k] === 1) && inBig.length <= 1) {
      if (spatialIn.some((k) => typeof roles[k] === 'number')) return 'flatten';
      continue;
    }
    if (inBig.length === 1 && outBig.length === 1) {
      outRoles[outBig[0]!] = roles[inBig[0]!]!;
      continue;
    }
    const first = inBig[0]!;
    const firstRole = roles[first]!;
    if (inBig.length === 1 && firstRole === 'P') {
      // positions split back into the spatial sizes
      const sizes = outBig.map((k) => out[k]!);
      if (sizes.length === rank && sizes.every((n, a) => n === spatialSizes[a] || spatialSizes[a] === 0)) {
        outBig.forEach((k, a) => (outRoles[k] = a));
        continue;
      }
      return 'flatten';
    }
    const bigRoles = inBig.map((k) => roles[k]!);
    const trailingAxes = bigRoles.length > rank && bigRoles.slice(-rank).every((r, a) => r === a) && bigRoles.slice(0, -rank).every((r) => r === 'c');
    if (trailingAxes && outBig.length >= 2) {
      // channels and positions merged into the last dim (torch's GroupNorm: [N, C, H, W] -> [N, G, C/G*H*W])
      outBig.forEach((k, idx) => (outRoles[k] = idx === outBig.length - 1 ? 'Q' : 'c'));
      continue;
    }
    if (bigRoles[bigRoles.length - 1] === 'Q' && bigRoles.slice(0, -1).every((r) => r === 'c') && outBig.length >= rank + 1) {
      // ... and split back: the last dims are the spatial axes again
      outBig.forEach((k, idx) => (outRoles[k] = idx >= outBig.length - rank ? idx - (outBig.length - rank) : 'c'));
      continue;
    }
    if (outBig.length === 1) {
      const axes = bigRoles.filter((r): r is number => typeof r === 'number');
      if (axes.length === rank && bigRoles.length === rank && axes.every((a, k) => a === k)) {
        outRoles[outBig[0]!] = 'P';
        continue;
      }
      if (rank === 1 && bigRoles.length === 1 && bigRoles[0] === 0) {
        outRoles[outBig[0]!] = 0;
        continue;
      }
      // a spatial axis followed by channel factors: a pixel shuffle along it
      if (typeof firstRole === 'number' && bigRoles.slice(1).every((r) => r === 'c')) {
        factor[firstRole] = prod(inBig.slice(1).map((k) => dims[k]!));
        outRoles[outBig[0]!] = firstRole;
        continue;
      }
    }
    return 'flatten';
  }
  if (roles.some((r) => typeof r === 'number') && !outRoles.some(isSpatial)) return 'flatten';
  return { roles: outRoles, factor };
}

const RESIZE_COORDINATES: readonly ResizeCoordinates[] = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST_ROUNDING: readonly NearestRounding[] = ['floor', 'ceil', 'round_prefer_floor', 'round_prefer_ceil'];



function readOnnx(source: ModelSource, context: ReadContext): ReadResult {
  const r = readOnnxDetailed(source, context);
  return { models: r.models, findings: r.findings };
}

export const onnxReader: ModelReader = {
  format: 'onnx',
  displayName: 'ONNX',
  binary: true,
  extensions: ['.onnx'],
  match(source: ModelSource): boolean {
    // A ModelProto starts with ir_version (field 1, varint: 0x08) in every exporter's output.
    const b = source.bytes;
    if (b && b.length > 2) return b[0] === 0x08 && b[1]! > 0 && b[1]! < 0x20;
    return false;
  },
  read: readOnnx,
};
