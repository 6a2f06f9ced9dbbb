/**
 * A small abstract interpreter over lezer's Python syntax tree: it evaluates
 * just enough of a model file (and of the files it imports) to know which
 * layers are built and how forward() connects them. Nothing is executed or
 * imported for real. Values it cannot know are `unknown` and carry why; every
 * run is bounded in steps, call depth, loop iterations and files read.
 */
import type { SyntaxNode } from '@lezer/common';
import { finding, type Finding } from '../../graph/finding';
import type { SourceRange } from '../../graph/ir';
import { parsePython, kids, type ParsedFile } from './parse';
import {
  bool,
  classOwn,
  dict,
  ELLIPSIS,
  ENUM_BASE,
  Env,
  FALSE,
  int,
  isSeq,
  isSubclass,
  isUnknown,
  keyOf,
  list,
  mro,
  NONE,
  num,
  pyStr,
  str,
  TRUE,
  truthy,
  tuple,
  typeName,
  unknown,
  nextUid,
  type BuiltinFn,
  type CallSite,
  setItems,
  type ArrayValue,
  type ClassValue,
  type DictValue,
  type FuncValue,
  type ModuleContext,
  type ObjectValue,
  type ParamSpec,
  type PyModuleValue,
  type SeqValue,
  type TensorValue,
  type Value,
} from './values';
import { arrayBinary, arrayUnary, getIndex, isFloat, numberOf, rows, setIndex, sliceBounds } from './arrays';
import type { Tracer } from './trace';

import type { FileAccess } from '../reader';

export class ReturnSignal {
  constructor(readonly value: Value) {}
}
class BreakSignal {}
class ContinueSignal {}
/** A `raise` (or a failed assert) on known values: the call that raised cannot be built. */
export class PyRaise {
  constructor(
    readonly message: string,
    readonly range: SourceRange | null,
  ) {}
}
/** An if/elif/else whose unknown conditions leave several clauses possible, met while building a model. */
export interface BranchSite {
  key: string;
  /** the first unknown condition's text */
  condition: string;
  /** why it is not known */
  why: string;
  /** the alternatives in order: 'the if branch', 'the elif branch on line N', 'the else branch', 'no branch' */
  labels: string[];
  range: SourceRange | null;
  /** ' (file.py:line)' when the site is in another file than the one analysed */
  where: string;
}

/** A bound was hit: the whole build stops. */
export class LimitError extends Error {}

export interface InterpLimits {
  steps: number;
  depth: number;
  loop: number;
  files: number;
}

export const DEFAULT_LIMITS: InterpLimits = { steps: 3_000_000, depth: 80, loop: 100_000, files: 80 };

/** Hooks the torch and keras tables install: what calling their objects does. */
export interface Hooks {
  /** call of an object whose class is native (a layer, a container); null: not handled */
  callObject?: (obj: ObjectValue, args: Value[], kwargs: Map<string, Value>, site: CallSite) => Value | null;
  /** binary operator with a tensor operand */
  tensorBinary?: (op: string, a: Value, b: Value, site: CallSite) => Value | null;
  /** attribute of a tensor */
  tensorAttr?: (t: Value, name: string, site: CallSite) => Value;
  /** attribute of an object of a native class not found elsewhere */
  nativeAttr?: (obj: ObjectValue, name: string) => Value | undefined;
  /** native __init__ of a table class */
  nativeInit?: (obj: ObjectValue, cls: ClassValue, args: Value[], kwargs: Map<string, Value>, site: CallSite) => void;
  /** an attribute of an unresolved object: a layer class found by its name */
  classByName?: (name: string) => ClassValue | null;
  /** an attribute of an unresolved object: a function of a known library found by its name (layers.Input) */
  valueByName?: (name: string) => Value | null;
  /** unknown function applied to tensors */
  opaqueCall?: (what: string, args: Value[], kwargs: Map<string, Value>, site: CallSite) => Value | null;
  /** iterate a native object (Sequential, ModuleList) */
  iterNative?: (obj: ObjectValue) => Value[] | null;
  /** index a native object */
  indexNative?: (obj: ObjectValue, index: Value) => Value | undefined;
  /** attribute of a constant tensor (arrays.ts) */
  arrayAttr?: (a: ArrayValue, name: string, site: CallSite) => Value;
  /** index of a traced tensor; null: not understood */
  indexTensor?: (t: TensorValue, index: Value, site: CallSite) => Value | null;
  /** construction of a native class that is not a module (nn.Parameter gives its tensor); null: not handled */
  construct?: (cls: ClassValue, args: Value[], kwargs: Map<string, Value>, site: CallSite) => Value | null;
}

/** operators that keep their Python meaning on tensors */
const COMPARISONS_PY = new Set(['in', 'not in', 'is', 'is not']);

const COMPARISONS = new Set(['<', '>', '<=', '>=', '==', '!=', 'in', 'not in', 'is', 'is not']);

/** Libraries never read from source: nothing in them builds layers (they are opaque modules). */
const NEVER_FOLLOW = new Set(['PIL', 'numpy', 'scipy', 'matplotlib', 'cv2', 'pandas', 'sklearn', 'tqdm', 'yaml', 'requests', 'IPython', 'torchvision.transforms', 'torchvision.io', 'torchvision.datasets', 'torchvision.utils', 'torch', 'tensorboard', 'wandb', 'onnx', 'onnxruntime', 'h5py', 'pytest', 'setuptools', 'pkg_resources', 'six', 'absl', 'google', 'tensorflow.python.util', 'packaging', 'safetensors', 'huggingface_hub', 'fsspec']);

const STDLIB_QUIET = new Set([
  'os', 'sys', 're', 'typing', 'typing_extensions', 'warnings', 'logging', 'collections', 'functools', 'itertools', 'copy',
  'dataclasses', 'enum', 'abc', 'inspect', 'numbers', 'types', 'pathlib', 'json', 'time', 'numpy', 'PIL', 'math', 'importlib',
  'contextlib', 'weakref', 'operator', 'string', 'textwrap', 'urllib', 'hashlib', 'pickle', 'io', 'tempfile', 'shutil', 'glob',
  'argparse', 'random', 'scipy', 'yaml', 'tqdm', 'einops', '__future__',
]);

function dirnameOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(0, i) : '';
}

function sepOf(path: string): string {
  return path.includes('\\') && !path.includes('/') ? '\\' : '/';
}

export function joinPath(dir: string, ...parts: string[]): string {
  const sep = sepOf(dir);
  let out = dir;
  for (const p of parts) out = out === '' ? p : out.endsWith(sep) ? out + p : out + sep + p;
  return out;
}

export class Interp {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  readonly wants: string[] = [];
  readonly builtins = new Env(null, null);
  readonly modules = new Map<string, PyModuleValue>();
  readonly builtinModules = new Map<string, () => PyModuleValue>();
  readonly hooks: Hooks = {};
  readonly mainCtx: ModuleContext;
  readonly mainFile: ParsedFile;
  tracer: Tracer | null = null;
  /** branch sites met during the current build (null outside builds: unknown conditions then follow their first branch with a finding) */
  branchSites: Map<string, BranchSite> | null = null;
  /**
   * Offsets in the main file of the definitions whose code ran (functions
   * called, classes whose attributes were looked up): the reader's build
   * cache reuses a graph while none of them changed.
   */
  readonly touched = new Set<number>();
  /** false while the reader only inspects classes (which models a file offers): that runs no code of theirs */
  tracking = true;
  /** every file read through FileAccess and what it held (null: absent), for the build cache */
  readonly readLog = new Map<string, string | null>();
  /** which alternative each branch site takes in this build (absent: the first) */
  branchPlan: Map<string, number> | null = null;
  steps = 0;
  depth = 0;
  filesRead = 0;
  /** innermost range in the main file of the code running now (a call site there), for findings and layer ranges from other files */
  anchor: SourceRange | null = null;
  /** which framework the main file is written for, for classes resolved by name */
  framework: 'torch' | 'keras' = 'torch';
  readonly classes = new Map<string, ClassValue>();

  constructor(
    readonly fileName: string,
    text: string,
    readonly files: FileAccess | undefined,
    readonly searchPaths: string[],
    readonly limits: InterpLimits = DEFAULT_LIMITS,
  ) {
    this.mainFile = parsePython(fileName, text);
    this.mainCtx = this.makeContext('__main__', fileName, this.mainFile, false);
    this.installBuiltins();
  }

  // ----- findings and ranges -----

  rangeOf(node: SyntaxNode | null, ctx: ModuleContext | null): SourceRange | null {
    if (node && ctx === this.mainCtx) return ctx.lines.range(node.from, node.to);
    return this.anchor;
  }

  report(node: SyntaxNode | null, ctx: ModuleContext | null, message: string, layer: string | null = null): void {
    const range = this.rangeOf(node, ctx);
    let msg = message;
    if (ctx && ctx !== this.mainCtx && node) {
      const line = ctx.lines.positionAt(node.from).line + 1;
      msg = `${message} (${ctx.path.split(/[\\/]/).pop()}:${line})`;
    }
    const key = `${range?.start.line}:${range?.start.character}:${msg}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.findings.length < 500) this.findings.push(finding('RFL100', msg, range, layer));
  }

  /** The findings so far, to drop what a trial build (another branch) adds. */
  findingsMark(): { count: number; seen: Set<string>; seenLayer: Set<string> | undefined } {
    const layerSeen = (this as unknown as { seenLayer?: Set<string> }).seenLayer;
    return { count: this.findings.length, seen: new Set(this.seen), seenLayer: layerSeen ? new Set(layerSeen) : undefined };
  }

  resetFindings(mark: { count: number; seen: Set<string>; seenLayer: Set<string> | undefined }): void {
    this.findings.length = mark.count;
    this.seen.clear();
    for (const k of mark.seen) this.seen.add(k);
    (this as unknown as { seenLayer?: Set<string> }).seenLayer = mark.seenLayer;
  }

  tick(): void {
    if (++this.steps > this.limits.steps) throw new LimitError(`the reader stopped after ${this.limits.steps} evaluation steps`);
  }

  /** Work on constant tensors: one step per 4 elements (the step budget then bounds them to about 1e7 element operations). */
  readonly charge = (elements: number): void => {
    this.steps += Math.ceil(elements / 4);
    if (this.steps > this.limits.steps) throw new LimitError(`the reader stopped after ${this.limits.steps} evaluation steps`);
  };

  // ----- modules -----

  makeContext(name: string, path: string, parsed: ParsedFile, isPackage: boolean): ModuleContext {
    const ctx: ModuleContext = {
      name,
      path,
      isPackage,
      globals: null as unknown as Env,
      text: parsed.text,
      lines: parsed.lines,
    };
    ctx.globals = new Env(this.builtins, ctx);
    ctx.globals.vars.set('__name__', str(name));
    ctx.globals.vars.set('__file__', str(path));
    return ctx;
  }

  /** The main file's package when its folder holds an __init__.py ('torchvision.models'), and the folder above the package. */
  mainPackage: string | null = null;
  private packageRoot: string | null = null;

  private detectPackage(): void {
    if (!this.files) return;
    const parts: string[] = [];
    let dir = dirnameOf(this.fileName);
    while (dir && parts.length < 8) {
      const init = this.readFile(joinPath(dir, '__init__.py'));
      if (init === null) break;
      parts.unshift(dir.slice(Math.max(dir.lastIndexOf('/'), dir.lastIndexOf('\\')) + 1));
      const parent = dirnameOf(dir);
      if (parent === dir) break;
      dir = parent;
    }
    if (parts.length) {
      this.mainPackage = parts.join('.');
      this.packageRoot = dir;
      const base = this.fileName.slice(Math.max(this.fileName.lastIndexOf('/'), this.fileName.lastIndexOf('\\')) + 1).replace(/\.py$/, '');
      const m: PyModuleValue = { k: 'pymodule', name: `${this.mainPackage}.${base}`, ctx: this.mainCtx, attrs: new Map() };
      if (base !== '__init__') this.modules.set(m.name, m);
    }
  }

  /** Runs the main file's top level. */
  runMain(): void {
    this.detectPackage();
    const m: PyModuleValue = { k: 'pymodule', name: '__main__', ctx: this.mainCtx, attrs: new Map() };
    this.modules.set('__main__', m);
    this.execModuleBody(this.mainFile, this.mainCtx);
  }

  private execModuleBody(parsed: ParsedFile, ctx: ModuleContext): void {
    const top = parsed.tree.topNode;
    for (let s = top.firstChild; s; s = s.nextSibling) {
      try {
        // in imported files, `NAME = call(...)` waits until NAME is used
        if (ctx !== this.mainCtx && s.name === 'AssignStatement' && this.lazyClassAssign(s, ctx.globals, ctx)) continue;
        this.exec(s, ctx.globals, ctx);
      } catch (e) {
        if (e instanceof LimitError) throw e;
        if (e instanceof PyRaise) {
          this.report(s, ctx, `raise at module level: ${e.message}`);
          continue;
        }
        if (e instanceof ReturnSignal || e instanceof BreakSignal || e instanceof ContinueSignal) continue;
        throw e;
      }
    }
  }

  /** Roots for absolute imports: the main file's folder, the python path, a virtual environment next to the file. */
  private importRoots(): string[] {
    const roots = [dirnameOf(this.fileName), ...(this.packageRoot !== null ? [this.packageRoot] : []), ...this.searchPaths];
    return roots.filter((r, i) => roots.indexOf(r) === i);
  }

  private venvRoots: string[] | null = null;
  private findVenvs(): string[] {
    if (this.venvRoots) return this.venvRoots;
    const out: string[] = [];
    if (this.files) {
      let dir = dirnameOf(this.fileName);
      for (let up = 0; up < 4 && dir; up++) {
        for (const v of ['.venv', 'venv']) {
          const cfg = this.readFile(joinPath(dir, v, 'pyvenv.cfg'));
          if (typeof cfg === 'string') {
            const m = /^\s*(?:version|version_info)\s*=\s*(\d+)\.(\d+)/m.exec(cfg);
            if (m) out.push(joinPath(dir, v, 'lib', `python${m[1]}.${m[2]}`, 'site-packages'));
            out.push(joinPath(dir, v, 'Lib', 'site-packages'));
          }
        }
        const parent = dirnameOf(dir);
        if (parent === dir) break;
        dir = parent;
      }
    }
    this.venvRoots = out;
    return out;
  }

  /** A file's text as this read saw it, reading it now if it has not been read yet. */
  fileText(path: string): string | null {
    return this.readLog.has(path) ? this.readLog.get(path)! : this.readFile(path);
  }

  private readFile(path: string): string | null {
    if (!this.files) return null;
    let t: string | null | undefined;
    try {
      t = this.files.readText(path);
    } catch {
      return null;
    }
    if (t === undefined) {
      if (!this.wants.includes(path)) this.wants.push(path);
      return null;
    }
    this.readLog.set(path, t ?? null);
    return t ?? null;
  }

  /** A module by its dotted name: modelled (torch, keras, stdlib pieces), else read from a file under the roots. */
  loadModule(dotted: string, node: SyntaxNode | null, ctx: ModuleContext | null, rootsOverride?: string[]): PyModuleValue {
    const cached = this.modules.get(dotted);
    if (cached) return cached;
    const make = this.builtinModules.get(dotted);
    if (make) {
      const m = make();
      this.modules.set(dotted, m);
      return m;
    }
    const top = dotted.split('.')[0]!;
    if (this.builtinModules.has(top) || this.neverFollow(dotted)) {
      // a submodule of a modelled library we do not model: opaque
      const m: PyModuleValue = { k: 'pymodule', name: dotted, ctx: null, attrs: new Map(), opaque: true };
      this.modules.set(dotted, m);
      return m;
    }
    const parts = dotted.split('.');
    for (const root of rootsOverride ?? [...this.importRoots(), ...this.findVenvs()]) {
      for (const [rel, isPkg] of [
        [joinPath(root, ...parts.slice(0, -1), `${parts[parts.length - 1]}.py`), false],
        [joinPath(root, ...parts, '__init__.py'), true],
      ] as const) {
        if (rel === this.fileName) continue;
        const text = this.readFile(rel);
        if (text === null) continue;
        if (++this.filesRead > this.limits.files) {
          this.report(node, ctx, `import of ${dotted} not followed: more than ${this.limits.files} files read`);
          break;
        }
        return this.execFile(dotted, rel, text, isPkg);
      }
    }
    const quiet = STDLIB_QUIET.has(top);
    if (!quiet && node) this.report(node, ctx, `module ${dotted} was not found${this.files ? '' : ' (no file access)'}; names from it are unknown`);
    const m: PyModuleValue = { k: 'pymodule', name: dotted, ctx: null, attrs: new Map(), opaque: true };
    this.modules.set(dotted, m);
    return m;
  }

  readonly filesExecuted: string[] = [];

  private neverFollow(dotted: string): boolean {
    const parts = dotted.split('.');
    return NEVER_FOLLOW.has(parts[0]!) || NEVER_FOLLOW.has(parts.slice(0, 2).join('.')) || (STDLIB_QUIET.has(parts[0]!) && !this.builtinModules.has(dotted));
  }

  private execFile(dotted: string, path: string, text: string, isPkg: boolean): PyModuleValue {
    this.filesExecuted.push(path);
    const parsed = parsePython(path, text);
    const ctx = this.makeContext(dotted, path, parsed, isPkg);
    const m: PyModuleValue = { k: 'pymodule', name: dotted, ctx, attrs: new Map() };
    this.modules.set(dotted, m);
    const saved = this.depth;
    this.execModuleBody(parsed, ctx);
    this.depth = saved;
    return m;
  }

  /** Package of a module for relative imports. */
  private packageOf(ctx: ModuleContext): string {
    if (ctx === this.mainCtx && this.mainPackage) return this.mainPackage;
    if (ctx.isPackage) return ctx.name;
    const i = ctx.name.lastIndexOf('.');
    return i >= 0 ? ctx.name.slice(0, i) : '';
  }

  private resolveRelative(dots: number, rest: string, node: SyntaxNode, ctx: ModuleContext): PyModuleValue {
    if (ctx === this.mainCtx && !this.mainPackage) {
      // the main file's package is unknown: its folder, and folders above for each dot
      let dir = dirnameOf(this.fileName);
      for (let i = 1; i < dots; i++) dir = dirnameOf(dir);
      const key = `${dir}|${rest}`;
      const cached = this.modules.get(key);
      if (cached) return cached;
      if (rest === '') {
        const m = this.loadModule(`__rel__${key}`, node, ctx, []);
        const pkgInit = this.readFile(joinPath(dir, '__init__.py'));
        const mod = pkgInit !== null ? this.execFile(key, joinPath(dir, '__init__.py'), pkgInit, true) : m;
        this.modules.set(key, mod);
        return mod;
      }
      const m = this.loadFrom(dir, rest, node, ctx);
      this.modules.set(key, m);
      return m;
    }
    let pkg = this.packageOf(ctx);
    for (let i = 1; i < dots; i++) pkg = pkg.includes('.') ? pkg.slice(0, pkg.lastIndexOf('.')) : '';
    const dotted = rest ? (pkg ? `${pkg}.${rest}` : rest) : pkg;
    const cached = this.modules.get(dotted);
    if (cached) return cached;
    // the package's folder on disk: the importing file's folder, up one per extra dot
    let dir = dirnameOf(ctx.path);
    for (let i = 1; i < dots; i++) dir = dirnameOf(dir);
    if (!rest) {
      const initText = this.readFile(joinPath(dir, '__init__.py'));
      if (initText !== null) return this.execFile(dotted, joinPath(dir, '__init__.py'), initText, true);
      return this.loadModule(dotted, node, ctx, []);
    }
    const m = this.loadFrom(dir, rest, node, ctx, dotted);
    return m;
  }

  private loadFrom(dir: string, rest: string, node: SyntaxNode, ctx: ModuleContext, dotted?: string): PyModuleValue {
    const name = dotted ?? rest;
    const cached = this.modules.get(name);
    if (cached && dotted) return cached;
    if (this.neverFollow(name)) {
      const m: PyModuleValue = { k: 'pymodule', name, ctx: null, attrs: new Map(), opaque: true };
      this.modules.set(name, m);
      return m;
    }
    const parts = rest.split('.');
    for (const [p, isPkg] of [
      [joinPath(dir, ...parts.slice(0, -1), `${parts[parts.length - 1]}.py`), false],
      [joinPath(dir, ...parts, '__init__.py'), true],
    ] as const) {
      const text = this.readFile(p);
      if (text === null) continue;
      if (++this.filesRead > this.limits.files) break;
      return this.execFile(name, p, text, isPkg);
    }
    this.report(node, ctx, `relative import of ${rest} could not be followed${this.files ? '' : ' (no file access)'}; names from it are unknown`);
    const m: PyModuleValue = { k: 'pymodule', name, ctx: null, attrs: new Map(), opaque: true };
    this.modules.set(name, m);
    return m;
  }

  moduleAttr(m: PyModuleValue, name: string, node: SyntaxNode | null, ctx: ModuleContext | null): Value {
    const a = m.attrs.get(name);
    if (a !== undefined) return a;
    if (m.ctx) {
      const v = m.ctx.globals.lookupOwn(name);
      if (v !== undefined) return v;
      // a submodule not imported by the package itself
      const sub = this.tryLoadSubmodule(m, name);
      if (sub) return sub;
      return unknown(`${m.name}.${name} is not defined`);
    }
    if (m.opaque) {
      const byName = this.hooks.classByName?.(name);
      if (byName && !STDLIB_QUIET.has(m.name.split('.')[0]!)) return byName;
      return unknown(`${m.name}.${name}`);
    }
    const sub = this.modules.get(`${m.name}.${name}`) ?? (this.builtinModules.has(`${m.name}.${name}`) ? this.loadModule(`${m.name}.${name}`, node, ctx) : null);
    if (sub) return sub;
    return unknown(`${m.name}.${name}`);
  }

  private tryLoadSubmodule(m: PyModuleValue, name: string): PyModuleValue | null {
    if (!m.ctx || !m.ctx.isPackage) return null;
    const dotted = `${m.name}.${name}`;
    const cached = this.modules.get(dotted);
    if (cached) return cached;
    const dir = dirnameOf(m.ctx.path);
    for (const [p, isPkg] of [
      [joinPath(dir, `${name}.py`), false],
      [joinPath(dir, name, '__init__.py'), true],
    ] as const) {
      const text = this.readFile(p);
      if (text === null) continue;
      if (++this.filesRead > this.limits.files) return null;
      const sub = this.execFile(dotted, p, text, isPkg);
      m.attrs.set(name, sub);
      return sub;
    }
    return null;
  }

  // ----- statements -----

  execBody(body: SyntaxNode, env: Env, ctx: ModuleContext): void {
    for (let s = body.firstChild; s; s = s.nextSibling) if (s.name !== 'Comment') this.exec(s, env, ctx);
  }

  exec(node: SyntaxNode, env: Env, ctx: ModuleContext): void {
    this.tick();
    switch (node.name) {
      case 'ExpressionStatement': {
        const items = this.exprList(node, env, ctx);
        void items;
        return;
      }
      case 'AssignStatement':
        return this.execAssign(node, env, ctx);
      case 'UpdateStatement': {
        const target = node.firstChild!;
        const opNode = target.nextSibling!;
        const valueNode = opNode.nextSibling;
        if (!valueNode) return;
        const op = ctx.text.slice(opNode.from, opNode.to).slice(0, -1);
        const cur = this.eval(target, env, ctx);
        const rhs = this.eval(valueNode, env, ctx);
        const site = { node, module: ctx };
        let result: Value;
        if (cur.k === 'list' && op === '+') {
          const items = this.iterate(rhs, valueNode, ctx);
          if (items) cur.items.push(...items);
          return;
        }
        if (cur.k === 'dict' && op === '|' && rhs.k === 'dict') {
          for (const [k, v] of rhs.map) cur.map.set(k, v);
          return;
        }
        result = this.binary(op, cur, rhs, site);
        this.assign(target, result, env, ctx);
        return;
      }
      case 'IfStatement':
        return this.execIf(node, env, ctx);
      case 'ForStatement':
        return this.execFor(node, env, ctx);
      case 'WhileStatement':
        return this.execWhile(node, env, ctx);
      case 'FunctionDefinition':
        env.set(this.funcName(node, ctx), this.defineFunction(node, env, ctx, [], null));
        return;
      case 'ClassDefinition': {
        const cls = this.defineClass(node, env, ctx, []);
        env.set(cls.name, cls);
        return;
      }
      case 'DecoratedStatement':
        return this.execDecorated(node, env, ctx);
      case 'ReturnStatement': {
        const exprs = kids(node).filter((c) => c.name !== 'return' && c.name !== ',');
        if (exprs.length === 0) throw new ReturnSignal(NONE);
        throw new ReturnSignal(this.exprListValue(node, exprs, env, ctx));
      }
      case 'PassStatement':
      case 'Comment':
      case 'ScopeStatement':
        if (node.name === 'ScopeStatement') {
          const ks = kids(node);
          const kind = ks[0]?.name;
          const names = ks.filter((c) => c.name === 'VariableName').map((c) => ctx.text.slice(c.from, c.to));
          if (kind === 'global') env.globalNames = new Set([...(env.globalNames ?? []), ...names]);
          else env.nonlocalNames = new Set([...(env.nonlocalNames ?? []), ...names]);
        }
        return;
      case 'BreakStatement':
        throw new BreakSignal();
      case 'ContinueStatement':
        throw new ContinueSignal();
      case 'StatementGroup':
        for (let s = node.firstChild; s; s = s.nextSibling) if (s.name !== ';') this.exec(s, env, ctx);
        return;
      case 'ImportStatement':
        return this.execImport(node, env, ctx);
      case 'AssertStatement': {
        const e = kids(node).filter((c) => c.name !== 'assert' && c.name !== ',');
        if (!e[0]) return;
        const v = this.eval(e[0], env, ctx);
        if (truthy(v) === false) {
          const msg = e[1] ? pyStr(this.eval(e[1], env, ctx)) : null;
          throw new PyRaise(`assert ${ctx.text.slice(e[0].from, e[0].to)} fails${msg ? `: ${msg}` : ''}`, this.rangeOf(node, ctx));
        }
        return;
      }
      case 'RaiseStatement': {
        const e = kids(node).filter((c) => c.name !== 'raise');
        let msg = 'raise';
        if (e[0]) {
          const ex = e[0];
          const argNode = ex.name === 'CallExpression' ? ex.lastChild : null;
          const first = argNode ? kids(argNode).find((c) => c.name !== '(' && c.name !== ')' && c.name !== ',') : null;
          const v = first ? this.eval(first, env, ctx) : null;
          msg = `${ctx.text.slice(ex.from, ex.name === 'CallExpression' ? ex.firstChild!.to : ex.to)}${v && pyStr(v) ? `: ${pyStr(v)}` : ''}`;
        }
        throw new PyRaise(msg, this.rangeOf(node, ctx));
      }
      case 'TryStatement':
        return this.execTry(node, env, ctx);
      case 'WithStatement': {
        const ks = kids(node);
        for (let i = 1; i < ks.length; i++) {
          const c = ks[i]!;
          if (c.name === 'Body') {
            this.execBody(c, env, ctx);
            break;
          }
          if (c.name === 'as') {
            const t = ks[i + 1];
            if (t) this.assign(t, unknown('a with-statement context'), env, ctx);
            i++;
          }
        }
        return;
      }
      case 'DeleteStatement': {
        for (const c of kids(node)) {
          if (c.name === 'VariableName') env.vars.delete(ctx.text.slice(c.from, c.to));
          else if (c.name === 'MemberExpression') this.deleteMember(c, env, ctx);
        }
        return;
      }
      case 'TypeDefinition':
      case 'PrintStatement':
      case 'YieldStatement':
      case 'MatchStatement':
        return;
      default:
        if (node.type.isError) {
          return;
        }
        // an expression standing alone
        this.eval(node, env, ctx);
    }
  }

  private exprList(node: SyntaxNode, env: Env, ctx: ModuleContext): Value[] {
    const out: Value[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== ',' && c.name !== 'Comment') out.push(this.eval(c, env, ctx));
    return out;
  }

  /** `a, b` in a return or on the right of `=`: a tuple when there is a comma or a star. */
  private exprListValue(parent: SyntaxNode, exprs: SyntaxNode[], env: Env, ctx: ModuleContext): Value {
    const hasComma = kids(parent).some((c) => c.name === ',');
    const items: Value[] = [];
    let star = false;
    for (const e of exprs) {
      if (e.name === '*') {
        star = true;
        continue;
      }
      const v = this.eval(e, env, ctx);
      if (star) {
        const it = this.iterate(v, e, ctx);
        if (it) items.push(...it);
        star = false;
      } else items.push(v);
    }
    if (!hasComma && items.length === 1 && !exprs.some((e) => e.name === '*')) return items[0]!;
    return tuple(items);
  }

  private execAssign(node: SyntaxNode, env: Env, ctx: ModuleContext): void {
    // groups separated by '=': targets..., value
    const groups: SyntaxNode[][] = [[]];
    let annotated = false;
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.name === 'Comment') continue;
      if (c.name === 'AssignOp') groups.push([]);
      else if (c.name === 'TypeDef') annotated = true;
      else groups[groups.length - 1]!.push(c);
    }
    if (groups.length < 2) {
      void annotated;
      return; // `x: int` without a value
    }
    const valueNodes = groups[groups.length - 1]!;
    const exprs = valueNodes.filter((c) => c.name !== ',');
    if (exprs.length === 0) return;
    const fake = { hasComma: valueNodes.some((c) => c.name === ',') };
    let value: Value;
    if (!fake.hasComma && exprs.length === 1) value = this.eval(exprs[0]!, env, ctx);
    else {
      const items: Value[] = [];
      let star = false;
      for (const e of exprs) {
        if (e.name === '*') {
          star = true;
          continue;
        }
        const v = this.eval(e, env, ctx);
        if (star) items.push(...(this.iterate(v, e, ctx) ?? []));
        else items.push(v);
        star = false;
      }
      value = tuple(items);
    }
    for (let g = 0; g < groups.length - 1; g++) {
      const targets = groups[g]!;
      const ts = targets.filter((c) => c.name !== ',');
      if (ts.length === 1 && !targets.some((c) => c.name === ',')) this.assign(ts[0]!, value, env, ctx);
      else this.unpack(targets, value, env, ctx, node);
    }
  }

  /** Assigns to a comma-separated target list (with at most one starred name). */
  unpack(targets: SyntaxNode[], value: Value, env: Env, ctx: ModuleContext, node: SyntaxNode): void {
    const ts: Array<{ node: SyntaxNode; star: boolean }> = [];
    let star = false;
    for (const t of targets) {
      if (t.name === ',') continue;
      if (t.name === '*') {
        star = true;
        continue;
      }
      ts.push({ node: t, star });
      star = false;
    }
    const items = this.iterate(value, node, ctx);
    if (!items) {
      for (const t of ts) this.assign(t.node, value.k === 'unknown' ? value : unknown(`an item of ${typeName(value)}`), env, ctx);
      return;
    }
    const si = ts.findIndex((t) => t.star);
    if (si < 0) {
      if (items.length !== ts.length) {
        for (let i = 0; i < ts.length; i++) this.assign(ts[i]!.node, items[i] ?? unknown('missing value in unpacking'), env, ctx);
        return;
      }
      for (let i = 0; i < ts.length; i++) this.assign(ts[i]!.node, items[i]!, env, ctx);
      return;
    }
    const after = ts.length - si - 1;
    for (let i = 0; i < si; i++) this.assign(ts[i]!.node, items[i] ?? unknown('missing value'), env, ctx);
    this.assign(ts[si]!.node, list(items.slice(si, Math.max(si, items.length - after))), env, ctx);
    for (let i = 0; i < after; i++) this.assign(ts[si + 1 + i]!.node, items[items.length - after + i] ?? unknown('missing value'), env, ctx);
  }

  assign(target: SyntaxNode, value: Value, env: Env, ctx: ModuleContext): void {
    switch (target.name) {
      case 'VariableName':
        env.set(ctx.text.slice(target.from, target.to), value);
        return;
      case 'MemberExpression': {
        const obj = this.eval(target.firstChild!, env, ctx);
        const second = target.firstChild!.nextSibling!;
        if (second.name === '.') {
          const prop = second.nextSibling;
          if (prop) this.setAttr(obj, ctx.text.slice(prop.from, prop.to), value, { node: target, module: ctx });
          return;
        }
        const index = this.subscript(target, env, ctx);
        this.setItem(obj, index, value, target, ctx);
        return;
      }
      case 'TupleExpression':
      case 'ArrayExpression':
      case 'ParenthesizedExpression': {
        const inner = kids(target).filter((c) => !['(', ')', '[', ']'].includes(c.name));
        if (target.name === 'ParenthesizedExpression' && inner.length === 1) return this.assign(inner[0]!, value, env, ctx);
        this.unpack(inner, value, env, ctx, target);
        return;
      }
      default:
        return;
    }
  }

  /** `del d[key]`, `del items[i]`, `del obj.attr` (torchvision's IntermediateLayerGetter deletes the return layers it has found). */
  private deleteMember(target: SyntaxNode, env: Env, ctx: ModuleContext): void {
    const obj = this.eval(target.firstChild!, env, ctx);
    const second = target.firstChild!.nextSibling!;
    if (second.name === '.') {
      const prop = second.nextSibling;
      if (prop && obj.k === 'object') {
        const name = ctx.text.slice(prop.from, prop.to);
        obj.attrs.delete(name);
        obj.modules?.delete(name);
      }
      return;
    }
    const index = this.subscript(target, env, ctx);
    if (obj.k === 'dict') obj.map.delete(keyOf(index));
    else if (obj.k === 'list' && index.k === 'num' && Number.isInteger(index.v)) {
      const i = index.v < 0 ? obj.items.length + index.v : index.v;
      if (i >= 0 && i < obj.items.length) obj.items.splice(i, 1);
    }
  }

  setItem(obj: Value, index: Value, value: Value, node: SyntaxNode, ctx: ModuleContext): void {
    if (obj.k === 'array') {
      setIndex(obj, index, value, this.charge);
      return;
    }
    if (obj.k === 'dict') {
      obj.map.set(keyOf(index), [index, value]);
      return;
    }
    if (obj.k === 'list' && index.k === 'num') {
      let i = index.v;
      if (i < 0) i += obj.items.length;
      if (i >= 0 && i < obj.items.length) obj.items[i] = value;
      return;
    }
    if (obj.k === 'object' && obj.modules && value.k === 'object') {
      const key = index.k === 'num' ? String(index.v) : index.k === 'str' ? index.v : null;
      if (key !== null) {
        obj.modules.set(key, value);
        return;
      }
    }
    void node;
    void ctx;
  }

  /**
   * if/elif/else. Known conditions decide; a clause whose unknown condition
   * guards a raise is never taken. When unknown conditions leave several
   * clauses possible, they are the alternatives of a branch site: the first
   * is followed unless `branchPlan` (set by the reader while it explores the
   * other branches of a build) names another; during a build the site is
   * recorded in `branchSites` so the reader can build each alternative and
   * report when they disagree. Outside a build the first is followed with a
   * finding, as before.
   */
  private execIf(node: SyntaxNode, env: Env, ctx: ModuleContext): void {
    const ks = kids(node);
    const alternatives: Array<{ body: SyntaxNode | null; label: string }> = [];
    let firstUnknown: { cond: SyntaxNode; why: string } | null = null;
    let closed = false;
    let i = 0;
    while (i < ks.length && !closed) {
      const kw = ks[i]!;
      if (kw.name === 'if' || kw.name === 'elif') {
        const cond = ks[i + 1]!;
        const body = ks[i + 2];
        if (!body || body.name !== 'Body') break;
        const label = kw.name === 'if' ? 'the if branch' : `the elif branch on line ${ctx.lines.positionAt(kw.from).line + 1}`;
        const v = this.eval(cond, env, ctx);
        const t = truthy(v);
        if (t === true) {
          alternatives.push({ body, label });
          closed = true;
        } else if (t === null && !this.raises(body)) {
          // an unknown condition guarding a raise is skipped: the code that goes on is the code that ran
          firstUnknown ??= { cond, why: isUnknown(v) ? v.why : typeName(v) };
          alternatives.push({ body, label });
        }
        i += 3;
      } else if (kw.name === 'else') {
        const body = ks[i + 1];
        if (body) alternatives.push({ body, label: 'the else branch' });
        closed = true;
      } else i++;
    }
    if (!closed) alternatives.push({ body: null, label: 'no branch' });
    let pick = 0;
    if (alternatives.length > 1 && firstUnknown) {
      const cond = firstUnknown.cond;
      const matters = this.tracer !== null || alternatives.some((a) => a.body && this.buildsModules(a.body, ctx));
      const key = `${ctx.path}\u0000${node.from}`;
      if (this.branchSites) {
        if (matters && !this.branchSites.has(key) && this.branchSites.size < 64) {
          const line = ctx.lines.positionAt(cond.from).line + 1;
          this.branchSites.set(key, {
            key,
            condition: ctx.text.slice(cond.from, cond.to).replace(/\s+/g, ' ').slice(0, 60),
            why: firstUnknown.why,
            labels: alternatives.map((a) => a.label),
            range: this.rangeOf(cond, ctx),
            where: ctx === this.mainCtx ? '' : ` (${ctx.path.split(/[\\/]/).pop()}:${line})`,
          });
        }
        pick = Math.min(this.branchPlan?.get(key) ?? 0, alternatives.length - 1);
      } else if (matters) {
        this.report(cond, ctx, `condition ${ctx.text.slice(cond.from, cond.to).slice(0, 60)} is not known before running (${firstUnknown.why}); ${alternatives[0]!.label} is followed`);
      }
    }
    const chosen = alternatives[pick]!.body;
    if (chosen) this.execBody(chosen, env, ctx);
  }

  /** Does a block end in a raise (a guard against bad arguments)? */
  private raises(body: SyntaxNode): boolean {
    for (let s = body.lastChild; s; s = s.prevSibling) {
      if (s.name === 'Comment' || s.name === ':') continue;
      return s.name === 'RaiseStatement';
    }
    return false;
  }

  /** Does a block assign attributes of self or build layers (so an unknown condition there matters)? */
  private buildsModules(body: SyntaxNode, ctx: ModuleContext): boolean {
    const t = ctx.text.slice(body.from, body.to);
    return /self\.\w+\s*=|add_module|\.append\(|layers\.|nn\.|\(x\)|\(out\)/.test(t);
  }

  private execFor(node: SyntaxNode, env: Env, ctx: ModuleContext): void {
    const ks = kids(node);
    const inIdx = ks.findIndex((c) => c.name === 'in');
    const bodyIdx = ks.findIndex((c) => c.name === 'Body');
    if (inIdx < 0 || bodyIdx < 0) return;
    const targets = ks.slice(1, inIdx);
    const iterNodes = ks.slice(inIdx + 1, bodyIdx).filter((c) => c.name !== ',');
    const body = ks[bodyIdx]!;
    const iterText = iterNodes.length === 1 ? ctx.text.slice(iterNodes[0]!.from, iterNodes[0]!.to) : '';
    // weight initialisation over self.modules(): nothing spatial, skipped. Other loops over a
    // module's children run (torchvision's IntermediateLayerGetter copies them into its own dict).
    if (/\.(modules|named_modules|parameters|named_parameters|children|named_children)\(\)$/.test(iterText)) {
      const bt = ctx.text.slice(body.from, body.to);
      const initialises = /\binit\.|\.weight\b|\.bias\b|\.data\b|requires_grad|\w_\(/.test(bt);
      if (initialises && !/add_module|setattr|\.append\(/.test(bt)) return;
    }
    const iterValue = iterNodes.length === 1 ? this.eval(iterNodes[0]!, env, ctx) : tuple(iterNodes.map((n) => this.eval(n, env, ctx)));
    const items = this.iterate(iterValue, iterNodes[0] ?? node, ctx);
    if (!items) {
      this.report(iterNodes[0] ?? node, ctx, `loop over ${iterText.slice(0, 60) || 'a value'} not followed: ${isUnknown(iterValue) ? iterValue.why : `a ${typeName(iterValue)} cannot be iterated`}`);
      return;
    }
    const single = targets.filter((c) => c.name !== ',');
    const isTuple = targets.some((c) => c.name === ',');
    let broke = false;
    let count = 0;
    for (const item of items) {
      if (++count > this.limits.loop) throw new LimitError(`a loop ran more than ${this.limits.loop} times`);
      if (!isTuple && single.length === 1) this.assign(single[0]!, item, env, ctx);
      else this.unpack(targets, item, env, ctx, node);
      try {
        this.execBody(body, env, ctx);
      } catch (e) {
        if (e instanceof BreakSignal) {
          broke = true;
          break;
        }
        if (e instanceof ContinueSignal) continue;
        throw e;
      }
    }
    const elseIdx = ks.findIndex((c) => c.name === 'else');
    if (!broke && elseIdx >= 0 && ks[elseIdx + 1]) this.execBody(ks[elseIdx + 1]!, env, ctx);
  }

  private execWhile(node: SyntaxNode, env: Env, ctx: ModuleContext): void {
    const ks = kids(node);
    const cond = ks[1];
    const body = ks[2];
    if (!cond || !body || body.name !== 'Body') return;
    let count = 0;
    for (;;) {
      const t = truthy(this.eval(cond, env, ctx));
      if (t === null) {
        this.report(cond, ctx, `while condition ${ctx.text.slice(cond.from, cond.to).slice(0, 60)} is not known; the loop is not followed`);
        return;
      }
      if (!t) break;
      if (++count > Math.min(this.limits.loop, 10000)) {
        this.report(cond, ctx, `while loop stopped after ${count - 1} iterations`);
        return;
      }
      try {
        this.execBody(body, env, ctx);
      } catch (e) {
        if (e instanceof BreakSignal) return;
        if (e instanceof ContinueSignal) continue;
        throw e;
      }
    }
    const elseIdx = ks.findIndex((c) => c.name === 'else');
    if (elseIdx >= 0 && ks[elseIdx + 1]) this.execBody(ks[elseIdx + 1]!, env, ctx);
  }

  private execTry(node: SyntaxNode, env: Env, ctx: ModuleContext): void {
    const ks = kids(node);
    const bodies: Array<{ kind: string; body: SyntaxNode }> = [];
    let kind = 'try';
    for (const c of ks) {
      if (c.name === 'try' || c.name === 'except' || c.name === 'else' || c.name === 'finally') kind = c.name;
      else if (c.name === 'Body') bodies.push({ kind, body: c });
    }
    const tryBody = bodies.find((b) => b.kind === 'try');
    const finallyBody = bodies.find((b) => b.kind === 'finally');
    try {
      if (tryBody) this.execBody(tryBody.body, env, ctx);
      const elseBody = bodies.find((b) => b.kind === 'else');
      if (elseBody) this.execBody(elseBody.body, env, ctx);
    } catch (e) {
      if (!(e instanceof PyRaise)) throw e;
      const handler = bodies.find((b) => b.kind === 'except');
      if (handler) this.execBody(handler.body, env, ctx);
    } finally {
      if (finallyBody) this.execBody(finallyBody.body, env, ctx);
    }
  }

  private execImport(node: SyntaxNode, env: Env, ctx: ModuleContext): void {
    const ks = kids(node);
    const text = (n: SyntaxNode) => ctx.text.slice(n.from, n.to);
    if (ks[0]?.name === 'from') {
      let i = 1;
      let dots = 0;
      const nameParts: string[] = [];
      for (; i < ks.length && ks[i]!.name !== 'import'; i++) {
        const c = ks[i]!;
        if (c.name === '.') {
          if (nameParts.length === 0) dots++;
        } else if (c.name === 'Ellipsis') dots += 3;
        else if (c.name === 'VariableName') nameParts.push(text(c));
      }
      const modName = nameParts.join('.');
      const names: Array<{ name: string; as: string; node: SyntaxNode }> = [];
      let star = false;
      for (i++; i < ks.length; i++) {
        const c = ks[i]!;
        if (c.name === '*') star = true;
        else if (c.name === 'VariableName') {
          if (ks[i + 1]?.name === 'as' && ks[i + 2]) {
            names.push({ name: text(c), as: text(ks[i + 2]!), node: c });
            i += 2;
          } else names.push({ name: text(c), as: text(c), node: c });
        }
      }
      if (modName === '__future__') return;
      const getModule = () => (dots > 0 ? this.resolveRelative(dots, modName, node, ctx) : this.loadModule(modName, node, ctx));
      if (star) {
        const m = getModule();
        if (m.ctx) {
          const all = m.ctx.globals.vars.get('__all__');
          const keys = all && isSeq(all) ? all.items.filter((x) => x.k === 'str').map((x) => (x as { v: string }).v) : [...m.ctx.globals.vars.keys()].filter((k) => !k.startsWith('_'));
          for (const k of keys) {
            const v = this.moduleAttr(m, k, node, ctx);
            env.set(k, v);
          }
        }
        for (const [k, v] of m.attrs) env.set(k, v);
        return;
      }
      for (const n of names) {
        env.setLazy(n.as, () => {
          const m = getModule();
          const v = this.moduleAttr(m, n.name, n.node, ctx);
          if (isUnknown(v) && m.ctx) {
            const sub = this.tryLoadSubmodule(m, n.name);
            if (sub) return sub;
          }
          return v;
        });
      }
      return;
    }
    // import a.b.c [as d], e
    let i = 1;
    while (i < ks.length) {
      const parts: string[] = [];
      let first: SyntaxNode | null = null;
      for (; i < ks.length && ks[i]!.name !== ',' && ks[i]!.name !== 'as'; i++) {
        if (ks[i]!.name === 'VariableName') {
          first ??= ks[i]!;
          parts.push(text(ks[i]!));
        }
      }
      let alias: string | null = null;
      if (ks[i]?.name === 'as') {
        alias = ks[i + 1] ? text(ks[i + 1]!) : null;
        i += 2;
      }
      i++;
      if (parts.length === 0) continue;
      const dotted = parts.join('.');
      if (alias) env.setLazy(alias, () => this.loadModule(dotted, first, ctx));
      else {
        const top = parts[0]!;
        env.setLazy(top, () => {
          const root = this.loadModule(top, first, ctx);
          let cur = root;
          for (let p = 1; p < parts.length; p++) {
            const name = parts.slice(0, p + 1).join('.');
            const sub = this.loadModule(name, first, ctx);
            if (!cur.ctx) cur.attrs.set(parts[p]!, sub);
            else cur.attrs.set(parts[p]!, sub);
            cur = sub;
          }
          return root;
        });
      }
    }
  }

  funcName(node: SyntaxNode, ctx: ModuleContext): string {
    const n = kids(node).find((c) => c.name === 'VariableName');
    return n ? ctx.text.slice(n.from, n.to) : '<function>';
  }

  private execDecorated(node: SyntaxNode, env: Env, ctx: ModuleContext): void {
    const ks = kids(node);
    const def = ks[ks.length - 1]!;
    const decorators = ks.filter((c) => c.name === 'Decorator').map((d) => ctx.text.slice(d.from + 1, d.to).trim());
    if (def.name === 'ClassDefinition') {
      const cls = this.defineClass(def, env, ctx, decorators);
      env.set(cls.name, cls);
      return;
    }
    if (def.name !== 'FunctionDefinition') return;
    const name = this.funcName(def, ctx);
    const f = this.defineFunction(def, env, ctx, decorators, null);
    // `@x.setter` on a property: attach to the existing property
    if (decorators.some((d) => /\.setter$|\.deleter$/.test(d))) return;
    env.set(name, f);
  }

  defineFunction(node: SyntaxNode, env: Env, ctx: ModuleContext, decorators: string[], owner: ClassValue | null): FuncValue {
    const ks = kids(node);
    const paramList = ks.find((c) => c.name === 'ParamList');
    const body = ks.find((c) => c.name === 'Body')!;
    const f: FuncValue = {
      k: 'func',
      name: this.funcName(node, ctx),
      params: paramList ? this.params(paramList, env, ctx) : [],
      body: body ?? node,
      isLambda: false,
      closure: env,
      module: ctx,
      node,
      range: ctx.lines.range(node.from, node.to),
    };
    if (owner) f.owner = owner;
    for (const d of decorators) {
      if (d === 'staticmethod') f.kind = 'static';
      else if (d === 'classmethod') f.kind = 'class';
      else if (d === 'property' || d.endsWith('cached_property')) f.kind = 'property';
    }
    return f;
  }

  params(paramList: SyntaxNode, env: Env, ctx: ModuleContext): ParamSpec[] {
    const out: ParamSpec[] = [];
    const ks = kids(paramList);
    let mode: 'positional' | 'keyword' = 'positional';
    for (let i = 0; i < ks.length; i++) {
      const c = ks[i]!;
      if (c.name === '*') {
        const next = ks[i + 1];
        if (next && next.name === 'VariableName') {
          out.push({ name: ctx.text.slice(next.from, next.to), kind: 'varargs' });
          i++;
        }
        mode = 'keyword';
      } else if (c.name === '**') {
        const next = ks[i + 1];
        if (next && next.name === 'VariableName') {
          out.push({ name: ctx.text.slice(next.from, next.to), kind: 'varkw' });
          i++;
        }
      } else if (c.name === 'VariableName') {
        const p: ParamSpec = { name: ctx.text.slice(c.from, c.to), kind: mode };
        let j = i + 1;
        if (ks[j]?.name === 'TypeDef') j++;
        if (ks[j]?.name === 'AssignOp' && ks[j + 1]) {
          p.default = this.eval(ks[j + 1]!, env, ctx);
          j++;
        }
        i = j;
        out.push(p);
      }
    }
    return out;
  }

  defineClass(node: SyntaxNode, env: Env, ctx: ModuleContext, decorators: string[]): ClassValue {
    const ks = kids(node);
    const nameNode = ks.find((c) => c.name === 'VariableName');
    const name = nameNode ? ctx.text.slice(nameNode.from, nameNode.to) : '<class>';
    const argList = ks.find((c) => c.name === 'ArgList');
    const bases: ClassValue[] = [];
    let unknownBase = false;
    if (argList) {
      const { args } = this.evalArgs(argList, env, ctx);
      for (const b of args) {
        if (b.k === 'class') bases.push(b);
        else unknownBase = true;
      }
    }
    const cls: ClassValue = {
      k: 'class',
      name,
      qualname: ctx === this.mainCtx ? name : `${ctx.name}.${name}`,
      bases,
      unknownBase,
      attrs: new Map(),
      module: ctx,
      range: ctx.lines.range(node.from, node.to),
    };
    const body = ks.find((c) => c.name === 'Body');
    if (body && decorators.some((d) => /^(dataclasses\.)?dataclass\b/.test(d))) this.dataclassInit(cls, body, env, ctx);
    if (body) {
      const classEnv = new Env(env, ctx);
      for (let s = body.firstChild; s; s = s.nextSibling) {
        try {
          if (s.name === 'FunctionDefinition') {
            const f = this.defineFunction(s, classEnv, ctx, [], cls);
            f.closure = env;
            classEnv.vars.set(f.name, f);
          } else if (s.name === 'DecoratedStatement') {
            const sk = kids(s);
            const def = sk[sk.length - 1]!;
            const decs = sk.filter((c) => c.name === 'Decorator').map((d) => ctx.text.slice(d.from + 1, d.to).trim());
            if (def.name === 'FunctionDefinition') {
              if (decs.some((d) => /\.setter$|\.deleter$/.test(d))) continue;
              const f = this.defineFunction(def, classEnv, ctx, decs, cls);
              f.closure = env;
              classEnv.vars.set(f.name, f);
            } else this.exec(s, classEnv, ctx);
          } else if (s.name === 'AssignStatement' && this.lazyClassAssign(s, classEnv, ctx)) {
            // bound lazily
          } else this.exec(s, classEnv, ctx);
        } catch (e) {
          if (e instanceof LimitError) throw e;
          if (e instanceof PyRaise) continue;
          throw e;
        }
      }
      for (const [k, v] of classEnv.vars) cls.attrs.set(k, v);
      if (classEnv.lazy?.size) {
        cls.lazyAttrs = new Map();
        for (const [k, t] of classEnv.lazy) cls.lazyAttrs.set(k, t);
      }
    }
    if (ctx === this.mainCtx || !this.classes.has(name)) this.classes.set(name, cls);
    return cls;
  }

  /** @dataclass: an __init__ from the annotated fields, in order, with their defaults. */
  private dataclassInit(cls: ClassValue, body: SyntaxNode, env: Env, ctx: ModuleContext): void {
    const fields: Array<{ name: string; value: SyntaxNode | null }> = [];
    for (const s of kids(body)) {
      if (s.name !== 'AssignStatement') continue;
      const ks = kids(s);
      if (ks[0]?.name !== 'VariableName' || ks[1]?.name !== 'TypeDef') continue;
      fields.push({ name: ctx.text.slice(ks[0].from, ks[0].to), value: ks[2]?.name === 'AssignOp' && ks[3] ? ks[3] : null });
    }
    const inherited = this.lookupClassAttr(cls, '__dataclass_fields__');
    const baseFields = inherited && inherited.k === 'list' ? inherited.items.map((x) => (x as { v: string }).v) : [];
    const names = [...baseFields.filter((n) => !fields.some((f) => f.name === n)), ...fields.map((f) => f.name)];
    const defaults = new Map<string, Value>();
    for (const f of fields) if (f.value) defaults.set(f.name, this.eval(f.value, env, ctx));
    cls.attrs.set('__dataclass_fields__', list(names.map((n) => str(n))));
    cls.attrs.set('__init__', this.builtin(`${cls.name}.__init__`, (args, kwargs) => {
      const self = args[0];
      if (!self || self.k !== 'object') return NONE;
      names.forEach((n, i) => {
        const v = i + 1 < args.length ? args[i + 1]! : (kwargs.get(n) ?? defaults.get(n) ?? (this.lookupClassAttr(self.cls, n) as Value | undefined) ?? unknown(`field ${n} not given`));
        self.attrs.set(n, v);
      });
      return NONE;
    }));
  }

  /** `NAME = call(...)` in a class body: evaluated when the attribute is first used. */
  private lazyClassAssign(s: SyntaxNode, classEnv: Env, ctx: ModuleContext): boolean {
    const ks = kids(s);
    if (ks.length !== 3 || ks[0]!.name !== 'VariableName' || ks[1]!.name !== 'AssignOp' || ks[2]!.name !== 'CallExpression') return false;
    const name = ctx.text.slice(ks[0]!.from, ks[0]!.to);
    const value = ks[2]!;
    classEnv.setLazy(name, () => {
      try {
        return this.eval(value, classEnv, ctx);
      } catch (e) {
        if (e instanceof PyRaise) return unknown(e.message);
        throw e;
      }
    });
    return true;
  }

  // ----- expressions -----

  eval(node: SyntaxNode, env: Env, ctx: ModuleContext): Value {
    this.tick();
    const t = ctx.text;
    switch (node.name) {
      case 'VariableName': {
        const name = t.slice(node.from, node.to);
        const v = env.lookup(name);
        if (v !== undefined) return v;
        return unknown(`name ${name} is not defined`);
      }
      case 'Number':
        return this.number(t.slice(node.from, node.to));
      case 'String':
        return str(this.stringLiteral(t.slice(node.from, node.to)));
      case 'ContinuedString': {
        let s = '';
        for (let c = node.firstChild; c; c = c.nextSibling) {
          if (c.name === 'Comment') continue;
          const v = this.eval(c, env, ctx);
          if (v.k !== 'str') return unknown('a string with unknown parts');
          s += v.v;
        }
        return str(s);
      }
      case 'FormatString':
        return this.formatString(node, env, ctx);
      case 'Boolean':
        return bool(t.slice(node.from, node.to) === 'True');
      case 'None':
        return NONE;
      case 'Ellipsis':
        return ELLIPSIS;
      case 'ParenthesizedExpression': {
        const inner = node.firstChild?.nextSibling;
        return inner && inner.name !== ')' ? this.eval(inner, env, ctx) : tuple([]);
      }
      case 'TupleExpression':
      case 'ArrayExpression':
      case 'SetExpression': {
        const items: Value[] = [];
        let star = false;
        for (let c = node.firstChild; c; c = c.nextSibling) {
          if (['(', ')', '[', ']', '{', '}', ',', 'Comment'].includes(c.name)) continue;
          if (c.name === '*') {
            star = true;
            continue;
          }
          const v = this.eval(c, env, ctx);
          if (star) {
            const it = this.iterate(v, c, ctx);
            if (it) items.push(...it);
            else items.push(unknown('unpacked unknown value'));
          } else items.push(v);
          star = false;
        }
        return node.name === 'TupleExpression' ? tuple(items) : node.name === 'SetExpression' ? { k: 'set', items: setItems(items) } : list(items);
      }
      case 'DictionaryExpression': {
        const d = dict();
        const ks = kids(node).filter((c) => c.name !== '{' && c.name !== '}');
        for (let i = 0; i < ks.length; i++) {
          const c = ks[i]!;
          if (c.name === ',') continue;
          if (c.name === '**') {
            const v = this.eval(ks[i + 1]!, env, ctx);
            if (v.k === 'dict') for (const [k, e] of v.map) d.map.set(k, e);
            i++;
            continue;
          }
          const key = this.eval(c, env, ctx);
          const valNode = ks[i + 2];
          const val = valNode ? this.eval(valNode, env, ctx) : unknown('dict value');
          d.map.set(keyOf(key), [key, val]);
          i += 2;
        }
        return d;
      }
      case 'ArrayComprehensionExpression':
      case 'ComprehensionExpression':
      case 'SetComprehensionExpression':
      case 'DictionaryComprehensionExpression':
        return this.comprehension(node, env, ctx);
      case 'UnaryExpression': {
        const op = node.firstChild!;
        const operand = op.nextSibling;
        if (!operand) return unknown('incomplete expression');
        const v = this.eval(operand, env, ctx);
        const o = t.slice(op.from, op.to);
        if (o === 'not') {
          const b = truthy(v);
          return b === null ? unknown(`not of ${typeName(v)}`) : bool(!b);
        }
        if (v.k === 'num' || v.k === 'bool') {
          const n = v.k === 'bool' ? (v.v ? 1 : 0) : v.v;
          if (o === '-') return num(-n, v.k === 'bool' || v.int);
          if (o === '+') return num(n, v.k === 'bool' || v.int);
          if (o === '~') return int(~n);
        }
        if (v.k === 'tensor') return v;
        if (v.k === 'array') {
          if (o === '+') return v;
          return arrayUnary(o === '-' ? 'neg' : v.dtype === 'bool' ? 'logical_not' : 'bitwise_not', v, this.charge);
        }
        return unknown(`${o} of ${typeName(v)}`);
      }
      case 'BinaryExpression':
        return this.binaryExpr(node, env, ctx);
      case 'ConditionalExpression': {
        const ks = kids(node);
        const a = ks[0]!;
        const cond = ks[2];
        const b = ks[4];
        if (!cond || !b) return unknown('incomplete conditional');
        const c = truthy(this.eval(cond, env, ctx));
        if (c === null) {
          const va = this.eval(a, env, ctx);
          return va.k === 'tensor' ? va : unknown(`condition ${t.slice(cond.from, cond.to).slice(0, 40)} not known`);
        }
        return this.eval(c ? a : b, env, ctx);
      }
      case 'CallExpression':
        return this.callExpr(node, env, ctx);
      case 'MemberExpression': {
        const objNode = node.firstChild!;
        const second = objNode.nextSibling;
        if (objNode.name === 'Number' && second?.name === '.' && (!second.nextSibling || second.nextSibling.type.isError)) {
          // `6.`: a float lezer reads as a member access
          return num(Number(t.slice(objNode.from, objNode.to).replace(/_/g, '')), false);
        }
        const obj = this.eval(objNode, env, ctx);
        if (!second) return obj;
        if (second.name === '.') {
          const prop = second.nextSibling;
          if (!prop) return unknown('incomplete attribute');
          return this.getAttr(obj, t.slice(prop.from, prop.to), { node, module: ctx });
        }
        const index = this.subscript(node, env, ctx);
        return this.getItem(obj, index, node, ctx);
      }
      case 'LambdaExpression': {
        const ks = kids(node);
        const pl = ks.find((c) => c.name === 'ParamList');
        const body = ks[ks.length - 1]!;
        return {
          k: 'func',
          name: '<lambda>',
          params: pl ? this.params(pl, env, ctx) : [],
          body,
          isLambda: true,
          closure: env,
          module: ctx,
          node,
          range: ctx.lines.range(node.from, node.to),
        };
      }
      case 'NamedExpression': {
        const ks = kids(node);
        const v = ks[2] ? this.eval(ks[2], env, ctx) : unknown('walrus');
        if (ks[0]) this.assign(ks[0], v, env, ctx);
        return v;
      }
      case 'AwaitExpression':
      case 'YieldExpression':
        return unknown(node.name);
      default:
        return unknown(node.type.isError ? 'a syntax error' : `${node.name}`);
    }
  }

  number(text: string): Value {
    const s = text.replace(/_/g, '');
    if (/[jJ]$/.test(s)) return unknown('a complex number');
    if (/^0[xX]/.test(s)) return int(parseInt(s.slice(2), 16));
    if (/^0[oO]/.test(s)) return int(parseInt(s.slice(2), 8));
    if (/^0[bB]/.test(s)) return int(parseInt(s.slice(2), 2));
    if (/^\d+$/.test(s)) return int(Number(s));
    return num(Number(s), false);
  }

  stringLiteral(raw: string): string {
    const c0 = raw.charCodeAt(0);
    if ((c0 === 39 || c0 === 34) && raw.length >= 2 && raw.charCodeAt(1) !== c0 && !raw.includes('\\')) return raw.slice(1, -1);
    const m = /^([rRbBuUfF]*)('''|"""|'|")/.exec(raw);
    if (!m) return raw;
    const prefix = m[1]!.toLowerCase();
    const q = m[2]!;
    let body = raw.slice(m[0].length, raw.length >= m[0].length + q.length ? raw.length - q.length : raw.length);
    if (!prefix.includes('r')) {
      body = body.replace(/\\(\n|\\|'|"|n|t|r|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})/g, (_s, e: string) => {
        switch (e[0]) {
          case '\n':
            return '';
          case 'n':
            return '\n';
          case 't':
            return '\t';
          case 'r':
            return '\r';
          case 'x':
          case 'u':
            return String.fromCharCode(parseInt(e.slice(1), 16));
          default:
            return e;
        }
      });
    }
    return body;
  }

  private formatString(node: SyntaxNode, env: Env, ctx: ModuleContext): Value {
    const raw = ctx.text.slice(node.from, node.to);
    const m = /^([rRbBuUfF]*)('''|"""|'|")/.exec(raw);
    const open = m ? m[0].length : 0;
    const q = m ? m[2]!.length : 0;
    const end = node.to - q;
    let out = '';
    let pos = node.from + open;
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.name !== 'FormatReplacement') continue;
      out += ctx.text.slice(pos, c.from).replace(/\{\{/g, '{').replace(/\}\}/g, '}');
      pos = c.to;
      const inner = kids(c).filter((x) => x.name !== '{' && x.name !== '}');
      const expr = inner.find((x) => !['FormatSpec', 'FormatConversion', 'FormatSelfDoc'].includes(x.name));
      const spec = inner.find((x) => x.name === 'FormatSpec');
      if (!expr) return unknown('an empty f-string field');
      const v = this.eval(expr, env, ctx);
      const s = this.formatValue(v, spec ? ctx.text.slice(spec.from + 1, spec.to) : '');
      if (s === null) return unknown(`f-string field ${ctx.text.slice(expr.from, expr.to)} is not known`);
      out += s;
    }
    out += ctx.text.slice(pos, Math.max(pos, end)).replace(/\{\{/g, '{').replace(/\}\}/g, '}');
    return str(out);
  }

  formatValue(v: Value, spec: string): string | null {
    if (!spec) return pyStr(v);
    const m = /^([<>^]?)(0?)(\d*)(?:\.(\d+))?([dfsxge%]?)$/.exec(spec);
    if (!m) return pyStr(v);
    let s: string | null;
    if (v.k === 'num' && m[4] !== undefined) s = v.v.toFixed(Number(m[4]));
    else if (v.k === 'num' && m[5] === 'x') s = v.v.toString(16);
    else s = pyStr(v);
    if (s === null) return null;
    const width = Number(m[3] || 0);
    if (s.length < width) s = m[2] === '0' ? s.padStart(width, '0') : m[1] === '<' || (!m[1] && v.k === 'str') ? s.padEnd(width) : s.padStart(width);
    return s;
  }

  private comprehension(node: SyntaxNode, env: Env, ctx: ModuleContext, emit?: (v: Value) => void): Value {
    if (!emit && (node.name === 'ComprehensionExpression' || node.name === 'ArgList')) {
      return { k: 'gen', produce: (e) => void this.comprehension(node, env, ctx, e) };
    }
    const ks = kids(node).filter((c) => !['(', ')', '[', ']', '{', '}'].includes(c.name));
    const forIdx = ks.findIndex((c) => c.name === 'for');
    if (forIdx < 0) return unknown('comprehension');
    const isDict = node.name === 'DictionaryComprehensionExpression';
    const elem = ks.slice(0, forIdx);
    const clauses = ks.slice(forIdx);
    const out: Value[] = [];
    const d = dict();
    const scope = new Env(env, ctx);
    const run = (ci: number): void => {
      if (ci >= clauses.length) {
        if (isDict) {
          const k = this.eval(elem[0]!, scope, ctx);
          const v = elem[2] ? this.eval(elem[2], scope, ctx) : unknown('dict value');
          d.map.set(keyOf(k), [k, v]);
        } else if (emit) emit(this.eval(elem[0]!, scope, ctx));
        else out.push(this.eval(elem[0]!, scope, ctx));
        return;
      }
      const c = clauses[ci]!;
      if (c.name === 'for' || c.name === 'async') {
        if (c.name === 'async') return run(ci + 1);
        let inIdx = ci + 1;
        while (inIdx < clauses.length && clauses[inIdx]!.name !== 'in') inIdx++;
        const targets = clauses.slice(ci + 1, inIdx);
        const iterNode = clauses[inIdx + 1];
        if (!iterNode) return;
        const items = this.iterate(this.eval(iterNode, scope, ctx), iterNode, ctx);
        if (!items) throw new PyRaise('comprehension over an unknown value', null);
        let count = 0;
        for (const item of items) {
          if (++count > this.limits.loop) throw new LimitError('a comprehension ran too long');
          const ts = targets.filter((x) => x.name !== ',');
          if (ts.length === 1 && !targets.some((x) => x.name === ',')) this.assign(ts[0]!, item, scope, ctx);
          else this.unpack(targets, item, scope, ctx, node);
          run(inIdx + 2);
        }
        return;
      }
      if (c.name === 'if') {
        const cond = clauses[ci + 1];
        if (!cond) return;
        const tv = truthy(this.eval(cond, scope, ctx));
        if (tv === null) throw new PyRaise('comprehension condition not known', null);
        if (tv) run(ci + 2);
        return;
      }
      run(ci + 1);
    };
    try {
      run(0);
    } catch (e) {
      if (e instanceof PyRaise && e.range === null) return unknown(e.message);
      throw e;
    }
    if (isDict) return d;
    if (node.name === 'SetComprehensionExpression') return { k: 'set', items: setItems(out) };
    if (node.name === 'ComprehensionExpression') return tuple(out);
    return list(out);
  }

  private binaryExpr(node: SyntaxNode, env: Env, ctx: ModuleContext): Value {
    const ks = kids(node);
    const left = ks[0]!;
    const right = ks[ks.length - 1]!;
    if (ks.length < 3) return unknown('incomplete expression');
    const op = ks
      .slice(1, -1)
      .map((c) => ctx.text.slice(c.from, c.to))
      .join(' ');
    if (op === 'and' || op === 'or') {
      const a = this.eval(left, env, ctx);
      const ta = truthy(a);
      if (ta === null) {
        const b = this.eval(right, env, ctx);
        const tb = truthy(b);
        if (op === 'and' && tb === false) return b;
        if (op === 'or' && tb === true) return b;
        return unknown(`${op} of unknown values`);
      }
      if (op === 'and') return ta ? this.eval(right, env, ctx) : a;
      return ta ? a : this.eval(right, env, ctx);
    }
    const site = { node, module: ctx };
    if (COMPARISONS.has(op) && left.name === 'BinaryExpression') {
      // a < b < c: (a < b) and (b < c), b evaluated once
      const lk = kids(left);
      const lop = lk.slice(1, -1).map((c) => ctx.text.slice(c.from, c.to)).join(' ');
      if (COMPARISONS.has(lop) && lk.length >= 3) {
        const first = this.binaryExpr(left, env, ctx);
        const t1 = truthy(first);
        if (t1 === false) return first;
        const mid = this.eval(lk[lk.length - 1]!, env, ctx);
        const second = this.binary(op, mid, this.eval(right, env, ctx), site);
        if (t1 === null) return truthy(second) === false ? second : unknown('a chained comparison of unknown values');
        return second;
      }
    }
    const a = this.eval(left, env, ctx);
    const b = this.eval(right, env, ctx);
    return this.binary(op, a, b, site);
  }

  binary(op: string, a: Value, b: Value, site: CallSite): Value {
    if (a.k === 'tensor' || b.k === 'tensor') {
      if (op === 'is' || op === 'is not') return bool((a === b) === (op === 'is'));
      const r = this.hooks.tensorBinary?.(op, a, b, site);
      if (r) return r;
    }
    if ((a.k === 'array' || b.k === 'array') && !COMPARISONS_PY.has(op)) {
      const r = arrayBinary(op, a, b, this.charge);
      if (r) return r;
    }
    switch (op) {
      case 'is':
        return this.identical(a, b);
      case 'is not': {
        const r = this.identical(a, b);
        return r.k === 'bool' ? bool(!r.v) : r;
      }
      case '==':
      case '!=': {
        const r = this.equals(a, b);
        if (r === null) return unknown(`comparison of ${typeName(a)} and ${typeName(b)}`);
        return bool(op === '==' ? r : !r);
      }
      case 'in':
      case 'not in': {
        const r = this.contains(b, a);
        if (r === null) return unknown(`membership in ${typeName(b)}`);
        return bool(op === 'in' ? r : !r);
      }
    }
    const na = a.k === 'bool' ? int(a.v ? 1 : 0) : a;
    const nb = b.k === 'bool' ? int(b.v ? 1 : 0) : b;
    if (na.k === 'num' && nb.k === 'num') return this.arith(op, na.v, nb.v, na.int && nb.int);
    if (a.k === 'str' && b.k === 'str') {
      if (op === '+') return str(a.v + b.v);
      if (op === '<') return bool(a.v < b.v);
      if (op === '>') return bool(a.v > b.v);
      if (op === '<=') return bool(a.v <= b.v);
      if (op === '>=') return bool(a.v >= b.v);
    }
    if (a.k === 'str' && op === '%') return this.percentFormat(a.v, b);
    if (isSeq(a) && isSeq(b) && op === '+' && a.k !== 'set') return { k: a.k, items: [...a.items, ...b.items] };
    if (isSeq(a) && nb.k === 'num' && op === '*' && nb.int) {
      const items: Value[] = [];
      for (let i = 0; i < Math.min(nb.v, 100000); i++) items.push(...a.items);
      return { k: a.k, items };
    }
    if (a.k === 'str' && nb.k === 'num' && op === '*') return str(a.v.repeat(Math.max(0, Math.min(nb.v, 10000))));
    if (a.k === 'dict' && b.k === 'dict' && op === '|') {
      const d = dict();
      for (const [k, v] of a.map) d.map.set(k, v);
      for (const [k, v] of b.map) d.map.set(k, v);
      return d;
    }
    if (isSeq(a) && isSeq(b) && ['<', '>', '<=', '>='].includes(op)) {
      for (let i = 0; i < Math.min(a.items.length, b.items.length); i++) {
        const eq = this.equals(a.items[i]!, b.items[i]!);
        if (eq === null) return unknown('comparison');
        if (!eq) return this.binary(op, a.items[i]!, b.items[i]!, site);
      }
      return this.arith(op, a.items.length, b.items.length, true);
    }
    if (op === '+' && a.k === 'object' && a.modules && isSeq(b)) {
      // nn.ModuleList += [layers] (MaxViT's blocks): extended in place, as __iadd__ does
      const extend = this.hooks.nativeAttr?.(a, 'extend');
      if (extend && extend.k === 'builtin') return extend.fn([b], new Map(), site);
    }
    if (isUnknown(a)) return a;
    if (isUnknown(b)) return b;
    return unknown(`${typeName(a)} ${op} ${typeName(b)}`);
  }

  arith(op: string, x: number, y: number, ints: boolean): Value {
    switch (op) {
      case '+':
        return num(x + y, ints);
      case '-':
        return num(x - y, ints);
      case '*':
        return num(x * y, ints);
      case '/':
        return y === 0 ? unknown('division by zero') : num(x / y, false);
      case '//':
        return y === 0 ? unknown('division by zero') : num(Math.floor(x / y), ints);
      case '%':
        return y === 0 ? unknown('modulo by zero') : num(x - y * Math.floor(x / y), ints);
      case '**':
        return num(x ** y, ints && y >= 0);
      case '<':
        return bool(x < y);
      case '>':
        return bool(x > y);
      case '<=':
        return bool(x <= y);
      case '>=':
        return bool(x >= y);
      case '&':
        return int(x & y);
      case '|':
        return int(x | y);
      case '^':
        return int(x ^ y);
      case '<<':
        return int(x * 2 ** y);
      case '>>':
        return int(Math.floor(x / 2 ** y));
      default:
        return unknown(`operator ${op}`);
    }
  }

  private percentFormat(fmt: string, arg: Value): Value {
    const args = arg.k === 'tuple' ? arg.items : [arg];
    let i = 0;
    let bad = false;
    const out = fmt.replace(/%(\(\w+\))?([-0 +#]*)(\d*)(?:\.(\d+))?([sdifrx%])/g, (_m, key: string | undefined, flags: string, width: string, prec: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      let v: Value | undefined;
      if (key && arg.k === 'dict') v = arg.map.get(`s${key.slice(1, -1)}`)?.[1];
      else v = args[i++];
      if (!v) {
        bad = true;
        return '';
      }
      let s = conv === 'f' && v.k === 'num' ? v.v.toFixed(prec ? Number(prec) : 6) : conv === 'd' && v.k === 'num' ? String(Math.trunc(v.v)) : pyStr(v, conv === 'r');
      if (s === null) {
        bad = true;
        return '';
      }
      const w = Number(width || 0);
      if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') ? s.padStart(w, '0') : s.padStart(w);
      return s;
    });
    return bad ? unknown('a %-formatted string with unknown parts') : str(out);
  }

  identical(a: Value, b: Value): Value {
    if (a.k === 'unknown' || b.k === 'unknown') return unknown('identity of an unknown value');
    if (a.k === 'none' || b.k === 'none') return bool(a.k === b.k);
    if (a.k === 'bool' && b.k === 'bool') return bool(a.v === b.v);
    if (a.k === 'class' || b.k === 'class' || a.k === 'object' || b.k === 'object') return bool(a === b);
    const e = this.equals(a, b);
    return e === null ? unknown('identity') : bool(e && a.k === b.k);
  }

  equals(a: Value, b: Value): boolean | null {
    if (a.k === 'unknown' || b.k === 'unknown' || a.k === 'dim' || b.k === 'dim') return null;
    const na = a.k === 'bool' ? (a.v ? 1 : 0) : a.k === 'num' ? a.v : null;
    const nb = b.k === 'bool' ? (b.v ? 1 : 0) : b.k === 'num' ? b.v : null;
    if (na !== null && nb !== null) return na === nb;
    if (a.k === 'str' && b.k === 'str') return a.v === b.v;
    if (a.k === 'none' || b.k === 'none') return a.k === b.k;
    if (isSeq(a) && isSeq(b)) {
      if (a.k !== b.k) return false;
      if (a.items.length !== b.items.length) return false;
      for (let i = 0; i < a.items.length; i++) {
        const e = this.equals(a.items[i]!, b.items[i]!);
        if (e !== true) return e;
      }
      return true;
    }
    if (a.k === 'tensor' || b.k === 'tensor') return null;
    if (a.k !== b.k) return false;
    return a === b;
  }

  contains(container: Value, item: Value): boolean | null {
    if (container.k === 'dict') {
      if (item.k === 'unknown') return null;
      return container.map.has(keyOf(item));
    }
    if (container.k === 'str' && item.k === 'str') return container.v.includes(item.v);
    if (isSeq(container)) {
      let unknownSeen = false;
      for (const x of container.items) {
        const e = this.equals(x, item);
        if (e === true) return true;
        if (e === null) unknownSeen = true;
      }
      return unknownSeen ? null : false;
    }
    if (container.k === 'object' && container.modules && item.k === 'str') return container.modules.has(item.v);
    return null;
  }

  /** The items of an iterable, or null when they are not known. */
  iterate(v: Value, node: SyntaxNode | null, ctx: ModuleContext | null): Value[] | null {
    void node;
    void ctx;
    switch (v.k) {
      case 'list':
      case 'tuple':
      case 'set':
        return v.items.slice();
      case 'dict':
        return [...v.map.values()].map((e) => e[0]);
      case 'gen': {
        const items: Value[] = [];
        v.produce((x) => items.push(x));
        return items;
      }
      case 'str':
        return [...v.v].map((c) => str(c));
      case 'array':
        return rows(v, this.charge);
      case 'object': {
        const n = this.hooks.iterNative?.(v);
        if (n) return n;
        const it = this.lookupClassAttr(v.cls, '__iter__');
        if (it && it.k === 'func') {
          const r = this.call({ k: 'bound', fn: it, self: v }, [], new Map(), { node: null, module: null });
          return r.k === 'object' ? null : this.iterate(r, null, null);
        }
        return null;
      }
      default:
        return null;
    }
  }

  subscript(node: SyntaxNode, env: Env, ctx: ModuleContext): Value {
    const ks = kids(node);
    const open = ks.findIndex((c) => c.name === '[');
    const inner = ks.slice(open + 1, ks[ks.length - 1]?.name === ']' ? -1 : undefined);
    const groups: SyntaxNode[][] = [[]];
    for (const c of inner) {
      if (c.name === ',') groups.push([]);
      else groups[groups.length - 1]!.push(c);
    }
    if (groups[groups.length - 1]!.length === 0 && groups.length > 1) groups.pop();
    const items = groups.map((g) => {
      if (!g.some((c) => c.name === ':')) return g[0] ? this.eval(g[0], env, ctx) : NONE;
      const parts: Value[] = [NONE, NONE, NONE];
      let p = 0;
      for (const c of g) {
        if (c.name === ':') p++;
        else if (p < 3) parts[p] = this.eval(c, env, ctx);
      }
      return { k: 'slice', start: parts[0]!, stop: parts[1]!, step: parts[2]! } as Value;
    });
    return items.length === 1 && groups.length === 1 && !inner.some((c) => c.name === ',') ? items[0]! : tuple(items);
  }

  getItem(obj: Value, index: Value, node: SyntaxNode | null, ctx: ModuleContext | null): Value {
    if (obj.k === 'unknown') return obj;
    if (obj.k === 'dict') {
      const e = obj.map.get(keyOf(index));
      return e ? e[1] : unknown(`key ${pyStr(index, true) ?? '?'} not in the dict`);
    }
    if (isSeq(obj) || obj.k === 'str') {
      const n = obj.k === 'str' ? obj.v.length : obj.items.length;
      const at = (i: number) => (obj.k === 'str' ? str(obj.v[i]!) : obj.items[i]!);
      if (index.k === 'num' || index.k === 'bool') {
        let i = index.k === 'bool' ? (index.v ? 1 : 0) : index.v;
        if (i < 0) i += n;
        if (i >= 0 && i < n && Number.isInteger(i)) return at(i);
        return unknown(`index ${index.k === 'num' ? index.v : ''} out of range`);
      }
      if (index.k === 'slice') {
        const idx = this.sliceIndices(index, n);
        if (!idx) return unknown('a slice with unknown bounds');
        if (obj.k === 'str') return str(idx.map((i) => obj.v[i]!).join(''));
        return { k: obj.k === 'set' ? 'list' : obj.k, items: idx.map((i) => obj.items[i]!) };
      }
      return unknown(`index of ${typeName(index)}`);
    }
    if (obj.k === 'object') {
      const n = this.hooks.indexNative?.(obj, index);
      if (n !== undefined) return n;
      const gi = this.lookupClassAttr(obj.cls, '__getitem__');
      if (gi && gi.k === 'func') return this.call({ k: 'bound', fn: gi, self: obj }, [index], new Map(), { node, module: ctx });
    }
    if (obj.k === 'class') return obj; // typing generics: List[int]
    if (obj.k === 'array') return getIndex(obj, index, this.charge);
    if (obj.k === 'tensor') {
      const r = this.hooks.indexTensor?.(obj, index, { node, module: ctx });
      if (r) return r;
      return this.hooks.opaqueCall?.('indexing', [obj], new Map(), { node, module: ctx }) ?? unknown('tensor indexing');
    }
    return unknown(`indexing a ${typeName(obj)}`);
  }

  sliceIndices(s: { start: Value; stop: Value; step: Value }, n: number): number[] | null {
    const b = sliceBounds(s, n, (v) => (v.k === 'num' ? v.v : v.k === 'bool' ? (v.v ? 1 : 0) : null));
    if (!b) return null;
    const { start, stop, step } = b;
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  }

  // ----- calls -----

  evalArgs(argList: SyntaxNode, env: Env, ctx: ModuleContext): { args: Value[]; kwargs: Map<string, Value>; argNodes: Map<string | number, SyntaxNode> } {
    const args: Value[] = [];
    const kwargs = new Map<string, Value>();
    const argNodes = new Map<string | number, SyntaxNode>();
    const ks = kids(argList).filter((c) => c.name !== '(' && c.name !== ')');
    if (ks.some((c) => c.name === 'for')) {
      // f(x for x in xs): one generator argument
      const items = this.comprehension(argList, env, ctx);
      args.push(items);
      return { args, kwargs, argNodes };
    }
    for (let i = 0; i < ks.length; i++) {
      const c = ks[i]!;
      if (c.name === ',') continue;
      if (c.name === '*' || c.name === '**') {
        const e = ks[i + 1];
        if (!e) break;
        const v = this.eval(e, env, ctx);
        if (c.name === '*') {
          const items = this.iterate(v, e, ctx);
          if (items) {
            for (const it of items) args.push(it);
          } else args.push(unknown(`*${ctx.text.slice(e.from, e.to)} is not known`));
        } else if (v.k === 'dict') {
          for (const [, [k, val]] of v.map) if (k.k === 'str') kwargs.set(k.v, val);
        }
        i++;
        continue;
      }
      if (c.name === 'VariableName' && ks[i + 1]?.name === 'AssignOp') {
        const name = ctx.text.slice(c.from, c.to);
        const e = ks[i + 2];
        kwargs.set(name, e ? this.eval(e, env, ctx) : unknown('missing argument'));
        if (e) argNodes.set(name, e);
        i += 2;
        continue;
      }
      argNodes.set(args.length, c);
      args.push(this.eval(c, env, ctx));
    }
    return { args, kwargs, argNodes };
  }

  /** Argument nodes of the call being evaluated (for layer ranges), innermost last. */
  readonly callStack: Array<{ node: SyntaxNode; ctx: ModuleContext; argNodes: Map<string | number, SyntaxNode> }> = [];

  private callExpr(node: SyntaxNode, env: Env, ctx: ModuleContext): Value {
    const callee = node.firstChild!;
    const argList = callee.nextSibling;
    // super().__init__(...) needs the enclosing class and self
    let fn: Value;
    if (callee.name === 'MemberExpression' && callee.firstChild?.name === 'CallExpression' && ctx.text.slice(callee.firstChild.from, callee.firstChild.to).replace(/\s/g, '').startsWith('super(')) {
      const prop = callee.lastChild!;
      fn = this.superAttr(callee.firstChild, ctx.text.slice(prop.from, prop.to), env, ctx);
    } else fn = this.eval(callee, env, ctx);
    const { args, kwargs, argNodes } = argList ? this.evalArgs(argList, env, ctx) : { args: [], kwargs: new Map<string, Value>(), argNodes: new Map() };
    const site: CallSite = { node, module: ctx };
    this.callStack.push({ node, ctx, argNodes });
    const savedAnchor = this.anchor;
    if (ctx === this.mainCtx) this.anchor = ctx.lines.range(node.from, node.to);
    try {
      const r = this.call(fn, args, kwargs, site);
      if (isUnknown(fn) && this.tracer && args.some((a) => a.k === 'tensor')) {
        const t = this.hooks.opaqueCall?.(ctx.text.slice(callee.from, callee.to), args, kwargs, site);
        if (t) return t;
      }
      return r;
    } finally {
      this.callStack.pop();
      this.anchor = savedAnchor;
    }
  }

  private superAttr(superCall: SyntaxNode, name: string, env: Env, ctx: ModuleContext): Value {
    // explicit super(Cls, self) or implicit: the function's owner class and its first parameter
    const argList = superCall.lastChild;
    let cls: Value | undefined;
    let self: Value | undefined;
    if (argList && argList.name === 'ArgList') {
      const { args } = this.evalArgs(argList, env, ctx);
      if (args.length === 2) {
        cls = args[0];
        self = args[1];
      }
    }
    if (!cls || !self) {
      const frame = this.frames[this.frames.length - 1];
      if (!frame || !frame.fn.owner) return unknown('super() outside a method');
      cls = frame.fn.owner;
      self = frame.self ?? unknown('super() without self');
    }
    if (cls.k !== 'class') return unknown('super() of an unknown class');
    const target = self.k === 'object' ? self.cls : self.k === 'class' ? self : cls;
    const order = mro(target);
    const start = order.indexOf(cls);
    for (let i = start + 1; i < order.length; i++) {
      const c = order[i]!;
      const v = classOwn(c, name);
      if (v !== undefined) return v.k === 'builtin' && name === '__init__' ? { k: 'bound', fn: v, self } : this.bindAttr(v, self, c);
      if (c.native && name === '__init__') {
        return { k: 'builtin', name: `${c.name}.__init__`, fn: (args, kwargs, site) => {
          if (self!.k === 'object') this.hooks.nativeInit?.(self as ObjectValue, c, args, kwargs, site);
          return NONE;
        } };
      }
    }
    if (name === '__init__') return { k: 'builtin', name: 'object.__init__', fn: () => NONE };
    return unknown(`super().${name}`);
  }

  readonly frames: Array<{ fn: FuncValue; self: Value | null }> = [];

  call(fn: Value, args: Value[], kwargs: Map<string, Value>, site: CallSite): Value {
    this.tick();
    switch (fn.k) {
      case 'func':
        return this.callFunction(fn, args, kwargs, site, null);
      case 'bound':
        if (fn.fn.k === 'func') return this.callFunction(fn.fn, [fn.self, ...args], kwargs, site, fn.self);
        return this.call(fn.fn, [fn.self, ...args], kwargs, site);
      case 'builtin':
        return fn.fn(args, kwargs, site);
      case 'partial': {
        const kw = new Map(fn.kwargs);
        for (const [k, v] of kwargs) kw.set(k, v);
        return this.call(fn.fn, [...fn.args, ...args], kw, site);
      }
      case 'class':
        return this.instantiate(fn, args, kwargs, site);
      case 'object': {
        const r = this.hooks.callObject?.(fn, args, kwargs, site);
        if (r) return r;
        const c = this.lookupClassAttr(fn.cls, '__call__');
        if (c && c.k === 'func') return this.callFunction(c, [fn, ...args], kwargs, site, fn);
        const fwd = this.lookupClassAttr(fn.cls, 'forward') ?? this.lookupClassAttr(fn.cls, 'call');
        if (fwd && fwd.k === 'func') return this.callFunction(fwd, [fn, ...args], kwargs, site, fn);
        return unknown(`calling a ${fn.cls.name}`);
      }
      case 'unknown':
        return unknown(`result of calling ${fn.why}`);
      default:
        return unknown(`calling a ${typeName(fn)}`);
    }
  }

  callFunction(fn: FuncValue, args: Value[], kwargs: Map<string, Value>, site: CallSite, self: Value | null): Value {
    if (this.depth >= this.limits.depth) throw new LimitError(`calls nested deeper than ${this.limits.depth}`);
    if (this.tracking && fn.module === this.mainCtx) this.touched.add(fn.node.from);
    const env = new Env(fn.closure, fn.module);
    this.bindParams(fn, args, kwargs, env, site);
    this.depth++;
    this.frames.push({ fn, self: self ?? (fn.params[0] && args[0] !== undefined ? args[0] : null) });
    try {
      if (fn.isLambda) return this.eval(fn.body, env, fn.module);
      this.execBody(fn.body, env, fn.module);
      return NONE;
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      if (e instanceof BreakSignal || e instanceof ContinueSignal) return NONE;
      throw e;
    } finally {
      this.depth--;
      this.frames.pop();
    }
  }

  private bindParams(fn: FuncValue, args: Value[], kwargs: Map<string, Value>, env: Env, site: CallSite): void {
    let ai = 0;
    const rest = new Map(kwargs);
    for (const p of fn.params) {
      if (p.kind === 'positional') {
        if (ai < args.length) env.vars.set(p.name, args[ai++]!);
        else if (rest.has(p.name)) {
          env.vars.set(p.name, rest.get(p.name)!);
          rest.delete(p.name);
        } else if (p.default !== undefined) env.vars.set(p.name, p.default);
        else env.vars.set(p.name, unknown(`argument ${p.name} of ${fn.name} was not given`));
      } else if (p.kind === 'varargs') {
        env.vars.set(p.name, tuple(args.slice(ai)));
        ai = args.length;
      } else if (p.kind === 'keyword') {
        if (rest.has(p.name)) {
          env.vars.set(p.name, rest.get(p.name)!);
          rest.delete(p.name);
        } else if (p.default !== undefined) env.vars.set(p.name, p.default);
        else env.vars.set(p.name, unknown(`argument ${p.name} of ${fn.name} was not given`));
      } else {
        const d = dict();
        for (const [k, v] of rest) d.map.set(`s${k}`, [str(k), v]);
        env.vars.set(p.name, d);
        rest.clear();
      }
    }
    void site;
  }

  instantiate(cls: ClassValue, args: Value[], kwargs: Map<string, Value>, site: CallSite): Value {
    if (cls.native && !cls.lib) {
      const made = this.hooks.construct?.(cls, args, kwargs, site);
      if (made) return made;
    }
    if (cls.native?.startsWith('py:')) {
      const conv = this.builtins.vars.get(`__conv_${cls.native.slice(3)}`);
      if (conv && conv.k === 'builtin') return conv.fn(args, kwargs, site);
    }
    const obj: ObjectValue = {
      k: 'object',
      cls,
      attrs: new Map(),
      range: this.rangeOf(site.node, site.module),
      uid: nextUid(),
    };
    if (this.isModuleClass(cls)) obj.modules = new Map();
    for (const c of mro(cls)) {
      const init = classOwn(c, '__init__');
      if (init && init.k === 'func') {
        this.callFunction(init, [obj, ...args], kwargs, site, obj);
        return obj;
      }
      if (init && init.k === 'builtin') {
        init.fn([obj, ...args], kwargs, site);
        return obj;
      }
      if (c.native) {
        this.hooks.nativeInit?.(obj, c, args, kwargs, site);
        return obj;
      }
    }
    // dataclass-like: keyword arguments become attributes
    for (const [k, v] of kwargs) obj.attrs.set(k, v);
    return obj;
  }

  isModuleClass(cls: ClassValue): boolean {
    return mro(cls).some((c) => c.native === 'Module' || (c.lib === 'torch' && !!c.native && !c.native.startsWith('py:')));
  }

  /** The member `name` of an enum class: made once from its value, then kept in place of it (members are singletons, `is` holds). */
  private enumMember(cls: ClassValue, name: string, value: Value): Value {
    if (value.k === 'object' && value.cls === cls && value.attrs.has('_name_')) return value;
    const member: ObjectValue = { k: 'object', cls, attrs: new Map<string, Value>([['name', str(name)], ['_name_', str(name)], ['value', value], ['_value_', value]]), range: null, uid: nextUid() };
    cls.attrs.set(name, member);
    return member;
  }

  lookupClassAttr(cls: ClassValue, name: string): Value | undefined {
    for (const c of mro(cls)) {
      if (this.tracking && c.module === this.mainCtx && c.range) this.touched.add(this.mainFile.lines.offsetAt(c.range.start));
      const v = classOwn(c, name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  private bindAttr(v: Value, self: Value, owner: ClassValue | null): Value {
    if (v.k === 'func') {
      if (v.kind === 'static') return v;
      if (v.kind === 'class') return { k: 'bound', fn: v, self: self.k === 'object' ? self.cls : owner ?? self };
      if (v.kind === 'property') return this.callFunction(v, [self], new Map(), { node: null, module: null }, self);
      if (self.k === 'class') return v;
      return { k: 'bound', fn: v, self };
    }
    return v;
  }

  getAttr(obj: Value, name: string, site: CallSite): Value {
    switch (obj.k) {
      case 'object': {
        const own = obj.attrs.get(name);
        if (own !== undefined) return own;
        const m = obj.modules?.get(name);
        if (m) return m;
        for (const c of mro(obj.cls)) {
          const v = classOwn(c, name);
          if (v !== undefined) return this.bindAttr(v, obj, c);
        }
        if (name === '__class__') return obj.cls;
        const n = this.hooks.nativeAttr?.(obj, name);
        if (n !== undefined) return n;
        if (obj.cls.unknownBase) return unknown(`${obj.cls.name}.${name} (from a base class that is not known)`);
        return unknown(`${obj.cls.name} has no attribute ${name}`);
      }
      case 'class': {
        if (name === '__name__') return str(obj.name);
        for (const c of mro(obj)) {
          const v = classOwn(c, name);
          if (v !== undefined) {
            if (v.k === 'func' && v.kind === 'class') return { k: 'bound', fn: v, self: obj };
            if (c !== ENUM_BASE && v.k !== 'func' && v.k !== 'builtin' && !name.startsWith('_') && mro(c).includes(ENUM_BASE)) return this.enumMember(c, name, v);
            return v;
          }
        }
        return unknown(`${obj.name}.${name}`);
      }
      case 'pymodule':
        return this.moduleAttr(obj, name, site.node, site.module);
      case 'tensor':
        return this.hooks.tensorAttr?.(obj, name, site) ?? unknown(`tensor.${name}`);
      case 'array':
        return this.hooks.arrayAttr?.(obj, name, site) ?? unknown(`tensor.${name}`);
      case 'unknown':
      case 'none': {
        const byName = this.hooks.classByName?.(name) ?? this.hooks.valueByName?.(name);
        if (byName) return byName;
        return unknown(`${obj.k === 'unknown' ? obj.why : 'None'}.${name}`);
      }
      case 'func':
        if (name === '__name__') return str(obj.name);
        return unknown(`${obj.name}.${name}`);
      default: {
        const method = this.builtinMethod(obj, name);
        if (method) return method;
        return unknown(`${typeName(obj)}.${name}`);
      }
    }
  }

  setAttr(obj: Value, name: string, value: Value, site: CallSite): void {
    if (obj.k === 'object') {
      const setter = this.lookupPropertySetter(obj.cls, name);
      void setter;
      if (obj.modules) {
        if (value.k === 'object' && value.modules) {
          obj.modules.set(name, value);
          obj.attrs.delete(name);
          return;
        }
        if (obj.modules.has(name)) obj.modules.delete(name);
      }
      obj.attrs.set(name, value);
      return;
    }
    if (obj.k === 'class') {
      obj.attrs.set(name, value);
      return;
    }
    if (obj.k === 'pymodule' && obj.ctx) obj.ctx.globals.vars.set(name, value);
    void site;
  }

  private lookupPropertySetter(cls: ClassValue, name: string): null {
    void cls;
    void name;
    return null;
  }

  // ----- builtins -----

  builtin(name: string, fn: BuiltinFn): Value {
    return { k: 'builtin', name, fn };
  }

  private builtinMethod(obj: Value, name: string): Value | null {
    const b = (fn: BuiltinFn) => this.builtin(`${typeName(obj)}.${name}`, fn);
    if (obj.k === 'str') {
      const s = obj.v;
      switch (name) {
        case 'format':
          return b((args, kwargs) => {
            let i = 0;
            let bad = false;
            const out = s.replace(/\{\{|\}\}|\{([^{}:!]*)(![rsa])?(?::([^{}]*))?\}/g, (m, key: string, _conv, spec: string | undefined) => {
              if (m === '{{') return '{';
              if (m === '}}') return '}';
              let v: Value | undefined;
              if (key === '') v = args[i++];
              else if (/^\d+$/.test(key)) v = args[Number(key)];
              else v = kwargs.get(key);
              const r = v ? this.formatValue(v, spec ?? '') : null;
              if (r === null) bad = true;
              return r ?? '';
            });
            return bad ? unknown('str.format with unknown values') : str(out);
          });
        case 'join':
          return b((args) => {
            const items = args[0] ? this.iterate(args[0], null, null) : null;
            if (!items || items.some((x) => x.k !== 'str')) return unknown('join of unknown strings');
            return str(items.map((x) => (x as { v: string }).v).join(s));
          });
        case 'replace':
          return b((args) => (args[0]?.k === 'str' && args[1]?.k === 'str' ? str(s.split(args[0].v).join(args[1].v)) : unknown('replace')));
        case 'startswith':
        case 'endswith':
          return b((args) => {
            const a = args[0];
            const opts = a && a.k === 'tuple' ? a.items : a ? [a] : [];
            if (opts.some((x) => x.k !== 'str')) return unknown(name);
            return bool(opts.some((x) => (name === 'startswith' ? s.startsWith((x as { v: string }).v) : s.endsWith((x as { v: string }).v))));
          });
        case 'lower':
          return b(() => str(s.toLowerCase()));
        case 'upper':
          return b(() => str(s.toUpperCase()));
        case 'strip':
          return b(() => str(s.trim()));
        case 'split':
          return b((args) => list((args[0]?.k === 'str' ? s.split(args[0].v) : s.trim().split(/\s+/)).map((x) => str(x))));
        case 'isdigit':
          return b(() => bool(/^\d+$/.test(s)));
        default:
          return null;
      }
    }
    if (obj.k === 'list') {
      switch (name) {
        case 'append':
          return b((args) => (obj.items.push(args[0] ?? NONE), NONE));
        case 'extend':
          return b((args) => {
            const a = args[0];
            if (a && a.k === 'gen') {
              a.produce((x) => obj.items.push(x));
              return NONE;
            }
            const items = a ? this.iterate(a, null, null) : null;
            if (items) obj.items.push(...items);
            return NONE;
          });
        case 'insert':
          return b((args) => {
            const i = args[0]?.k === 'num' ? args[0].v : obj.items.length;
            obj.items.splice(i < 0 ? Math.max(0, obj.items.length + i) : i, 0, args[1] ?? NONE);
            return NONE;
          });
        case 'pop':
          return b((args) => {
            const i = args[0]?.k === 'num' ? args[0].v : -1;
            const at = i < 0 ? obj.items.length + i : i;
            return obj.items.splice(at, 1)[0] ?? unknown('pop from an empty list');
          });
        case 'index':
          return b((args) => {
            const i = obj.items.findIndex((x) => this.equals(x, args[0] ?? NONE) === true);
            return i >= 0 ? int(i) : unknown('index');
          });
        case 'copy':
          return b(() => list(obj.items.slice()));
        case 'reverse':
          return b(() => (obj.items.reverse(), NONE));
        case 'count':
          return b((args) => int(obj.items.filter((x) => this.equals(x, args[0] ?? NONE) === true).length));
        case 'sort':
          return b(() => NONE);
        default:
          return null;
      }
    }
    if (obj.k === 'tuple') {
      if (name === 'index') return b((args) => int(obj.items.findIndex((x) => this.equals(x, args[0] ?? NONE) === true)));
      if (name === 'count') return b((args) => int(obj.items.filter((x) => this.equals(x, args[0] ?? NONE) === true).length));
      return null;
    }
    if (obj.k === 'dict') {
      const d = obj as DictValue;
      switch (name) {
        case 'items':
          return b(() => list([...d.map.values()].map(([k, v]) => tuple([k, v]))));
        case 'keys':
          return b(() => list([...d.map.values()].map(([k]) => k)));
        case 'values':
          return b(() => list([...d.map.values()].map(([, v]) => v)));
        case 'get':
          return b((args) => d.map.get(keyOf(args[0] ?? NONE))?.[1] ?? args[1] ?? NONE);
        case 'pop':
          return b((args) => {
            const k = keyOf(args[0] ?? NONE);
            const e = d.map.get(k);
            d.map.delete(k);
            return e?.[1] ?? args[1] ?? unknown('pop of a missing key');
          });
        case 'setdefault':
          return b((args) => {
            const k = keyOf(args[0] ?? NONE);
            const e = d.map.get(k);
            if (e) return e[1];
            d.map.set(k, [args[0] ?? NONE, args[1] ?? NONE]);
            return args[1] ?? NONE;
          });
        case 'update':
          return b((args, kwargs) => {
            if (args[0]?.k === 'dict') for (const [k, e] of args[0].map) d.map.set(k, e);
            for (const [k, v] of kwargs) d.map.set(`s${k}`, [str(k), v]);
            return NONE;
          });
        case 'copy':
          return b(() => ({ k: 'dict', map: new Map(d.map), ordered: d.ordered }));
        default:
          return null;
      }
    }
    if (obj.k === 'set') {
      if (name === 'add') return b((args) => (obj.items.push(args[0] ?? NONE), NONE));
      return null;
    }
    return null;
  }

  private installBuiltins(): void {
    const B = this.builtins.vars;
    const def = (name: string, fn: BuiltinFn) => B.set(name, this.builtin(name, fn));
    const pyClass = (name: string): ClassValue => ({ k: 'class', name, qualname: name, bases: [], unknownBase: false, attrs: new Map(), native: `py:${name}`, module: null, range: null });
    for (const n of ['int', 'float', 'str', 'bool', 'list', 'tuple', 'dict', 'set', 'object', 'type', 'frozenset']) B.set(n, pyClass(n));
    const objectCls = B.get('object') as ClassValue;
    objectCls.native = undefined;
    B.set('__conv_int', this.builtin('int', (a) => {
      const v = a[0];
      if (!v) return int(0);
      if (v.k === 'num') return int(Math.trunc(v.v));
      if (v.k === 'bool') return int(v.v ? 1 : 0);
      if (v.k === 'array') {
        const n = numberOf(v);
        return n === null ? unknown('int() of a tensor whose value is not known') : int(Math.trunc(n));
      }
      if (v.k === 'str' && /^\s*[-+]?\d+\s*$/.test(v.v)) return int(Number(v.v));
      return unknown('int() of an unknown value');
    }));
    B.set('__conv_float', this.builtin('float', (a) => {
      const v = a[0];
      if (!v) return num(0, false);
      if (v.k === 'num') return num(v.v, false);
      if (v.k === 'array') {
        const n = numberOf(v);
        return n === null ? unknown('float() of a tensor whose value is not known') : num(n, false);
      }
      if (v.k === 'str' && !Number.isNaN(Number(v.v))) return num(Number(v.v), false);
      if (v.k === 'str' && /^[-+]?inf/.test(v.v)) return num(v.v.startsWith('-') ? -Infinity : Infinity, false);
      return unknown('float() of an unknown value');
    }));
    B.set('__conv_str', this.builtin('str', (a) => {
      const s = a[0] ? pyStr(a[0]) : '';
      return s === null ? unknown('str() of an unknown value') : str(s);
    }));
    B.set('__conv_bool', this.builtin('bool', (a) => {
      const t = a[0] ? truthy(a[0]) : false;
      return t === null ? unknown('bool() of an unknown value') : bool(t);
    }));
    const seqConv = (kind: 'list' | 'tuple' | 'set') => this.builtin(kind, (a) => {
      if (!a[0]) return { k: kind, items: [] } as SeqValue;
      const items = this.iterate(a[0], null, null);
      return items ? ({ k: kind, items: kind === 'set' ? setItems(items) : items } as SeqValue) : unknown(`${kind}() of an unknown value`);
    });
    B.set('__conv_list', seqConv('list'));
    B.set('__conv_tuple', seqConv('tuple'));
    B.set('__conv_set', seqConv('set'));
    B.set('__conv_frozenset', seqConv('set'));
    B.set('__conv_dict', this.builtin('dict', (a, kw) => {
      const d = dict();
      if (a[0]?.k === 'dict') for (const [k, e] of a[0].map) d.map.set(k, e);
      else if (a[0]) {
        const items = this.iterate(a[0], null, null) ?? [];
        for (const it of items) {
          const pair = this.iterate(it, null, null);
          if (pair && pair.length === 2) d.map.set(keyOf(pair[0]!), [pair[0]!, pair[1]!]);
        }
      }
      for (const [k, v] of kw) d.map.set(`s${k}`, [str(k), v]);
      return d;
    }));
    B.set('__conv_type', this.builtin('type', (a) => (a[0]?.k === 'object' ? a[0].cls : unknown('type()'))));
    def('range', (a) => {
      const ns = a.map((v) => (v.k === 'num' ? v.v : v.k === 'bool' ? (v.v ? 1 : 0) : v.k === 'array' && !isFloat(v.dtype) ? numberOf(v) : null));
      if (ns.some((n) => n === null) || ns.length === 0) return unknown('range() of unknown bounds');
      const [start, stop, step] = ns.length === 1 ? [0, ns[0]!, 1] : [ns[0]!, ns[1]!, ns[2] ?? 1];
      if (step === 0) return unknown('range() with step 0');
      const items: Value[] = [];
      for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (items.length >= this.limits.loop) throw new LimitError(`range() of more than ${this.limits.loop} items`);
        items.push(int(i));
      }
      return list(items);
    });
    def('len', (a) => {
      const v = a[0];
      if (!v) return unknown('len()');
      if (isSeq(v)) return int(v.items.length);
      if (v.k === 'str') return int(v.v.length);
      if (v.k === 'dict') return int(v.map.size);
      if (v.k === 'array') return v.shape && v.shape.length > 0 && v.shape[0] !== null ? int(v.shape[0]) : unknown(v.shape?.length === 0 ? 'len() of a 0-d tensor' : 'len() of a tensor of unknown size');
      if (v.k === 'object' && v.modules) {
        const items = this.hooks.iterNative?.(v);
        if (items) return int(items.length);
      }
      return unknown(`len() of ${typeName(v)}`);
    });
    def('enumerate', (a, kw) => {
      const items = a[0] ? this.iterate(a[0], null, null) : null;
      const start = (a[1] ?? kw.get('start'))?.k === 'num' ? ((a[1] ?? kw.get('start')) as { v: number }).v : 0;
      return items ? list(items.map((x, i) => tuple([int(i + start), x]))) : unknown('enumerate() of an unknown value');
    });
    def('zip', (a) => {
      const lists = a.map((v) => this.iterate(v, null, null));
      if (lists.some((l) => !l)) return unknown('zip() of an unknown value');
      const n = Math.min(...lists.map((l) => l!.length));
      const out: Value[] = [];
      for (let i = 0; i < n; i++) out.push(tuple(lists.map((l) => l![i]!)));
      return list(out);
    });
    def('reversed', (a) => {
      const items = a[0] ? this.iterate(a[0], null, null) : null;
      return items ? list(items.reverse()) : unknown('reversed() of an unknown value');
    });
    def('sorted', (a) => {
      const items = a[0] ? this.iterate(a[0], null, null) : null;
      if (!items) return unknown('sorted()');
      if (items.every((x) => x.k === 'num')) return list(items.slice().sort((x, y) => (x as { v: number }).v - (y as { v: number }).v));
      if (items.every((x) => x.k === 'str')) return list(items.slice().sort((x, y) => ((x as { v: string }).v < (y as { v: string }).v ? -1 : 1)));
      return list(items);
    });
    const minmax = (which: 'min' | 'max') => (a: Value[]) => {
      const items = a.length === 1 ? this.iterate(a[0]!, null, null) : a;
      if (!items || items.length === 0 || items.some((x) => x.k !== 'num' && x.k !== 'bool')) return unknown(`${which}() of unknown values`);
      const ns = items.map((x) => (x.k === 'num' ? x.v : (x as { v: boolean }).v ? 1 : 0));
      const v = which === 'min' ? Math.min(...ns) : Math.max(...ns);
      return num(v, items.every((x) => x.k !== 'num' || x.int));
    };
    def('min', minmax('min'));
    def('max', minmax('max'));
    def('sum', (a, _kw, site) => {
      const items = a[0] ? this.iterate(a[0], null, null) : null;
      // sum of tensors (ResNeXt's grouped convolution in Keras Applications sums channel slices): start + x0 + x1 ...
      if (items && items.length && items.some((x) => x.k === 'tensor' || x.k === 'array')) return items.reduce((acc, x) => this.binary('+', acc, x, site), a[1] ?? int(0));
      if (!items || items.some((x) => x.k !== 'num')) return unknown('sum() of unknown values');
      return num(
        items.reduce((s, x) => s + (x as { v: number }).v, 0),
        items.every((x) => (x as { int: boolean }).int),
      );
    });
    def('abs', (a) => (a[0]?.k === 'num' ? num(Math.abs(a[0].v), a[0].int) : unknown('abs()')));
    def('round', (a) => {
      const v = a[0];
      if (v?.k !== 'num') return unknown('round()');
      if (a[1]?.k === 'num') return num(Number(v.v.toFixed(a[1].v)), false);
      // banker's rounding, as Python's
      const f = Math.floor(v.v);
      const d = v.v - f;
      return int(d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1);
    });
    def('divmod', (a) => (a[0]?.k === 'num' && a[1]?.k === 'num' && a[1].v !== 0 ? tuple([int(Math.floor(a[0].v / a[1].v)), int(a[0].v - a[1].v * Math.floor(a[0].v / a[1].v))]) : unknown('divmod()')));
    def('isinstance', (a) => {
      const [v, c] = a;
      if (!v || !c) return unknown('isinstance()');
      const classes = c.k === 'tuple' ? c.items : [c];
      let unknownSeen = false;
      for (const k of classes) {
        const r = this.isInstance(v, k);
        if (r === true) return TRUE;
        if (r === null) unknownSeen = true;
      }
      return unknownSeen ? unknown('isinstance() against a class that is not known') : FALSE;
    });
    def('issubclass', (a) => (a[0]?.k === 'class' && a[1]?.k === 'class' ? bool(isSubclass(a[0], a[1])) : unknown('issubclass()')));
    def('hasattr', (a) => {
      if (!a[0] || a[1]?.k !== 'str') return unknown('hasattr()');
      const v = this.getAttr(a[0], a[1].v, { node: null, module: null });
      return v.k === 'unknown' ? (a[0].k === 'object' && !a[0].cls.unknownBase ? FALSE : unknown('hasattr()')) : TRUE;
    });
    def('getattr', (a) => {
      if (!a[0] || a[1]?.k !== 'str') return unknown('getattr()');
      const v = this.getAttr(a[0], a[1].v, { node: null, module: null });
      return v.k === 'unknown' && a[2] ? a[2] : v;
    });
    def('setattr', (a, _kw, site) => {
      if (a[0] && a[1]?.k === 'str' && a[2]) this.setAttr(a[0], a[1].v, a[2], site);
      return NONE;
    });
    def('callable', (a) => bool(!!a[0] && ['func', 'builtin', 'class', 'bound', 'partial'].includes(a[0].k)));
    def('print', () => NONE);
    def('super', () => unknown('super() used without a method call'));
    def('iter', (a) => a[0] ?? unknown('iter()'));
    def('next', (a) => {
      const items = a[0] ? this.iterate(a[0], null, null) : null;
      return items && items.length ? items[0]! : (a[1] ?? unknown('next()'));
    });
    def('any', (a) => {
      const items = a[0] ? this.iterate(a[0], null, null) : null;
      if (!items) return unknown('any()');
      const ts = items.map(truthy);
      return ts.includes(true) ? TRUE : ts.includes(null) ? unknown('any()') : FALSE;
    });
    def('all', (a) => {
      const items = a[0] ? this.iterate(a[0], null, null) : null;
      if (!items) return unknown('all()');
      const ts = items.map(truthy);
      return ts.includes(false) ? FALSE : ts.includes(null) ? unknown('all()') : TRUE;
    });
    def('map', (a, _kw, site) => {
      const items = a[1] ? this.iterate(a[1], null, null) : null;
      if (!items || !a[0]) return unknown('map()');
      return list(items.map((x) => this.call(a[0]!, [x], new Map(), site)));
    });
    def('filter', (a, _kw, site) => {
      const items = a[1] ? this.iterate(a[1], null, null) : null;
      if (!items || !a[0]) return unknown('filter()');
      return list(items.filter((x) => truthy(a[0]!.k === 'none' ? x : this.call(a[0]!, [x], new Map(), site)) === true));
    });
    def('repr', (a) => {
      const s = a[0] ? pyStr(a[0], true) : null;
      return s === null ? unknown('repr()') : str(s);
    });
    def('id', (a) => (a[0]?.k === 'object' ? int(a[0].uid) : unknown('id()')));
    def('vars', () => unknown('vars()'));
    def('globals', () => unknown('globals()'));
    def('locals', () => unknown('locals()'));
    def('open', () => unknown('open()'));
    def('property', (a) => (a[0] && a[0].k === 'func' ? { ...a[0], kind: 'property' } : unknown('property()')));
    def('staticmethod', (a) => (a[0] && a[0].k === 'func' ? { ...a[0], kind: 'static' } : unknown('staticmethod()')));
    def('classmethod', (a) => (a[0] && a[0].k === 'func' ? { ...a[0], kind: 'class' } : unknown('classmethod()')));
    for (const e of ['Exception', 'ValueError', 'TypeError', 'NotImplementedError', 'RuntimeError', 'KeyError', 'IndexError', 'AttributeError', 'AssertionError', 'ImportError', 'ModuleNotFoundError', 'StopIteration', 'Warning', 'UserWarning', 'DeprecationWarning']) {
      B.set(e, { k: 'class', name: e, qualname: e, bases: [], unknownBase: false, attrs: new Map(), module: null, range: null });
    }
    B.set('NotImplemented', unknown('NotImplemented'));
    B.set('__debug__', TRUE);
  }

  isInstance(v: Value, c: Value): boolean | null {
    if (c.k !== 'class') return null;
    if (c.native?.startsWith('py:')) {
      const t = c.native.slice(3);
      switch (t) {
        case 'int':
          return (v.k === 'num' && v.int) || v.k === 'bool';
        case 'float':
          return v.k === 'num' && !v.int;
        case 'str':
          return v.k === 'str';
        case 'bool':
          return v.k === 'bool';
        case 'list':
          return v.k === 'list';
        case 'tuple':
          return v.k === 'tuple';
        case 'dict':
          return v.k === 'dict';
        case 'set':
        case 'frozenset':
          return v.k === 'set';
        case 'type':
          return v.k === 'class';
      }
    }
    if (c.name === 'object' && !c.native) return true;
    if (v.k === 'unknown') return null;
    if (v.k === 'tensor' || v.k === 'array') return c.native === 'Tensor';
    if (v.k === 'object') return isSubclass(v.cls, c) ? true : v.cls.unknownBase ? null : false;
    if (c.module === null && !c.native) return false;
    return false;
  }
}

export { nextUid };
