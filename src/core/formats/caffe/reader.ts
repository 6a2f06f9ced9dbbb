import { finding, type Finding } from '../../graph/finding';
import type { CropSize, LayerNode, LayerOp, ModelGraph, RangeRole, RoleRanges, SourceRange, Window } from '../../graph/ir';
import { baseName, optionValue, sourceText, uniqueId } from '../common';
import type { ModelReader, ModelSource, ReadContext, ReaderOption, ReadResult } from '../reader';
import { CAFFE_TYPES, CAFFE_V1_TYPES, type CaffeKind } from './layers';
import { isMessage, parsePrototext, Pt, type PtField } from './prototext';

interface LayerDef {
  field: PtField;
  pt: Pt;
  index: number;
}

interface ImageInput {
  /** spatial sizes, or null when the file does not state them */
  spatial: number[] | null;
  /** N, C, spatial... as written, to know the rank */
  dims: number[] | null;
}

function phaseActive(layer: Pt, phase: string): boolean {
  const includes = layer.messages('include');
  const excludes = layer.messages('exclude');
  if (excludes.some((r) => r.string('phase') === phase)) return false;
  if (includes.length === 0) return true;
  return includes.some((r) => {
    const p = r.string('phase');
    return p === undefined || p === phase;
  });
}

/** Caffe's repeated spatial fields: one value for every axis, or one per axis; _h/_w override in 2-D. */
function perAxis(p: Pt | undefined, name: string, rank: number, fallback: number, hwPrefix = name): number[] | null {
  if (!p) return new Array<number>(rank).fill(fallback);
  const h = p.number(`${hwPrefix}_h`);
  const w = p.number(`${hwPrefix}_w`);
  if (rank === 2 && (h !== undefined || w !== undefined)) {
    const base = p.numbers(name);
    const b = base.length ? base[0]! : fallback;
    return [h ?? b, w ?? b];
  }
  const list = p.numbers(name);
  if (list.length === 0) return new Array<number>(rank).fill(fallback);
  if (list.length === 1) return new Array<number>(rank).fill(list[0]!);
  if (list.length === rank) return list;
  return null;
}

/** Which fields state each role of a layer (the first present wins, searched in the layer and its parameter messages). */
const ROLE_FIELDS: Partial<Record<RangeRole, string[]>> = {
  name: ['name'],
  type: ['type'],
  kernel: ['kernel_size', 'kernel_h', 'kernel_w', 'local_size'],
  stride: ['stride', 'stride_h', 'stride_w'],
  padding: ['pad', 'pad_h', 'pad_w'],
  dilation: ['dilation'],
  offset: ['offset'],
  'inputSize:0': ['crop_size'],
  'inputSize:1': ['crop_size'],
};

function roleRangesOf(...msgs: Array<Pt | undefined>): RoleRanges {
  const out: RoleRanges = {};
  for (const [role, names] of Object.entries(ROLE_FIELDS) as Array<[RangeRole, string[]]>) {
    for (const name of names) {
      const f = msgs.map((m) => m?.field(name)).find((x) => x !== undefined);
      if (f) {
        out[role] = f.range;
        break;
      }
    }
  }
  return out;
}

/** Value ranges of the spatial entries of a dims list (N, C, spatial...), for quick fixes. */
function spatialDimRanges(fields: PtField[]): RoleRanges {
  const out: RoleRanges = {};
  fields.slice(2).forEach((f, a) => (out[`inputSize:${a}`] = f.valueRange));
  return out;
}

/** The ranges of a single-valued kernel_size and stride, which a quick fix may edit. */
function windowValueRanges(p: Pt | undefined): RoleRanges {
  const out: RoleRanges = {};
  if (!p) return out;
  const kernels = p.all('kernel_size');
  if (kernels.length === 1 && !p.field('kernel_h') && !p.field('kernel_w')) out.kernel = kernels[0]!.valueRange;
  const strides = p.all('stride');
  if (strides.length === 1 && !p.field('stride_h') && !p.field('stride_w')) out.stride = strides[0]!.valueRange;
  return out;
}

function rankOf(input: ImageInput | null): number {
  if (!input) return 2;
  if (input.spatial) return input.spatial.length;
  return input.dims && input.dims.length >= 3 ? input.dims.length - 2 : 2;
}

function inputFromDims(dims: number[]): ImageInput {
  const spatial = dims.slice(2);
  return { dims, spatial: spatial.length >= 1 && spatial.every((d) => d > 0) ? spatial : null };
}

/** The size a data layer feeds, from the parameters that state it. */
function dataLayerInput(layer: Pt, type: string): ImageInput {
  const crop = layer.message('transform_param')?.number('crop_size');
  if (crop && crop > 0) return { dims: null, spatial: [crop, crop] };
  if (type === 'Input') {
    const shape = layer.message('input_param')?.message('shape');
    if (shape) return inputFromDims(shape.numbers('dim'));
  }
  if (type === 'DummyData') {
    const shape = layer.message('dummy_data_param')?.message('shape');
    if (shape) return inputFromDims(shape.numbers('dim'));
  }
  if (type === 'MemoryData') {
    const p = layer.message('memory_data_param');
    const h = p?.number('height');
    const w = p?.number('width');
    if (h && w) return { dims: null, spatial: [h, w] };
  }
  if (type === 'ImageData') {
    const p = layer.message('image_data_param');
    const h = p?.number('new_height');
    const w = p?.number('new_width');
    if (h && w) return { dims: null, spatial: [h, w] };
  }
  return { dims: null, spatial: null };
}

const PHASE_OPTION: ReaderOption = {
  name: 'phase',
  description: 'the phase whose graph is analysed; TEST is the deploy graph',
  values: ['TEST', 'TRAIN'],
  default: 'TEST',
};

function readCaffe(source: ModelSource, context: ReadContext): ReadResult {
  const text = sourceText(source);
  const doc = parsePrototext(text);
  const findings: Finding[] = doc.problems.map((p) => finding('RFL100', p.message, p.range, null));
  const root = new Pt(doc.root);
  const phase = optionValue(context.options, PHASE_OPTION) ?? 'TEST';
  const modelName = root.string('name') ?? baseName(source.fileName);

  const layerDefs: LayerDef[] = [];
  doc.root.fields.forEach((f, index) => {
    if ((f.name === 'layer' || f.name === 'layers') && isMessage(f.value)) {
      layerDefs.push({ field: f, pt: new Pt(f.value), index });
    }
  });

  const nodes: LayerNode[] = [];
  const ids = new Set<string>();
  /** blob name -> id of the node whose output it currently is; null for blobs that carry no image data (labels) */
  const blobs = new Map<string, string | null>();
  const consumed = new Map<string, boolean>();
  let imageInput: ImageInput | null = null;
  let inputNodeId: string | null = null;

  const layerId = (wanted: string, range: SourceRange | null): string => {
    const id = uniqueId(ids, wanted);
    if (id !== wanted) findings.push(finding('RFL100', `Layer name "${wanted}" is used twice; the second is called "${id}" here.`, range, id));
    return id;
  };

  // Net-level inputs: `input:` with `input_dim` (4 per input) or `input_shape { dim }`.
  const netInputs = root.all('input');
  const inputDims = root.numbers('input_dim');
  const inputShapes = root.messages('input_shape');
  netInputs.forEach((f, k) => {
    if (isMessage(f.value)) return;
    const blob = String(f.value.value);
    let dims: number[] | null = null;
    if (inputShapes[k]) dims = inputShapes[k]!.numbers('dim');
    else if (inputDims.length >= 4 * (k + 1)) dims = inputDims.slice(4 * k, 4 * k + 4);
    if (inputNodeId === null) {
      const id = layerId(blob, f.range);
      imageInput = dims ? inputFromDims(dims) : { dims: null, spatial: null };
      inputNodeId = id;
      const dimFields = inputShapes[k] ? inputShapes[k]!.all('dim') : root.all('input_dim').slice(4 * k, 4 * k + 4);
      nodes.push({
        id,
        name: blob,
        type: 'input',
        inputs: [],
        spec: { op: 'input', shape: null },
        origin: f.range,
        ranges: { name: f.range, ...spatialDimRanges(dimFields) },
        valueRanges: spatialDimRanges(dimFields),
      });
      blobs.set(blob, id);
      consumed.set(blob, false);
    } else {
      blobs.set(blob, null);
      findings.push(
        finding('RFL100', `Second input "${blob}": only the first input's pixels are analysed.`, f.range, null),
      );
    }
  });

  const isInputLayer = (layer: Pt) => {
    const t = layer.string('type') ?? '';
    const type = CAFFE_V1_TYPES[t] ?? t;
    return CAFFE_TYPES[type] === 'input' || (type === 'Python' && layer.strings('bottom').length === 0);
  };
  // A train_val file may declare its data layer for TRAIN only: its size is still the input's.
  const phaseHasInput = inputNodeId !== null || layerDefs.some((d) => isInputLayer(d.pt) && phaseActive(d.pt, phase));
  for (const def of layerDefs) {
    const layer = def.pt;
    if (!phaseActive(layer, phase) && !(!phaseHasInput && inputNodeId === null && isInputLayer(layer))) continue;
    const rawType = layer.string('type') ?? '';
    const type = CAFFE_V1_TYPES[rawType] ?? rawType;
    const name = layer.string('name') ?? `${type || 'layer'}_${def.index}`;
    const origin = def.field.range;
    const id = layerId(name, layer.range('name') ?? origin);
    const bottoms = layer.strings('bottom');
    const tops = layer.strings('top');
    const kind: CaffeKind | undefined = CAFFE_TYPES[type] ?? (type === 'Python' && bottoms.length === 0 ? 'input' : undefined);
    const ranges = roleRangesOf(
      layer,
      layer.message('convolution_param'),
      layer.message('pooling_param'),
      layer.message('crop_param'),
      layer.message('lrn_param'),
      layer.message('input_param'),
      layer.message('transform_param'),
      layer.message('interp_param'),
    );

    const inputs: string[] = [];
    for (const b of bottoms) {
      if (!blobs.has(b)) {
        findings.push(
          finding('RFL100', `Bottom blob "${b}" is not produced by any earlier layer.`, layer.range('bottom') ?? origin, id),
        );
        continue;
      }
      consumed.set(b, true);
      const src = blobs.get(b);
      if (src) inputs.push(src);
    }

    let spec: LayerOp;
    if (kind === 'input') {
      if (inputNodeId === null) {
        imageInput = dataLayerInput(layer, type);
        inputNodeId = id;
        spec = { op: 'input', shape: null };
        const crop = layer.message('transform_param')?.field('crop_size');
        const valueRanges = crop
          ? { 'inputSize:0': crop.valueRange, 'inputSize:1': crop.valueRange }
          : spatialDimRanges(layer.message('input_param')?.message('shape')?.all('dim') ?? []);
        nodes.push({ id, name, type, inputs: [], spec, origin, ranges: { ...ranges, ...valueRanges }, valueRanges });
        tops.forEach((t, k) => {
          blobs.set(t, k === 0 ? id : null);
          consumed.set(t, k !== 0);
        });
      } else {
        findings.push(
          finding('RFL100', `Second data layer "${name}": only the first input's pixels are analysed.`, origin, id),
        );
        for (const t of tops) {
          blobs.set(t, null);
          consumed.set(t, true);
        }
        ids.delete(id);
      }
      continue;
    }

    spec = buildSpec(kind, type, layer, rankOf(imageInput), inputs, findings, id, origin);
    if (spec.op === 'constant') inputs.length = 0;
    const valueRanges = windowValueRanges(layer.message('convolution_param') ?? layer.message('pooling_param'));
    nodes.push({ id, name, type: rawType || type, inputs, spec, origin, ranges, valueRanges });
    for (const t of tops) {
      blobs.set(t, id);
      consumed.set(t, false);
    }
  }

  if (inputNodeId === null) {
    findings.push(
      finding('RFL100', 'No input: the file has no input/input_dim, Input or data layer. A 2-D input is assumed.', null, null),
    );
    const id = layerId('input', null);
    nodes.unshift({ id, name: 'input', type: 'input', inputs: [], spec: { op: 'input', shape: null }, origin: null });
    inputNodeId = id;
  }
  const statedInput = imageInput ? (imageInput as ImageInput).spatial : null;
  const inputNode = nodes.find((n) => n.id === inputNodeId)!;
  inputNode.spec = { op: 'input', shape: statedInput };
  const rank = rankOf(imageInput);

  const outputs: string[] = [];
  for (const [blob, isConsumed] of consumed) {
    const node = blobs.get(blob);
    if (!isConsumed && node && node !== inputNodeId && !outputs.includes(node)) outputs.push(node);
  }
  if (outputs.length === 0 && nodes.length > 1) outputs.push(nodes[nodes.length - 1]!.id);

  const graph: ModelGraph = {
    format: 'caffe',
    name: modelName,
    rank: rank >= 1 && rank <= 3 ? rank : 2,
    nodes,
    outputs,
    statedInput,
  };
  return { models: [graph], findings };
}

function buildSpec(
  kind: CaffeKind | undefined,
  type: string,
  layer: Pt,
  rank: number,
  inputs: string[],
  findings: Finding[],
  id: string,
  origin: SourceRange,
): LayerOp {
  const unresolved = (message: string, range?: SourceRange): LayerOp => {
    findings.push(finding('RFL100', message, range ?? layer.range('type') ?? origin, id));
    return { op: 'unknown', reason: message };
  };
  switch (kind) {
    case undefined:
      return unresolved(
        type
          ? `Unknown Caffe layer type "${type}": it is treated as the identity so the rest can be analysed.`
          : 'Layer without a type: it is treated as the identity.',
      );
    case 'input':
      return { op: 'input', shape: null };
    case 'conv':
    case 'deconv': {
      const p = layer.message('convolution_param');
      if (!p) return unresolved(`${type} without convolution_param.`);
      const kernel = perAxis(p, 'kernel_size', rank, 0, 'kernel');
      if (rank === 2 && p.number('kernel_h') === undefined && p.numbers('kernel_size').length === 0) {
        return unresolved(`${type} needs kernel_size (or kernel_h and kernel_w).`, p.msg.range);
      }
      const pad = perAxis(p, 'pad', rank, 0);
      const stride = perAxis(p, 'stride', rank, 1);
      const dilation = perAxis(p, 'dilation', rank, 1);
      if (!kernel || !pad || !stride || !dilation || kernel.some((k) => k <= 0) || stride.some((s) => s <= 0)) {
        return unresolved(`${type}: kernel, stride, pad or dilation do not fit a ${rank}-D input.`, p.msg.range);
      }
      if (kind === 'deconv') {
        return {
          op: 'convtranspose',
          sliding: { kernel, stride, dilation, padding: { kind: 'explicit', before: pad, after: pad }, padMode: 'zeros', ceil: false },
          outputPadding: kernel.map(() => 0),
        };
      }
      const sliding: Window = {
        kernel,
        stride,
        dilation,
        padding: { kind: 'explicit', before: pad, after: pad },
        padMode: 'zeros',
        ceil: false,
        // conv_layer.cpp: (in + 2*pad - extent) / stride + 1 in C integer division
        count: 'c',
      };
      return { op: 'conv', sliding };
    }
    case 'pool': {
      const p = layer.message('pooling_param');
      const pool = p?.string('pool') === 'AVE' || p?.string('pool') === '1' || p?.string('pool') === 'STOCHASTIC' ? 'avg' : 'max';
      if (p?.bool('global_pooling')) return { op: 'globalPool' };
      const kernel = perAxis(p, 'kernel_size', rank, 0, 'kernel');
      const pad = perAxis(p, 'pad', rank, 0);
      const stride = perAxis(p, 'stride', rank, 1);
      if (!kernel || !pad || !stride || kernel.some((k) => k <= 0) || stride.some((s) => s <= 0)) {
        return unresolved('Pooling needs kernel_size (or kernel_h and kernel_w) or global_pooling.', p?.msg.range);
      }
      const roundMode = p?.string('round_mode');
      const floor = roundMode === 'FLOOR' || roundMode === '1';
      return {
        op: 'pool',
        pool,
        sliding: {
          kernel,
          stride,
          dilation: kernel.map(() => 1),
          padding: { kind: 'explicit', before: pad, after: pad },
          padMode: 'zeros',
          // PoolingLayer::Reshape rounds up, then drops a window starting in the padding only when pad > 0.
          ceil: floor ? false : 'when-padded',
        },
      };
    }
    case 'lrn': {
      const p = layer.message('lrn_param');
      if (p?.string('norm_region') !== 'WITHIN_CHANNEL' && p?.string('norm_region') !== '1') {
        return { op: 'pointwise', kind: 'LRN across channels' };
      }
      const size = p.number('local_size') ?? 5;
      // LRNLayer builds an average pooling of local_size with pad (local_size-1)/2 for WITHIN_CHANNEL.
      const padding = Math.trunc((size - 1) / 2);
      return {
        op: 'pool',
        pool: 'lrn',
        sliding: {
          kernel: new Array<number>(rank).fill(size),
          stride: new Array<number>(rank).fill(1),
          dilation: new Array<number>(rank).fill(1),
          padding: { kind: 'explicit', before: new Array<number>(rank).fill(padding), after: new Array<number>(rank).fill(padding) },
          padMode: 'zeros',
          ceil: 'when-padded',
        },
      };
    }
    case 'dense':
      return { op: 'dense' };
    case 'flatten':
      return { op: 'flatten' };
    case 'pointwise': {
      const axisParam = type === 'Slice' ? layer.message('slice_param') : undefined;
      const axis = axisParam?.number('slice_dim') ?? axisParam?.number('axis') ?? 1;
      if (axis >= 2 || (axis < 0 && axis >= -rank)) {
        return unresolved(`${type} along a spatial axis is not modelled; it is treated as the identity.`);
      }
      return { op: 'pointwise', kind: type };
    }
    case 'scaleOrBias':
      return inputs.length > 1 ? { op: type === 'Scale' ? 'mul' : 'add', align: 'exact' } : { op: 'pointwise', kind: type };
    case 'axpy':
      return { op: 'add', align: 'exact' };
    case 'eltwise': {
      const operation = layer.message('eltwise_param')?.string('operation');
      return { op: operation === 'PROD' || operation === '0' ? 'mul' : 'add', align: 'exact' };
    }
    case 'concat': {
      const p = layer.message('concat_param');
      // concat_dim, the older field, wins when both are set (ConcatLayer::Reshape)
      const axis = p?.number('concat_dim') ?? p?.number('axis') ?? 1;
      // Along axis 2 or 3 only flattened inputs (SSD's priors and heads) can be joined; shape inference checks.
      if (type === 'Concat' && (axis >= 2 || (axis < 0 && axis >= -rank))) {
        return { op: 'concat', align: 'exact', spatialAxis: axis >= 0 ? axis - 2 : rank + axis };
      }
      return inputs.length > 1 ? { op: 'concat', align: 'exact' } : { op: 'pointwise', kind: type };
    }
    case 'crop': {
      const p = layer.message('crop_param');
      const rawAxis = p?.number('axis') ?? 2;
      // CanonicalAxisIndex: a negative axis counts from the end of N, C, spatial...
      const axis = rawAxis < 0 ? rawAxis + rank + 2 : rawAxis;
      const offsets = p?.numbers('offset') ?? [];
      if (inputs.length < 2) return unresolved('Crop needs two bottoms: the blob to crop and the reference.');
      const firstSpatial = 2;
      const offset: number[] = [];
      const size: CropSize[] = [];
      for (let a = 0; a < rank; a++) {
        const blobAxis = firstSpatial + a;
        if (blobAxis < axis) {
          offset.push(0);
          size.push('keep');
          continue;
        }
        const k = blobAxis - axis;
        offset.push(offsets.length === 0 ? 0 : offsets.length === 1 ? offsets[0]! : (offsets[k] ?? 0));
        size.push('reference');
      }
      return { op: 'crop', offset, size };
    }
    case 'loss':
      // A loss or accuracy reduces its prediction to a scalar (no map left); the label carries no pixels.
      return { op: 'flatten' };
    case 'normalize': {
      // SSD's Normalize divides by a norm over the whole map unless across_spatial is false;
      // MVN subtracts each channel's mean over H x W.
      const acrossSpatial = type === 'Normalize' ? (layer.message('norm_param')?.bool('across_spatial') ?? true) : true;
      if (!acrossSpatial || inputs.length === 0) return { op: 'pointwise', kind: type };
      inputs.push(inputs[0]!);
      return { op: 'normalize', kind: type };
    }
    case 'argmax': {
      const axis = layer.message('argmax_param')?.number('axis');
      // Without an axis ArgMax reduces C x H x W to a list of indices.
      if (axis === undefined) return { op: 'flatten' };
      if (axis >= 2 || (axis < 0 && axis >= -rank)) return unresolved('ArgMax along a spatial axis is not modelled; it is treated as the identity.');
      return { op: 'pointwise', kind: type };
    }
    case 'constant':
      return { op: 'constant' };
    case 'interp': {
      const p = layer.message('interp_param');
      const h = p?.number('height');
      const w = p?.number('width');
      if (h && w && rank === 2) return { op: 'upsample', mode: 'bilinear', scale: null, size: [h, w], alignCorners: true };
      return unresolved('Interp is modelled with an explicit height and width only.');
    }
  }
}

export const caffeReader: ModelReader = {
  format: 'caffe',
  displayName: 'Caffe',
  options: [PHASE_OPTION],
  extensions: ['.prototxt', '.pbtxt'],
  /**
   * A NetParameter in protobuf text format by its structure: (comments
   * dropped) a `layer {` / `layers {` block with a `type:` inside, or an input
   * stated the Caffe way (`input: "name"`, `input_dim: N`, `input_shape {`),
   * in a text that starts with a field. A Python file (a `layers: List[int]`
   * annotation, an `input: "Tensor"` parameter) or a YAML `input:` key is neither.
   */
  match(source: ModelSource): boolean {
    const head = sourceText(source).slice(0, 16384).replace(/#[^\n\r]*/g, '');
    // protobuf text starts with a field (`name: "..."`, `layer {`); Python (`import`, `class`), JSON (`{`) and INI (`[net]`) do not
    if (!/^\s*[A-Za-z_]\w*\s*[:{]/.test(head) || /^\s*\[[A-Za-z_]+\]\s*$/m.test(head)) return false;
    const layerBlock = /^\s*layers?\s*\{/m.exec(head);
    if (layerBlock && /(^|[\s{])type\s*:\s*("?)[A-Za-z_][\w.]*\2(?=[\s}]|$)/m.test(head.slice(layerBlock.index))) return true;
    return /^\s*input\s*:\s*"[^"\n]*"/m.test(head) || /^\s*input_dim\s*:\s*\d/m.test(head) || /^\s*input_shape\s*\{/m.test(head);
  },
  read: readCaffe,
};
