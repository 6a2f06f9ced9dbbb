/**
 * torch's functions and tensor methods on constant tensors (arrays.ts):
 * `torch.arange`, `torch.tensor`, `torch.zeros`..., element-wise maths,
 * reductions, shape changes, `.tolist()`, `.item()`, and nn.Parameter /
 * nn.init, which keep a tensor pixel-free. Each function answers only when no
 * argument is a traced tensor; otherwise torch.ts models the call.
 */
import * as A from './arrays';
import type { Interp } from './interp';
import { bool, int, isSeq, NONE, str, tuple, unknown, type ArrayValue, type BuiltinFn, type CallSite, type DType, type Value } from './values';

/** torch functions this file answers for constant operands (besides those torch.ts lists). */
export const ARRAY_FUNCTIONS = [
  'arange', 'tensor', 'as_tensor', 'linspace', 'logspace', 'eye', 'zeros_like', 'ones_like', 'full_like', 'empty_like', 'rand_like', 'randn_like',
  'round', 'floor', 'ceil', 'trunc', 'log2', 'log10', 'log1p', 'expm1', 'rsqrt', 'reciprocal', 'sign', 'logical_not', 'atan2',
  'diff', 'cumsum', 'cumprod', 'prod', 'unique', 'divide', 'floor_divide', 'remainder', 'fmod', 'maximum', 'minimum', 'meshgrid', 'argsort', 'sort',
  'argmax', 'argmin', 'numel', 'any', 'all', 'flip', 'eq', 'ne', 'lt', 'gt', 'le', 'ge', 'is_floating_point',
];

const BINARY_NAMES: Record<string, string> = {
  add: '+', sub: '-', subtract: '-', mul: '*', multiply: '*', div: '/', divide: '/', true_divide: '/', floor_divide: '//', remainder: '%', fmod: 'fmod', pow: '**',
  eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=', maximum: 'max', minimum: 'min', atan2: 'atan2', bitwise_and: '&', bitwise_or: '|', logical_and: '&', logical_or: '|',
};

export function isArray(v: Value | undefined): v is ArrayValue {
  return !!v && v.k === 'array';
}

/** The known integer sizes of `f(2, 3)` / `f((2, 3))`, with null for sizes not known (x.size(0)); null when the call gives no shape. */
function shapeArgs(args: Value[], allowMinusOne = false): Array<number | null> | null {
  return A.sizesOf(args, allowMinusOne);
}

export class TorchArrays {
  constructor(readonly interp: Interp) {}

  private get charge(): A.Charge {
    return this.interp.charge;
  }

  private B(name: string, fn: BuiltinFn): Value {
    return { k: 'builtin', name, fn };
  }

  private dtypeArg(kw: Map<string, Value>, fallback: DType): DType {
    return A.dtypeOf(kw.get('dtype')) ?? fallback;
  }

  /** torch.zeros / ones / full / empty / rand / randn: values when they are fixed and small, else the shape only. */
  creation(name: string, args: Value[], kw: Map<string, Value>): Value {
    const sizeArgs = name === 'full' ? args.slice(0, 1) : name === 'randint' ? args.slice(-1) : args;
    const shape = shapeArgs(kw.has('size') ? [kw.get('size')!] : sizeArgs);
    if (!shape) return unknown(`torch.${name}() of sizes that are not known`);
    const fill = name === 'zeros' ? 0 : name === 'ones' ? 1 : name === 'full' ? A.numberOf(args[1] ?? kw.get('fill_value')) : null;
    const fillV = name === 'full' ? (args[1] ?? kw.get('fill_value')) : undefined;
    const dflt: DType = name === 'randint' ? 'int64' : name === 'full' && fillV && fillV.k === 'num' && fillV.int ? 'int64' : name === 'full' && fillV?.k === 'bool' ? 'bool' : 'float32';
    const dtype = this.dtypeArg(kw, dflt);
    if (fill === null) return A.shapeOnly(shape, dtype);
    return A.full(shape, fill, dtype, this.charge);
  }

  /** A torch function on constant operands; null when it is not one this file answers. */
  fn(name: string, args: Value[], kw: Map<string, Value>): Value | null {
    const charge = this.charge;
    const x = args[0] ?? kw.get('input');
    const arr = (v: Value | undefined): ArrayValue | null => (v ? (v.k === 'array' ? v : v.k === 'num' || v.k === 'bool' ? A.fromValue(v, null, charge) : null) : null);
    switch (name) {
      case 'arange': {
        const ns = args.map((a) => A.numberOf(a));
        const s = kw.has('start') || kw.has('end') ? [A.numberOf(kw.get('start') ?? int(0)), A.numberOf(kw.get('end')), A.numberOf(kw.get('step') ?? int(1))] : ns;
        if (s.length === 0 || s.some((n) => n === null)) return unknown('torch.arange() of bounds that are not known');
        const [start, end, step] = s.length === 1 ? [0, s[0]!, 1] : [s[0]!, s[1]!, (s[2] ?? 1)!];
        const allInt = [...args, ...kw.values()].every((v) => v.k !== 'num' || v.int);
        const r = A.arange(start, end, step, this.dtypeArg(kw, allInt ? 'int64' : 'float32'), charge);
        return r ?? unknown('torch.arange() with step 0');
      }
      case 'linspace':
      case 'logspace': {
        const [a, b, n] = [A.numberOf(args[0] ?? kw.get('start')), A.numberOf(args[1] ?? kw.get('end')), A.numberOf(args[2] ?? kw.get('steps'))];
        if (a === null || b === null || n === null) return unknown(`torch.${name}() of values that are not known`);
        const r = A.linspace(a, b, n, 'float64', charge);
        if (!r) return unknown(`torch.${name}() of a bad size`);
        const dtype = this.dtypeArg(kw, 'float32');
        if (name === 'logspace') {
          const base = A.numberOf(args[3] ?? kw.get('base')) ?? 10;
          return A.cast(A.arrayUnary('exp', A.arrayBinary('*', r, { k: 'num', v: Math.log(base), int: false }, charge) as ArrayValue, charge), dtype);
        }
        return A.cast(r, dtype);
      }
      case 'eye': {
        const n = A.numberOf(args[0]);
        const m = A.numberOf(args[1]) ?? n;
        if (n === null || m === null) return unknown('torch.eye() of sizes that are not known');
        return A.eye(n, m, this.dtypeArg(kw, 'float32'), charge);
      }
      case 'tensor':
      case 'as_tensor': {
        if (!x) return unknown(`torch.${name}()`);
        return A.fromValue(x, A.dtypeOf(kw.get('dtype')), charge) ?? unknown(`torch.${name}() of values that are not known`);
      }
      case 'zeros_like':
      case 'ones_like':
      case 'full_like':
      case 'empty_like':
      case 'rand_like':
      case 'randn_like': {
        const a = arr(x);
        if (!a) return null;
        const dtype = this.dtypeArg(kw, a.dtype);
        const fill = name === 'zeros_like' ? 0 : name === 'ones_like' ? 1 : name === 'full_like' ? A.numberOf(args[1] ?? kw.get('fill_value')) : null;
        return fill === null ? A.shapeOnly(a.shape, dtype) : A.full(a.shape, fill, dtype, charge);
      }
      case 'is_tensor':
        return bool(!!x && (x.k === 'array' || x.k === 'tensor'));
      case 'is_floating_point':
        return isArray(x) ? bool(A.isFloat(x.dtype)) : null;
      case 'numel': {
        const a = arr(x);
        if (!a) return null;
        const n = a.shape?.every((d) => d !== null) ? (a.shape as number[]).reduce((p, d) => p * d, 1) : null;
        return n === null ? unknown('numel() of a tensor of unknown size') : int(n);
      }
      case 'cat':
      case 'concat':
      case 'concatenate':
      case 'stack': {
        const seq = x ?? kw.get('tensors');
        const items = seq ? this.interp.iterate(seq, null, null) : null;
        if (!items || items.length === 0 || !items.every((v) => v.k === 'array')) return null;
        const dim = A.numberOf(args[1] ?? kw.get('dim') ?? kw.get('axis')) ?? 0;
        return A.concat(items as ArrayValue[], dim, name === 'stack', charge);
      }
      case 'meshgrid': {
        const items = args.length === 1 && isSeq(args[0]!) ? args[0].items : args;
        if (items.length === 0 || !items.every((v) => v.k === 'array')) return null;
        const ix = kw.get('indexing');
        return A.meshgrid(items as ArrayValue[], !!ix && ix.k === 'str' && ix.v === 'xy', charge);
      }
      case 'where': {
        const c = arr(x);
        const a = args[1] ?? kw.get('input');
        const b = args[2] ?? kw.get('other');
        if (!c || !a || !b || a.k === 'tensor' || b.k === 'tensor') return null;
        return A.where(c, a, b, charge);
      }
    }
    if (name in BINARY_NAMES) {
      const a = x;
      const b = args[1] ?? kw.get('other') ?? kw.get('exponent');
      if (!a || !b || !(isArray(a) || isArray(b))) return null;
      if (name === 'pow' && !isArray(a) && a.k !== 'num') return null;
      return A.arrayBinary(BINARY_NAMES[name]!, a, b, charge);
    }
    const a = isArray(x) ? x : null;
    if (!a) return null;
    return this.method(a, name, args.slice(1), kw);
  }

  /** A method of a constant tensor (also the torch function of the same name, the tensor first). */
  method(a: ArrayValue, name: string, args: Value[], kw: Map<string, Value>): Value | null {
    const charge = this.charge;
    const argOr = (i: number, key: string): Value | undefined => args[i] ?? kw.get(key);
    const dimOf = (i: number, key = 'dim'): number | null => A.numberOf(argOr(i, key));
    const sizes = (): Array<number | null> | null => shapeArgs(args.length ? args : kw.has('size') ? [kw.get('size')!] : kw.has('shape') ? [kw.get('shape')!] : [], true);
    if (A.isUnaryName(name)) return A.arrayUnary(name, a, charge);
    if (name in BINARY_NAMES) {
      const b = argOr(0, 'other') ?? kw.get('exponent');
      if (!b || b.k === 'tensor') return null;
      return A.arrayBinary(BINARY_NAMES[name]!, a, b, charge);
    }
    switch (name) {
      case 'tolist':
        return A.toList(a, charge);
      case 'item':
        return A.item(a);
      case 'int':
        return A.cast(a, 'int32');
      case 'long':
        return A.cast(a, 'int64');
      case 'float':
      case 'half':
      case 'bfloat16':
        return A.cast(a, 'float32');
      case 'double':
        return A.cast(a, 'float64');
      case 'bool':
        return A.cast(a, 'bool');
      case 'to':
      case 'type': {
        const d = A.dtypeOf(argOr(0, 'dtype')) ?? A.dtypeOf(kw.get('dtype'));
        return d ? A.cast(a, d) : a;
      }
      case 'type_as':
        return isArray(args[0]) ? A.cast(a, args[0].dtype) : a;
      case 'contiguous':
      case 'detach':
      case 'cpu':
      case 'cuda':
      case 'requires_grad_':
      case 'numpy':
        return a;
      case 'clone':
        return A.makeArray(a.shape, a.dtype, a.data);
      case 'size': {
        const d = dimOf(0);
        if (!a.shape) return unknown('size() of a tensor of unknown rank');
        const dims = a.shape.map((s) => (s === null ? unknown('a size not known') : int(s)));
        if (argOr(0, 'dim') === undefined) return tuple(dims);
        if (d === null) return unknown('size() of an unknown axis');
        return dims[d < 0 ? d + dims.length : d] ?? unknown('size() of a missing axis');
      }
      case 'dim':
      case 'ndimension':
        return a.shape ? int(a.shape.length) : unknown('dim() of a tensor of unknown rank');
      case 'numel':
      case 'nelement':
        return this.fn('numel', [a], new Map());
      case 'view':
      case 'reshape': {
        const s = sizes();
        if (!s) return unknown(`${name}() to sizes that are not known`);
        return A.reshape(a, s);
      }
      case 'view_as':
      case 'reshape_as':
        return isArray(args[0]) && args[0].shape ? A.reshape(a, args[0].shape) : unknown(`${name}() of a tensor of unknown shape`);
      case 'flatten':
        return A.flatten(a, dimOf(0, 'start_dim') ?? 0, dimOf(1, 'end_dim') ?? -1);
      case 'unsqueeze': {
        const d = dimOf(0);
        return d === null ? unknown('unsqueeze() of an unknown axis') : A.unsqueeze(a, d);
      }
      case 'squeeze':
        return A.squeeze(a, argOr(0, 'dim') === undefined ? null : dimOf(0));
      case 'permute': {
        const ds = (args.length === 1 && isSeq(args[0]!) ? args[0].items : args.length ? args : kw.get('dims') && isSeq(kw.get('dims')!) ? (kw.get('dims') as { items: Value[] }).items : []).map((v) => A.numberOf(v));
        return ds.some((d) => d === null) ? unknown('permute() of unknown axes') : A.permute(a, ds as number[], charge);
      }
      case 'transpose':
      case 'swapaxes': {
        const d0 = dimOf(0, 'dim0');
        const d1 = dimOf(1, 'dim1');
        return d0 === null || d1 === null ? unknown('transpose() of unknown axes') : A.transpose(a, d0, d1, charge);
      }
      case 't':
        return a.shape && a.shape.length < 2 ? a : A.transpose(a, 0, 1, charge);
      case 'expand': {
        const s = sizes();
        if (!s) return unknown('expand() to sizes that are not known');
        return A.expand(a, s, charge);
      }
      case 'expand_as':
        return isArray(args[0]) && args[0].shape ? A.expand(a, args[0].shape, charge) : A.shapeOnly(null, a.dtype);
      case 'repeat': {
        const s = sizes();
        return s && s.every((x) => x === null || x >= 0) ? A.repeat(a, s, charge) : unknown('repeat() of sizes that are not known');
      }
      case 'flip': {
        const ds = (args.length === 1 && isSeq(args[0]!) ? args[0].items : args.length ? args : kw.get('dims') ? [kw.get('dims')!] : []).flatMap((v) => (isSeq(v) ? v.items : [v])).map((v) => A.numberOf(v));
        return ds.some((d) => d === null) ? unknown('flip() of unknown axes') : A.flip(a, ds as number[], charge);
      }
      case 'sum':
      case 'prod':
      case 'mean':
      case 'max':
      case 'min':
      case 'amax':
      case 'amin':
      case 'argmax':
      case 'argmin':
      case 'any':
      case 'all': {
        const other = argOr(0, 'other');
        if ((name === 'max' || name === 'min') && other && other.k === 'array') return A.arrayBinary(name, a, other, charge);
        const keep = argOr(1, 'keepdim');
        return A.reduce(name, a, argOr(0, 'dim') ?? kw.get('axis'), !!keep && keep.k === 'bool' && keep.v, charge);
      }
      case 'cumsum':
      case 'cumprod':
        return A.scan(name, a, dimOf(0) ?? 0, charge);
      case 'diff': {
        const n = A.numberOf(argOr(0, 'n')) ?? 1;
        let r: Value = a;
        for (let i = 0; i < Math.min(n, 16) && r.k === 'array'; i++) r = A.scan('diff', r, A.numberOf(argOr(1, 'dim')) ?? -1, charge);
        return r;
      }
      case 'unique': {
        const counts = kw.get('return_counts');
        return A.unique(a, !!counts && counts.k === 'bool' && counts.v, charge);
      }
      case 'sort': {
        const desc = argOr(1, 'descending');
        return A.sort(a, !!desc && desc.k === 'bool' && desc.v, charge);
      }
      case 'argsort': {
        const desc = argOr(1, 'descending');
        const r = A.sort(a, !!desc && desc.k === 'bool' && desc.v, charge);
        return r.k === 'tuple' ? r.items[1]! : r;
      }
      case 'clamp':
      case 'clip': {
        const lo = argOr(0, 'min');
        const hi = argOr(1, 'max');
        const lon = lo && lo.k !== 'none' ? A.numberOf(lo) : null;
        const hin = hi && hi.k !== 'none' ? A.numberOf(hi) : null;
        if ((lo && lo.k !== 'none' && lon === null) || (hi && hi.k !== 'none' && hin === null)) return A.shapeOnly(a.shape, a.dtype);
        return A.clamp(a, lon, hin, charge, lo?.k === 'num' && !lo.int, hi?.k === 'num' && !hi.int);
      }
      case 'masked_fill': {
        const m = argOr(0, 'mask');
        const v = argOr(1, 'value');
        if (!isArray(m) || !v) return A.shapeOnly(a.shape, a.dtype);
        const r = A.where(m, v.k === 'array' ? v : v, a, charge);
        return r.k === 'array' ? A.cast(r, a.dtype) : r;
      }
      case 'new_zeros':
      case 'new_ones':
      case 'new_full':
      case 'new_empty': {
        const kind = name.slice(4);
        const kw2 = new Map(kw);
        if (!kw2.has('dtype')) kw2.set('dtype', str(A.dtypeName(a.dtype)));
        return this.creation(kind, args, kw2);
      }
      case 'new_tensor':
        return args[0] ? (A.fromValue(args[0], a.dtype, charge) ?? unknown('new_tensor() of values that are not known')) : null;
      // in place: the tensor itself changes
      case 'zero_':
      case 'fill_':
      case 'normal_':
      case 'uniform_':
      case 'trunc_normal_':
      case 'random_':
      case 'bernoulli_':
      case 'exponential_':
      case 'copy_':
      case 'clamp_':
      case 'add_':
      case 'sub_':
      case 'mul_':
      case 'div_':
      case 'pow_':
      case 'masked_fill_': {
        let r: Value | null = null;
        if (name === 'zero_') r = A.full(a.shape, 0, a.dtype, charge);
        else if (name === 'fill_') {
          const v = A.numberOf(argOr(0, 'value'));
          if (v !== null) r = A.full(a.shape, v, a.dtype, charge);
        } else if (name === 'copy_') r = isArray(args[0]) ? A.expand(args[0], a.shape ?? [], charge) : null;
        else if (['clamp_', 'add_', 'sub_', 'mul_', 'div_', 'pow_', 'masked_fill_'].includes(name)) r = this.method(a, name.slice(0, -1), args, kw);
        a.data = r && r.k === 'array' && r.data && r.data.length === (a.data?.length ?? -1) ? A.cast(r, a.dtype).data : null;
        return a;
      }
      case 'shape':
      case 'ndim':
      case 'dtype':
      case 'T':
        return null;
    }
    return unknown(`tensor.${name}() of a constant tensor`);
  }

  /** Attributes of a constant tensor: shape, ndim, dtype, T, and the methods above. */
  attr(a: ArrayValue, name: string): Value {
    switch (name) {
      case 'shape':
        return a.shape ? tuple(a.shape.map((s) => (s === null ? unknown('a size not known') : int(s)))) : unknown('the shape of a tensor of unknown rank');
      case 'ndim':
        return a.shape ? int(a.shape.length) : unknown('ndim of a tensor of unknown rank');
      case 'dtype':
        return str(A.dtypeName(a.dtype));
      case 'T':
        return a.shape ? A.permute(a, a.shape.map((_, i) => a.shape!.length - 1 - i), this.charge) : a;
      case 'data':
        return a;
      case 'device':
      case 'grad':
        return unknown(`tensor.${name}`);
      case 'requires_grad':
        return bool(false);
      case 'is_cuda':
        return bool(false);
    }
    return this.B(`Tensor.${name}`, (args, kw) => this.method(a, name, args, kw) ?? unknown(`tensor.${name}()`));
  }

  /** nn.Parameter(t) and torch.Tensor(...): the constant tensor itself (pixel-free). */
  construct(clsName: string, args: Value[], kw: Map<string, Value>, site: CallSite): Value | null {
    void site;
    if (clsName === 'Parameter') {
      const d = args[0] ?? kw.get('data');
      if (!d) return A.shapeOnly([0]);
      if (d.k === 'array') return d;
      return A.shapeOnly(null);
    }
    if (clsName === 'Tensor') {
      if (args.length === 1 && isSeq(args[0]!)) return A.fromValue(args[0], 'float32', this.charge) ?? A.shapeOnly(null);
      const s = shapeArgs(args);
      return s ? A.shapeOnly(s) : A.shapeOnly(null);
    }
    return null;
  }

  /** torch.nn.init: functions that set a tensor's values in place (random ones are unknown). */
  initModule(): Map<string, Value> {
    const m = new Map<string, Value>();
    const names = ['uniform_', 'normal_', 'constant_', 'ones_', 'zeros_', 'eye_', 'dirac_', 'xavier_uniform_', 'xavier_normal_', 'kaiming_uniform_', 'kaiming_normal_', 'trunc_normal_', 'orthogonal_', 'sparse_', 'uniform', 'normal', 'constant', 'xavier_uniform', 'xavier_normal', 'kaiming_uniform', 'kaiming_normal'];
    for (const n of names) {
      m.set(n, this.B(`torch.nn.init.${n}`, (args, kw) => {
        const t = args[0] ?? kw.get('tensor');
        if (!isArray(t)) return t ?? NONE;
        const v = n.startsWith('ones') ? 1 : n.startsWith('zeros') ? 0 : n.startsWith('constant') ? A.numberOf(args[1] ?? kw.get('val')) : null;
        t.data = v !== null && t.data ? A.full(t.shape, v, t.dtype, this.charge).data : null;
        return t;
      }));
    }
    m.set('calculate_gain', this.B('torch.nn.init.calculate_gain', () => unknown('calculate_gain()')));
    return m;
  }
}
