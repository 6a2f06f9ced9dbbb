/**
 * The Python source reader: PyTorch (and Keras) models as engineers and
 * libraries write them, read without running them. The file's top level is
 * evaluated by the abstract interpreter (imports followed through the host's
 * FileAccess); every model it defines that can be built with its defaults is
 * offered (module classes, factory functions, module-level instances), each
 * built on demand: construction, then forward() traced into the IR.
 */
import type { SyntaxNode } from '@lezer/common';
import { finding, type Finding } from '../../graph/finding';
import type { LayerNode, ModelGraph, SourceRange } from '../../graph/ir';
import { sourceText } from '../common';
import type { FileAccess, ModelReader, ModelSource, ReadContext, ReaderOption, ReadResult } from '../reader';
import { Interp, LimitError, PyRaise, type BranchSite } from './interp';
import { kids } from './parse';
import type { LineIndex } from '../../graph/text';
import { installStdlib } from './stdlib';
import { installTorch, TorchState } from './torch';
import { installKeras, KerasState } from './keras';
import { Tracer, TraceLimit } from './trace';
import { isSeq, nativeOf, type ClassValue, type FuncValue, type ObjectValue, type TensorValue, type Value } from './values';

interface Candidate {
  name: string;
  kind: 'class' | 'factory' | 'instance' | 'keras';
  value: Value;
  range: SourceRange | null;
}

/** Spatial rank from the layers a module tree holds (Conv1d: 1, Conv3d: 3); 2 when nothing says. */
function detectRank(root: ObjectValue): number {
  const seen = new Set<ObjectValue>();
  const stack: ObjectValue[] = [root];
  while (stack.length) {
    const m = stack.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    const n = m.native?.type ?? nativeOf(m.cls)?.native;
    const r = n ? /([123])[dD]$/.exec(n) : null;
    if (r && !/^(BatchNorm|InstanceNorm|LazyBatchNorm|Dropout)/.test(n!)) return Number(r[1]);
    for (const c of [...(m.modules?.values() ?? [])].reverse()) stack.push(c);
  }
  return 2;
}

function requiredParams(params: FuncValue['params'], skipSelf: boolean): string[] {
  const ps = skipSelf ? params.slice(1) : params;
  return ps.filter((p) => (p.kind === 'positional' || p.kind === 'keyword') && p.default === undefined).map((p) => p.name);
}

function statedInputFromComment(text: string): number[] | null {
  const m = /#\s*rflens:\s*input\s+(\d+(?:\s*[xX]\s*\d+)*)/.exec(text);
  if (!m) return null;
  return m[1]!.split(/\s*[xX]\s*/).map(Number);
}

function outputsOf(v: Value, out: TensorValue[], depth = 0): void {
  if (depth > 5) return;
  if (v.k === 'tensor') out.push(v);
  else if (isSeq(v)) for (const x of v.items) outputsOf(x, out, depth + 1);
  else if (v.k === 'dict') for (const [, [, x]] of v.map) outputsOf(x, out, depth + 1);
}

class PythonRead {
  readonly interp: Interp;
  readonly torch: TorchState;
  readonly keras: KerasState;
  readonly findings: Finding[];
  readonly candidates: Candidate[] = [];

  constructor(
    readonly source: ModelSource,
    readonly text: string,
    files: FileAccess | undefined,
    readonly searchPaths: string[],
  ) {
    this.interp = new Interp(source.fileName, text, files, searchPaths);
    this.findings = this.interp.findings;
    installStdlib(this.interp);
    this.torch = new TorchState(this.interp);
    this.keras = new KerasState(this.interp);
    installTorch(this.interp, this.torch);
    installKeras(this.interp, this.keras);
    const usesTorch = /\bimport\s+torch|\bfrom\s+torch/.test(text);
    const usesKeras = /\bkeras\b|\btensorflow\b/.test(text);
    this.interp.framework = usesKeras && !usesTorch ? 'keras' : 'torch';
    this.syntaxErrors();
  }

  private syntaxErrors(): void {
    const parsed = this.interp.mainFile;
    const lines = new Set<number>();
    const BRACKETED = new Set(['ArgList', 'ParenthesizedExpression', 'TupleExpression', 'ArrayExpression', 'DictionaryExpression', 'SetExpression', 'ParamList', 'ArrayComprehensionExpression', 'ComprehensionExpression']);
    for (const errorAt of parsed.errors) {
      // an unclosed bracket: Python reports the line that opened it
      let off = errorAt;
      for (let n: SyntaxNode | null = parsed.tree.resolveInner(errorAt, 1); n; n = n.parent) {
        if (BRACKETED.has(n.name)) {
          const last = n.lastChild;
          if (!last || ![')', ']', '}'].includes(last.name)) off = n.from;
          break;
        }
      }
      const pos = parsed.lines.positionAt(off);
      if (lines.has(pos.line) || lines.size >= 10) continue;
      lines.add(pos.line);
      const [, end] = parsed.lines.lineBounds(pos.line);
      const range = { start: pos, end: parsed.lines.positionAt(Math.max(end, off + 1)) };
      this.findings.push(finding('RFL100', `Syntax error on line ${pos.line + 1}: this line cannot be read; the rest of the file is read where it can be.`, range, null));
    }
  }

  run(): void {
    try {
      this.interp.runMain();
    } catch (e) {
      this.fail(e, null, 'reading the file');
    }
    this.findCandidates();
  }

  private fail(e: unknown, range: SourceRange | null, what: string): void {
    if (e instanceof LimitError || e instanceof TraceLimit) this.findings.push(finding('RFL100', `Stopped ${what}: ${e.message}.`, range ?? this.interp.anchor, null));
    else if (e instanceof PyRaise) this.findings.push(finding('RFL100', `${what} raises: ${e.message}.`, e.range ?? range, null));
    else if (e instanceof RangeError) this.findings.push(finding('RFL100', `Stopped ${what}: the code recurses too deeply.`, range, null));
    else throw e;
  }

  private findCandidates(): void {
    this.interp.tracking = false;
    try {
      this.collectCandidates();
    } finally {
      this.interp.tracking = true;
    }
  }

  private collectCandidates(): void {
    const main = this.interp.mainCtx;
    const g = main.globals;
    const instances: Candidate[] = [];
    const defs: Candidate[] = [];
    for (const [name, v] of g.vars) {
      if (name.startsWith('__')) continue;
      if (v.k === 'class' && v.module === main && this.interp.isModuleClass(v) && /^(Module|Sequential)$/.test(nativeOf(v)?.native ?? '')) {
        const init = this.interp.lookupClassAttr(v, '__init__');
        const required = init && init.k === 'func' ? requiredParams(init.params, true) : [];
        if (required.length === 0 && this.hasForward(v)) defs.push({ name, kind: 'class', value: v, range: v.range });
      } else if (v.k === 'class' && v.module === main && this.keras.isKerasModelClass(v)) {
        const init = this.interp.lookupClassAttr(v, '__init__');
        const required = init && init.k === 'func' ? requiredParams(init.params, true) : [];
        if (required.length === 0) defs.push({ name, kind: 'class', value: v, range: v.range });
      } else if (v.k === 'func' && v.module === main && !name.startsWith('_') && requiredParams(v.params, false).length === 0 && this.looksLikeFactory(v)) {
        defs.push({ name, kind: 'factory', value: v, range: v.range });
      } else if (v.k === 'object' && (v.modules || this.keras.isKerasModel(v)) && !name.startsWith('_')) {
        if (!instances.some((c) => c.value === v)) instances.push({ name, kind: 'instance', value: v, range: v.range });
      }
    }
    // file order of definitions
    const pos = (c: Candidate) => (c.range ? c.range.start.line * 1e5 + c.range.start.character : 1e12);
    defs.sort((a, b) => pos(a) - pos(b));
    this.candidates.push(...instances, ...defs);
  }

  private hasForward(cls: ClassValue): boolean {
    const f = this.interp.lookupClassAttr(cls, 'forward');
    if (f) return true;
    const n = nativeOf(cls)?.native;
    return n === 'Sequential' || (!!n && n !== 'Module');
  }

  private looksLikeFactory(fn: FuncValue): boolean {
    const body = this.text.slice(fn.body.from, fn.body.to);
    if (/^(main|train|test|evaluate|run)$/.test(fn.name)) return false;
    return /\breturn\s+[\w.]+\s*\(|\breturn\s+\w+\s*$|\breturn\s+model\b|Model\s*\(/m.test(body);
  }

  /**
   * Builds one model, then each other branch of the unknown conditions met on
   * the way (one site at a time, the others at their first branch; at most
   * MAX_FORKS extra builds): where a branch gives another graph (spatial
   * layers and their connections, pointwise layers looked through), an
   * RFL100 at the condition says so. The first branch's graph is returned.
   */
  build(c: Candidate): ModelGraph {
    const key = `${this.source.fileName}\u0000${c.kind}\u0000${c.name}\u0000${this.searchPaths.join('\u0000')}`;
    const main = this.interp.mainFile;
    const top = topLevelKey(main.tree.topNode, this.text, main.lines);
    const hit = BUILD_CACHE.get(key);
    if (hit && hit.top === top && hit.defs.every(([from, line, text]) => this.text.startsWith(text, from) && main.lines.positionAt(from).line === line) && hit.files.every(([p, t]) => this.interp.fileText(p) === t)) {
      this.findings.push(...hit.findings);
      return hit.graph;
    }
    const mark = this.findings.length;
    const graph = this.buildExploring(c);
    if (this.interp.wants.length === 0) {
      BUILD_CACHE.delete(key);
      BUILD_CACHE.set(key, { top, defs: touchedDefinitions(main.tree.topNode, this.text, main.lines, this.interp.touched), files: [...this.interp.readLog], graph, findings: this.findings.slice(mark) });
      if (BUILD_CACHE.size > MAX_CACHED_BUILDS) BUILD_CACHE.delete(BUILD_CACHE.keys().next().value!);
    }
    return graph;
  }

  private buildExploring(c: Candidate): ModelGraph {
    const interp = this.interp;
    const sites = new Map<string, BranchSite>();
    interp.branchSites = sites;
    interp.branchPlan = null;
    let graph: ModelGraph;
    try {
      graph = this.buildOnce(c);
    } finally {
      interp.branchSites = null;
    }
    if (sites.size === 0) return graph;
    const base = graphSignature(graph);
    let forks = 0;
    let skipped = 0;
    for (const site of sites.values()) {
      const differs: string[] = [];
      for (let alt = 1; alt < site.labels.length; alt++) {
        if (forks >= MAX_FORKS) {
          skipped++;
          continue;
        }
        forks++;
        const mark = interp.findingsMark();
        interp.branchSites = new Map();
        interp.branchPlan = new Map([[site.key, alt]]);
        let other: ModelGraph | null = null;
        try {
          other = this.buildOnce(c);
        } catch {
          other = null;
        } finally {
          interp.branchSites = null;
          interp.branchPlan = null;
          interp.resetFindings(mark);
        }
        // a branch that cannot be built (it raises, or hits a bound) is no model to compare with
        if (!other || other.nodes.length <= 1) continue;
        const sig = graphSignature(other);
        const d = firstDifference(base, sig);
        if (d) differs.push(`${site.labels[alt]} gives ${layerCount(sig.spatial)} (${d})`);
      }
      if (differs.length) {
        this.findings.push(
          finding(
            'RFL100',
            `Condition ${site.condition} is not known before running (${site.why}) and its branches build different models${site.where}: ${site.labels[0]} gives ${layerCount(base.spatial)}, ${differs.join('; ')}. ${site.labels[0][0]!.toUpperCase()}${site.labels[0]!.slice(1)} is analysed.`,
            site.range ?? c.range,
            null,
          ),
        );
      }
    }
    if (skipped) {
      this.findings.push(finding('RFL100', `${c.name}: ${skipped} more branches of unknown conditions were not explored (at most ${MAX_FORKS} extra builds per model); their first branches are analysed.`, c.range, null));
    }
    return graph;
  }

  /** Builds one model once: construction, then its forward traced (branch sites take interp.branchPlan's alternatives). */
  private buildOnce(c: Candidate): ModelGraph {
    const interp = this.interp;
    const tracer = new Tracer('python');
    const graph: ModelGraph = { format: 'python', name: c.name, rank: 2, nodes: [], outputs: [], statedInput: null };
    interp.steps = 0;
    interp.depth = 0;
    interp.anchor = c.range;
    let model: Value = c.value;
    if (c.kind !== 'instance') this.keras.reset();
    try {
      if (c.kind === 'class') model = interp.call(c.value, [], new Map(), { node: null, module: interp.mainCtx });
      else if (c.kind === 'factory') model = interp.call(c.value, [], new Map(), { node: null, module: interp.mainCtx });
    } catch (e) {
      this.fail(e, c.range, `building ${c.name}`);
      return graph;
    }
    if (this.keras.isKerasModel(model)) {
      try {
        return this.keras.build(model as ObjectValue, c, graph, this.statedInput.bind(this));
      } catch (e) {
        this.fail(e, c.range, `building ${c.name}`);
        return graph;
      }
    }
    if (model.k !== 'object' || !model.modules) {
      if (c.kind !== 'instance') {
        this.findings.push(finding('RFL100', `${c.name}${c.kind === 'factory' ? '()' : ''} does not give a torch module here (${model.k === 'unknown' ? model.why : model.k}); it has no layers.`, c.range, null));
      }
      return graph;
    }
    const root = model;
    this.torch.assignPaths(root);
    for (const p of this.torch.paths.values()) if (p) tracer.reserve(p);
    tracer.rank = detectRank(root);
    graph.rank = tracer.rank;
    const stated = this.statedInput(tracer.rank);
    graph.statedInput = stated?.shape ?? null;
    const inputNode: LayerNode = { id: 'input', name: 'input', type: 'input', inputs: [], spec: { op: 'input', shape: graph.statedInput }, origin: stated?.range ?? c.range };
    if (stated?.valueRanges) inputNode.valueRanges = stated.valueRanges;
    tracer.nodes.push(inputNode);
    tracer.freshId('input');
    const x: TensorValue = { k: 'tensor', node: 'input', spatial: true, layout: 'nchw' };
    interp.tracer = tracer;
    let out: Value;
    try {
      out = interp.call(root, [x], new Map(), { node: null, module: interp.mainCtx });
    } catch (e) {
      this.fail(e, c.range, `tracing ${c.name}.forward()`);
      out = tracer.nodes.length > 1 ? ({ k: 'tensor', node: tracer.nodes[tracer.nodes.length - 1]!.id, spatial: true, layout: 'nchw' } as TensorValue) : x;
    } finally {
      interp.tracer = null;
    }
    const outs: TensorValue[] = [];
    outputsOf(out, outs);
    graph.nodes = tracer.nodes;
    const ids = [...new Set(outs.map((t) => t.node))];
    if (ids.length === 0) {
      this.findings.push(finding('RFL100', `${c.name}.forward() returns no tensor the reader could follow (${out.k === 'unknown' ? out.why : out.k}); the last layer is taken as the output.`, c.range, null));
      if (tracer.nodes.length > 1) ids.push(tracer.nodes[tracer.nodes.length - 1]!.id);
    }
    graph.outputs = ids;
    if (graph.nodes.length <= 1) this.findings.push(finding('RFL100', `${c.name} has no layers the reader could follow.`, c.range, null));
    return graph;
  }

  statedInput(rank: number): { shape: number[]; range: SourceRange | null; valueRanges?: Record<string, SourceRange> } | null {
    const fromComment = statedInputFromComment(this.text);
    if (fromComment) {
      const shape = fromComment.length === 1 ? new Array<number>(rank).fill(fromComment[0]!) : fromComment;
      if (shape.length === rank) {
        const idx = this.text.search(/#\s*rflens:\s*input/);
        const pos = this.interp.mainFile.lines.positionAt(idx);
        const [, end] = this.interp.mainFile.lines.lineBounds(pos.line);
        const range = this.interp.mainFile.lines.range(idx, end);
        return { shape, range };
      }
    }
    const ex = [...this.torch.exampleInputs, ...this.keras.exampleInputs].find((e) => e.shape.length === rank);
    if (ex) return { shape: ex.shape, range: ex.range };
    return null;
  }
}

const MAX_EAGER_TRIES = 6;

/**
 * Built graphs of recent reads, so that a keystroke outside a model's code
 * does not build it again: an entry is reused while the main file's
 * top-level statements other than definitions are the same text at the same
 * offsets and lines, every definition whose code ran while reading and
 * building is too, and every file read holds the same text. The graph's ranges
 * point into those statements (or into the imported files), so they still hold.
 */
interface CachedBuild {
  top: string;
  defs: Array<[number, number, string]>;
  files: Array<[string, string | null]>;
  graph: ModelGraph;
  findings: Finding[];
}
const BUILD_CACHE = new Map<string, CachedBuild>();
const MAX_CACHED_BUILDS = 32;
const DEFINITIONS = new Set(['FunctionDefinition', 'ClassDefinition', 'DecoratedStatement']);

/** The main file's top-level statements that are not definitions (they all run on every read), and the rflens comments. */
function topLevelKey(top: SyntaxNode, text: string, lines: LineIndex): string {
  const parts: string[] = [];
  for (let s = top.firstChild; s; s = s.nextSibling) {
    if (DEFINITIONS.has(s.name)) continue;
    if (s.name === 'Comment' && !/rflens:/.test(text.slice(s.from, s.to))) continue;
    parts.push(`${s.from}@${lines.positionAt(s.from).line}:${text.slice(s.from, s.to)}`);
  }
  return parts.join('\u0000');
}

/** The top-level definitions holding an offset of code that ran. */
function touchedDefinitions(top: SyntaxNode, text: string, lines: LineIndex, touched: Set<number>): Array<[number, number, string]> {
  const offsets = [...touched].sort((a, b) => a - b);
  const out: Array<[number, number, string]> = [];
  let k = 0;
  for (let s = top.firstChild; s && k < offsets.length; s = s.nextSibling) {
    while (k < offsets.length && offsets[k]! < s.from) k++;
    if (k < offsets.length && offsets[k]! < s.to && DEFINITIONS.has(s.name)) out.push([s.from, lines.positionAt(s.from).line, text.slice(s.from, s.to)]);
  }
  return out;
}
/** extra builds per model to explore the other branches of unknown conditions (each site alone, the others at their first branch) */
const MAX_FORKS = 8;

interface GraphSignature {
  /** per layer that is not pointwise: its op spec and the layers it reads (pointwise layers looked through), in graph order */
  entries: string[];
  /** the name of the layer behind each entry, for messages */
  names: string[];
  outputs: string;
  spatial: number;
}

/** A graph's shape as the analysis sees it: pointwise layers (activations, norms, container outputs) are the identity. */
function graphSignature(g: ModelGraph): GraphSignature {
  const rep = new Map<string, string>();
  const index = new Map<string, number>();
  const entries: string[] = [];
  const names: string[] = [];
  for (const n of g.nodes) {
    if (n.spec.op === 'pointwise' && n.inputs.length === 1) {
      rep.set(n.id, rep.get(n.inputs[0]!) ?? n.inputs[0]!);
      continue;
    }
    rep.set(n.id, n.id);
    index.set(n.id, entries.length);
    entries.push(`${JSON.stringify(n.spec)}<${n.inputs.map((i) => index.get(rep.get(i) ?? i) ?? '?').join(',')}`);
    names.push(n.id);
  }
  const outputs = g.outputs.map((o) => index.get(rep.get(o) ?? o) ?? '?').join(',');
  return { entries, names, outputs, spatial: entries.length - 1 };
}

/** Layers besides the input and pointwise ones, in words. */
function layerCount(n: number): string {
  return `${n} ${n === 1 ? 'layer' : 'layers'}`;
}

/** Where two signatures first differ, in words; null when they agree. */
function firstDifference(a: GraphSignature, b: GraphSignature): string | null {
  const n = Math.min(a.entries.length, b.entries.length);
  for (let i = 0; i < n; i++) {
    if (a.entries[i] !== b.entries[i]) return `first different at ${b.names[i]} where the first branch has ${a.names[i]}`;
  }
  if (a.entries.length !== b.entries.length) {
    return a.entries.length > b.entries.length ? `without ${a.names[n]} and what follows` : `with ${b.names[n]} after the common layers`;
  }
  if (a.outputs !== b.outputs) return 'other outputs';
  return null;
}
const SPATIAL_OPS = new Set(['conv', 'pool', 'adaptivePool', 'convtranspose', 'upsample', 'spaceToDepth', 'pixelShuffle']);

export function readPython(source: ModelSource, context: ReadContext): ReadResult {
  const options = { files: context.files, readerOptions: context.options, model: context.model };
  const text = sourceText(source);
  const searchPaths = (options.readerOptions?.['python-path'] ?? '')
    .split(/[\n;:]/)
    .map((s) => s.trim())
    .filter((s) => s && !/^[A-Za-z]$/.test(s));
  // a Windows drive letter splits at ':'; put it back
  const joined: string[] = [];
  for (const s of (options.readerOptions?.['python-path'] ?? '').split(/[\n;]/)) if (s.trim()) joined.push(s.trim());
  const paths = joined.length && joined.some((p) => /^[A-Za-z]:[\\/]/.test(p)) ? joined : searchPaths;
  let read: PythonRead;
  try {
    read = new PythonRead(source, text, options.files, paths);
    read.run();
  } catch (e) {
    return { models: [], findings: [finding('RFL100', `Internal error while reading ${source.fileName}: ${(e as Error).message}`, null, null)] };
  }
  const findings = read.findings;
  const requested = options.model;
  const built = new Map<Candidate, ModelGraph>();
  const buildSafe = (c: Candidate): ModelGraph => {
    const hit = built.get(c);
    if (hit) return hit;
    let g: ModelGraph;
    try {
      g = read.build(c);
    } catch (e) {
      findings.push(finding('RFL100', `Internal error while building ${c.name}: ${(e as Error).message}`, c.range, null));
      g = { format: 'python', name: c.name, rank: 2, nodes: [], outputs: [], statedInput: null };
    }
    g.definition = c.range;
    built.set(c, g);
    return g;
  };
  const lazy = (c: Candidate): ModelGraph => {
    // the model picker lists where each is defined without building it
    const g = { format: 'python', name: c.name, definition: c.range } as ModelGraph;
    for (const key of ['rank', 'nodes', 'outputs', 'statedInput'] as const) {
      Object.defineProperty(g, key, { enumerable: true, configurable: true, get: () => buildSafe(c)[key] });
    }
    return g;
  };
  const models: ModelGraph[] = [];
  const wanted = requested ? read.candidates.find((c) => c.name === requested) : undefined;
  let first: Candidate | undefined = wanted;
  if (!first) {
    // the first candidate with a spatial layer (helpers such as a window partition build only views)
    let fallback: Candidate | undefined;
    for (const c of read.candidates.slice(0, MAX_EAGER_TRIES)) {
      const g = buildSafe(c);
      if (g.nodes.length > 1) fallback ??= c;
      if (g.nodes.some((n) => SPATIAL_OPS.has(n.spec.op))) {
        first = c;
        break;
      }
    }
    first ??= fallback;
  } else buildSafe(first);
  if (first) models.push(built.get(first) ?? buildSafe(first));
  for (const c of read.candidates) if (c !== first) models.push(built.has(c) ? built.get(c)! : lazy(c));
  if (read.candidates.length === 0) {
    findings.push(finding('RFL100', 'No model found: the file defines no nn.Module class, factory function, module-level model or Keras model that can be built with its defaults.', null, null));
  } else if (!models[0] || models[0].nodes.length <= 1) {
    // keep the findings of the failed attempts; the first candidate stays first
  }
  const result: ReadResult = { models, findings };
  (result as ReadResult & { filesRead?: string[] }).filesRead = read.interp.filesExecuted;
  if (read.interp.wants.length) result.wants = read.interp.wants.slice();
  return result;
}

/** Folders where imports of installed libraries (torchvision, keras) are looked up, besides a workspace .venv/venv. */
const PYTHON_PATH_OPTION: ReaderOption = {
  name: 'python-path',
  description: 'folders where imports of installed libraries are looked up (besides .venv and venv), one per line or separated by the path delimiter',
};

export const pythonReader: ModelReader = {
  format: 'python',
  displayName: 'Python (PyTorch, Keras)',
  options: [PYTHON_PATH_OPTION],
  extensions: ['.py'],
  match(source: ModelSource): boolean {
    const head = sourceText(source).slice(0, 20000);
    // (a `# rflens:` comment claims a file whose model comes from a library: `import mylib; model = mylib.net()`)
    return /\b(import|from)\s+(torch|keras|tensorflow|torchvision|timm)\b|nn\.Module|keras\.|layers\.Conv|#\s*rflens:/.test(head);
  },
  read: readPython,
};

export type { SyntaxNode };
void kids;
