/**
 * Ultralytics YOLO model `.yaml` (ultralytics/ultralytics and the YOLOv5
 * repository): rows `[from, repeats, module, args]` under `backbone` and
 * `head`, read as parse_model does (ultralytics/nn/tasks.py): repeats scaled
 * by depth, `scales` exposed as one model per scale, string arguments
 * resolved (`None`, `nc`), each row expanded into its block's layers.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode, type YAMLMap } from 'yaml';
import { finding, type Finding } from '../../graph/finding';
import type { LayerNode, ModelGraph, SourceRange } from '../../graph/ir';
import { LineIndex } from '../../graph/text';
import { sourceText } from '../common';
import type { ModelReader, ModelSource, ReadResult } from '../reader';
import { BLOCKS, BlockBuilder, canonicalModule, MODULES, type HeadDialect, type PyValue } from './modules';

/** Input size parse_model's users get without `imgsz`: 640 for detection, 224 for classification. */
const DEFAULT_DETECT_INPUT = 640;
const DEFAULT_CLASSIFY_INPUT = 224;
/** Repeats expanded per row at most (a typo of 60000 would otherwise build a quarter of a million layers). */
const MAX_REPEATS = 256;

interface Scale {
  key: string;
  depth: number;
  width: number;
  maxChannels: number;
}

interface Row {
  index: number;
  node: YamlNode;
  from: YamlNode | null;
  repeats: YamlNode | null;
  module: YamlNode | null;
  args: YamlNode | null;
}

function baseName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return base.replace(/\.(ya?ml)$/i, '');
}

/** Python's round(): halves go to the even neighbour. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function makeDivisible(x: number, d: number): number {
  return Math.ceil(x / d) * d;
}

/** A default written in Python syntax in MODULES' signatures. */
function parseDefault(text: string): PyValue {
  const t = text.trim();
  if (t === 'None') return null;
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (/^\(.*\)$/.test(t)) return t.slice(1, -1).split(',').filter((s) => s.trim() !== '').map(parseDefault);
  if (/^'.*'$/.test(t)) return t.slice(1, -1);
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

class UltralyticsRead {
  readonly findings: Finding[] = [];
  readonly index: LineIndex;
  readonly doc: Document.Parsed;

  constructor(readonly text: string) {
    this.index = new LineIndex(text);
    this.doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: false });
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      this.findings.push(finding('RFL100', `YAML: ${e.message.split('\n')[0]}`, this.range(e.pos[0], e.pos[1]), null));
    }
  }

  range(start: number, end: number): SourceRange {
    return this.index.range(start, Math.max(start, end));
  }

  rangeOf(node: YamlNode | null | undefined): SourceRange | null {
    const r = node?.range;
    return r ? this.range(r[0], r[1]) : null;
  }

  resolve(node: unknown, depth = 0): YamlNode | null {
    let n = node as YamlNode | null;
    for (let i = 0; n && isAlias(n) && i < 8; i++) {
      const alias = n;
      if (!this.aliases.has(alias)) this.aliases.set(alias, (alias.resolve(this.doc) as YamlNode | undefined) ?? null);
      n = this.aliases.get(alias)!;
    }
    return n && !isAlias(n) && depth < 64 ? n : null;
  }

  /** Nodes left to convert in one value: aliases can make a small text stand for an exponentially large value. */
  private budget = 0;
  private readonly aliases = new Map<unknown, YamlNode | null>();

  /** The plain value of a YAML node (numbers, strings, booleans, null, nested lists); maps become null. */
  value(node: unknown, depth = 0): PyValue {
    if (depth === 0) this.budget = 10000;
    if (--this.budget < 0) return null;
    const n = this.resolve(node, depth);
    if (!n) return null;
    if (isScalar(n)) {
      const v = n.value;
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
      if (typeof v === 'bigint') return Number(v);
      return null;
    }
    if (isSeq(n)) return depth > 32 ? null : n.items.map((x) => this.value(x, depth + 1));
    return null;
  }

  top(key: string): YamlNode | null {
    const c = this.doc.contents;
    if (!isMap(c)) return null;
    return this.resolve((c as YAMLMap).get(key, true));
  }
}

interface ModelPlan {
  name: string;
  scale: Scale | null;
}

function planModels(r: UltralyticsRead, stem: string): ModelPlan[] {
  const scalesNode = r.top('scales');
  if (!scalesNode || !isMap(scalesNode)) {
    if (scalesNode) r.findings.push(finding('RFL100', 'scales: should map scale letters to [depth, width, max_channels].', r.rangeOf(scalesNode), null));
    return [{ name: stem, scale: null }];
  }
  const scales: Scale[] = [];
  for (const pair of (scalesNode as YAMLMap).items) {
    const key = String(r.value(pair.key) ?? '');
    const v = r.value(pair.value);
    const nums = Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : NaN)) : [];
    if (nums.length < 2 || nums.slice(0, 3).some((x) => !Number.isFinite(x) || x <= 0)) {
      r.findings.push(finding('RFL100', `scale ${key}: expected [depth, width, max_channels] with positive numbers.`, r.rangeOf(pair.value as YamlNode), null));
      continue;
    }
    scales.push({ key, depth: nums[0]!, width: nums[1]!, maxChannels: nums[2] ?? Infinity });
  }
  if (scales.length === 0) return [{ name: stem, scale: null }];
  // guess_model_scale: a file named yolov8n.yaml states its scale (n); other names get the letter inserted
  const m = /^(yolo(?:e-)?v?\d+)([nslmx])?(.*)$/i.exec(stem);
  const stated = m?.[2] && scales.find((s) => s.key === m[2]) ? m[2] : null;
  // other names: the stem when the file has one scale (rtdetr-l.yaml), else stem-n, stem-s, ...
  const nameFor = (key: string) => (m ? `${m[1]}${key}${m[3]}` : scales.length === 1 ? stem : `${stem}-${key}`);
  const ordered = stated ? [scales.find((s) => s.key === stated)!, ...scales.filter((s) => s.key !== stated)] : scales;
  return ordered.map((s) => ({ name: nameFor(s.key), scale: s }));
}

function collectRows(r: UltralyticsRead): Row[] {
  const rows: Row[] = [];
  for (const section of ['backbone', 'head']) {
    const node = r.top(section);
    if (!node) {
      r.findings.push(finding('RFL100', `The model has no ${section}: section; Ultralytics needs both backbone and head.`, null, null));
      continue;
    }
    if (!isSeq(node)) {
      r.findings.push(finding('RFL100', `${section}: should be a list of [from, repeats, module, args] rows.`, r.rangeOf(node), null));
      continue;
    }
    for (const item of node.items) {
      const n = r.resolve(item);
      const index = rows.length;
      if (n && isSeq(n)) {
        const [from, repeats, module, args] = n.items.map((x) => r.resolve(x));
        rows.push({ index, node: n, from: from ?? null, repeats: repeats ?? null, module: module ?? null, args: args ?? null });
      } else rows.push({ index, node: (n ?? item) as YamlNode, from: null, repeats: null, module: null, args: null });
    }
  }
  return rows;
}

function buildModel(r: UltralyticsRead, rows: Row[], plan: ModelPlan, report: boolean): ModelGraph {
  const note = (message: string, range: SourceRange | null, layer: string | null) => {
    if (report) r.findings.push(finding('RFL100', message, range, layer));
  };
  const dialect: HeadDialect = r.top('anchors') ? 'yolov5' : 'ultralytics';
  const numTop = (key: string, fallback: number) => {
    const v = r.value(r.top(key));
    return typeof v === 'number' && v > 0 ? v : fallback;
  };
  let depth = numTop('depth_multiple', 1);
  let width = numTop('width_multiple', 1);
  let maxChannels = Infinity;
  if (plan.scale) ({ depth, width, maxChannels } = plan.scale);
  const ncValue = r.value(r.top('nc'));
  const nc = typeof ncValue === 'number' ? ncValue : 80;
  const anchors = r.value(r.top('anchors'));
  const chValue = r.value(r.top('ch'));
  const locals: Record<string, PyValue> = { nc, anchors, ch: typeof chValue === 'number' ? chValue : 3 };
  const scaleKey = plan.scale?.key ?? '';

  const inputNode: LayerNode = { id: 'input', name: 'input', type: 'input', inputs: [], spec: { op: 'input', shape: null }, origin: null };
  const nodes: LayerNode[] = [inputNode];
  const rowOut: string[] = [];
  const channels: number[] = [];
  const outputs: string[] = [];
  let legacy = true;
  let classify = false;

  for (const row of rows) {
    const i = row.index;
    const id = String(i);
    const origin = r.rangeOf(row.node);
    const previous = i === 0 ? 'input' : rowOut[i - 1]!;
    const inCh = (j: number) => (j < 0 ? (locals.ch as number) : (channels[j] ?? 0));
    const unknown = (reason: string, inputs: string[] = [previous]) => {
      nodes.push({ id, name: id, type: 'unknown', inputs, spec: { op: 'unknown', reason }, origin });
      rowOut.push(id);
      channels.push(inCh(i - 1));
    };
    if (!row.module) {
      note(`Row ${i} should be [from, repeats, module, args].`, origin, id);
      unknown('malformed row');
      continue;
    }

    // from: -1, an absolute index or a list of them
    const fromValue = r.value(row.from);
    const fromList = Array.isArray(fromValue) ? fromValue : [fromValue];
    const inputs: string[] = [];
    const fromRows: number[] = [];
    for (const f of fromList) {
      if (typeof f !== 'number' || !Number.isInteger(f)) {
        note(`from ${JSON.stringify(f)} is not a row index.`, r.rangeOf(row.from), id);
        continue;
      }
      const j = f < 0 ? i + f : f;
      if (f === -1 && i === 0) {
        inputs.push('input');
        fromRows.push(-1);
      } else if (j < 0 || j >= i) {
        note(`from ${f} refers to row ${j}, which is not an earlier row (this is row ${i}).`, r.rangeOf(row.from), id);
      } else {
        inputs.push(rowOut[j]!);
        fromRows.push(j);
      }
    }
    if (inputs.length === 0) {
      inputs.push(previous);
      fromRows.push(i - 1);
    }

    const moduleText = String(r.value(row.module) ?? '');
    const moduleRange = r.rangeOf(row.module);
    const module = canonicalModule(moduleText);
    if (!module) {
      note(`Unknown module ${moduleText || JSON.stringify(r.value(row.module))} in row ${i}: its spatial structure is not known; it is treated as the identity of its first input.`, moduleRange, id);
      unknown(`unknown module ${moduleText}`, inputs);
      continue;
    }
    const info = MODULES[module]!;

    // repeats: max(round(n * depth), 1) when n > 1
    const nValue = r.value(row.repeats);
    let n = typeof nValue === 'number' && Number.isInteger(nValue) ? nValue : 1;
    if (typeof nValue !== 'number' || !Number.isInteger(nValue)) note(`repeats ${JSON.stringify(nValue)} is not an integer; 1 is used.`, r.rangeOf(row.repeats), id);
    if (n < 0) {
      note(`repeats ${n} is negative; 1 is used.`, r.rangeOf(row.repeats), id);
      n = 1;
    }
    n = n > 1 ? Math.max(pyRound(n * depth), 1) : n;
    if (n > MAX_REPEATS) {
      note(`${n} repeats are more than the ${MAX_REPEATS} the analysis expands; ${MAX_REPEATS} are used.`, r.rangeOf(row.repeats), id);
      n = MAX_REPEATS;
    }

    // args, with strings resolved as parse_model does (locals, then ast.literal_eval)
    const argsNode = row.args;
    let args: PyValue[] = [];
    const argNodes: Array<YamlNode | null> = [];
    if (argsNode && isSeq(argsNode)) {
      for (const a of argsNode.items) {
        argNodes.push(r.resolve(a));
        args.push(r.value(a));
      }
    } else if (argsNode) note(`args of row ${i} should be a list.`, r.rangeOf(argsNode), id);
    args = args.map((a) => {
      if (typeof a !== 'string') return a;
      if (Object.prototype.hasOwnProperty.call(locals, a)) return locals[a]!;
      const lit = parseDefault(a);
      return lit;
    });

    const c1 = inCh(fromRows[0]!);
    let c2 = c1;
    let positional: PyValue[] = args;
    let argOffset = 0;
    if (info.base) {
      const raw = args[0];
      c2 = typeof raw === 'number' ? raw : c1;
      if (c2 !== nc) c2 = makeDivisible(Math.min(c2, maxChannels) * width, 8);
      positional = args.slice(1);
      argOffset = 1;
      if (info.repeat) {
        positional = [n, ...positional];
        argOffset = 0;
        n = 1;
      }
      if (module === 'C3k2') {
        legacy = false;
        if (scaleKey && 'mlx'.includes(scaleKey)) positional[1] = true;
      }
      if (module === 'A2C2f') {
        legacy = false;
        if (scaleKey && 'lx'.includes(scaleKey)) positional.push(true, 1.2);
      }
      if (module === 'C2fCIB') legacy = false;
    } else if (info.hg) {
      // c1, cm, c2 = ch[f], args[0], args[1]; HGBlock gets n after k
      c2 = typeof args[1] === 'number' ? args[1] : c1;
      positional = args.slice(2);
      argOffset = 2;
      if (info.repeat) {
        positional = [positional[0] ?? 3, n, ...positional.slice(1)];
        n = 1;
      }
    } else if (info.prependC1) {
      positional = args;
      c2 = c1;
    } else if (module === 'ResNetLayer') {
      const base = typeof args[1] === 'number' ? args[1] : c1;
      c2 = args[3] ? base : base * 4;
    } else if (info.concat) c2 = fromRows.reduce((s, j) => s + inCh(j), 0);
    if (module === 'Classify') classify = true;

    const p: Record<string, PyValue> = {};
    const names = info.params.map((s) => s.split('=')[0]!);
    info.params.forEach((spec, k) => {
      const eq = spec.indexOf('=');
      p[names[k]!] = k < positional.length ? positional[k]! : eq >= 0 ? parseDefault(spec.slice(eq + 1)) : null;
    });
    for (const [k, spec] of info.params.entries()) {
      if (!spec.includes('=') && k >= positional.length) note(`${module} needs its argument ${names[k]}.`, r.rangeOf(argsNode) ?? moduleRange, id);
    }

    // ranges: the row, the module name, kernel and stride arguments where the module has them
    const ranges: Record<string, SourceRange> = {};
    const valueRanges: Record<string, SourceRange> = {};
    if (moduleRange) ranges.type = moduleRange;
    const argRange = (name: string): SourceRange | null => {
      const k = names.indexOf(name);
      if (k < 0) return null;
      // positional index k maps back to args index: base modules drop c2 (args[0]), repeat modules insert n
      if (info.hg) return info.repeat && k === 1 ? null : r.rangeOf(argNodes[k === 0 || !info.repeat ? k + 2 : k + 1]);
      const argIndex = info.base ? (info.repeat ? k : k + argOffset) : k;
      return info.repeat && k === 0 ? null : r.rangeOf(argNodes[argIndex]);
    };
    for (const [role, names2] of [
      ['kernel', ['k', 'kernel_size']],
      ['stride', ['s', 'stride']],
      ['padding', ['p', 'padding']],
      ['dilation', ['d', 'dilation']],
    ] as const) {
      for (const nm of names2) {
        const rr = argRange(nm);
        if (rr) {
          ranges[role] = rr;
          if (role === 'kernel' || role === 'stride') valueRanges[role] = rr;
        }
      }
    }

    const builder = new BlockBuilder({
      row: i,
      module,
      origin,
      ranges,
      valueRanges,
      p,
      c1,
      c2,
      legacy,
      dialect,
      note: (message, range) => note(message, range ?? moduleRange, id),
    });
    const block = BLOCKS[module]!;
    let result: string | string[];
    if (info.head) {
      result = block(builder, id, inputs);
    } else if (n > 1) {
      // nn.Sequential of n copies: 2.0, 2.1, ...
      let x = inputs[0]!;
      for (let k = 0; k < n; k++) {
        const out = block(builder, `${id}.${k}`, k === 0 ? inputs : [x]);
        x = Array.isArray(out) ? out[0]! : out;
      }
      result = x;
    } else if (n === 0) {
      builder.op(id, { op: 'pointwise', kind: 'empty nn.Sequential' }, [inputs[0]!], moduleText);
      result = id;
    } else result = block(builder, id, info.concat ? inputs : inputs);
    if (!info.concat && !info.head && inputs.length > 1) note(`${module} reads one input; row ${i} gives ${inputs.length} and the others are ignored.`, r.rangeOf(row.from), id);

    const built = builder.nodes;
    if (built.length === 0) {
      unknown(`${module} built no layer`);
      continue;
    }
    if (typeof result === 'string') {
      // the block's output carries the row id
      const last = built.find((x) => x.id === result)!;
      if (last.id !== id) {
        for (const x of built) x.inputs = x.inputs.map((s) => (s === last.id ? id : s));
        last.name = last.id;
        last.id = id;
      }
      last.type = moduleText;
      last.name = last.name === id ? `${moduleText} ${id}` : `${moduleText} ${id} (${last.name.slice(id.length + 1)})`;
      result = id;
    }
    for (const x of built) nodes.push(x);
    if (Array.isArray(result)) {
      outputs.push(...result);
      rowOut.push(result[0] ?? previous);
    } else rowOut.push(result);
    channels.push(c2);
  }

  if (outputs.length === 0 && rowOut.length) outputs.push(rowOut[rowOut.length - 1]!);
  if (rows.length === 0) note('The model defines no rows under backbone and head.', null, null);
  const d = classify ? DEFAULT_CLASSIFY_INPUT : DEFAULT_DETECT_INPUT;
  const graph: ModelGraph = {
    format: 'ultralytics',
    name: plan.name,
    rank: 2,
    nodes,
    outputs,
    statedInput: null,
    dialect: dialect === 'yolov5' ? 'yolov5' : 'ultralytics',
    defaultInput: [d, d],
  };
  return graph;
}

export function readUltralytics(source: ModelSource, _options: Record<string, string> = {}): ReadResult {
  const text = sourceText(source);
  let r: UltralyticsRead;
  try {
    r = new UltralyticsRead(text);
  } catch (e) {
    return { models: [], findings: [finding('RFL100', `YAML could not be parsed: ${(e as Error).message}`, null, null)] };
  }
  const stem = baseName(source.fileName);
  if (!isMap(r.doc.contents)) {
    r.findings.push(finding('RFL100', 'This YAML is not an Ultralytics model: it has no backbone and head.', null, null));
    return { models: [], findings: r.findings };
  }
  const rows = collectRows(r);
  if (rows.length === 0) {
    r.findings.push(finding('RFL100', 'The model defines no rows under backbone and head.', null, null));
    return { models: [], findings: r.findings };
  }
  const plans = planModels(r, stem);
  // Findings on rows come from the first (default) model; the others share the rows.
  const models = plans.map((plan, k) => buildModel(r, rows, plan, k === 0));
  return { models, findings: r.findings };
}

/** displayName anticipates the reader interface of the coming refactor (CONTRACT.md). */
export const ultralyticsReader: ModelReader & { displayName: string } = {
  format: 'ultralytics',
  displayName: 'Ultralytics YOLO (.yaml)',
  extensions: ['.yaml', '.yml'],
  match(source: ModelSource): boolean {
    const head = sourceText(source).slice(0, 65536);
    return /^backbone\s*:/m.test(head) && /^head\s*:/m.test(head);
  },
  read: (source: ModelSource) => readUltralytics(source),
};
