/**
 * ONNX decoding without copying weights.
 *
 * The model and graph messages are walked field by field with protobufjs's
 * Reader; nodes and value infos (small) are decoded with onnx-proto's
 * generated code. Initializers are decoded by hand into `TensorRef`s that
 * keep their data as views of the file's bytes (protobufjs returns `bytes`
 * fields of a Uint8Array as subarrays): a 500 MB file costs the names and
 * dims of its tensors, never their values, unless a value is asked for
 * (`tensorValues`), which only small shape-like tensors are.
 */
import { onnx } from 'onnx-proto';
import { Reader } from 'protobufjs/minimal';

type LongLike = number | { toNumber(): number };

export function num(v: LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** ONNX TensorProto.DataType values this reader can turn into numbers. */
export const DT = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

export interface TensorRef {
  name: string;
  dims: number[];
  dataType: number;
  /** raw_data as a view of the file's bytes */
  raw: Uint8Array | null;
  /** the typed repeated field (float_data, int32_data, int64_data, double_data, uint64_data) as views of its packed bytes */
  packed: { field: number; chunks: Uint8Array[] } | null;
  /** values of a typed field that was written unpacked, or taken from an already decoded message */
  values: number[] | null;
  /** data stored outside the file */
  external: boolean;
}

export interface ValueInfo {
  name: string;
  /** per dimension: a size, a symbolic name, or null when unknown; null when the rank is unknown */
  dims: Array<number | string | null> | null;
  elemType: number;
}

export interface GraphData {
  name: string;
  nodes: onnx.NodeProto[];
  initializers: Map<string, TensorRef>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
}

export interface ModelData {
  irVersion: number;
  producer: string;
  /** opset version per domain ('' is ai.onnx) */
  opsets: Map<string, number>;
  graph: GraphData | null;
}

function tensorRef(reader: Reader, end: number): TensorRef {
  const t: TensorRef = { name: '', dims: [], dataType: 0, raw: null, packed: null, values: null, external: false };
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        if (wire === 2) {
          const e = reader.uint32() + reader.pos;
          while (reader.pos < e) t.dims.push(num(reader.int64() as unknown as LongLike));
        } else t.dims.push(num(reader.int64() as unknown as LongLike));
        break;
      case 2:
        t.dataType = reader.int32();
        break;
      case 8:
        t.name = reader.string();
        break;
      case 9:
        t.raw = reader.bytes();
        break;
      case 14:
        if (reader.int32() === 1) t.external = true;
        break;
      case 4:
      case 5:
      case 7:
      case 10:
      case 11:
        if (wire === 2) {
          const chunk = reader.bytes();
          if (!t.packed || t.packed.field !== field) t.packed = { field, chunks: [] };
          t.packed.chunks.push(chunk);
        } else {
          (t.values ??= []).push(readScalar(reader, field));
        }
        break;
      default:
        reader.skipType(wire);
    }
  }
  return t;
}

function readScalar(reader: Reader, field: number): number {
  switch (field) {
    case 4:
      return reader.float();
    case 5:
      return reader.int32();
    case 7:
      return num(reader.int64() as unknown as LongLike);
    case 10:
      return reader.double();
    default:
      return num(reader.uint64() as unknown as LongLike);
  }
}

/** A TensorRef of a tensor onnx-proto already decoded (a Constant node's value attribute). */
export function tensorRefOf(t: onnx.ITensorProto): TensorRef {
  const dims = (t.dims ?? []).map((d) => num(d as unknown as LongLike));
  let values: number[] | null = null;
  if (t.floatData && t.floatData.length) values = t.floatData.slice();
  else if (t.int32Data && t.int32Data.length) values = t.int32Data.slice();
  else if (t.int64Data && t.int64Data.length) values = t.int64Data.map((v) => num(v as unknown as LongLike));
  else if (t.doubleData && t.doubleData.length) values = t.doubleData.slice();
  else if (t.uint64Data && t.uint64Data.length) values = t.uint64Data.map((v) => num(v as unknown as LongLike));
  return {
    name: t.name ?? '',
    dims,
    dataType: t.dataType ?? 0,
    raw: t.rawData && t.rawData.length ? t.rawData : null,
    packed: null,
    values,
    external: t.dataLocation === 1,
  };
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((p, n) => p * n, 1);
}

/**
 * The values of a tensor as numbers, when it holds at most `limit` of them
 * (shape-like tensors: pads, scales, sizes, shapes, axes). Null for larger,
 * external or undecodable tensors.
 */
export function tensorValues(t: TensorRef, limit = 4096): number[] | null {
  const count = elementCount(t.dims);
  if (!(count <= limit) || t.external) return null;
  if (t.values) return t.values.length === count || count === 0 ? t.values.slice(0, count) : t.values.length === 1 && count === 1 ? t.values : null;
  if (t.raw) return rawValues(t.raw, t.dataType, count);
  if (t.packed) {
    const out: number[] = [];
    for (const chunk of t.packed.chunks) {
      const r = Reader.create(chunk);
      while (r.pos < r.len && out.length <= count) {
        out.push(readPackedElement(r, t.packed.field, t.dataType));
      }
    }
    return out.length === count ? out : null;
  }
  return count === 0 ? [] : null;
}

function readPackedElement(r: Reader, field: number, dataType: number): number {
  if (field === 5) {
    const v = r.int32();
    // int32_data also holds float16, bool, int8/16, uint8/16 values
    return dataType === DT.FLOAT16 ? half(v & 0xffff) : v;
  }
  return readScalar(r, field);
}

function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const f = bits & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function rawValues(raw: Uint8Array, dataType: number, count: number): number[] | null {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const width: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 };
  const w = width[dataType];
  if (!w || raw.byteLength < w * count) return null;
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const o = i * w;
    switch (dataType) {
      case DT.FLOAT:
        out[i] = view.getFloat32(o, true);
        break;
      case DT.UINT8:
      case DT.BOOL:
        out[i] = view.getUint8(o);
        break;
      case DT.INT8:
        out[i] = view.getInt8(o);
        break;
      case DT.UINT16:
        out[i] = view.getUint16(o, true);
        break;
      case DT.INT16:
        out[i] = view.getInt16(o, true);
        break;
      case DT.INT32:
        out[i] = view.getInt32(o, true);
        break;
      case DT.INT64:
        out[i] = Number(view.getBigInt64(o, true));
        break;
      case DT.FLOAT16:
        out[i] = half(view.getUint16(o, true));
        break;
      case DT.DOUBLE:
        out[i] = view.getFloat64(o, true);
        break;
      case DT.UINT32:
        out[i] = view.getUint32(o, true);
        break;
      case DT.UINT64:
        out[i] = Number(view.getBigUint64(o, true));
        break;
    }
  }
  return out;
}

function valueInfo(v: onnx.ValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const shape = tt?.shape;
  let dims: ValueInfo['dims'] = null;
  if (shape && Object.prototype.hasOwnProperty.call(tt, 'shape')) {
    dims = (shape.dim ?? []).map((d) => {
      if (Object.prototype.hasOwnProperty.call(d, 'dimValue')) return num(d.dimValue as unknown as LongLike);
      if (d.dimParam) return d.dimParam;
      return null;
    });
  }
  return { name: v.name ?? '', dims, elemType: tt?.elemType ?? 0 };
}

function graphData(reader: Reader, end: number): GraphData {
  const g: GraphData = { name: '', nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: [] };
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) {
      reader.skipType(wire);
      continue;
    }
    switch (field) {
      case 1:
        g.nodes.push(onnx.NodeProto.decode(reader, reader.uint32()));
        break;
      case 2:
        g.name = reader.string();
        break;
      case 5: {
        const len = reader.uint32();
        const t = tensorRef(reader, reader.pos + len);
        g.initializers.set(t.name, t);
        break;
      }
      case 11:
        g.inputs.push(valueInfo(onnx.ValueInfoProto.decode(reader, reader.uint32())));
        break;
      case 12:
        g.outputs.push(valueInfo(onnx.ValueInfoProto.decode(reader, reader.uint32())));
        break;
      case 13:
        g.valueInfo.push(valueInfo(onnx.ValueInfoProto.decode(reader, reader.uint32())));
        break;
      default:
        reader.skipType(wire);
    }
  }
  if (reader.pos !== end) throw new Error('graph message overruns its length');
  return g;
}

/** Decodes a ModelProto; throws (protobufjs's errors) on malformed bytes. */
export function decodeModel(bytes: Uint8Array): ModelData {
  const reader = Reader.create(bytes);
  const model: ModelData = { irVersion: 0, producer: '', opsets: new Map(), graph: null };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) throw new Error(`invalid field number at byte ${reader.pos}`);
    if (field === 1 && wire === 0) model.irVersion = num(reader.int64() as unknown as LongLike);
    else if (field === 2 && wire === 2) model.producer = reader.string();
    else if (field === 8 && wire === 2) {
      const o = onnx.OperatorSetIdProto.decode(reader, reader.uint32());
      model.opsets.set(o.domain ?? '', num(o.version as unknown as LongLike));
    } else if (field === 7 && wire === 2) {
      const len = reader.uint32();
      model.graph = graphData(reader, reader.pos + len);
    } else reader.skipType(wire);
  }
  return model;
}

/** Attribute values, read by name. */
export class Attrs {
  private readonly map = new Map<string, onnx.IAttributeProto>();
  constructor(node: onnx.INodeProto) {
    for (const a of node.attribute ?? []) if (a.name) this.map.set(a.name, a);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
  int(name: string): number | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (own(a, 'i')) return num(a.i as unknown as LongLike);
    if (own(a, 'f')) return a.f ?? undefined;
    return undefined;
  }
  float(name: string): number | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (own(a, 'f')) return a.f ?? undefined;
    if (own(a, 'i')) return num(a.i as unknown as LongLike);
    return undefined;
  }
  ints(name: string): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (a.ints && a.ints.length) return a.ints.map((v) => num(v as unknown as LongLike));
    if (a.floats && a.floats.length) return a.floats.slice();
    if (own(a, 'i')) return [num(a.i as unknown as LongLike)];
    // an empty list attribute
    return a.type === 7 || a.type === 6 ? [] : undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (a.floats && a.floats.length) return a.floats.slice();
    if (a.ints && a.ints.length) return a.ints.map((v) => num(v as unknown as LongLike));
    if (own(a, 'f')) return [a.f ?? 0];
    return a.type === 7 || a.type === 6 ? [] : undefined;
  }
  string(name: string): string | undefined {
    const a = this.map.get(name);
    if (!a || !a.s || !own(a, 's')) return undefined;
    return new TextDecoder('utf-8').decode(a.s);
  }
  tensor(name: string): onnx.ITensorProto | undefined {
    const a = this.map.get(name);
    return a && own(a, 't') && a.t ? a.t : undefined;
  }
}

function own(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}
