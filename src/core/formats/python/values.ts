/**
 * Values of the abstract interpreter. Python values the reader needs to know
 * exactly (numbers, strings, containers, functions, classes, module objects)
 * are modelled; everything else is `unknown`, which carries why, and every
 * operation on it gives `unknown` again.
 */
import type { SyntaxNode } from '@lezer/common';
import type { SourceRange } from '../../graph/ir';

export type Value =
  | NoneValue
  | BoolValue
  | NumValue
  | StrValue
  | SeqValue
  | DictValue
  | FuncValue
  | BuiltinValue
  | ClassValue
  | ObjectValue
  | PyModuleValue
  | TensorValue
  | ArrayValue
  | UnknownValue
  | SliceValue
  | DimValue
  | BoundValue
  | PartialValue
  | GenValue
  | EllipsisValue;

/** A generator expression: its items are produced when consumed (`y.extend(m(y[-1]) for m in ms)` sees each new item). */
export interface GenValue {
  k: 'gen';
  produce(emit: (v: Value) => void): void;
}

export interface NoneValue {
  k: 'none';
}
export interface EllipsisValue {
  k: 'ellipsis';
}
export interface BoolValue {
  k: 'bool';
  v: boolean;
}
export interface NumValue {
  k: 'num';
  v: number;
  /** Python int (true) or float */
  int: boolean;
}
export interface StrValue {
  k: 'str';
  v: string;
}
export interface SeqValue {
  k: 'list' | 'tuple' | 'set';
  items: Value[];
}
export interface DictValue {
  k: 'dict';
  /** keyed by keyOf(); insertion order as Python's */
  map: Map<string, [Value, Value]>;
  /** an OrderedDict (for nn.Sequential) */
  ordered?: boolean;
}

/** The module (file) a piece of code belongs to: its globals and its place for relative imports. */
export interface ModuleContext {
  /** dotted module name ('torchvision.models.resnet'), '__main__' for the file being read */
  name: string;
  /** path of the file, as the host names it */
  path: string;
  /** is this file a package's __init__.py */
  isPackage: boolean;
  globals: Env;
  text: string;
  lines: import('../../graph/text').LineIndex;
}

export class Env {
  readonly vars = new Map<string, Value>();
  /** names declared global / nonlocal in this scope */
  globalNames?: Set<string>;
  nonlocalNames?: Set<string>;
  constructor(
    readonly parent: Env | null,
    readonly module: ModuleContext | null,
  ) {}

  /** bindings evaluated on first use (imports: a module is read only when a name from it is used) */
  lazy?: Map<string, () => Value>;

  lookup(name: string): Value | undefined {
    for (let e: Env | null = this; e; e = e.parent) {
      const v = e.lookupOwn(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  lookupOwn(name: string): Value | undefined {
    const v = this.vars.get(name);
    if (v !== undefined) return v;
    const t = this.lazy?.get(name);
    if (t) {
      this.lazy!.delete(name);
      const val = t();
      if (!this.vars.has(name)) this.vars.set(name, val);
      return this.vars.get(name);
    }
    return undefined;
  }

  setLazy(name: string, thunk: () => Value): void {
    this.vars.delete(name);
    (this.lazy ??= new Map()).set(name, thunk);
  }

  set(name: string, value: Value): void {
    this.lazy?.delete(name);
    if (this.globalNames?.has(name)) {
      let g: Env = this;
      while (g.parent) g = g.parent;
      // the module scope is the outermost user scope; builtins sit above it
      const mod = this.module?.globals ?? g;
      mod.vars.set(name, value);
      return;
    }
    if (this.nonlocalNames?.has(name)) {
      for (let e = this.parent; e; e = e.parent) {
        if (e.vars.has(name)) {
          e.vars.set(name, value);
          return;
        }
      }
    }
    this.vars.set(name, value);
  }
}

export interface ParamSpec {
  name: string;
  kind: 'positional' | 'varargs' | 'keyword' | 'varkw';
  /** evaluated default, when there is one */
  default?: Value;
}

export interface FuncValue {
  k: 'func';
  name: string;
  params: ParamSpec[];
  /** Body node (or the expression of a lambda) */
  body: SyntaxNode;
  isLambda: boolean;
  closure: Env;
  module: ModuleContext;
  /** definition node, for ranges */
  node: SyntaxNode;
  kind?: 'static' | 'class' | 'property';
  /** class the function was defined in (for super()) */
  owner?: ClassValue;
  /** the whole definition range */
  range: SourceRange;
}

export interface CallSite {
  node: SyntaxNode | null;
  module: ModuleContext | null;
}

export type BuiltinFn = (args: Value[], kwargs: Map<string, Value>, site: CallSite) => Value;

export interface BuiltinValue {
  k: 'builtin';
  name: string;
  fn: BuiltinFn;
}

export interface ClassValue {
  k: 'class';
  name: string;
  /** qualified name for messages */
  qualname: string;
  bases: ClassValue[];
  /** true when a base is not known: attribute lookups that fail give unknown */
  unknownBase: boolean;
  attrs: Map<string, Value>;
  /** class attributes evaluated on first use (`IMAGENET1K_V1 = Weights(...)` reads nothing until asked) */
  lazyAttrs?: Map<string, () => Value>;
  /** a class of the interpreter's own (torch.nn layers, keras layers): its table name */
  native?: string;
  /** which library's table: 'torch' | 'keras' */
  lib?: 'torch' | 'keras';
  module: ModuleContext | null;
  range: SourceRange | null;
  /** set while building MRO */
  mro?: ClassValue[];
}

/** A layer as its constructor call was written: the table entry's name, its arguments and where. */
export interface NativeLayer {
  type: string;
  lib: 'torch' | 'keras';
  args: Value[];
  kwargs: Map<string, Value>;
  /** range of the constructor call */
  range: SourceRange | null;
  /** ranges of keyword arguments by name and of positional ones by index */
  argRanges: Map<string | number, SourceRange>;
  /** the callee's range (the type token) */
  typeRange: SourceRange | null;
  /** end of the call's last argument in the main file, where a quick fix may add one; null with `*`/`**` arguments (they may hold it) */
  argsEnd?: SourceRange['end'] | null;
  /** resolved by class name through an object that could not be resolved */
  byName?: boolean;
}

export interface ObjectValue {
  k: 'object';
  cls: ClassValue;
  attrs: Map<string, Value>;
  /** nn.Module children in registration order (PyTorch's _modules) */
  modules?: Map<string, ObjectValue>;
  native?: NativeLayer;
  /** Keras layer already called once (weights shared on later calls) */
  kerasCalls?: number;
  /** Keras name */
  kerasName?: string;
  /** where the object was created */
  range: SourceRange | null;
  uid: number;
  /** Keras functional model: its inputs and outputs */
  keras?: { inputs: Value; outputs: Value };
}

export interface PyModuleValue {
  k: 'pymodule';
  name: string;
  /** globals of a module read from source; null for modelled ones */
  ctx: ModuleContext | null;
  attrs: Map<string, Value>;
  /** modules we do not know (os, typing): any attribute is unknown */
  opaque?: boolean;
}

export interface TensorValue {
  k: 'tensor';
  /** node id in the graph being traced */
  node: string;
  /** false once the spatial axes are gone (after flatten, dense) */
  spatial: boolean;
  /** number of leading non-spatial axes in layout (batch, channel): for size() */
  layout: 'nchw' | 'nhwc' | 'flat' | 'tokens';
  /** leading non-spatial axes in nchw layout: 2 (batch, channels), 3 after a view that splits channels into groups */
  lead?: number;
}

/** Element types of constant tensors (float16 and friends are kept as float32). */
export type DType = 'bool' | 'int32' | 'int64' | 'float32' | 'float64';

/**
 * A tensor that carries no input pixels: a constant (`torch.arange(16) * 27.89`),
 * a parameter or a buffer. Its values when known (small tensors only), else
 * its shape (null entries: sizes not known; null: not even the rank).
 * See arrays.ts.
 */
export interface ArrayValue {
  k: 'array';
  shape: Array<number | null> | null;
  dtype: DType;
  /** row-major values, stored as the dtype holds them; null when not known */
  data: Float64Array | null;
}

export interface UnknownValue {
  k: 'unknown';
  why: string;
}

export interface SliceValue {
  k: 'slice';
  start: Value;
  stop: Value;
  step: Value;
}

/** One entry of a tensor's size(): the batch, channel or a spatial axis. */
export interface DimValue {
  k: 'dim';
  tensor: string;
  axis: number;
  spatial: boolean;
}

export interface BoundValue {
  k: 'bound';
  fn: Value;
  self: Value;
}

export interface PartialValue {
  k: 'partial';
  fn: Value;
  args: Value[];
  kwargs: Map<string, Value>;
}

export const NONE: NoneValue = { k: 'none' };
export const TRUE: BoolValue = { k: 'bool', v: true };
export const FALSE: BoolValue = { k: 'bool', v: false };
export const ELLIPSIS: EllipsisValue = { k: 'ellipsis' };

export function num(v: number, int = Number.isInteger(v)): NumValue {
  return { k: 'num', v, int };
}
export function int(v: number): NumValue {
  return { k: 'num', v, int: true };
}
export function str(v: string): StrValue {
  return { k: 'str', v };
}
export function bool(v: boolean): BoolValue {
  return v ? TRUE : FALSE;
}
export function list(items: Value[]): SeqValue {
  return { k: 'list', items };
}
export function tuple(items: Value[]): SeqValue {
  return { k: 'tuple', items };
}
export function unknown(why: string): UnknownValue {
  return { k: 'unknown', why };
}
export function dict(entries: Array<[Value, Value]> = []): DictValue {
  const map = new Map<string, [Value, Value]>();
  for (const [k, v] of entries) map.set(keyOf(k), [k, v]);
  return { k: 'dict', map };
}

let uidCounter = 0;
export function nextUid(): number {
  return ++uidCounter;
}

const arrayKeys = new WeakMap<ArrayValue, number>();
function arrayKey(v: ArrayValue): number {
  let k = arrayKeys.get(v);
  if (k === undefined) arrayKeys.set(v, (k = ++uidCounter));
  return k;
}

/** Key of a hashable value in a dict or set. */
export function keyOf(v: Value): string {
  switch (v.k) {
    case 'none':
      return 'N';
    case 'bool':
      return `n${v.v ? 1 : 0}`;
    case 'num':
      return `n${v.v}`;
    case 'str':
      return `s${v.v}`;
    case 'tuple':
      return `t(${v.items.map(keyOf).join(',')})`;
    case 'object':
      return `o${v.uid}`;
    case 'class':
      return `c${v.qualname}`;
    case 'array':
      // tensors hash by identity
      return `a${arrayKey(v)}`;
    default:
      return `?${v.k}`;
  }
}

/** The items of a Python set: equal hashable items once, in first-seen order (others kept as they are). */
export function setItems(items: Value[]): Value[] {
  const seen = new Set<string>();
  return items.filter((v) => {
    const k = keyOf(v);
    if (k.startsWith('?')) return true;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function isUnknown(v: Value): v is UnknownValue {
  return v.k === 'unknown';
}

export function isSeq(v: Value): v is SeqValue {
  return v.k === 'list' || v.k === 'tuple' || v.k === 'set';
}

/** Python truthiness; null when it cannot be known. */
export function truthy(v: Value): boolean | null {
  switch (v.k) {
    case 'none':
      return false;
    case 'bool':
      return v.v;
    case 'num':
      return v.v !== 0;
    case 'str':
      return v.v.length > 0;
    case 'list':
    case 'tuple':
    case 'set':
      return v.items.length > 0;
    case 'dict':
      return v.map.size > 0;
    case 'func':
    case 'builtin':
    case 'class':
    case 'pymodule':
    case 'bound':
    case 'partial':
    case 'ellipsis':
    case 'gen':
      return true;
    case 'array':
      return v.data && v.data.length === 1 ? v.data[0] !== 0 : null;
    case 'object':
      if (v.modules && (v.cls.native === 'Sequential' || v.cls.native === 'ModuleList' || v.cls.native === 'ModuleDict')) return v.modules.size > 0;
      return true;
    default:
      return null;
  }
}

export function typeName(v: Value): string {
  switch (v.k) {
    case 'none':
      return 'None';
    case 'num':
      return v.int ? 'int' : 'float';
    case 'object':
      return v.cls.name;
    case 'class':
      return 'type';
    case 'array':
      return 'Tensor';
    case 'unknown':
      return 'unknown';
    default:
      return v.k;
  }
}

/** Python's repr/str for the values that have a fixed text. */
export function pyStr(v: Value, repr = false): string | null {
  switch (v.k) {
    case 'none':
      return 'None';
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'num':
      if (v.int) return String(v.v);
      if (Number.isInteger(v.v)) return `${v.v}.0`;
      return String(v.v);
    case 'str':
      return repr ? `'${v.v}'` : v.v;
    case 'list':
    case 'tuple': {
      const parts = v.items.map((x) => pyStr(x, true));
      if (parts.some((p) => p === null)) return null;
      if (v.k === 'tuple') return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
      return `[${parts.join(', ')}]`;
    }
    case 'class':
      return `<class '${v.qualname}'>`;
    default:
      return null;
  }
}

/** Every class in method resolution order (C3 linearisation; falls back to depth-first on conflicts). */
export function mro(cls: ClassValue): ClassValue[] {
  if (cls.mro) return cls.mro;
  const seqs = cls.bases.map((b) => mro(b).slice());
  seqs.push(cls.bases.slice());
  const out: ClassValue[] = [cls];
  for (let guard = 0; guard < 1000; guard++) {
    const nonEmpty = seqs.filter((s) => s.length > 0);
    if (nonEmpty.length === 0) break;
    let head: ClassValue | null = null;
    for (const s of nonEmpty) {
      const cand = s[0]!;
      if (!nonEmpty.some((t) => t.indexOf(cand) > 0)) {
        head = cand;
        break;
      }
    }
    if (!head) head = nonEmpty[0]![0]!;
    out.push(head);
    for (const s of nonEmpty) {
      const i = s.indexOf(head);
      if (i >= 0) s.splice(i, 1);
    }
  }
  cls.mro = out;
  return out;
}

export function isSubclass(cls: ClassValue, base: ClassValue): boolean {
  return mro(cls).includes(base);
}

/** The table name of the nearest native class (a user class deriving from nn.Conv2d is a Conv2d). */
export function nativeOf(cls: ClassValue): ClassValue | null {
  for (const c of mro(cls)) if (c.native) return c;
  return null;
}

/**
 * enum.Enum. The class attributes of its subclasses are members: instances of
 * the class (so `isinstance(ResNet50_Weights.IMAGENET1K_V1, ResNet50_Weights)`
 * holds, as torchvision's `WeightsEnum.verify` requires), with `name` and
 * `value` (the interpreter makes them on first use).
 */
export const ENUM_BASE: ClassValue = { k: 'class', name: 'Enum', qualname: 'enum.Enum', bases: [], unknownBase: false, attrs: new Map(), module: null, range: null };

/** A class's own attribute, evaluating a lazy one on first use. */
export function classOwn(c: ClassValue, name: string): Value | undefined {
  const v = c.attrs.get(name);
  if (v !== undefined) return v;
  const t = c.lazyAttrs?.get(name);
  if (!t) return undefined;
  c.lazyAttrs!.delete(name);
  const val = t();
  c.attrs.set(name, val);
  return val;
}
