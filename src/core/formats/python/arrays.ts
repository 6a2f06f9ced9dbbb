/**
 * Constant tensors: tensors that carry no input pixels (`torch.arange(16) *
 * 27.89 + 48`, an `nn.Parameter`, a registered buffer). Their values are
 * known when every input is (RegNet computes its stage widths this way), else
 * only their shape, or nothing but the fact that they hold no pixels. PyTorch's
 * dtype promotion is followed (an int64 tensor times a Python float is
 * float32; float32 results are rounded to float32), so `.int().tolist()`
 * gives what PyTorch gives.
 *
 * Bounded: values are kept for at most MAX_ELEMENTS elements (larger tensors
 * keep their shape only) and every operation charges its element count to
 * the interpreter's step budget, so no source makes it allocate or loop
 * without end.
 */
import {
  bool,
  int,
  isSeq,
  list,
  NONE,
  num,
  tuple,
  unknown,
  type ArrayValue,
  type BuiltinFn,
  type DType,
  type Value,
} from './values';

/** Largest tensor whose values are kept. */
export const MAX_ELEMENTS = 1 << 16;
/** Largest rank kept. */
const MAX_RANK = 8;

export type Charge = (elements: number) => void;

type Shape = Array<number | null>;

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}
function category(d: DType): number {
  return d === 'bool' ? 0 : isFloat(d) ? 2 : 1;
}

function size(shape: Shape | null): number | null {
  if (!shape) return null;
  let n = 1;
  for (const d of shape) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}

/** Values stored as the dtype holds them: float32 rounded, int32 wrapped, bool 0/1. */
function store(d: DType, v: number): number {
  switch (d) {
    case 'float32':
      return Math.fround(v);
    case 'int32':
      return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case 'int64':
      return Number.isFinite(v) ? Math.trunc(v) : 0;
    case 'bool':
      return v !== 0 && !Number.isNaN(v) ? 1 : 0;
    default:
      return v;
  }
}

export function makeArray(shape: Shape | null, dtype: DType, data: ArrayLike<number> | null): ArrayValue {
  const n = size(shape);
  const keep = data && n !== null && n <= MAX_ELEMENTS && data.length === n;
  let d: Float64Array | null = null;
  if (keep) {
    d = new Float64Array(n);
    for (let i = 0; i < n; i++) d[i] = store(dtype, data[i]!);
  }
  return { k: 'array', shape: shape ? shape.slice() : null, dtype, data: d };
}

/** A tensor of known shape and unknown values (torch.randn, torch.empty, a trained weight). */
export function shapeOnly(shape: Shape | null, dtype: DType = 'float32'): ArrayValue {
  return { k: 'array', shape: shape ? shape.slice() : null, dtype, data: null };
}

export function scalarArray(v: number, dtype: DType): ArrayValue {
  return makeArray([], dtype, [v]);
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** The Python value of one element. */
function pyNum(d: DType, v: number): Value {
  if (d === 'bool') return bool(v !== 0);
  if (isFloat(d)) return num(v, false);
  return int(v);
}

export const DTYPES: Record<string, DType> = {
  'torch.float32': 'float32',
  'torch.float': 'float32',
  'torch.float16': 'float32',
  'torch.half': 'float32',
  'torch.bfloat16': 'float32',
  'torch.float64': 'float64',
  'torch.double': 'float64',
  'torch.int64': 'int64',
  'torch.long': 'int64',
  'torch.int32': 'int32',
  'torch.int': 'int32',
  'torch.int16': 'int32',
  'torch.int8': 'int32',
  'torch.uint8': 'int32',
  'torch.bool': 'bool',
};

export function dtypeName(d: DType): string {
  return `torch.${d}`;
}

export function dtypeOf(v: Value | undefined): DType | null {
  if (!v || v.k !== 'str') return null;
  return DTYPES[v.v] ?? null;
}

// ----- values from Python -----

/** A Python number, bool, nested list/tuple of them or a tensor, as a tensor (torch.tensor / torch.as_tensor). */
export function fromValue(v: Value, dtype: DType | null, charge: Charge): ArrayValue | null {
  if (v.k === 'array') return dtype ? cast(v, dtype) : v;
  const shape: number[] = [];
  const flat: number[] = [];
  let cat = 0;
  let isFloat64 = false;
  const walk = (x: Value, depth: number): boolean => {
    if (flat.length > MAX_ELEMENTS || depth > MAX_RANK) return false;
    if (x.k === 'num' || x.k === 'bool') {
      if (depth !== shape.length) return false;
      flat.push(x.k === 'bool' ? (x.v ? 1 : 0) : x.v);
      cat = Math.max(cat, x.k === 'bool' ? 0 : x.int ? 1 : 2);
      return true;
    }
    if (x.k === 'array' && x.data && x.shape && x.shape.length === 0) {
      if (depth !== shape.length) return false;
      flat.push(x.data[0]!);
      cat = Math.max(cat, category(x.dtype));
      if (x.dtype === 'float64') isFloat64 = true;
      return true;
    }
    if (!isSeq(x)) return false;
    if (depth === shape.length) shape.push(x.items.length);
    else if (shape[depth] !== x.items.length) return false;
    for (const it of x.items) if (!walk(it, depth + 1)) return false;
    return true;
  };
  if (!walk(v, 0)) return null;
  charge(flat.length);
  const d: DType = dtype ?? (cat === 0 && flat.length > 0 ? 'bool' : cat === 2 ? (isFloat64 ? 'float64' : 'float32') : 'int64');
  return makeArray(shape, d, flat);
}

function scalarOf(v: Value): { v: number; cat: number } | null {
  if (v.k === 'num') return { v: v.v, cat: v.int ? 1 : 2 };
  if (v.k === 'bool') return { v: v.v ? 1 : 0, cat: 0 };
  return null;
}

/** The number of a Python scalar or a one-element tensor with a known value. */
/**
 * Python's slice.indices(n): the start, stop and step a slice means on n
 * positions (negative bounds counted from the end, clamped), or null when a
 * bound is not a known number or the step is 0.
 */
export function sliceBounds(s: { start: Value; stop: Value; step: Value }, n: number, numeric: (v: Value) => number | null): { start: number; stop: number; step: number } | null {
  const numOr = (v: Value, d: number): number | null => (v.k === 'none' ? d : numeric(v));
  const step = numOr(s.step, 1);
  if (step === null || step === 0) return null;
  let start = numOr(s.start, step > 0 ? 0 : n - 1);
  let stop = numOr(s.stop, step > 0 ? n : -n - 1);
  if (start === null || stop === null) return null;
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (step > 0) {
    start = Math.max(0, Math.min(start, n));
    stop = Math.max(0, Math.min(stop, n));
  } else {
    start = Math.max(-1, Math.min(start, n - 1));
    stop = Math.max(-1, Math.min(stop, n - 1));
  }
  return { start, stop, step };
}

export function numberOf(v: Value | undefined): number | null {
  if (!v) return null;
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  if (v.k === 'array' && v.data && v.data.length === 1) return v.data[0]!;
  return null;
}

/** Known sizes from `f(2, 3)` or `f((2, 3))` or `f([2, 3])`; null entries where a size is not known. */
export function sizesOf(args: Value[], allowMinusOne = false): Shape | null {
  const items = args.length === 1 && isSeq(args[0]!) ? (args[0] as { items: Value[] }).items : args;
  if (items.length > MAX_RANK) return null;
  const out: Shape = [];
  for (const it of items) {
    const n = numberOf(it);
    if (n !== null && (!Number.isInteger(n) || (n < 0 && !(allowMinusOne && n === -1)))) return null;
    if (n === null && it.k !== 'dim' && it.k !== 'unknown') return null;
    out.push(n);
  }
  return out;
}

// ----- element-wise -----

function broadcast(a: Shape | null, b: Shape | null): Shape | null | 'error' {
  if (!a || !b) return null;
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const x = i - (n - a.length) >= 0 ? a[i - (n - a.length)]! : 1;
    const y = i - (n - b.length) >= 0 ? b[i - (n - b.length)]! : 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === null || y === null) out.push(x ?? y);
    else if (x === y) out.push(x);
    else return 'error';
  }
  return out;
}

/** Flat source index in `shape` of every element of the broadcast `out`. */
function broadcastIndex(shape: number[], out: number[]): Int32Array {
  const n = out.reduce((p, x) => p * x, 1);
  const idx = new Int32Array(n);
  const st = strides(shape);
  const off = out.length - shape.length;
  const pos = new Array<number>(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let a = 0; a < shape.length; a++) if (shape[a] !== 1) s += pos[a + off]! * st[a]!;
    idx[i] = s;
    for (let a = out.length - 1; a >= 0; a--) {
      if (++pos[a]! < out[a]!) break;
      pos[a] = 0;
    }
  }
  return idx;
}

interface Operand {
  shape: Shape | null;
  data: ArrayLike<number> | null;
  dtype: DType;
  /** a Python scalar or a 0-d tensor: takes part in promotion by category only */
  weak: boolean;
  /** a Python scalar (float: the default dtype float32) */
  python: boolean;
}

function operand(v: Value): Operand | null {
  if (v.k === 'array') return { shape: v.shape, data: v.data, dtype: v.dtype, weak: !!v.shape && v.shape.length === 0, python: false };
  const s = scalarOf(v);
  if (!s) return null;
  return { shape: [], data: [s.v], dtype: s.cat === 0 ? 'bool' : s.cat === 1 ? 'int64' : 'float64', weak: true, python: true };
}

/** PyTorch's result dtype of two operands: a dimensioned tensor outranks a 0-d tensor, which outranks a Python scalar; a lower one of a higher category still lifts the result. */
function promote(a: Operand, b: Operand): DType {
  const rank = (d: DType) => ['bool', 'int32', 'int64', 'float32', 'float64'].indexOf(d);
  const level = (o: Operand) => (o.python ? 0 : o.weak ? 1 : 2);
  if (level(a) === level(b)) return rank(a.dtype) >= rank(b.dtype) ? a.dtype : b.dtype;
  const [hi, lo] = level(a) > level(b) ? [a, b] : [b, a];
  if (category(lo.dtype) <= category(hi.dtype)) return hi.dtype;
  if (lo.python) return category(lo.dtype) === 2 ? 'float32' : 'int64';
  return lo.dtype;
}

const COMPARE = new Set(['==', '!=', '<', '>', '<=', '>=']);

function apply2(op: string, x: number, y: number, intLike: boolean): number | null {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    case '//':
      if (intLike && y === 0) return null;
      return Math.floor(x / y);
    case '%':
      if (intLike && y === 0) return null;
      return x - y * Math.floor(x / y);
    case '**':
      if (intLike && y < 0) return null;
      return x ** y;
    case '==':
      return x === y ? 1 : 0;
    case '!=':
      return x !== y ? 1 : 0;
    case '<':
      return x < y ? 1 : 0;
    case '>':
      return x > y ? 1 : 0;
    case '<=':
      return x <= y ? 1 : 0;
    case '>=':
      return x >= y ? 1 : 0;
    case '&':
      return x & y;
    case '|':
      return x | y;
    case '^':
      return x ^ y;
    case 'max':
      return Math.max(x, y);
    case 'min':
      return Math.min(x, y);
    case 'fmod':
      return y === 0 ? (intLike ? null : NaN) : x % y;
    case 'atan2':
      return Math.atan2(x, y);
    default:
      return null;
  }
}

/** A binary operator with a constant tensor operand and no traced one; null when the operands are not numbers or tensors. */
export function arrayBinary(op: string, av: Value, bv: Value, charge: Charge): Value | null {
  const a = operand(av);
  const b = operand(bv);
  if (!a || !b) return null;
  let compute = promote(a, b);
  // true division of integers computes in the default float dtype
  if (op === '/' && !isFloat(compute)) compute = 'float32';
  const dtype: DType = COMPARE.has(op) ? 'bool' : compute;
  if ((op === '&' || op === '|' || op === '^') && isFloat(compute)) return unknown(`operator ${op} on float tensors`);
  const shape = broadcast(a.shape, b.shape);
  if (shape === 'error') return unknown('tensors of shapes that do not broadcast');
  const n = size(shape);
  if (!a.data || !b.data || n === null || n > MAX_ELEMENTS) return shapeOnly(shape, dtype);
  charge(n);
  const as = a.shape as number[];
  const bs = b.shape as number[];
  const out = shape as number[];
  const ia = broadcastIndex(as, out);
  const ib = broadcastIndex(bs, out);
  // operands are cast to the computation's dtype first (a Python float 27.89 meets a float32 tensor as float32)
  const res = new Float64Array(n);
  const intLike = !isFloat(compute);
  for (let i = 0; i < n; i++) {
    const r = apply2(op, store(compute, a.data[ia[i]!]!), store(compute, b.data[ib[i]!]!), intLike);
    if (r === null) return unknown(op === '**' ? 'integer tensor to a negative power' : 'integer division by zero');
    res[i] = r;
  }
  return makeArray(out, dtype, res);
}

/** Round half to even, as torch.round. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const UNARY: Record<string, { f: (x: number) => number; float: boolean }> = {
  log: { f: Math.log, float: true },
  log2: { f: Math.log2, float: true },
  log10: { f: Math.log10, float: true },
  log1p: { f: Math.log1p, float: true },
  exp: { f: Math.exp, float: true },
  exp2: { f: (x) => 2 ** x, float: true },
  expm1: { f: Math.expm1, float: true },
  sqrt: { f: Math.sqrt, float: true },
  rsqrt: { f: (x) => 1 / Math.sqrt(x), float: true },
  reciprocal: { f: (x) => 1 / x, float: true },
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), float: true },
  sin: { f: Math.sin, float: true },
  cos: { f: Math.cos, float: true },
  tan: { f: Math.tan, float: true },
  tanh: { f: Math.tanh, float: true },
  atan: { f: Math.atan, float: true },
  erf: { f: erf, float: true },
  abs: { f: Math.abs, float: false },
  neg: { f: (x) => -x, float: false },
  negative: { f: (x) => -x, float: false },
  square: { f: (x) => x * x, float: false },
  sign: { f: (x) => Math.sign(x), float: false },
  round: { f: roundHalfEven, float: false },
  floor: { f: Math.floor, float: false },
  ceil: { f: Math.ceil, float: false },
  trunc: { f: Math.trunc, float: false },
  fix: { f: Math.trunc, float: false },
  frac: { f: (x) => x - Math.trunc(x), float: false },
  relu: { f: (x) => Math.max(0, x), float: false },
  logical_not: { f: (x) => (x === 0 ? 1 : 0), float: false },
  bitwise_not: { f: (x) => ~x, float: false },
};

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse for exact results; a series is enough for the values models use
  const t = Math.abs(x);
  if (t > 6) return Math.sign(x);
  let sum = 0;
  let term = t;
  for (let n = 0; n < 200; n++) {
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    term *= (-t * t) / (n + 1);
  }
  return (Math.sign(x) * 2 * sum) / Math.sqrt(Math.PI);
}

export function isUnaryName(name: string): boolean {
  return name in UNARY;
}

export function arrayUnary(name: string, a: ArrayValue, charge: Charge): ArrayValue {
  const u = UNARY[name]!;
  let dtype = a.dtype;
  if (u.float && !isFloat(dtype)) dtype = 'float32';
  if (name === 'logical_not') dtype = 'bool';
  if (!a.data) return shapeOnly(a.shape, dtype);
  charge(a.data.length);
  const src = dtype === a.dtype ? a.data : Array.from(a.data, (v) => store(dtype, v));
  return makeArray(a.shape, dtype, Array.from(src, u.f));
}

export function cast(a: ArrayValue, dtype: DType): ArrayValue {
  if (!a.data) return shapeOnly(a.shape, dtype);
  return makeArray(a.shape, dtype, a.data);
}

export function clamp(a: ArrayValue, lo: number | null, hi: number | null, charge: Charge, loFloat = false, hiFloat = false): ArrayValue {
  const dtype: DType = !isFloat(a.dtype) && (loFloat || hiFloat) ? 'float32' : a.dtype;
  if (!a.data) return shapeOnly(a.shape, dtype);
  charge(a.data.length);
  return makeArray(a.shape, dtype, Array.from(a.data, (v) => {
    let r = v;
    if (lo !== null) r = Math.max(r, lo);
    if (hi !== null) r = Math.min(r, hi);
    return r;
  }));
}

// ----- creation -----

export function full(shape: Shape | null, value: number, dtype: DType, charge: Charge): ArrayValue {
  const n = size(shape);
  if (n === null || n > MAX_ELEMENTS) return shapeOnly(shape, dtype);
  charge(n);
  return makeArray(shape, dtype, new Float64Array(n).fill(value));
}

export function arange(start: number, end: number, step: number, dtype: DType, charge: Charge): ArrayValue | null {
  if (step === 0 || !Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(step)) return null;
  const n = Math.max(0, Math.ceil((end - start) / step));
  if (n > MAX_ELEMENTS) return shapeOnly([n], dtype);
  charge(n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return makeArray([n], dtype, out);
}

/** torch.linspace: start + i*step for the first half, end - (steps-1-i)*step for the rest (symmetric, as PyTorch's kernel). */
export function linspace(start: number, end: number, steps: number, dtype: DType, charge: Charge): ArrayValue | null {
  if (!Number.isInteger(steps) || steps < 0) return null;
  if (steps > MAX_ELEMENTS) return shapeOnly([steps], dtype);
  charge(steps);
  const out = new Float64Array(steps);
  if (steps === 1) out[0] = start;
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps && steps > 1; i++) out[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return makeArray([steps], dtype, out);
}

export function eye(n: number, m: number, dtype: DType, charge: Charge): ArrayValue {
  if (n * m > MAX_ELEMENTS) return shapeOnly([n, m], dtype);
  charge(n * m);
  const out = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) out[i * m + i] = 1;
  return makeArray([n, m], dtype, out);
}

// ----- shape -----

function normDim(d: number, rank: number): number | null {
  const r = d < 0 ? d + rank : d;
  return r >= 0 && r < Math.max(rank, 1) ? r : null;
}

/** Elements reordered by a gather of flat indices into a new shape. */
function gather(a: ArrayValue, shape: number[], idx: ArrayLike<number>, charge: Charge): ArrayValue {
  if (!a.data) return shapeOnly(shape, a.dtype);
  charge(idx.length);
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = a.data[idx[i]!]!;
  return makeArray(shape, a.dtype, out);
}

export function reshape(a: ArrayValue, sizes: Shape): Value {
  const n = size(a.shape);
  const minus = sizes.filter((s) => s === -1).length;
  if (minus > 1) return unknown('reshape with two -1');
  const out = sizes.slice();
  if (minus === 1) {
    const rest = size(sizes.filter((s) => s !== -1));
    const i = sizes.indexOf(-1);
    out[i] = n !== null && rest !== null && rest > 0 ? n / rest : null;
    if (out[i] !== null && !Number.isInteger(out[i])) return unknown('reshape to a shape of another size');
  }
  if (out.some((s) => s !== null && s < 0)) return unknown('reshape to a negative size');
  const m = size(out);
  if (n !== null && m !== null && n !== m) return unknown(`reshape of ${n} elements to ${m}`);
  return a.data && m !== null ? makeArray(out, a.dtype, a.data) : shapeOnly(out, a.dtype);
}

export function flatten(a: ArrayValue, start: number, end: number): Value {
  if (!a.shape) return shapeOnly(null, a.dtype);
  const r = a.shape.length;
  if (r === 0) return reshape(a, [1]);
  const s = normDim(start, r);
  const e = normDim(end, r);
  if (s === null || e === null || e < s) return unknown('flatten of missing axes');
  const mid = size(a.shape.slice(s, e + 1));
  return reshape(a, [...a.shape.slice(0, s), mid, ...a.shape.slice(e + 1)]);
}

export function unsqueeze(a: ArrayValue, dim: number): Value {
  if (!a.shape) return shapeOnly(null, a.dtype);
  const r = a.shape.length + 1;
  const d = normDim(dim, r);
  if (d === null) return unknown('unsqueeze of a missing axis');
  const s = a.shape.slice();
  s.splice(d, 0, 1);
  return { ...a, shape: s };
}

export function squeeze(a: ArrayValue, dim: number | null): Value {
  if (!a.shape) return shapeOnly(null, a.dtype);
  if (dim === null) {
    if (a.shape.some((s) => s === null)) return shapeOnly(null, a.dtype);
    return { ...a, shape: a.shape.filter((s) => s !== 1) };
  }
  const d = normDim(dim, a.shape.length);
  if (d === null) return unknown('squeeze of a missing axis');
  if (a.shape[d] !== 1) return a;
  const s = a.shape.slice();
  s.splice(d, 1);
  return { ...a, shape: s };
}

export function permute(a: ArrayValue, dims: number[], charge: Charge): Value {
  if (!a.shape) return shapeOnly(null, a.dtype);
  const r = a.shape.length;
  const ds = dims.map((d) => normDim(d, r));
  if (ds.length !== r || ds.some((d) => d === null) || new Set(ds).size !== r) return unknown('permute with dims that do not match the tensor');
  const out = ds.map((d) => a.shape![d!]!);
  if (!a.data) return shapeOnly(out, a.dtype);
  const inShape = a.shape as number[];
  const st = strides(inShape);
  const n = a.data.length;
  const idx = new Int32Array(n);
  const pos = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < r; k++) s += pos[k]! * st[ds[k]!]!;
    idx[i] = s;
    for (let k = r - 1; k >= 0; k--) {
      if (++pos[k]! < (out[k] as number)) break;
      pos[k] = 0;
    }
  }
  return gather(a, out as number[], idx, charge);
}

export function transpose(a: ArrayValue, d0: number, d1: number, charge: Charge): Value {
  if (!a.shape) return shapeOnly(null, a.dtype);
  const r = a.shape.length;
  if (r < 2 && d0 === 0 && d1 === (r === 0 ? 0 : -1)) return a;
  const x = normDim(d0, r);
  const y = normDim(d1, r);
  if (x === null || y === null) return unknown('transpose of missing axes');
  const dims = a.shape.map((_, i) => i);
  dims[x] = y;
  dims[y] = x;
  return permute(a, dims, charge);
}

export function expand(a: ArrayValue, sizes: Shape, charge: Charge): Value {
  if (!a.shape) return shapeOnly(null, a.dtype);
  const off = sizes.length - a.shape.length;
  if (off < 0) return unknown('expand to fewer axes');
  const out: Shape = sizes.map((s, i) => {
    const own = i >= off ? a.shape![i - off]! : 1;
    return s === -1 ? own : s;
  });
  const b = broadcast(a.shape, out);
  if (b === 'error') return unknown('expand to a shape that does not broadcast');
  const n = size(out);
  if (!a.data || n === null || n > MAX_ELEMENTS) return shapeOnly(out, a.dtype);
  return gather(a, out as number[], broadcastIndex(a.shape as number[], out as number[]), charge);
}

export function repeat(a: ArrayValue, reps: Shape, charge: Charge): Value {
  if (!a.shape) return shapeOnly(null, a.dtype);
  if (reps.length < a.shape.length) return unknown('repeat with fewer sizes than axes');
  const inShape = [...new Array<number | null>(reps.length - a.shape.length).fill(1), ...a.shape];
  const out = inShape.map((s, i) => (s === null || reps[i] === null ? null : s * reps[i]!));
  const n = size(out);
  if (!a.data || n === null || n > MAX_ELEMENTS) return shapeOnly(out, a.dtype);
  const ins = inShape as number[];
  const st = strides(ins);
  const idx = new Int32Array(n);
  const pos = new Array<number>(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < out.length; k++) s += (pos[k]! % ins[k]!) * st[k]!;
    idx[i] = s;
    for (let k = out.length - 1; k >= 0; k--) {
      if (++pos[k]! < (out[k] as number)) break;
      pos[k] = 0;
    }
  }
  return gather(a, out as number[], idx, charge);
}

export function flip(a: ArrayValue, dims: number[], charge: Charge): Value {
  if (!a.shape || !a.data) return shapeOnly(a.shape, a.dtype);
  const shape = a.shape as number[];
  const r = shape.length;
  const ds = new Set(dims.map((d) => normDim(d, r)));
  if (ds.has(null)) return unknown('flip of a missing axis');
  const st = strides(shape);
  const n = a.data.length;
  const idx = new Int32Array(n);
  const pos = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < r; k++) s += (ds.has(k) ? shape[k]! - 1 - pos[k]! : pos[k]!) * st[k]!;
    idx[i] = s;
    for (let k = r - 1; k >= 0; k--) {
      if (++pos[k]! < shape[k]!) break;
      pos[k] = 0;
    }
  }
  return gather(a, shape, idx, charge);
}

export function concat(items: ArrayValue[], dim: number, stack: boolean, charge: Charge): Value {
  if (items.length === 0) return unknown('cat() of no tensors');
  let parts = items;
  if (stack) {
    const us = items.map((a) => unsqueeze(a, dim));
    if (us.some((u) => u.k !== 'array')) return unknown('stack() along a missing axis');
    parts = us as ArrayValue[];
  }
  // PyTorch skips empty 1-D tensors in cat
  const kept = parts.filter((p) => !(p.shape && p.shape.length === 1 && p.shape[0] === 0));
  if (kept.length === 0) return parts[0]!;
  const rank = kept[0]!.shape?.length ?? null;
  let dtype = kept[0]!.dtype;
  for (const p of kept) dtype = promote({ ...p, weak: false, python: false }, { shape: null, data: null, dtype, weak: false, python: false });
  if (rank === null || kept.some((p) => !p.shape || p.shape.length !== rank)) return shapeOnly(null, dtype);
  const d = normDim(dim, rank);
  if (d === null) return unknown('cat() along a missing axis');
  const out: Shape = kept[0]!.shape!.slice();
  out[d] = 0;
  for (const p of kept) {
    for (let a = 0; a < rank; a++) {
      if (a === d) continue;
      if (p.shape![a] !== null && out[a] !== null && p.shape![a] !== out[a]) return unknown('cat() of tensors whose sizes differ');
      out[a] ??= p.shape![a]!;
    }
    out[d] = out[d] === null || p.shape![d] === null ? null : out[d]! + p.shape![d]!;
  }
  const n = size(out);
  if (n === null || n > MAX_ELEMENTS || kept.some((p) => !p.data)) return shapeOnly(out, dtype);
  charge(n);
  const outer = size(out.slice(0, d)) as number;
  const res = new Float64Array(n);
  let w = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of kept) {
      const inner = size(p.shape!.slice(d)) as number;
      for (let i = 0; i < inner; i++) res[w++] = p.data![o * inner + i]!;
    }
  }
  return makeArray(out, dtype, res);
}

// ----- reductions -----

/** sum, prod, mean, max, min, amax, amin, argmax, argmin, any, all over one axis or all; max/min with a dim give (values, indices). */
export function reduce(name: string, a: ArrayValue, dimV: Value | undefined, keepdim: boolean, charge: Charge): Value {
  const dtypeOut: DType =
    name === 'argmax' || name === 'argmin' ? 'int64' : name === 'any' || name === 'all' ? 'bool' : name === 'mean' ? (isFloat(a.dtype) ? a.dtype : 'float32') : (name === 'sum' || name === 'prod') && !isFloat(a.dtype) ? 'int64' : a.dtype;
  const dim = dimV && dimV.k !== 'none' ? numberOf(dimV) : null;
  if (dimV && dimV.k !== 'none' && dim === null) return unknown(`${name}() over axes that are not one known axis`);
  const fold = (vals: number[]): number => {
    switch (name) {
      case 'sum':
        return vals.reduce((s, v) => s + v, 0);
      case 'prod':
        return vals.reduce((s, v) => s * v, 1);
      case 'mean':
        return vals.reduce((s, v) => s + v, 0) / vals.length;
      case 'max':
      case 'amax':
        return Math.max(...vals);
      case 'min':
      case 'amin':
        return Math.min(...vals);
      case 'argmax':
        return vals.indexOf(Math.max(...vals));
      case 'argmin':
        return vals.indexOf(Math.min(...vals));
      case 'any':
        return vals.some((v) => v !== 0) ? 1 : 0;
      case 'all':
        return vals.every((v) => v !== 0) ? 1 : 0;
      default:
        return NaN;
    }
  };
  if (dim === null) {
    if (!a.data) return shapeOnly(keepdim && a.shape ? a.shape.map(() => 1) : [], dtypeOut);
    if (a.data.length === 0 && !['sum', 'prod', 'any', 'all'].includes(name)) return unknown(`${name}() of an empty tensor`);
    charge(a.data.length);
    const r = makeArray(keepdim && a.shape ? a.shape.map(() => 1) : [], dtypeOut, [fold(Array.from(a.data))]);
    return r;
  }
  if (!a.shape) return shapeOnly(null, dtypeOut);
  const r = a.shape.length;
  const d = normDim(dim, r);
  if (d === null) return unknown(`${name}() over a missing axis`);
  const out = a.shape.slice();
  if (keepdim) out[d] = 1;
  else out.splice(d, 1);
  const withIdx = name === 'max' || name === 'min';
  if (!a.data) return withIdx ? tuple([shapeOnly(out, a.dtype), shapeOnly(out, 'int64')]) : shapeOnly(out, dtypeOut);
  const shape = a.shape as number[];
  const len = shape[d]!;
  if (len === 0 && !['sum', 'prod', 'any', 'all'].includes(name)) return unknown(`${name}() of an empty axis`);
  const outer = size(shape.slice(0, d)) as number;
  const inner = size(shape.slice(d + 1)) as number;
  charge(a.data.length);
  const vals = new Float64Array(outer * inner);
  const idx = new Float64Array(outer * inner);
  const col: number[] = new Array<number>(len);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let k = 0; k < len; k++) col[k] = a.data[(o * len + k) * inner + i]!;
      vals[o * inner + i] = fold(col);
      if (withIdx) idx[o * inner + i] = col.indexOf(vals[o * inner + i]!);
    }
  }
  if (withIdx) return tuple([makeArray(out, a.dtype, vals), makeArray(out, 'int64', idx)]);
  return makeArray(out, dtypeOut, vals);
}

/** cumsum / cumprod / diff along one axis. */
export function scan(name: 'cumsum' | 'cumprod' | 'diff', a: ArrayValue, dim: number, charge: Charge): Value {
  const dtype: DType = name !== 'diff' && !isFloat(a.dtype) ? 'int64' : a.dtype;
  if (!a.shape) return shapeOnly(null, dtype);
  const r = a.shape.length;
  if (r === 0) return unknown(`${name}() of a 0-d tensor`);
  const d = normDim(dim, r);
  if (d === null) return unknown(`${name}() over a missing axis`);
  const out = a.shape.slice();
  if (name === 'diff') out[d] = out[d] === null ? null : Math.max(0, out[d]! - 1);
  if (!a.data) return shapeOnly(out, dtype);
  const shape = a.shape as number[];
  const len = shape[d]!;
  const outer = size(shape.slice(0, d)) as number;
  const inner = size(shape.slice(d + 1)) as number;
  charge(a.data.length);
  const olen = out[d] as number;
  const res = new Float64Array(outer * olen * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = name === 'cumprod' ? 1 : 0;
      for (let k = 0; k < olen; k++) {
        const at = (kk: number) => store(dtype, a.data![(o * len + kk) * inner + i]!);
        if (name === 'diff') res[(o * olen + k) * inner + i] = at(k + 1) - at(k);
        else {
          acc = store(dtype, name === 'cumsum' ? acc + at(k) : acc * at(k));
          res[(o * olen + k) * inner + i] = acc;
        }
      }
    }
  }
  return makeArray(out, dtype, res);
}

/** torch.unique (sorted) of all elements, flattened; with return_counts the counts too. */
export function unique(a: ArrayValue, counts: boolean, charge: Charge): Value {
  if (!a.data) return counts ? tuple([shapeOnly([null], a.dtype), shapeOnly([null], 'int64')]) : shapeOnly([null], a.dtype);
  charge(a.data.length);
  const m = new Map<number, number>();
  for (const v of a.data) m.set(v, (m.get(v) ?? 0) + 1);
  const keys = [...m.keys()].sort((x, y) => x - y);
  const u = makeArray([keys.length], a.dtype, keys);
  return counts ? tuple([u, makeArray([keys.length], 'int64', keys.map((k) => m.get(k)!))]) : u;
}

export function sort(a: ArrayValue, descending: boolean, charge: Charge): Value {
  if (!a.shape || a.shape.length !== 1 || !a.data) return tuple([shapeOnly(a.shape, a.dtype), shapeOnly(a.shape, 'int64')]);
  charge(a.data.length);
  const order = Array.from(a.data, (_, i) => i).sort((i, j) => (descending ? a.data![j]! - a.data![i]! : a.data![i]! - a.data![j]!) || i - j);
  return tuple([makeArray(a.shape, a.dtype, order.map((i) => a.data![i]!)), makeArray(a.shape, 'int64', order)]);
}

export function where(c: ArrayValue, x: Value, y: Value, charge: Charge): Value {
  const ox = operand(x);
  const oy = operand(y);
  if (!ox || !oy) return unknown('where() of values that are not tensors');
  const dtype = promote(ox, oy);
  const s1 = broadcast(c.shape, ox.shape);
  const shape = s1 === 'error' ? s1 : broadcast(s1, oy.shape);
  if (shape === 'error') return unknown('where() of shapes that do not broadcast');
  const n = size(shape);
  if (!c.data || !ox.data || !oy.data || n === null || n > MAX_ELEMENTS) return shapeOnly(shape, dtype);
  charge(n);
  const out = shape as number[];
  const ic = broadcastIndex(c.shape as number[], out);
  const ix = broadcastIndex(ox.shape as number[], out);
  const iy = broadcastIndex(oy.shape as number[], out);
  const res = new Float64Array(n);
  for (let i = 0; i < n; i++) res[i] = c.data[ic[i]!] ? ox.data[ix[i]!]! : oy.data[iy[i]!]!;
  return makeArray(out, dtype, res);
}

export function meshgrid(items: ArrayValue[], xy: boolean, charge: Charge): Value {
  if (items.some((a) => !a.shape || a.shape.length > 1)) return unknown('meshgrid() of tensors that are not 1-D');
  const lens = items.map((a) => (a.shape!.length === 0 ? 1 : a.shape![0]!));
  const shape = lens.slice();
  if (xy && shape.length >= 2) [shape[0], shape[1]] = [shape[1]!, shape[0]!];
  return tuple(
    items.map((a, i) => {
      const view: Shape = shape.map(() => 1);
      const at = xy && shape.length >= 2 && i < 2 ? 1 - i : i;
      view[at] = lens[i]!;
      const r = reshape(a, view);
      return r.k === 'array' ? expand(r, shape, charge) : r;
    }),
  );
}

// ----- indexing -----

interface Plan {
  shape: Shape;
  /** flat source index of every result element (null when the shape is not fully known) */
  idx: Int32Array | null;
}

/** Basic indexing (ints, slices, None, ...) plus at most one index tensor or list; null when it is not understood. */
function indexPlan(a: ArrayValue, index: Value, charge: Charge): Plan | null {
  if (!a.shape) return null;
  const items = index.k === 'tuple' ? index.items : [index];
  const used = items.filter((i) => i.k !== 'none' && i.k !== 'ellipsis').length;
  const ell = items.findIndex((i) => i.k === 'ellipsis');
  if (items.filter((i) => i.k === 'ellipsis').length > 1) return null;
  const rank = a.shape.length;
  if (used > rank) return null;
  const full: Value[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i === ell) for (let k = 0; k < rank - used; k++) full.push({ k: 'slice', start: NONE, stop: NONE, step: NONE });
    else full.push(items[i]!);
  }
  while (full.filter((i) => i.k !== 'none').length < rank) full.push({ k: 'slice', start: NONE, stop: NONE, step: NONE });
  // per result axis: the source axis and the source positions it walks; ints fix a position
  type Axis = { src: number; pos: number[] | null; len: number | null } | { newaxis: true } | { advanced: number[]; shape: Shape };
  const axes: Axis[] = [];
  const fixed: Array<{ src: number; at: number }> = [];
  let src = 0;
  let advanced = 0;
  for (const it of full) {
    if (it.k === 'none') {
      axes.push({ newaxis: true });
      continue;
    }
    const n = a.shape[src];
    if (it.k === 'slice') {
      if (n === null || n === undefined) {
        axes.push({ src, pos: null, len: null });
      } else {
        const b = sliceBounds(it, n, numberOf);
        if (!b) return null;
        const { start, stop, step } = b;
        // the length first: an axis of a shape-only tensor may hold 10**9 positions
        const len = Math.max(0, Math.ceil((stop - start) / step));
        const pos: number[] = [];
        if (len <= MAX_ELEMENTS) for (let i = 0; i < len; i++) pos.push(start + i * step);
        axes.push({ src, pos: len <= MAX_ELEMENTS ? pos : null, len });
      }
      src++;
      continue;
    }
    const k = numberOf(it);
    if (k !== null && (it.k === 'num' || it.k === 'bool' || (it.k === 'array' && it.shape?.length === 0 && !isFloat(it.dtype) && it.dtype !== 'bool'))) {
      if (n === null || n === undefined) return null;
      const at = k < 0 ? k + n : k;
      if (!Number.isInteger(at) || at < 0 || at >= n) return null;
      fixed.push({ src, at });
      src++;
      continue;
    }
    // an index tensor or list along this axis
    const t = it.k === 'array' ? it : isSeq(it) ? fromValue(it, null, charge) : null;
    if (!t || !t.shape || advanced++ > 0 || isFloat(t.dtype)) return null;
    if (n === null || n === undefined) return null;
    if (t.dtype === 'bool') {
      if (t.shape.length !== 1 || t.shape[0] !== n || !t.data) return null;
      const sel: number[] = [];
      t.data.forEach((v, i) => v && sel.push(i));
      axes.push({ src, pos: sel, len: sel.length });
    } else {
      if (!t.data) {
        axes.push({ advanced: [], shape: t.shape });
        (axes[axes.length - 1] as { src?: number }).src = src;
      } else {
        const pos = Array.from(t.data, (v) => (v < 0 ? v + n : v));
        if (pos.some((p) => p < 0 || p >= n)) return null;
        axes.push({ advanced: pos, shape: t.shape });
        (axes[axes.length - 1] as { src?: number }).src = src;
      }
    }
    src++;
  }
  const shape: Shape = [];
  for (const ax of axes) {
    if ('newaxis' in ax) shape.push(1);
    else if ('advanced' in ax) shape.push(...ax.shape);
    else shape.push(ax.len);
  }
  const n = size(shape);
  if (n === null || n > MAX_ELEMENTS || a.shape.some((s) => s === null) || axes.some((ax) => 'src' in ax && 'pos' in ax && ax.pos === null) || axes.some((ax) => 'advanced' in ax && ax.advanced.length === 0 && size(ax.shape) !== 0)) return { shape, idx: null };
  charge(n);
  const st = strides(a.shape as number[]);
  let base = 0;
  for (const f of fixed) base += f.at * st[f.src]!;
  // enumerate result positions axis by axis (advanced axes contribute one flattened walk)
  const walks: Array<{ offs: number[] }> = axes.map((ax) => {
    if ('newaxis' in ax) return { offs: [0] };
    const s = st[(ax as { src: number }).src]!;
    if ('advanced' in ax) return { offs: ax.advanced.map((p) => p * s) };
    return { offs: ax.pos!.map((p) => p * s) };
  });
  const idx = new Int32Array(n);
  let w = 0;
  const rec = (k: number, off: number) => {
    if (k === walks.length) {
      idx[w++] = off;
      return;
    }
    for (const o of walks[k]!.offs) rec(k + 1, off + o);
  };
  if (n > 0) rec(0, base);
  return { shape, idx };
}

export function getIndex(a: ArrayValue, index: Value, charge: Charge): Value {
  const plan = indexPlan(a, index, charge);
  if (!plan) return unknown('an index of a constant tensor that the reader does not follow');
  if (!plan.idx || !a.data) return shapeOnly(plan.shape, a.dtype);
  return gather(a, plan.shape as number[], plan.idx, charge);
}

/** `a[index] = value` in place; false when the index or value is not understood (the values are then forgotten). */
export function setIndex(a: ArrayValue, index: Value, value: Value, charge: Charge): boolean {
  const plan = indexPlan(a, index, charge);
  const v = operand(value);
  if (!plan || !plan.idx || !a.data || !v || !v.data) {
    a.data = null;
    return !!plan;
  }
  const b = broadcast(v.shape, plan.shape);
  if (b === 'error' || !v.shape || b!.length !== plan.shape.length || b!.some((x, i) => x !== plan.shape[i])) {
    a.data = null;
    return false;
  }
  const iv = broadcastIndex(v.shape as number[], plan.shape as number[]);
  for (let i = 0; i < plan.idx.length; i++) a.data[plan.idx[i]!] = store(a.dtype, v.data[iv[i]!]!);
  return true;
}

// ----- to Python -----

export function toList(a: ArrayValue, charge: Charge): Value {
  if (!a.data || !a.shape) return unknown('tolist() of a tensor whose values are not known');
  charge(a.data.length);
  const shape = a.shape as number[];
  const st = strides(shape);
  const build = (axis: number, off: number): Value => {
    if (axis === shape.length) return pyNum(a.dtype, a.data![off]!);
    const items: Value[] = [];
    for (let i = 0; i < shape[axis]!; i++) items.push(build(axis + 1, off + i * st[axis]!));
    return list(items);
  };
  return build(0, 0);
}

export function item(a: ArrayValue): Value {
  if (!a.data || a.data.length !== 1) return unknown(a.data ? 'item() of a tensor of several elements' : 'item() of a tensor whose value is not known');
  return pyNum(a.dtype, a.data[0]!);
}

/** The rows along the first axis (iteration), or null when not known. */
export function rows(a: ArrayValue, charge: Charge): Value[] | null {
  if (!a.shape || a.shape.length === 0 || a.shape[0] === null) return null;
  const n = a.shape[0]!;
  if (n > MAX_ELEMENTS) return null;
  charge(n);
  const out: Value[] = [];
  for (let i = 0; i < n; i++) out.push(getIndex(a, int(i), charge));
  return out;
}

export function truthOf(a: ArrayValue): boolean | null {
  if (!a.data || a.data.length !== 1) return null;
  return a.data[0] !== 0;
}

export function describe(a: ArrayValue): string {
  return `a constant tensor of shape ${a.shape ? `(${a.shape.map((s) => s ?? '?').join(', ')})` : '?'}`;
}

export type { BuiltinFn };
