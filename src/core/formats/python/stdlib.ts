/** The pieces of Python's standard library model code leans on: functools, collections, math, typing, copy. */
import type { Interp } from './interp';
import { bool, dict, ENUM_BASE, keyOf, int, isSeq, list, nextUid, NONE, num, str, tuple, unknown, type BuiltinFn, type ClassValue, type ObjectValue, type PyModuleValue, type Value } from './values';

function numOf(v: Value | undefined): number | null {
  if (!v) return null;
  if (v.k === 'num') return v.v;
  if (v.k === 'bool') return v.v ? 1 : 0;
  return null;
}

export function deepCopy(v: Value, memo = new Map<Value, Value>()): Value {
  const seen = memo.get(v);
  if (seen) return seen;
  switch (v.k) {
    case 'list':
    case 'tuple':
    case 'set': {
      const out = { k: v.k, items: [] as Value[] };
      memo.set(v, out);
      for (const x of v.items) out.items.push(deepCopy(x, memo));
      return out;
    }
    case 'dict': {
      const out = { k: 'dict' as const, map: new Map<string, [Value, Value]>(), ordered: v.ordered };
      memo.set(v, out);
      for (const [k, [kv, vv]] of v.map) out.map.set(k, [kv, deepCopy(vv, memo)]);
      return out;
    }
    case 'object': {
      const out: ObjectValue = { ...v, attrs: new Map(), uid: nextUid() };
      memo.set(v, out);
      for (const [k, x] of v.attrs) out.attrs.set(k, deepCopy(x, memo));
      if (v.modules) {
        out.modules = new Map();
        for (const [k, m] of v.modules) out.modules.set(k, deepCopy(m, memo) as ObjectValue);
      }
      return out;
    }
    default:
      return v;
  }
}

export function installStdlib(interp: Interp): void {
  const B = (name: string, fn: BuiltinFn): Value => ({ k: 'builtin', name, fn });
  const mod = (name: string, attrs: Record<string, Value>, opaque = false): (() => PyModuleValue) => () => ({ k: 'pymodule', name, ctx: null, attrs: new Map(Object.entries(attrs)), opaque });
  const identityDecorator = B('decorator', (a) => (a[0] && a[0].k !== 'str' && a[0].k !== 'num' ? a[0] : B('decorator', (b) => b[0] ?? NONE)));

  interp.builtinModules.set(
    'functools',
    mod('functools', {
      partial: B('functools.partial', (a, kw) => (a[0] ? { k: 'partial', fn: a[0], args: a.slice(1), kwargs: new Map(kw) } : unknown('partial()'))),
      reduce: B('functools.reduce', (a, _kw, site) => {
        const items = a[1] ? interp.iterate(a[1], null, null) : null;
        if (!items || !a[0]) return unknown('reduce()');
        let acc = a.length > 2 ? a[2]! : items.shift();
        for (const x of items) acc = interp.call(a[0], [acc ?? NONE, x], new Map(), site);
        return acc ?? unknown('reduce() of nothing');
      }),
      wraps: B('functools.wraps', () => identityDecorator),
      lru_cache: identityDecorator,
      cache: identityDecorator,
      cached_property: B('cached_property', (a) => (a[0]?.k === 'func' ? { ...a[0], kind: 'property' } : unknown('cached_property'))),
    }),
  );
  const ordered = B('collections.OrderedDict', (a, kw) => {
    const d = dict();
    d.ordered = true;
    if (a[0]?.k === 'dict') for (const [k, e] of a[0].map) d.map.set(k, e);
    else if (a[0]) {
      for (const it of interp.iterate(a[0], null, null) ?? []) {
        const pair = interp.iterate(it, null, null);
        if (pair && pair.length === 2) d.map.set(keyOf(pair[0]!), [pair[0]!, pair[1]!]);
      }
    }
    for (const [k, v] of kw) d.map.set(`s${k}`, [str(k), v]);
    return d;
  });
  interp.builtinModules.set(
    'collections',
    mod('collections', {
      OrderedDict: ordered,
      defaultdict: B('collections.defaultdict', () => dict()),
      namedtuple: B('collections.namedtuple', () => unknown('a namedtuple class')),
      deque: B('collections.deque', (a) => list(a[0] ? (interp.iterate(a[0], null, null) ?? []) : [])),
    }),
  );
  interp.builtinModules.set('collections.abc', mod('collections.abc', {}, true));
  const m1 = (name: string, f: (x: number) => number, asInt = false) => B(`math.${name}`, (a) => (numOf(a[0]) === null ? unknown(`math.${name}()`) : num(f(numOf(a[0])!), asInt)));
  interp.builtinModules.set(
    'math',
    mod('math', {
      ceil: m1('ceil', Math.ceil, true),
      floor: m1('floor', Math.floor, true),
      trunc: m1('trunc', Math.trunc, true),
      sqrt: m1('sqrt', Math.sqrt),
      log: B('math.log', (a) => {
        const x = numOf(a[0]);
        const b = numOf(a[1]);
        return x === null ? unknown('math.log()') : num(b === null ? Math.log(x) : Math.log(x) / Math.log(b), false);
      }),
      log2: m1('log2', Math.log2),
      log10: m1('log10', Math.log10),
      exp: m1('exp', Math.exp),
      isqrt: m1('isqrt', (x) => Math.floor(Math.sqrt(x)), true),
      gcd: B('math.gcd', (a) => {
        let x = Math.abs(numOf(a[0]) ?? NaN);
        let y = Math.abs(numOf(a[1]) ?? NaN);
        if (Number.isNaN(x) || Number.isNaN(y)) return unknown('math.gcd()');
        while (y) [x, y] = [y, x % y];
        return int(x);
      }),
      prod: B('math.prod', (a) => {
        const items = a[0] ? interp.iterate(a[0], null, null) : null;
        const ns = items?.map(numOf);
        return ns && ns.every((x) => x !== null) ? int((ns as number[]).reduce((p, x) => p * x, 1)) : unknown('math.prod()');
      }),
      pi: num(Math.PI, false),
      e: num(Math.E, false),
      inf: num(Infinity, false),
      isclose: B('math.isclose', (a) => (numOf(a[0]) !== null && numOf(a[1]) !== null ? bool(Math.abs(numOf(a[0])! - numOf(a[1])!) < 1e-9) : unknown('isclose'))),
    }),
  );
  const typingAttrs: Record<string, Value> = {
    // typing.OrderedDict is collections.OrderedDict when called (MaxViT builds its layers from one)
    OrderedDict: ordered,
    cast: B('typing.cast', (a) => a[1] ?? NONE),
    overload: identityDecorator,
    final: identityDecorator,
    no_type_check: identityDecorator,
    TYPE_CHECKING: bool(false),
  };
  interp.builtinModules.set('typing', mod('typing', typingAttrs, true));
  interp.builtinModules.set('typing_extensions', mod('typing_extensions', typingAttrs, true));
  interp.builtinModules.set(
    'copy',
    mod('copy', {
      deepcopy: B('copy.deepcopy', (a) => (a[0] ? deepCopy(a[0]) : NONE)),
      copy: B('copy.copy', (a) => {
        const v = a[0];
        if (!v) return NONE;
        if (isSeq(v)) return { k: v.k, items: v.items.slice() };
        if (v.k === 'dict') return { k: 'dict', map: new Map(v.map), ordered: v.ordered };
        return v;
      }),
    }),
  );
  interp.builtinModules.set('warnings', mod('warnings', { warn: B('warnings.warn', () => NONE), simplefilter: B('simplefilter', () => NONE), filterwarnings: B('filterwarnings', () => NONE) }, true));
  interp.builtinModules.set(
    'itertools',
    mod('itertools', {
      chain: B('itertools.chain', (a) => {
        const out: Value[] = [];
        for (const x of a) {
          const it = interp.iterate(x, null, null);
          if (!it) return unknown('chain() of unknown values');
          out.push(...it);
        }
        return list(out);
      }),
      product: B('itertools.product', (a) => {
        const lists = a.map((x) => interp.iterate(x, null, null));
        if (lists.some((l) => !l)) return unknown('product()');
        let acc: Value[][] = [[]];
        for (const l of lists) acc = acc.flatMap((p) => l!.map((x) => [...p, x]));
        return list(acc.slice(0, 100000).map((p) => tuple(p)));
      }),
      repeat: B('itertools.repeat', (a) => list(new Array(Math.min(numOf(a[1]) ?? 0, 100000)).fill(a[0] ?? NONE))),
      accumulate: B('itertools.accumulate', (a) => {
        const items = a[0] ? interp.iterate(a[0], null, null) : null;
        const ns = items?.map(numOf);
        if (!ns || ns.some((x) => x === null)) return unknown('accumulate()');
        let s = 0;
        return list((ns as number[]).map((x) => int((s += x))));
      }),
    }, true),
  );
  interp.builtinModules.set('operator', mod('operator', {}, true));
  const enumKind = (name: string): ClassValue => ({ k: 'class', name, qualname: `enum.${name}`, bases: [ENUM_BASE], unknownBase: false, attrs: new Map(), module: null, range: null });
  interp.builtinModules.set('enum', mod('enum', { Enum: ENUM_BASE, IntEnum: enumKind('IntEnum'), StrEnum: enumKind('StrEnum'), Flag: enumKind('Flag'), IntFlag: enumKind('IntFlag'), auto: B('enum.auto', () => unknown('enum.auto()')), unique: B('enum.unique', (a) => a[0] ?? NONE) }, true));
}

