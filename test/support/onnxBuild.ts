/**
 * Small ONNX models built in the tests with onnx-proto (protobufjs), in the
 * shapes exporters write: weights as initializers with raw_data, int64 shape
 * constants, node names like torch.onnx.export's ("/layer1/conv/Conv").
 */
import { onnx } from 'onnx-proto';

export type Dim = number | string;
export type AttrValue = number | number[] | string | { tensor: onnx.ITensorProto } | { floats: number[] } | { float: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, AttrValue>;
}

export interface ModelSpec {
  inputs: Array<{ name: string; dims: Dim[] | null }>;
  outputs?: Array<{ name: string; dims?: Dim[] | null }>;
  valueInfo?: Array<{ name: string; dims: Dim[] }>;
  nodes: NodeSpec[];
  initializers?: onnx.ITensorProto[];
  opset?: number;
  irVersion?: number;
  /** list initializers as graph inputs too (IR < 4 exporters) */
  initializersAsInputs?: boolean;
}

/** A float tensor with raw_data of the given dims (zeros: the values never matter to the reader). */
export function weight(name: string, dims: number[]): onnx.ITensorProto {
  const count = dims.reduce((p, n) => p * n, 1);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(4 * count) };
}

/** An int64 tensor with raw_data (shapes, pads, axes, sizes). */
export function int64s(name: string, values: number[], dims: number[] = [values.length]): onnx.ITensorProto {
  const raw = new Uint8Array(8 * values.length);
  const view = new DataView(raw.buffer);
  values.forEach((v, k) => view.setBigInt64(8 * k, BigInt(v), true));
  return { name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: raw };
}

/** A float tensor with float_data (scales). */
export function floats(name: string, values: number[], dims: number[] = [values.length]): onnx.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values };
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('tensor' in v) return { name, type: T.TENSOR, t: v.tensor };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.FLOAT, f: v.float };
}

function valueInfo(name: string, dims: Dim[] | null | undefined): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: onnx.TensorProto.DataType.FLOAT };
  if (dims) tensorType.shape = { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType } };
}

export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): NodeSpec {
  return { op, inputs, outputs, attrs, ...(name !== undefined ? { name } : {}) };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const inits = spec.initializers ?? [];
  const graph: onnx.IGraphProto = {
    name: 'test-graph',
    node: spec.nodes.map((n) => ({
      opType: n.op,
      input: n.inputs,
      output: n.outputs,
      name: n.name ?? '',
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    })),
    initializer: inits,
    input: [
      ...spec.inputs.map((i) => valueInfo(i.name, i.dims)),
      ...(spec.initializersAsInputs ? inits.map((t) => valueInfo(t.name!, (t.dims ?? []).map(Number))) : []),
    ],
    output: (spec.outputs ?? []).map((o) => valueInfo(o.name, o.dims)),
    valueInfo: (spec.valueInfo ?? []).map((v) => valueInfo(v.name, v.dims)),
  };
  const model: onnx.IModelProto = {
    irVersion: spec.irVersion ?? 8,
    producerName: 'rflens-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph,
  };
  return onnx.ModelProto.encode(model).finish();
}
