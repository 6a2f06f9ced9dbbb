/**
 * PyTorch as the interpreter sees it: torch, torch.nn and torch.nn.functional
 * as modelled modules, nn.Module objects with PyTorch's registration order,
 * containers, and what calling a layer or a functional op on a tensor adds to
 * the traced graph.
 */
import type { LayerOp, Padding, PadMode, PadModeSlot, SourceRange, Window } from '../../graph/ir';
import { Interp } from './interp';
import { TORCH_LAYERS, TORCH_POINTWISE, FUNCTIONAL_POINTWISE, type TorchLayerDef } from './torchTable';
import { TraceLimit, type Tracer } from './trace';
import { ARRAY_FUNCTIONS, TorchArrays } from './torchArrays';
import { DTYPES, shapeOnly } from './arrays';
import {
  bool,
  dict,
  FALSE,
  int,
  isSeq,
  isUnknown,
  list,
  mro,
  nativeOf,
  NONE,
  str,
  tuple,
  unknown,
  type BuiltinFn,
  type CallSite,
  type ClassValue,
  type DimValue,
  type NativeLayer,
  type ObjectValue,
  type PyModuleValue,
  type TensorValue,
  type Value,
} from './values';

const CONTAINERS = new Set(['Sequential', 'ModuleList', 'ModuleDict']);

export interface ExampleInput {
  shape: number[];
  range: SourceRange | null;
}

/** Per-read state of the torch model: module paths and what module-level code states about the input. */
export class TorchState {
  paths = new Map<ObjectValue, string>();
  readonly exampleInputs: ExampleInput[] = [];
  /** ids already taken by a module call (the second call of a module gets a suffix) */
  readonly called = new Set<ObjectValue>();

  constructor(readonly interp: Interp) {}

  /** named_modules(): every module once, at the first path that reaches it. */
  assignPaths(root: ObjectValue): void {
    this.paths = new Map();
    const walk = (m: ObjectValue, prefix: string, depth: number) => {
      if (this.paths.has(m) || depth > 200) return;
      this.paths.set(m, prefix);
      if (!m.modules) return;
      for (const [name, child] of m.modules) walk(child, prefix ? `${prefix}.${name}` : name, depth + 1);
    };
    walk(root, '', 0);
  }
}

function cls(name: string, native: string, lib: 'torch' | 'keras' = 'torch', bases: ClassValue[] = []): ClassValue {
  return { k: 'class', name, qualname: `torch.nn.${name}`, bases, unknownBase: false, attrs: new Map(), native, lib, module: null, range: null };
}

function numOf(v: Value | undefined): number | null {
  if (!v) return null;
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  return null;
}

/** An int or a tuple of ints as one number per axis; null when it is not known. */
export function perAxis(v: Value | undefined, rank: number): number[] | null {
  if (!v) return null;
  const n = numOf(v);
  if (n !== null) return new Array<number>(rank).fill(n);
  if (isSeq(v)) {
    const ns = v.items.map(numOf);
    if (ns.some((x) => x === null)) return null;
    if (ns.length === rank) return ns as number[];
    if (ns.length === 1) return new Array<number>(rank).fill(ns[0]!);
  }
  return null;
}

export function bindSignature(sig: string[], args: Value[], kwargs: Map<string, Value>, defaults: Record<string, unknown> = {}): Map<string, Value> {
  const out = new Map<string, Value>();
  for (const [k, d] of Object.entries(defaults)) out.set(k, jsToValue(d));
  sig.forEach((name, i) => {
    if (i < args.length) out.set(name, args[i]!);
  });
  for (const [k, v] of kwargs) out.set(k, v);
  return out;
}

function jsToValue(d: unknown): Value {
  if (d === null) return NONE;
  if (typeof d === 'number') return { k: 'num', v: d, int: Number.isInteger(d) };
  if (typeof d === 'string') return str(d);
  if (typeof d === 'boolean') return bool(d);
  return NONE;
}

export function dimsOf(t: TensorValue, rank: number): Value[] {
  const lead = t.layout === 'nhwc' ? 2 : (t.lead ?? 2);
  const n = t.spatial ? rank + lead : 2;
  const out: Value[] = [];
  for (let a = 0; a < n; a++) {
    const spatial = t.spatial && (t.layout === 'nhwc' ? a >= 1 && a <= rank : a >= lead);
    out.push({ k: 'dim', tensor: t.node, axis: a, spatial } as DimValue);
  }
  return out;
}

/** Which axis an index names, given the layout: 'batch', 'channel', a spatial axis number, or null. */
function axisRole(t: TensorValue, rank: number, dim: number): 'batch' | 'channel' | number | null {
  const lead = t.layout === 'nhwc' ? 2 : (t.lead ?? 2);
  const n = t.spatial ? rank + lead : 2;
  const d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n) return null;
  if (d === 0) return 'batch';
  if (!t.spatial) return 'channel';
  if (t.layout === 'nhwc') return d === n - 1 ? 'channel' : d - 1;
  return d < lead ? 'channel' : d - lead;
}

export function installTorch(interp: Interp, state: TorchState): void {
  const B = (name: string, fn: BuiltinFn): Value => ({ k: 'builtin', name, fn });
  const tracer = (): Tracer | null => interp.tracer;
  const rank = () => interp.tracer?.rank ?? 2;

  // ----- classes -----
  const Module = cls('Module', 'Module');
  const classes = new Map<string, ClassValue>();
  classes.set('Module', Module);
  for (const c of CONTAINERS) classes.set(c, cls(c, c, 'torch', [Module]));
  for (const name of Object.keys(TORCH_LAYERS)) classes.set(name, cls(name, name, 'torch', [Module]));
  for (const name of TORCH_POINTWISE) classes.set(name, cls(name, name, 'torch', [Module]));
  const Tensor = cls('Tensor', 'Tensor');
  Tensor.lib = undefined;
  const Parameter = cls('Parameter', 'Parameter');
  Parameter.lib = undefined;
  const arrays = new TorchArrays(interp);
  interp.hooks.arrayAttr = (a, name) => arrays.attr(a, name);
  interp.hooks.construct = (c, args, kwargs, site) => (c === Parameter || c === Tensor ? arrays.construct(c.native!, args, kwargs, site) : null);

  // ----- construction -----
  interp.hooks.nativeInit = (obj, c, args, kwargs, site) => {
    if (c.lib !== 'torch') return;
    obj.modules ??= new Map();
    const name = c.native!;
    if (name === 'Module') return;
    const top = interp.callStack[interp.callStack.length - 1];
    const argRanges = new Map<string | number, SourceRange>();
    let typeRange: SourceRange | null = null;
    let argsEnd: SourceRange['end'] | null = null;
    if (top && top.ctx === interp.mainCtx && top.node === site.node) {
      for (const [k, n] of top.argNodes) argRanges.set(k, top.ctx.lines.range(n.from, n.to));
      const callee = top.node.firstChild;
      if (callee) typeRange = top.ctx.lines.range(callee.from, callee.to);
      const argList = callee?.nextSibling;
      let last: { to: number } | null = null;
      let splat = false;
      for (let c = argList?.firstChild ?? null; c; c = c.nextSibling) {
        if (c.name === '*' || c.name === '**') splat = true;
        else if (c.name !== '(' && c.name !== ')' && c.name !== ',') last = c;
      }
      if (last && !splat) argsEnd = top.ctx.lines.positionAt(last.to);
    }
    const native: NativeLayer = { type: name, lib: 'torch', args, kwargs, range: obj.range ?? interp.rangeOf(site.node, site.module), argRanges, typeRange, argsEnd };
    obj.native = native;
    if (name === 'Sequential') {
      if (args.length === 1 && args[0]!.k === 'dict') {
        for (const [, [k, v]] of args[0]!.map) if (v.k === 'object' && k.k === 'str') obj.modules.set(k.v, v);
      } else {
        let i = 0;
        for (const a of args) {
          if (a.k === 'object' && a.modules) obj.modules.set(String(i++), a);
          else if (a.k !== 'none') interp.report(site.node, site.module, `nn.Sequential is given ${isUnknown(a) ? `a value that is not known (${a.why})` : `a ${a.k}`}, not a module; it is left out`);
        }
      }
    } else if (name === 'ModuleList') {
      const items = args[0] ? interp.iterate(args[0], null, null) : [];
      if (!items && args[0]) interp.report(site.node, site.module, `nn.ModuleList of a value that is not known (${isUnknown(args[0]) ? args[0].why : args[0].k})`);
      (items ?? []).forEach((m, i) => {
        if (m.k === 'object') obj.modules!.set(String(i), m);
      });
    } else if (name === 'ModuleDict') {
      const d = args[0];
      if (d && d.k === 'dict') {
        for (const [, [k, v]] of d.map) if (k.k === 'str' && v.k === 'object') obj.modules.set(k.v, v);
      } else if (d && isSeq(d)) {
        for (const it of d.items) if (isSeq(it) && it.items[0]?.k === 'str' && it.items[1]?.k === 'object') obj.modules.set((it.items[0] as { v: string }).v, it.items[1] as ObjectValue);
      }
    } else if (name === 'TransformerEncoder' || name === 'TransformerDecoder') {
      // torch clones the layer num_layers times under layers.N
      const layer = args[0] ?? kwargs.get('encoder_layer') ?? kwargs.get('decoder_layer');
      const n = numOf(args[1] ?? kwargs.get('num_layers')) ?? 1;
      const layers: ObjectValue = { k: 'object', cls: classes.get('ModuleList')!, attrs: new Map(), modules: new Map(), range: obj.range, uid: obj.uid * 1000 + 1 };
      if (layer && layer.k === 'object') for (let i = 0; i < Math.min(n, 1000); i++) layers.modules!.set(String(i), { ...layer, uid: layer.uid * 1000 + i + 2, modules: new Map(layer.modules ?? []) });
      obj.modules.set('layers', layers);
    }
  };

  const isModule = (v: Value): v is ObjectValue => v.k === 'object' && !!v.modules;

  const allModules = (root: ObjectValue): Array<[string, ObjectValue]> => {
    const out: Array<[string, ObjectValue]> = [];
    const seen = new Set<ObjectValue>();
    const walk = (m: ObjectValue, prefix: string) => {
      if (seen.has(m) || out.length > 100000) return;
      seen.add(m);
      out.push([prefix, m]);
      for (const [n, c] of m.modules ?? []) walk(c, prefix ? `${prefix}.${n}` : n);
    };
    walk(root, '');
    return out;
  };

  interp.hooks.nativeAttr = (obj, name) => {
    if (!obj.modules) return undefined;
    const m = obj.modules;
    const self = obj;
    const method = (fn: BuiltinFn) => B(`${obj.cls.name}.${name}`, fn);
    switch (name) {
      case 'training':
        return FALSE;
      case 'add_module':
      case 'register_module':
        return method((a) => {
          if (a[0]?.k === 'str' && a[1] && isModule(a[1])) m.set(a[0].v, a[1]);
          return NONE;
        });
      case 'append':
        return method((a) => {
          if (a[0] && isModule(a[0])) m.set(String(m.size), a[0]);
          return self;
        });
      case 'extend':
        return method((a) => {
          for (const it of (a[0] ? interp.iterate(a[0], null, null) : null) ?? []) if (isModule(it)) m.set(String(m.size), it);
          return self;
        });
      case 'insert':
        return method((a) => {
          const idx = numOf(a[0]);
          if (idx === null || !a[1] || !isModule(a[1])) return NONE;
          const vals = [...m.values()];
          vals.splice(idx < 0 ? vals.length + idx : idx, 0, a[1]);
          m.clear();
          vals.forEach((v, i) => m.set(String(i), v));
          return NONE;
        });
      case 'modules':
        return method(() => list(allModules(self).map(([, v]) => v)));
      case 'named_modules':
        return method(() => list(allModules(self).map(([k, v]) => tuple([str(k), v]))));
      case 'children':
        return method(() => list([...m.values()]));
      case 'named_children':
        return method(() => list([...m].map(([k, v]) => tuple([str(k), v]))));
      case 'keys':
        return method(() => list([...m.keys()].map((k) => str(k))));
      case 'values':
        return method(() => list([...m.values()]));
      case 'items':
        return method(() => list([...m].map(([k, v]) => tuple([str(k), v]))));
      case 'parameters':
      case 'named_parameters':
      case 'buffers':
      case 'state_dict':
      case 'load_state_dict':
        return method(() => unknown(`${name}()`));
      case 'register_buffer':
      case 'register_parameter':
        return method((a) => {
          if (a[0]?.k === 'str') self.attrs.set(a[0].v, a[1] ?? NONE);
          return NONE;
        });
      case 'apply':
      case 'to':
      case 'cuda':
      case 'cpu':
      case 'eval':
      case 'train':
      case 'float':
      case 'half':
      case 'double':
      case 'requires_grad_':
      case 'zero_grad':
      case 'share_memory':
        return method(() => self);
      case 'forward':
        return method((a, kw, site) => callModule(self, a, kw, site, true));
      case 'weight':
      case 'bias':
        return unknown(`${obj.cls.name}.${name}`);
      case '_modules':
        return dictOfModules(self);
    }
    if (obj.native) {
      const def = TORCH_LAYERS[obj.native.type];
      if (def) {
        const bound = bindSignature(def.sig, obj.native.args, obj.native.kwargs, def.defaults);
        const v = bound.get(name);
        if (v !== undefined) return v;
      }
    }
    return undefined;
  };

  const dictOfModules = (obj: ObjectValue): Value => {
    const d = dict([...(obj.modules ?? [])].map(([k, v]) => [str(k), v] as [Value, Value]));
    d.ordered = true;
    return d;
  };

  interp.hooks.iterNative = (obj) => {
    const n = nativeOf(obj.cls)?.native;
    if (n === 'Sequential' || n === 'ModuleList') return [...(obj.modules?.values() ?? [])];
    if (n === 'ModuleDict') return [...(obj.modules?.keys() ?? [])].map((k) => str(k));
    return null;
  };

  interp.hooks.indexNative = (obj, index) => {
    const n = nativeOf(obj.cls)?.native;
    if (!obj.modules || !(n === 'Sequential' || n === 'ModuleList' || n === 'ModuleDict')) return undefined;
    if (index.k === 'str') return obj.modules.get(index.v) ?? unknown(`no module ${index.v}`);
    const vals = [...obj.modules.values()];
    const keys = [...obj.modules.keys()];
    const i = numOf(index);
    if (i !== null) return vals[i < 0 ? vals.length + i : i] ?? unknown(`index ${i} out of range`);
    if (index.k === 'slice') {
      const idx = interp.sliceIndices(index, vals.length);
      if (!idx) return unknown('a slice with unknown bounds');
      const sub: ObjectValue = { k: 'object', cls: obj.cls, attrs: new Map(), modules: new Map(), range: obj.range, uid: obj.uid + 0.5, native: obj.native };
      idx.forEach((j, p) => sub.modules!.set(n === 'Sequential' ? keys[j]! : String(p), vals[j]!));
      return sub;
    }
    return unknown('index of a container');
  };

  // ----- calls in forward -----

  const emit = (
    base: string,
    spec: LayerOp,
    inputs: TensorValue[],
    info: { type: string; origin: SourceRange | null; ranges?: Record<string, SourceRange>; valueRanges?: Record<string, SourceRange>; name?: string },
    out: { spatial?: boolean; layout?: TensorValue['layout'] } = {},
  ): TensorValue => {
    const t = tracer()!;
    const id = base;
    const first = inputs[0];
    const spatial = out.spatial ?? (first ? first.spatial : true);
    return t.add(id, spec, inputs.map((x) => x.node), info, spatial, out.layout ?? first?.layout ?? 'nchw');
  };

  const tensorArgs = (args: Value[]): TensorValue[] => args.filter((a): a is TensorValue => a.k === 'tensor');

  /** A finding on a layer, on its narrowest range. */
  const layerReport = (native: NativeLayer | null, role: string | null, message: string, layer: string | null) => {
    let range: SourceRange | null = null;
    if (role && native) {
      range = native.argRanges.get(role) ?? null;
      const i = TORCH_LAYERS[native.type]?.sig.indexOf(role) ?? -1;
      if (!range && i >= 0) range = native.argRanges.get(i) ?? null;
    }
    range ??= native?.range ?? interp.anchor;
    const key = `${range?.start.line}:${message}`;
    if ((interp as unknown as { seenLayer?: Set<string> }).seenLayer?.has(key)) return;
    ((interp as unknown as { seenLayer?: Set<string> }).seenLayer ??= new Set()).add(key);
    interp.findings.push({ code: 'RFL100', severity: 'warning', message, range, layer });
  };

  const rangesOf = (native: NativeLayer, def: TorchLayerDef | null): { ranges: Record<string, SourceRange>; valueRanges: Record<string, SourceRange> } => {
    const ranges: Record<string, SourceRange> = {};
    const valueRanges: Record<string, SourceRange> = {};
    const roles: Record<string, string> = { kernel_size: 'kernel', stride: 'stride', padding: 'padding', dilation: 'dilation', padding_mode: 'padMode', output_size: 'kernel' };
    const sig = def?.sig ?? [];
    for (const [k, r] of native.argRanges) {
      const name = typeof k === 'number' ? sig[k] : k;
      if (!name) continue;
      const role = roles[name];
      if (role) {
        ranges[role] = r;
        valueRanges[role] = r;
      }
    }
    if (native.typeRange) ranges.type = native.typeRange;
    return { ranges, valueRanges };
  };

  /** Where a quick fix writes a convolution's padding_mode: its value when given, else a new last argument. */
  const padModeSlotOf = (native: NativeLayer, def: TorchLayerDef, valueRanges: Record<string, SourceRange>): PadModeSlot | undefined => {
    if (def.kind !== 'conv' || !def.sig.includes('padding_mode')) return undefined;
    const values = { zeros: "'zeros'", reflect: "'reflect'", replicate: "'replicate'", circular: "'circular'" };
    const given = valueRanges.padMode;
    if (given) return { key: 'padding_mode', range: given, prefix: '', values };
    if (!native.argsEnd) return undefined;
    return { key: 'padding_mode', range: { start: native.argsEnd, end: native.argsEnd }, prefix: ', padding_mode=', values };
  };

  const namedArgRange = (native: NativeLayer, def: TorchLayerDef, name: string): SourceRange | null => {
    const r = native.argRanges.get(name);
    if (r) return r;
    const i = def.sig.indexOf(name);
    return i >= 0 ? (native.argRanges.get(i) ?? null) : null;
  };

  /** The IR op of a layer from its constructor arguments; unknown (with a finding) where a value is not known. */
  const layerOp = (native: NativeLayer, def: TorchLayerDef, r: number, id: string): LayerOp => {
    const p = bindSignature(def.sig, native.args, native.kwargs, def.defaults);
    const need = (name: string, fallback?: number[]): number[] | null => {
      const v = p.get(name);
      if (v === undefined || v.k === 'none') return fallback ? (fallback.length === 1 && r > 1 ? new Array<number>(r).fill(fallback[0]!) : fallback) : null;
      const a = perAxis(v, r);
      if (!a) {
        const range = namedArgRange(native, def, name) ?? native.range;
        interp.findings.push({ code: 'RFL100', severity: 'warning', message: `${native.type} ${name} is not known before running (${isUnknown(v) ? v.why : `a ${v.k} of ${isSeq(v) ? v.items.length : '?'} entries for ${r} axes`}); the layer is shown as the identity.`, range, layer: id });
      }
      return a;
    };
    const fail = (reason: string): LayerOp => ({ op: 'unknown', reason });
    switch (def.kind) {
      case 'conv':
      case 'maxpool':
      case 'avgpool':
      case 'lppool': {
        const kernel = need('kernel_size');
        if (!kernel) return fail('kernel size not known');
        const stride = def.kind === 'conv' ? need('stride', [1]) : need('stride', kernel);
        if (!stride) return fail('stride not known');
        const dilation = def.kind === 'conv' || def.kind === 'maxpool' ? need('dilation', [1]) : new Array<number>(r).fill(1);
        if (!dilation) return fail('dilation not known');
        const padV = p.get('padding') ?? { k: 'num', v: 0, int: true };
        let padding: Padding;
        if (padV.k === 'str') {
          if (padV.v === 'same') padding = { kind: 'same', rule: 'torch' };
          else if (padV.v === 'valid') padding = { kind: 'explicit', before: new Array<number>(r).fill(0), after: new Array<number>(r).fill(0) };
          else return fail(`padding '${padV.v}'`);
        } else {
          const pad = def.kind === 'lppool' ? new Array<number>(r).fill(0) : need('padding', [0]);
          if (!pad) return fail('padding not known');
          padding = { kind: 'explicit', before: pad.slice(), after: pad.slice() };
        }
        const modeV = p.get('padding_mode');
        let padMode: PadMode = 'zeros';
        if (modeV && modeV.k === 'str' && ['zeros', 'reflect', 'replicate', 'circular'].includes(modeV.v)) padMode = modeV.v as PadMode;
        const ceil = p.get('ceil_mode');
        const sliding: Window = {
          kernel: kernel.map((k) => (k === 0 ? 1 : k)),
          stride: stride.map((s) => (s === 0 ? 1 : s)),
          dilation,
          padding,
          padMode,
          ceil: ceil && ceil.k === 'bool' && ceil.v ? 'always' : false,
        };
        if (def.kind === 'conv') return { op: 'conv', sliding };
        return { op: 'pool', pool: def.kind === 'maxpool' ? 'max' : 'avg', sliding };
      }
      case 'convT': {
        const kernel = need('kernel_size');
        const stride = need('stride', [1]);
        const pad = need('padding', [0]);
        const outPad = need('output_padding', [0]);
        const dilation = need('dilation', [1]);
        if (!kernel || !stride || !pad || !outPad || !dilation) return fail('transposed convolution parameters not known');
        return { op: 'convtranspose', sliding: { kernel: kernel, stride: stride, dilation: dilation, padding: { kind: 'explicit', before: pad, after: pad.slice() }, padMode: 'zeros', ceil: false }, outputPadding: outPad };
      }
      case 'pad': {
        const v = p.get('padding');
        const pads = padList(v, r);
        if (!pads) {
          layerReport(native, 'padding', `${native.type} padding is not known before running; the layer is shown as the identity.`, id);
          return fail('padding not known');
        }
        return padOp(pads, def.padMode ?? 'zeros', r);
      }
      case 'upsample': {
        const mode = p.get('mode');
        const size = p.get('size');
        const scale = p.get('scale_factor');
        const align = p.get('align_corners');
        return upsampleOp(mode && mode.k === 'str' ? mode.v : 'nearest', size, scale, align, r, native, id);
      }
      case 'pixelShuffle': {
        const f = need('upscale_factor');
        return f ? { op: 'pixelShuffle', factor: f } : fail('factor not known');
      }
      case 'pixelUnshuffle': {
        const f = need('downscale_factor');
        return f ? { op: 'spaceToDepth', block: f, layout: 'clean' } : fail('factor not known');
      }
      case 'adaptiveAvg':
      case 'adaptiveMax':
        return adaptiveOp(p.get('output_size'), r, native, id, `${native.type}`, def.kind === 'adaptiveMax' ? 'max' : 'avg');
      case 'dense':
        return { op: 'dense' };
      case 'flatten':
        return { op: 'flatten' };
      case 'pointwise':
        return { op: 'pointwise', kind: native.type };
      case 'recurrent':
        layerReport(native, null, `${native.type} is a recurrent layer; its spatial effect is not modelled and it is shown as the identity.`, id);
        return fail('recurrent layer');
      default:
        layerReport(native, null, `${native.type} is not modelled; it is shown as the identity.`, id);
        return fail(native.type);
    }
  };

  const padList = (v: Value | undefined, r: number): { before: number[]; after: number[] } | null => {
    if (!v) return null;
    const n = numOf(v);
    if (n !== null) return { before: new Array<number>(r).fill(n), after: new Array<number>(r).fill(n) };
    if (!isSeq(v)) return null;
    const ns = v.items.map(numOf);
    if (ns.some((x) => x === null)) return null;
    // PyTorch lists the last axis first: (left, right, top, bottom, front, back)
    const before = new Array<number>(r).fill(0);
    const after = new Array<number>(r).fill(0);
    for (let a = 0; a < r; a++) {
      const j = r - 1 - a;
      before[a] = (ns[2 * j] as number | undefined) ?? 0;
      after[a] = (ns[2 * j + 1] as number | undefined) ?? 0;
    }
    return { before, after };
  };

  const padOp = (pads: { before: number[]; after: number[] }, mode: PadMode, r: number): LayerOp => {
    if (pads.before.some((x) => x < 0) || pads.after.some((x) => x < 0)) {
      return { op: 'crop', offset: pads.before.map((b) => Math.max(0, -b)), size: pads.after.map((x) => ({ trimEnd: Math.max(0, -x) })) };
    }
    return {
      op: 'conv',
      sliding: {
        kernel: new Array<number>(r).fill(1),
        stride: new Array<number>(r).fill(1),
        dilation: new Array<number>(r).fill(1),
        padding: { kind: 'explicit', before: pads.before, after: pads.after },
        padMode: mode,
        ceil: false,
      },
    };
  };

  /** `size` is a Python value, or 'reference' for the size of a second input (another tensor's `.shape[-2:]`). */
  const upsampleOp = (mode: string, size: Value | 'reference' | undefined, scale: Value | undefined, align: Value | undefined, r: number, native: NativeLayer | null, id: string): LayerOp => {
    const alignCorners = !!align && align.k === 'bool' && align.v;
    let m: 'nearest' | 'bilinear';
    if (mode === 'nearest' || mode === 'nearest-exact') m = 'nearest';
    else if (mode === 'linear' || mode === 'bilinear' || mode === 'trilinear') m = 'bilinear';
    else if (mode === 'bicubic') {
      layerReport(native, 'mode', `bicubic upsampling reads 4 input pixels per axis; it is shown as bilinear (2), so fields are up to 2 pixels narrower than PyTorch's.`, id);
      m = 'bilinear';
    } else {
      layerReport(native, 'mode', `upsampling mode '${mode}' is not modelled; the layer is shown as the identity.`, id);
      return { op: 'unknown', reason: `upsample mode ${mode}` };
    }
    if (size === 'reference' || (size && size.k !== 'none')) {
      const s = size === 'reference' ? size : perAxis(size, r);
      if (!s) {
        layerReport(native, 'size', `the upsampling size ${size !== 'reference' && isSeq(size) && size.items.some((x) => x.k === 'dim') ? "mixes sizes of different tensors" : 'is not known before running'}; the layer is shown as the identity.`, id);
        return { op: 'unknown', reason: 'upsample size not known' };
      }
      const sized: LayerOp = { op: 'upsample', mode: m, scale: null, size: s, alignCorners };
      // nearest-exact reads floor((o + 0.5) * in / out)
      if (mode === 'nearest-exact') Object.assign(sized, { coordinates: 'tf_half_pixel_for_nn', rounding: 'floor' });
      return sized;
    }
    const sc = perAxis(scale, r);
    if (!sc) {
      layerReport(native, 'scale_factor', 'the upsampling scale is not known before running; the layer is shown as the identity.', id);
      return { op: 'unknown', reason: 'upsample scale not known' };
    }
    const scaled: LayerOp = { op: 'upsample', mode: m, scale: sc, size: null, alignCorners };
    // PyTorch reads with 1/scale_factor itself, not the ratio of the sizes: floor(o / s) for nearest,
    // floor((o + 0.5) / s) for nearest-exact, (o + 0.5) / s - 0.5 for linear without aligned corners
    if (mode === 'nearest-exact') Object.assign(scaled, { coordinates: 'tf_half_pixel_for_nn', rounding: 'floor' });
    else if (sc.some((s) => !Number.isInteger(s))) {
      if (m === 'nearest') Object.assign(scaled, { coordinates: 'asymmetric', rounding: 'floor' });
      else if (!alignCorners) Object.assign(scaled, { coordinates: 'half_pixel' });
    }
    return scaled;
  };

  /** The tensor whose spatial sizes a size argument is, in order (`x.shape[-2:]`, `x.size()[2:]`); else null. */
  const sizeTensorOf = (v: Value | undefined, r: number): string | null => {
    if (!v || !isSeq(v) || v.items.length !== r) return null;
    const dims = v.items;
    if (!dims.every((d) => d.k === 'dim' && d.spatial)) return null;
    const first = dims[0] as { tensor: string; axis: number };
    return dims.every((d, a) => (d as { tensor: string; axis: number }).tensor === first.tensor && (d as { axis: number }).axis === first.axis + a) ? first.tensor : null;
  };

  /** Adaptive pooling: a global pool when the output is 1 on every axis, else the engine's adaptivePool (PyTorch's start/end windows). */
  const adaptiveOp = (v: Value | undefined, r: number, native: NativeLayer | null, id: string, what: string, pool: 'avg' | 'max'): LayerOp => {
    const items = v ? (isSeq(v) ? v.items : new Array<Value>(r).fill(v)) : [];
    const outs = items.map((x) => (x.k === 'none' ? null : numOf(x)));
    if (items.length !== r || outs.some((o, a) => o === null && items[a]!.k !== 'none') || outs.some((o) => o !== null && !(Number.isInteger(o) && o >= 1))) {
      if (native) layerReport(native, 'output_size', `${what} output size ${v ? (isUnknown(v) ? `is not known before running (${v.why})` : `does not give ${r} sizes`) : 'is missing'}; the layer is shown as the identity.`, id);
      return { op: 'unknown', reason: 'adaptive pooling size not known' };
    }
    if (outs.every((o) => o === 1)) return { op: 'globalPool' };
    return { op: 'adaptivePool', pool, output: outs as Array<number | null> };
  };

  const userForward = (obj: ObjectValue): Value | undefined => {
    for (const c of mro(obj.cls)) {
      if (c.native) return undefined;
      const f = c.attrs.get('forward');
      if (f) return f;
    }
    return undefined;
  };

  /** Calling a module: a layer adds its node, a container or a user module runs and gets an identity node at its output. */
  const callModule = (obj: ObjectValue, args: Value[], kwargs: Map<string, Value>, site: CallSite, asForward = false): Value => {
    const t = tracer();
    const path = state.paths.get(obj);
    const fwd = userForward(obj);
    const native = nativeOf(obj.cls);
    if (fwd || !native || native.native === 'Module') {
      if (!fwd) {
        const f = obj.cls.unknownBase ? null : 'no forward()';
        if (f) interp.report(site.node, site.module, `${obj.cls.name} has no forward(); calling it gives an unknown value`);
        return unknown(`${obj.cls.name} without forward()`);
      }
      if (!t) return unknown(`calling ${obj.cls.name} outside forward`);
      const base = path ?? t.opId(obj.cls.name.toLowerCase());
      t.pathStack.push(base);
      let r: Value;
      try {
        r = interp.call(fwd.k === 'func' ? { k: 'bound', fn: fwd, self: obj } : fwd, args, kwargs, site);
      } finally {
        t.pathStack.pop();
      }
      return wrapOutput(obj, base, r, asForward);
    }
    if (!t) return unknown(`calling ${obj.cls.name} outside forward`);
    const type = native.native!;
    if (type === 'Sequential') {
      const base = path ?? t.opId('sequential');
      t.pathStack.push(base);
      let x: Value = args[0] ?? unknown('no input');
      try {
        for (const child of obj.modules?.values() ?? []) x = interp.call(child, [x], new Map(), site);
      } finally {
        t.pathStack.pop();
      }
      return wrapOutput(obj, base, x, asForward);
    }
    if (type === 'ModuleList' || type === 'ModuleDict') {
      interp.report(site.node, site.module, `nn.${type} is not callable`);
      return unknown(`calling nn.${type}`);
    }
    const x = args[0] ?? kwargs.get('input');
    // a layer applied to a constant tensor (Swin V2's position-bias MLP on its coordinate table): still no pixels
    if (x && x.k === 'array') return shapeOnly(null);
    if (!x || x.k !== 'tensor') return unknown(`${type} applied to ${x ? (isUnknown(x) ? x.why : x.k) : 'nothing'}`);
    const layerPath = path ?? t.opId(type.toLowerCase());
    const base = state.called.has(obj) ? layerPath : layerPath;
    state.called.add(obj);
    return applyLayer(obj, type, x, args, base);
  };

  const wrapOutput = (obj: ObjectValue, base: string, r: Value, asForward: boolean): Value => {
    const t = tracer()!;
    if (asForward || base === '' || r.k !== 'tensor') return r;
    const n = obj.native;
    return emit(t.freshId(base), { op: 'pointwise', kind: `output of ${obj.cls.name}` }, [r], { type: obj.cls.name, origin: obj.range ?? n?.range ?? null }, {});
  };

  const applyLayer = (obj: ObjectValue, type: string, x: TensorValue, args: Value[], base: string): Value => {
    const native = obj.native!;
    const def: TorchLayerDef = TORCH_LAYERS[type] ?? { kind: 'pointwise', sig: [] };
    const r = rank();
    const { ranges, valueRanges } = rangesOf(native, def);
    const info = { type, origin: native.range, ranges, valueRanges, padModeSlot: padModeSlotOf(native, def, valueRanges) };
    const t = tracer()!;
    const id = t.freshId(base);
    if (def.kind === 'attention' || def.kind === 'transformer') {
      // global mixing: each position reads a summary of every position
      if (!x.spatial) return attentionResult(def, t.add(id, { op: 'pointwise', kind: type }, [x.node], info, false, x.layout));
      const ctxNode = t.add(`${id}.context`, { op: 'globalPool' }, [x.node], info, true, x.layout);
      const out = t.add(id, { op: 'mul', align: 'exact' }, [x.node, ctxNode.node], info, true, x.layout);
      return attentionResult(def, out);
    }
    if (def.kind === 'dense' && x.spatial) {
      if (x.layout === 'nhwc') return t.add(id, { op: 'pointwise', kind: `${type} over channels` }, [x.node], info, true, x.layout);
      layerReport(native, null, `${type} applied to a map that still has its spatial axes acts on the last axis in PyTorch; it is shown as a dense layer.`, id);
    }
    if (def.kind === 'flatten') {
      return t.add(id, { op: 'flatten' }, [x.node], info, false, 'flat');
    }
    void args;
    const spec = layerOp(native, def, r, id);
    const spatial = spec.op === 'dense' || spec.op === 'flatten' ? false : x.spatial;
    return t.add(id, spec, [x.node], info, spatial, spec.op === 'dense' ? 'flat' : x.layout);
  };

  const attentionResult = (def: TorchLayerDef, out: TensorValue): Value => (def.kind === 'attention' ? tuple([out, NONE]) : out);

  interp.hooks.callObject = (obj, args, kwargs, site) => {
    if (!obj.modules) return null;
    const native = nativeOf(obj.cls);
    if (native?.lib === 'keras') return null;
    if (!interp.tracer) {
      if (userForward(obj)) return null; // let the interpreter run forward() (a helper module used in __init__)
      return unknown(`calling ${obj.cls.name} outside forward`);
    }
    return callModule(obj, args, kwargs, site);
  };

  // ----- tensors -----

  interp.hooks.tensorBinary = (op, a, b, site) => {
    if (!interp.tracer) return unknown('tensor arithmetic outside forward');
    if (['==', '!=', '<', '>', '<=', '>='].includes(op)) return unknown('a tensor comparison');
    const ta = a.k === 'tensor' ? a : null;
    const tb = b.k === 'tensor' ? b : null;
    if (ta && tb) {
      const kind = op === '+' || op === '-' ? 'add' : op === '*' || op === '/' ? 'mul' : op === '@' ? 'matmul' : null;
      if (kind === 'matmul') return matmul(`the ${op} operator`, a, b, site);
      if (kind === null) return opaque(`the ${op} operator`, [ta, tb], site);
      return emit(interp.tracer.opId(kind), { op: kind, align: 'exact' }, [ta, tb], { type: op, origin: interp.rangeOf(site.node, site.module) }, { spatial: ta.spatial || tb.spatial, layout: ta.spatial ? ta.layout : tb.layout });
    }
    if (op === '@' && (ta || tb)) return matmul(`the ${op} operator`, a, b, site);
    return ta ?? tb;
  };

  /**
   * A matrix product: of two token tensors (attention's q @ k^T, attn @ v) it
   * depends on both (a mul: every unit of a flat tensor already sees every
   * pixel); with a pixel-free operand (a weight) on flat tokens it is the
   * tokens themselves, on a channels-last map a per-position linear map.
   */
  const matmul = (what: string, a: Value, b: Value, site: CallSite): Value => {
    const t = tracer()!;
    const ta = a.k === 'tensor' ? a : null;
    const tb = b.k === 'tensor' ? b : null;
    if (ta && tb) {
      if (!ta.spatial && !tb.spatial) return emit(t.opId('matmul'), { op: 'mul', align: 'exact' }, [ta, tb], { type: 'matmul', origin: siteRange(site) }, { spatial: false, layout: 'flat' });
      return opaque(what, [ta, tb], site);
    }
    const x = ta ?? tb!;
    const other = ta ? b : a;
    if (other.k !== 'array' && other.k !== 'unknown') return opaque(what, [x], site);
    if (!x.spatial) return x;
    if (ta && x.layout === 'nhwc') return emit(t.opId('matmul'), { op: 'pointwise', kind: 'matmul over channels' }, [x], { type: 'matmul', origin: siteRange(site) });
    return opaque(what, [x], site);
  };

  const opaque = (what: string, tensors: TensorValue[], site: CallSite): TensorValue => {
    const t = tracer()!;
    const id = t.opId(what.replace(/[^A-Za-z0-9_.]/g, '_').replace(/^_+|_+$/g, '').slice(0, 40) || 'op');
    interp.report(site.node, site.module, `${what} is not known to the reader; its result is shown as the identity of its first input`, id);
    return t.add(id, { op: 'unknown', reason: what }, tensors.map((x) => x.node), { type: what, origin: interp.rangeOf(site.node, site.module) }, tensors[0]?.spatial ?? true, tensors[0]?.layout ?? 'nchw');
  };

  /**
   * Basic indexing of a traced tensor. On flat tensors (tokens after a
   * flatten or a view) it is the identity: every unit of a flat tensor
   * already sees every pixel (ViT's `x[:, 0]`, attention's `qkv[0]`). On a map,
   * slices of the batch and channel axes keep it (one channel in the all-ones
   * model); a slice of a spatial axis is a crop (`a:b`, `a:-k`, `a:`) and, with
   * a step, a 1x1 window of that stride (`x[..., 1::2, ::2, :]`). Anything
   * else is not understood (null: an opaque op with a finding).
   */
  /**
   * torch.roll along spatial axes: a circular shift, i.e. circular padding by
   * the shift on one side and a crop of as much on the other (out[i] reads
   * x[(i - k) mod n]); reads that wrap count at their unwrapped position, as
   * circular padding does. Rolls along the batch or channel axes keep the map.
   */
  const roll = (x: TensorValue, shiftsV: Value | undefined, dimsV: Value | undefined, site: CallSite): Value => {
    const t = tracer()!;
    const r = rank();
    const shifts = shiftsV ? (isSeq(shiftsV) ? shiftsV.items : [shiftsV]).map(numOf) : [];
    const dims = dimsV && dimsV.k !== 'none' ? (isSeq(dimsV) ? dimsV.items : [dimsV]).map(numOf) : null;
    if (!x.spatial) return x;
    if (!dims || shifts.length !== dims.length || shifts.some((v) => v === null || !Number.isInteger(v)) || dims.some((d) => d === null)) return opaque('torch.roll() by shifts or over axes that are not known, or of the flattened tensor', [x], site);
    const before = new Array<number>(r).fill(0);
    const after = new Array<number>(r).fill(0);
    let any = false;
    for (let i = 0; i < dims.length; i++) {
      const role = axisRole(x, r, dims[i]!);
      if (role === null) return opaque('torch.roll() over a missing axis', [x], site);
      if (typeof role !== 'number' || shifts[i] === 0) continue;
      const k = shifts[i]!;
      if (k > 0) before[role] += k;
      else after[role] += -k;
      any = true;
    }
    if (!any) return x;
    const origin = siteRange(site);
    const padded = emit(t.opId('roll'), padOp({ before, after }, 'circular', r), [x], { type: 'roll', origin });
    return emit(t.opId('roll'), { op: 'crop', offset: after.slice(), size: before.map((b) => ({ trimEnd: b })) }, [padded], { type: 'roll', origin });
  };

  /** strided slices of one map (`x[..., 1::2, ::2, :]`) by their node: a cat of all of them along channels is a space-to-depth */
  const slices = new WeakMap<TensorValue, { src: TensorValue; offset: number[]; stride: number[]; nodes: string[] }>();

  /** The space-to-depth a channel cat of every phase of one map's strided slices is (YOLOv5's Focus, Swin's patch merging), or null. */
  const spaceToDepthOf = (ts: TensorValue[]): { src: TensorValue; block: number[]; nodes: string[] } | null => {
    const ss = ts.map((x) => slices.get(x));
    if (ss.some((x) => !x)) return null;
    const first = ss[0]!;
    if (ss.some((x) => x!.src.node !== first.src.node || x!.stride.join() !== first.stride.join())) return null;
    const phases = new Set(ss.map((x) => x!.offset.join()));
    const count = first.stride.reduce((p, s) => p * s, 1);
    if (phases.size !== ts.length || ts.length !== count) return null;
    return { src: first.src, block: first.stride, nodes: ss.flatMap((x) => x!.nodes) };
  };

  interp.hooks.indexTensor = (x, index, site) => {
    const items = index.k === 'tuple' ? index.items : [index];
    if (!items.every((i) => i.k === 'num' || i.k === 'bool' || i.k === 'slice' || i.k === 'none' || i.k === 'ellipsis')) return null;
    if (!x.spatial) return x;
    const r = rank();
    const lead = x.layout === 'nhwc' ? 2 : (x.lead ?? 2);
    const n = r + lead;
    if (items.some((i) => i.k === 'none') || items.filter((i) => i.k === 'ellipsis').length > 1) return null;
    const used = items.filter((i) => i.k !== 'ellipsis').length;
    if (used > n) return null;
    const all: Value = { k: 'slice', start: NONE, stop: NONE, step: NONE };
    const full: Value[] = [];
    for (const it of items) {
      if (it.k === 'ellipsis') for (let k = 0; k < n - used; k++) full.push(all);
      else full.push(it);
    }
    while (full.length < n) full.push(all);
    const offset = new Array<number>(r).fill(0);
    const size: Array<number | { trimEnd: number }> = new Array(r).fill(null).map(() => ({ trimEnd: 0 }));
    const stride = new Array<number>(r).fill(1);
    for (let a = 0; a < n; a++) {
      const e = full[a]!;
      const role = axisRole(x, r, a);
      if (typeof role !== 'number') {
        if (e.k !== 'slice') return null;
        continue;
      }
      if (e.k !== 'slice') return null;
      const step = e.step.k === 'none' ? 1 : numOf(e.step);
      const start = e.start.k === 'none' ? 0 : numOf(e.start);
      if (step === null || start === null || !Number.isInteger(step) || step < 1 || !Number.isInteger(start) || start < 0) return null;
      offset[role] = start;
      stride[role] = step;
      const stop = e.stop;
      if (stop.k === 'none' || (stop.k === 'dim' && stop.tensor === x.node && stop.axis === a)) size[role] = { trimEnd: 0 };
      else {
        const b = numOf(stop);
        if (b === null || !Number.isInteger(b)) return null;
        if (b < 0) size[role] = { trimEnd: -b };
        else if (b > start) size[role] = b - start;
        else return null;
      }
    }
    const t = tracer()!;
    let out = x;
    const origin = siteRange(site);
    const made: string[] = [];
    if (offset.some((o) => o > 0) || size.some((z) => typeof z === 'number' || z.trimEnd > 0)) {
      out = emit(t.opId('slice'), { op: 'crop', offset, size }, [out], { type: 'slice', origin });
      made.push(out.node);
    }
    if (stride.some((st) => st > 1)) {
      const ones = new Array<number>(r).fill(1);
      out = emit(t.opId('slice'), { op: 'pool', pool: 'avg', sliding: { kernel: ones, stride, dilation: ones.slice(), padding: { kind: 'explicit', before: new Array<number>(r).fill(0), after: new Array<number>(r).fill(0) }, padMode: 'zeros', ceil: false } }, [out], { type: 'strided slice', origin });
      made.push(out.node);
      if (size.every((z) => typeof z !== 'number' && z.trimEnd === 0) && offset.every((o, i) => o < stride[i]!)) slices.set(out, { src: x, offset, stride, nodes: made });
    }
    return out === x ? { ...x } : out;
  };

  interp.hooks.opaqueCall = (what, args, _kwargs, site) => {
    if (!interp.tracer) return null;
    const ts = tensorArgs(args);
    if (ts.length === 0) return null;
    if (what === 'indexing') {
      return opaque('tensor indexing', ts, site);
    }
    return opaque(`${what}()`, ts, site);
  };

  const siteRange = (site: CallSite) => interp.rangeOf(site.node, site.module);

  /** A functional op on a tensor: F.max_pool2d(x, 3, 2, 1) and friends. */
  const hasTraced = (args: Value[], kwargs: Map<string, Value>): boolean => {
    const traced = (v: Value): boolean => v.k === 'tensor' || (isSeq(v) && v.items.some((x) => x.k === 'tensor'));
    return args.some(traced) || [...kwargs.values()].some(traced);
  };

  const functional = (name: string, args: Value[], kwargs: Map<string, Value>, site: CallSite): Value => {
    if (!hasTraced(args, kwargs)) {
      const r = arrays.fn(name, args, kwargs);
      if (r) return r;
    }
    const t = tracer();
    const x = args[0] ?? kwargs.get('input');
    if (!t || !x || x.k !== 'tensor') {
      if (name === 'cat' || name === 'concat' || name === 'stack' || name === 'add' || name === 'mul') {
        // fallthrough: lists of tensors
      } else return x && isUnknown(x) ? x : unknown(`${name}() outside forward`);
    }
    const tr = t!;
    const r = rank();
    const origin = siteRange(site);
    const info = (type: string) => ({ type, origin });
    const argOr = (i: number, key: string): Value | undefined => (i < args.length ? args[i] : kwargs.get(key));
    const poolLike = (kind: 'max' | 'avg', sig: string[]) => {
      const p = bindSignature(sig, args.slice(1), kwargs);
      const xt = x as TensorValue;
      const k = p.get('kernel_size');
      // F.avg_pool2d(x, x.size()[2:]): the whole map
      if (k && isSeq(k) && k.items.every((d) => d.k === 'dim' && d.spatial && d.tensor === xt.node)) {
        return emit(tr.opId(name), { op: 'globalPool' }, [xt], info(name));
      }
      const kernel = perAxis(k, r);
      const stride = p.get('stride') && p.get('stride')!.k !== 'none' ? perAxis(p.get('stride'), r) : kernel;
      const pad = p.get('padding') ? perAxis(p.get('padding'), r) : new Array<number>(r).fill(0);
      const dil = p.get('dilation') ? perAxis(p.get('dilation'), r) : new Array<number>(r).fill(1);
      const ceil = p.get('ceil_mode');
      if (!kernel || !stride || !pad || !dil) {
        const id = tr.opId(name);
        interp.report(site.node, site.module, `${name}: window parameters are not known before running; shown as the identity`, id);
        return tr.add(id, { op: 'unknown', reason: `${name} parameters` }, [xt.node], info(name), xt.spatial, xt.layout);
      }
      return emit(tr.opId(name), { op: 'pool', pool: kind, sliding: { kernel, stride, dilation: dil, padding: { kind: 'explicit', before: pad, after: pad.slice() }, padMode: 'zeros', ceil: ceil && ceil.k === 'bool' && ceil.v ? 'always' : false } }, [xt], info(name));
    };
    const base = name.replace(/_$/, '');
    if (FUNCTIONAL_POINTWISE.has(name) || FUNCTIONAL_POINTWISE.has(base)) {
      if (['contiguous', 'detach', 'clone', 'float', 'half', 'double'].includes(base)) return x!;
      return emit(tr.opId(base), { op: 'pointwise', kind: base }, [x as TensorValue], info(base));
    }
    switch (base) {
      case 'max_pool1d':
      case 'max_pool2d':
      case 'max_pool3d':
        return poolLike('max', ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']);
      case 'avg_pool1d':
      case 'avg_pool2d':
      case 'avg_pool3d':
        return poolLike('avg', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad']);
      case 'lp_pool1d':
      case 'lp_pool2d': {
        const rest = args.slice(2);
        return functional(base.replace('lp_', 'avg_'), [x!, ...rest], kwargs, site);
      }
      case 'adaptive_avg_pool1d':
      case 'adaptive_avg_pool2d':
      case 'adaptive_avg_pool3d':
      case 'adaptive_max_pool1d':
      case 'adaptive_max_pool2d':
      case 'adaptive_max_pool3d': {
        const id = tr.opId(base);
        const spec = adaptiveOp(argOr(1, 'output_size'), r, null, id, base, base.includes('max') ? 'max' : 'avg');
        if (spec.op === 'unknown') interp.report(site.node, site.module, `${base}: the output size is not known before running; shown as the identity`, id);
        return tr.add(id, spec, [(x as TensorValue).node], info(base), (x as TensorValue).spatial, (x as TensorValue).layout);
      }
      case 'interpolate':
      case 'upsample':
      case 'upsample_nearest':
      case 'upsample_bilinear': {
        const p = bindSignature(['size', 'scale_factor', 'mode', 'align_corners'], args.slice(1), kwargs);
        const mode = p.get('mode');
        const id = tr.opId('interpolate');
        const modeName = base === 'upsample_bilinear' ? 'bilinear' : mode && mode.k === 'str' ? mode.v : 'nearest';
        const align = base === 'upsample_bilinear' ? bool(true) : p.get('align_corners');
        // size=other.shape[-2:] (a segmentation head resized back to the image): the size of that tensor, a second input lending only its size
        const reference = sizeTensorOf(p.get('size'), r);
        const spec = upsampleOp(modeName, reference ? 'reference' : p.get('size'), p.get('scale_factor'), align, r, null, id);
        if (spec.op === 'unknown') interp.report(site.node, site.module, `${base}: ${spec.reason}; shown as the identity`, id);
        const inputs = spec.op === 'upsample' && spec.size === 'reference' ? [(x as TensorValue).node, reference!] : [(x as TensorValue).node];
        return tr.add(id, spec, inputs, info(base), (x as TensorValue).spatial, (x as TensorValue).layout);
      }
      case 'pad': {
        const pads = padList(argOr(1, 'pad'), r);
        const modeV = argOr(2, 'mode');
        const mode = modeV && modeV.k === 'str' ? modeV.v : 'constant';
        const pm: PadMode = mode === 'reflect' ? 'reflect' : mode === 'replicate' ? 'replicate' : mode === 'circular' ? 'circular' : 'zeros';
        const id = tr.opId('pad');
        if (!pads) {
          interp.report(site.node, site.module, 'F.pad: the padding is not known before running (it is computed from values such as x.shape, which depend on the input size); shown as the identity, which is exact where the padding is 0', id);
          return tr.add(id, { op: 'unknown', reason: 'pad not known' }, [(x as TensorValue).node], info('pad'), (x as TensorValue).spatial, (x as TensorValue).layout);
        }
        return tr.add(id, padOp(pads, pm, r), [(x as TensorValue).node], info('pad'), (x as TensorValue).spatial, (x as TensorValue).layout);
      }
      case 'roll':
        return roll(x as TensorValue, argOr(1, 'shifts'), argOr(2, 'dims'), site);
      case 'pixel_shuffle':
      case 'pixel_unshuffle': {
        const f = perAxis(argOr(1, base === 'pixel_shuffle' ? 'upscale_factor' : 'downscale_factor'), r);
        const id = tr.opId(base);
        if (!f) return tr.add(id, { op: 'unknown', reason: 'factor not known' }, [(x as TensorValue).node], info(base));
        return tr.add(id, base === 'pixel_shuffle' ? { op: 'pixelShuffle', factor: f } : { op: 'spaceToDepth', block: f, layout: 'clean' }, [(x as TensorValue).node], info(base), (x as TensorValue).spatial, (x as TensorValue).layout);
      }
      case 'flatten': {
        const xt = x as TensorValue;
        if (!xt.spatial) return xt;
        return emit(tr.opId('flatten'), { op: 'flatten' }, [xt], info('flatten'), { spatial: false, layout: 'flat' });
      }
      case 'linear': {
        const xt = x as TensorValue;
        if (xt.spatial && xt.layout === 'nhwc') return emit(tr.opId('linear'), { op: 'pointwise', kind: 'linear over channels' }, [xt], info('linear'));
        return emit(tr.opId('linear'), { op: 'dense' }, [xt], info('linear'), { spatial: false, layout: 'flat' });
      }
      case 'cat':
      case 'concat':
      case 'concatenate':
      case 'stack': {
        const seq = args[0] ?? kwargs.get('tensors');
        const items = seq ? interp.iterate(seq, null, null) : null;
        if (!t) return unknown(`${base}() outside forward`);
        const ts = (items ?? []).filter((v): v is TensorValue => v.k === 'tensor');
        if (!items || ts.length === 0) return unknown(`${base}() of values that are not tensors`);
        // constant tensors (a class token, an nn.Parameter) carry no pixels: joined along a token or channel axis they add no path, coverage or field
        const consts = items.filter((v) => v.k === 'array').length;
        const others = items.length - ts.length - consts;
        if (others > 0) interp.report(site.node, site.module, `${base}() of ${items.length} values of which ${others} are not known tensors; they are left out`);
        const dimV = argOr(1, 'dim') ?? argOr(1, 'axis');
        const dim = numOf(dimV) ?? 0;
        const role = axisRole(ts[0]!, r, dim);
        if (base !== 'stack' && typeof role === 'number') {
          const id = tr.opId(base);
          if (ts.every((x) => !x.spatial)) return tr.add(id, { op: 'concat', align: 'exact' }, ts.map((x) => x.node), info(base), false, 'flat');
          interp.report(site.node, site.module, `${base}() along a spatial axis is not modelled; shown as the identity of the first input`, id);
          return tr.add(id, { op: 'unknown', reason: 'spatial concat' }, ts.map((x) => x.node), info(base), ts[0]!.spatial, ts[0]!.layout);
        }
        if (ts.length === 1) return ts[0]!;
        const s2d = base !== 'stack' && ts.every((x) => x.spatial) ? spaceToDepthOf(ts) : null;
        if (s2d) {
          for (const id of [...s2d.nodes].reverse()) tr.detach(id);
          return emit(tr.opId('space_to_depth'), { op: 'spaceToDepth', block: s2d.block, layout: 'clean' }, [s2d.src], info(base));
        }
        return emit(tr.opId(base === 'stack' ? 'stack' : 'cat'), { op: 'concat', align: 'exact' }, ts, info(base), { spatial: ts.some((x) => x.spatial), layout: ts.find((x) => x.spatial)?.layout ?? 'flat' });
      }
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'multiply':
      case 'true_divide': {
        const a = args[0];
        const b = args[1] ?? kwargs.get('other');
        if (!a || !b) return unknown(base);
        const op = base === 'add' || base === 'sub' ? '+' : '*';
        return interp.hooks.tensorBinary?.(op, a, b, site) ?? unknown(base);
      }
      case 'mean':
      case 'sum':
      case 'amax':
      case 'amin':
      case 'max':
      case 'min':
      case 'std':
      case 'var':
      case 'logsumexp':
      case 'norm':
        return reduce(x as TensorValue, base, argOr(1, 'dim'), site, argOr(2, 'keepdim')?.k === 'bool' && (argOr(2, 'keepdim') as { v: boolean }).v);
      case 'split':
      case 'chunk':
      case 'tensor_split':
      case 'unbind':
        return splitTensor(x as TensorValue, base, argOr(1, base === 'chunk' ? 'chunks' : 'split_size_or_sections'), argOr(2, 'dim'), site);
      case 'transpose':
      case 'swapaxes':
        return transpose(x as TensorValue, [numOf(argOr(1, 'dim0')), numOf(argOr(2, 'dim1'))]);
      case 'permute':
        return permute(x as TensorValue, argOr(1, 'dims'), args.slice(1));
      case 'reshape':
      case 'view':
        return view(x as TensorValue, args.slice(1), site);
      case 'squeeze':
      case 'unsqueeze':
      case 'expand_as':
      case 'broadcast_to':
        return x!;
      case 'matmul':
      case 'bmm':
        return args[1] ? matmul(`${base}()`, x!, args[1], site) : opaque(`${base}()`, tensorArgs(args), site);
      case 'scaled_dot_product_attention': {
        const xt = x as TensorValue;
        if (!xt.spatial) return emit(tr.opId('attention'), { op: 'pointwise', kind: 'attention' }, [xt], info('attention'));
        const g = emit(tr.opId('attention.context'), { op: 'globalPool' }, [xt], info('attention'));
        return emit(tr.opId('attention'), { op: 'mul', align: 'exact' }, [xt, g], info('attention'));
      }
      default:
        return opaque(`${name}()`, tensorArgs(args), site);
    }
  };

  const reduce = (x: TensorValue, name: string, dimV: Value | undefined, site: CallSite, keepdim = false): Value => {
    const t = tracer()!;
    const r = rank();
    if (!x.spatial) return x;
    const dims = !dimV || dimV.k === 'none' ? null : isSeq(dimV) ? dimV.items.map(numOf) : [numOf(dimV)];
    if (dims && dims.some((d) => d === null)) return opaque(`${name}() over unknown axes`, [x], site);
    const roles = dims ? dims.map((d) => axisRole(x, r, d!)) : null;
    const spatialAxes = roles ? roles.filter((k) => typeof k === 'number').length : r;
    if (spatialAxes === 0) return x;
    if (spatialAxes < r) return opaque(`${name}() over some spatial axes`, [x], site);
    return emit(t.opId(name), { op: 'globalPool' }, [x], { type: name, origin: siteRange(site) }, keepdim ? { spatial: true } : { spatial: false, layout: 'flat' });
  };

  const splitTensor = (x: TensorValue, name: string, sizes: Value | undefined, dimV: Value | undefined, site: CallSite): Value => {
    const r = rank();
    const dim = numOf(dimV) ?? (name === 'unbind' ? 0 : 0);
    const role = axisRole(x, r, dim);
    if (typeof role === 'number') return opaque(`${name}() along a spatial axis`, [x], site);
    let n = 2;
    if (name === 'chunk' && numOf(sizes) !== null) n = numOf(sizes)!;
    else if (sizes && isSeq(sizes)) n = sizes.items.length;
    else if (name === 'split' || name === 'unbind') n = 2;
    const out: Value[] = [];
    for (let i = 0; i < Math.min(n, 1024); i++) out.push({ ...x });
    return name === 'split' || name === 'unbind' || name === 'tensor_split' ? tuple(out) : tuple(out);
  };

  const transpose = (x: TensorValue, dims: Array<number | null>): Value => {
    const r = rank();
    if (!x.spatial || dims.some((d) => d === null)) return x;
    const a = axisRole(x, r, dims[0]!);
    const b = axisRole(x, r, dims[1]!);
    // channels <-> the last spatial axis of a 2-axis map flips the layout; channel groups (shuffles) keep it
    if ((a === 'channel' && typeof b === 'number') || (b === 'channel' && typeof a === 'number')) return { ...x, layout: x.layout === 'nchw' ? 'nhwc' : 'nchw' };
    return x;
  };

  const permute = (x: TensorValue, first: Value | undefined, rest: Value[]): Value => {
    const r = rank();
    const dims = (first && isSeq(first) ? first.items : rest).map(numOf);
    if (!x.spatial || dims.some((d) => d === null) || dims.length !== r + 2) return x;
    const n = r + 2;
    const ds = dims.map((d) => (d! < 0 ? d! + n : d!));
    // (0, 2, 3, 1): channels last; (0, 3, 1, 2): channels first
    const channelIn = x.layout === 'nhwc' ? n - 1 : 1;
    const channelOut = ds.indexOf(channelIn);
    if (channelOut === n - 1) return { ...x, layout: 'nhwc' };
    if (channelOut === 1) return { ...x, layout: 'nchw' };
    return x;
  };

  const view = (x: TensorValue, shapeArgs: Value[], site: CallSite): Value => {
    const r = rank();
    if (!x.spatial) return x;
    const dims = shapeArgs.length === 1 && isSeq(shapeArgs[0]!) ? (shapeArgs[0] as { items: Value[] }).items : shapeArgs;
    const spatialDims = dims.filter((d) => d.k === 'dim' && d.spatial);
    const last = dims.slice(-r);
    if (spatialDims.length >= r && last.every((d) => d.k === 'dim' && d.spatial) && x.layout !== 'nhwc') {
      // channels regrouped, the map kept (a channel shuffle's views)
      return { ...x, lead: dims.length - r };
    }
    if (spatialDims.length >= r) return x;
    const t = tracer()!;
    return emit(t.opId('view'), { op: 'flatten' }, [x], { type: 'view', origin: siteRange(site) }, { spatial: false, layout: 'flat' });
  };

  const tensorMethod = (x: TensorValue, name: string): Value => {
    const m = (fn: BuiltinFn) => B(`Tensor.${name}`, fn);
    const r = rank();
    switch (name) {
      case 'shape':
        return tuple(dimsOf(x, r));
      case 'ndim':
        return int(x.spatial ? r + 2 : 2);
      case 'device':
      case 'dtype':
      case 'data':
        return unknown(`tensor.${name}`);
      case 'T':
      case 'mT':
        return x;
      case 'size':
        return m((a) => {
          const ds = dimsOf(x, r);
          const i = numOf(a[0]);
          if (a[0] && i !== null) return ds[i < 0 ? ds.length + i : i] ?? unknown('size() of a missing axis');
          return tuple(ds);
        });
      case 'dim':
      case 'ndimension':
        return m(() => int(x.spatial ? r + 2 : 2));
      case 'view':
      case 'reshape':
        return m((a, _kw, site) => view(x, a, site));
      case 'view_as':
      case 'reshape_as':
      case 'expand_as':
      case 'expand':
      case 'contiguous':
      case 'clone':
      case 'detach':
      case 'float':
      case 'half':
      case 'double':
      case 'to':
      case 'type':
      case 'type_as':
      case 'cuda':
      case 'cpu':
      case 'requires_grad_':
      case 'squeeze':
      case 'unsqueeze':
      case 'squeeze_':
      case 'unsqueeze_':
      case 'repeat':
        return m(() => x);
      case 'flatten':
        return m((a, kw, site) => {
          const start = numOf(a[0] ?? kw.get('start_dim')) ?? 0;
          if (!x.spatial) return x;
          const role = axisRole(x, r, start);
          if (typeof role === 'number' && start === (x.layout === 'nhwc' ? r : r + 1)) return x;
          const t = tracer();
          if (!t) return unknown('flatten outside forward');
          return emit(t.opId('flatten'), { op: 'flatten' }, [x], { type: 'flatten', origin: siteRange(site) }, { spatial: false, layout: 'flat' });
        });
      case 'permute':
        return m((a) => permute(x, a[0], a));
      case 'transpose':
      case 'swapaxes':
        return m((a) => transpose(x, [numOf(a[0]), numOf(a[1])]));
      case 't':
        return m(() => x);
      case 'chunk':
      case 'split':
      case 'unbind':
      case 'tensor_split':
        return m((a, kw, site) => splitTensor(x, name, a[0] ?? kw.get('chunks') ?? kw.get('split_size'), a[1] ?? kw.get('dim'), site));
      case 'mean':
      case 'sum':
      case 'amax':
      case 'amin':
      case 'max':
      case 'min':
      case 'std':
      case 'var':
      case 'norm':
      case 'logsumexp':
        return m((a, kw, site) => reduce(x, name, a[0] ?? kw.get('dim'), site, (a[1] ?? kw.get('keepdim'))?.k === 'bool' && ((a[1] ?? kw.get('keepdim')) as { v: boolean }).v));
      case 'add':
      case 'add_':
      case 'sub':
      case 'sub_':
      case 'mul':
      case 'mul_':
      case 'div':
      case 'div_':
        return m((a, _kw, site) => {
          const other = a[0];
          if (!other) return x;
          const out = interp.hooks.tensorBinary?.(name.startsWith('add') || name.startsWith('sub') ? '+' : '*', x, other, site) ?? x;
          if (name.endsWith('_') && out.k === 'tensor' && out !== x) {
            x.node = out.node;
            x.spatial = out.spatial;
            return x;
          }
          return out;
        });
      case 'roll':
        return m((a, kw, site) => roll(x, a[0] ?? kw.get('shifts'), a[1] ?? kw.get('dims'), site));
      case 'matmul':
      case 'bmm':
        return m((a, _kw, site) => (a[0] ? matmul(`tensor.${name}()`, x, a[0], site) : opaque(`tensor.${name}()`, [x], site)));
      case 'masked_fill':
      case 'fill_':
      case 'zero_':
      case 'clamp':
      case 'clamp_':
      case 'clip':
      case 'pow':
      case 'abs':
      case 'exp':
      case 'log':
      case 'sqrt':
      case 'neg':
      case 'softmax':
      case 'log_softmax':
      case 'sigmoid':
      case 'sigmoid_':
      case 'tanh':
      case 'tanh_':
      case 'relu':
      case 'relu_':
        return m((_a, _kw, site) => {
          const t = tracer();
          if (!t) return unknown(`tensor.${name}() outside forward`);
          const out = emit(t.opId(name.replace(/_$/, '')), { op: 'pointwise', kind: name }, [x], { type: name, origin: siteRange(site) });
          if (name.endsWith('_')) {
            x.node = out.node;
            return x;
          }
          return out;
        });
      default:
        return m((a, _kw, site) => (tracer() ? opaque(`tensor.${name}()`, [x, ...tensorArgs(a)], site) : unknown(`tensor.${name}()`)));
    }
  };

  interp.hooks.tensorAttr = (t, name) => (t.k === 'tensor' ? tensorMethod(t, name) : unknown(name));

  // ----- modules -----

  const fModule = (): PyModuleValue => {
    const attrs = new Map<string, Value>();
    const m: PyModuleValue = { k: 'pymodule', name: 'torch.nn.functional', ctx: null, attrs };
    const names = [
      ...FUNCTIONAL_POINTWISE,
      'max_pool1d', 'max_pool2d', 'max_pool3d', 'avg_pool1d', 'avg_pool2d', 'avg_pool3d', 'lp_pool1d', 'lp_pool2d', 'adaptive_avg_pool1d',
      'adaptive_avg_pool2d', 'adaptive_avg_pool3d', 'adaptive_max_pool1d', 'adaptive_max_pool2d', 'adaptive_max_pool3d', 'interpolate',
      'upsample', 'upsample_nearest', 'upsample_bilinear', 'pad', 'pixel_shuffle', 'pixel_unshuffle', 'linear', 'scaled_dot_product_attention',
      'conv1d', 'conv2d', 'conv3d', 'conv_transpose2d', 'unfold', 'fold', 'grid_sample', 'embedding',
    ];
    for (const n of names) attrs.set(n, B(`F.${n}`, (a, kw, site) => functional(n, a, kw, site)));
    attrs.set('max_pool2d_with_indices', B('F.max_pool2d_with_indices', (a, kw, site) => tuple([functional('max_pool2d', a, kw, site), unknown('indices')])));
    return m;
  };

  const nnModule = (): PyModuleValue => {
    const attrs = new Map<string, Value>();
    for (const [k, v] of classes) attrs.set(k, v);
    attrs.set('Parameter', Parameter);
    attrs.set('functional', interp.loadModule('torch.nn.functional', null, null));
    attrs.set('init', interp.loadModule('torch.nn.init', null, null));
    attrs.set('modules', { k: 'pymodule', name: 'torch.nn.modules', ctx: null, attrs: new Map([...classes]) });
    attrs.set('utils', { k: 'pymodule', name: 'torch.nn.utils', ctx: null, attrs: new Map(), opaque: true });
    return { k: 'pymodule', name: 'torch.nn', ctx: null, attrs };
  };

  const torchModule = (): PyModuleValue => {
    const attrs = new Map<string, Value>();
    const m: PyModuleValue = { k: 'pymodule', name: 'torch', ctx: null, attrs };
    attrs.set('nn', interp.loadModule('torch.nn', null, null));
    attrs.set('Tensor', Tensor);
    attrs.set('Size', B('torch.Size', (a) => (a[0] ? (interp.iterate(a[0], null, null) ? tuple(interp.iterate(a[0], null, null)!) : unknown('Size')) : tuple([]))));
    for (const n of [...ARRAY_FUNCTIONS, 'cat', 'concat', 'concatenate', 'stack', 'add', 'sub', 'mul', 'div', 'multiply', 'true_divide', 'flatten', 'mean', 'sum', 'amax', 'amin', 'max', 'min', 'std', 'var', 'norm', 'logsumexp', 'split', 'chunk', 'tensor_split', 'unbind', 'transpose', 'swapaxes', 'permute', 'reshape', 'squeeze', 'unsqueeze', 'broadcast_to', 'sigmoid', 'relu', 'tanh', 'softmax', 'log_softmax', 'exp', 'log', 'sqrt', 'abs', 'clamp', 'clip', 'pow', 'pixel_shuffle', 'pixel_unshuffle', 'channel_shuffle', 'erf', 'neg', 'square', 'sin', 'cos', 'matmul', 'bmm', 'einsum', 'where', 'masked_fill', 'roll']) {
      attrs.set(n, B(`torch.${n}`, (a, kw, site) => functional(n, a, kw, site)));
    }
    for (const n of Object.keys(DTYPES)) attrs.set(n.slice(6), str(n));
    const example = (name: string) =>
      B(`torch.${name}`, (a, kw, site) => {
        const dims = a.length === 1 && isSeq(a[0]!) ? (a[0] as { items: Value[] }).items : a;
        const ns = dims.map(numOf);
        if (ns.length >= 3 && ns.every((x) => x !== null) && !hasTraced(a, new Map())) {
          state.exampleInputs.push({ shape: (ns as number[]).slice(2), range: interp.rangeOf(site.node, site.module) });
        }
        return arrays.creation(name, a, kw);
      });
    for (const n of ['randn', 'rand', 'zeros', 'ones', 'empty', 'randint', 'full']) attrs.set(n, example(n));
    const jit = new Map<string, Value>();
    jit.set('is_scripting', B('torch.jit.is_scripting', () => FALSE));
    jit.set('is_tracing', B('torch.jit.is_tracing', () => FALSE));
    jit.set('annotate', B('torch.jit.annotate', (a) => a[1] ?? NONE));
    jit.set('_overload_method', B('torch.jit._overload_method', (a) => a[0] ?? NONE));
    attrs.set('jit', { k: 'pymodule', name: 'torch.jit', ctx: null, attrs: jit });
    attrs.set('_assert', B('torch._assert', () => NONE));
    attrs.set('no_grad', B('torch.no_grad', () => unknown('no_grad')));
    attrs.set('is_tensor', B('torch.is_tensor', (a) => bool(a[0]?.k === 'tensor' || a[0]?.k === 'array')));
    attrs.set('fx', { k: 'pymodule', name: 'torch.fx', ctx: null, attrs: new Map([['wrap', B('torch.fx.wrap', (a) => a[0] ?? NONE)]]) });
    return m;
  };

  interp.builtinModules.set('torch', torchModule);
  // numpy, for the constants a model's construction computes (MaxViT's np.linspace(...).tolist()): the
  // same constant arrays, float64 unless said otherwise; the module stays opaque for everything else
  const NUMPY_FUNCTIONS = ['linspace', 'arange', 'cumsum', 'round', 'floor', 'ceil', 'sqrt', 'log', 'exp', 'diff', 'clip', 'unique', 'zeros', 'ones'];
  interp.builtinModules.set('numpy', () => {
    const attrs = new Map<string, Value>();
    for (const n of NUMPY_FUNCTIONS) {
      attrs.set(n, B(`numpy.${n}`, (a, kw) => {
        const k = new Map(kw);
        if (!k.has('dtype') && (n === 'linspace' || n === 'zeros' || n === 'ones')) k.set('dtype', str('torch.float64'));
        return arrays.fn(n, a, k) ?? unknown(`numpy.${n}() of values not known before running`);
      }));
    }
    attrs.set('array', B('numpy.array', (a, kw) => arrays.fn('tensor', a, kw) ?? unknown('numpy.array() of values not known before running')));
    attrs.set('asarray', attrs.get('array')!);
    return { k: 'pymodule', name: 'numpy', ctx: null, attrs, opaque: true };
  });
  interp.builtinModules.set('torch.nn', nnModule);
  interp.builtinModules.set('torch.nn.functional', fModule);
  interp.builtinModules.set('torch.nn.modules', () => ({ k: 'pymodule', name: 'torch.nn.modules', ctx: null, attrs: new Map([...classes]) }));
  interp.builtinModules.set('torch.nn.init', () => ({ k: 'pymodule', name: 'torch.nn.init', ctx: null, attrs: arrays.initModule() }));
  interp.builtinModules.set('torch.jit', () => (interp.loadModule('torch', null, null).attrs.get('jit') as PyModuleValue));
  interp.builtinModules.set('torch.fx', () => (interp.loadModule('torch', null, null).attrs.get('fx') as PyModuleValue));

  const prevClassByName = interp.hooks.classByName;
  interp.hooks.classByName = (name) => {
    if (interp.framework === 'torch' && classes.has(name) && name !== 'Module') return classes.get(name)!;
    return prevClassByName?.(name) ?? null;
  };
  void TraceLimit;
}
