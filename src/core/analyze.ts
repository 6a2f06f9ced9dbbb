import { analysisFindings } from './analysis/findings';
import type { LayerMetrics } from './analysis/metrics';
import { ModelAnalysis } from './analysis/session';
import { readerFor, type ModelSource, type ReadOptions } from './formats';
import { finding, type Finding, type FindingCode, type Severity } from './graph/findings';
import type { LayerNode, ModelGraph, PadMode, SourceRange } from './graph/ir';

export type InputSource = 'option' | 'file' | 'default';
export type SeverityOverride = Severity | 'off';

export interface AnalyzeOptions extends ReadOptions {
  /** An explicit input size (one number for every axis, or one per axis); wins over the file's. */
  input?: number | number[];
  /** The size per axis when neither the request nor the file states one (the rfLens default setting). */
  defaultInput?: number;
  /** Which model of a file that defines several. */
  model?: string;
  /** Force a reader instead of choosing by extension and content. */
  format?: string;
  /** What-if: every convolution padded this way. */
  padding?: PadMode;
  /** RFL002 threshold on the edge ratio (default 0.25). */
  edgeRatioThreshold?: number;
  /** Per-code severity, or 'off' to drop the finding. */
  severities?: Partial<Record<FindingCode, SeverityOverride>>;
  /**
   * Stop after the layer table (shapes and fields): no metrics and no analysis
   * findings, whose maps cost most of the time. For callers that only want a
   * map on demand (the command line's `map`).
   */
  layersOnly?: boolean;
}

export interface ReceptiveFieldReport {
  size: number[];
  jump: number[];
  start: number[];
}

export interface LayerReport {
  id: string;
  name: string;
  type: string;
  op: string;
  /** 1-based line of the definition, or null */
  line: number | null;
  range: SourceRange | null;
  inputs: string[];
  /** spatial output size, or null for layers without spatial extent (dense, after global pooling) */
  output: number[] | null;
  rf: ReceptiveFieldReport | null;
  ripple: number | null;
  /** short description of the spatial parameters ("k3 s2 p1") */
  params: string;
}

export interface AnalysisResult {
  file: string;
  format: string | null;
  model: string | null;
  /** every model the file defines */
  models: string[];
  dialect?: string;
  input: { shape: number[]; source: InputSource } | null;
  outputs: string[];
  /** the last layers with spatial extent before the outputs; the findings look at these */
  finalLayers: string[];
  layers: LayerReport[];
  metrics: Record<string, LayerMetrics>;
  findings: Finding[];
  graph: ModelGraph | null;
  /** the engine behind the numbers, for maps on demand */
  session: ModelAnalysis | null;
  /** a problem with the request itself (an --input of the wrong rank, an unknown --model) */
  requestError?: string;
}

const DEFAULT_INPUT = 224;

/** Maps (and the metrics and findings built on them) are computed up to this many input pixels. */
export const MAX_MAP_PIXELS = 1 << 22;
/**
 * Work limits (see workload() in geometry.ts): YOLOv4 at 608x608 needs 1.1e5
 * steps for its fields and 9e6 for a map, Dilation10 at 1396x1396 1.8e5 and 6.7e7.
 */
const FIELD_WORK_LIMIT = 5e6;
/**
 * VGG-16 at 2048x2048 is 1.2e8 steps and analyses in about 2 s on a 2-core
 * VM, so the limit means seconds, not minutes; gross mistakes (a 30000-wide
 * kernel) are far beyond it.
 */
const MAP_WORK_LIMIT = 5e8;
/** RFL002's search of the layer where edges fall behind computes single-layer maps within this much work. */
const SEARCH_WORK = 3e8;

function mapsFit(shape: number[]): boolean {
  return shape.reduce((p, n) => p * n, 1) <= MAX_MAP_PIXELS;
}

export function paramsSummary(node: LayerNode): string {
  const s = node.spec;
  const j = (v: number[]) => (v.every((x) => x === v[0]) ? String(v[0]) : v.join('x'));
  switch (s.op) {
    case 'conv':
    case 'pool': {
      const w = s.sliding;
      const parts = [`k${j(w.kernel)}`, `s${j(w.stride)}`];
      if (w.dilation.some((d) => d !== 1)) parts.push(`d${j(w.dilation)}`);
      if (w.padding.kind === 'same') parts.push(`same(${w.padding.rule})`);
      else {
        const { before, after } = w.padding;
        if (before.some((p) => p > 0) || after.some((p) => p > 0)) {
          parts.push(before.every((p, a) => p === after[a]) ? `p${j(before)}` : `p${j(before)}/${j(after)}`);
        }
      }
      if (w.padMode !== 'zeros') parts.push(w.padMode);
      if (w.ceil) parts.push('ceil');
      return `${s.op === 'pool' ? `${s.pool} ` : ''}${parts.join(' ')}`;
    }
    case 'convtranspose':
      return `k${j(s.kernel)} s${j(s.stride)} p${j(s.padBefore)}`;
    case 'upsample':
      return `${s.mode} ${s.size ? `to ${s.size.join('x')}` : `x${j(s.scale ?? [1])}`}`;
    case 'spaceToDepth':
      return `block ${j(s.block)}${s.layout === 'clean' ? '' : ` (${s.layout})`}`;
    case 'pixelShuffle':
      return `x${j(s.factor)}`;
    case 'crop':
      return s.offset === 'center' ? 'centre' : `offset ${s.offset.join(',')}`;
    case 'pointwise':
      return s.kind;
    case 'unknown':
      return s.reason;
    default:
      return '';
  }
}

function resolveInput(graph: ModelGraph, options: AnalyzeOptions): { shape: number[]; source: InputSource } | string {
  const rank = graph.rank;
  if (options.input !== undefined) {
    const list = typeof options.input === 'number' ? [options.input] : options.input;
    if (list.some((n) => !Number.isInteger(n) || n < 1)) return `input sizes must be positive integers (got ${list.join('x')})`;
    if (list.length === 1) return { shape: new Array<number>(rank).fill(list[0]!), source: 'option' };
    if (list.length !== rank) return `the input has ${list.length} axes but ${graph.name} has ${rank} spatial axes`;
    return { shape: list.slice(), source: 'option' };
  }
  if (graph.statedInput && graph.statedInput.length === rank) return { shape: graph.statedInput.slice(), source: 'file' };
  if (!(options.defaultInput && options.defaultInput > 0) && graph.defaultInput && graph.defaultInput.length === rank) {
    return { shape: graph.defaultInput.slice(), source: 'default' };
  }
  const n = options.defaultInput && options.defaultInput > 0 ? Math.floor(options.defaultInput) : DEFAULT_INPUT;
  return { shape: new Array<number>(rank).fill(n), source: 'default' };
}

function applySeverities(findings: Finding[], overrides: AnalyzeOptions['severities']): Finding[] {
  if (!overrides) return findings;
  const out: Finding[] = [];
  for (const f of findings) {
    const o = overrides[f.code];
    if (o === 'off') continue;
    out.push(o ? { ...f, severity: o } : f);
  }
  return out;
}

function emptyResult(file: string): AnalysisResult {
  return {
    file,
    format: null,
    model: null,
    models: [],
    input: null,
    outputs: [],
    finalLayers: [],
    layers: [],
    metrics: {},
    findings: [],
    graph: null,
    session: null,
  };
}

/**
 * The one entry point: a model file in, its layers, receptive fields, metrics
 * and findings out. Never throws: a problem becomes a finding.
 */
export function analyze(source: ModelSource, options: AnalyzeOptions = {}): AnalysisResult {
  const result = emptyResult(source.fileName);
  // A byte-order mark (Windows editors write one) is not part of the text: editors hide it, so ranges count without it.
  if (source.text?.charCodeAt(0) === 0xfeff) source = { ...source, text: source.text.slice(1) };
  try {
    const reader = readerFor(source, options.format);
    if (!reader) {
      result.findings.push(finding('RFL100', `No reader recognises ${source.fileName}.`, null, null));
      return result;
    }
    result.format = reader.format;
    const read = reader.read(source, options);
    result.findings.push(...read.findings);
    result.models = read.models.map((m) => m.name);
    const graph = options.model ? read.models.find((m) => m.name === options.model) : read.models[0];
    if (!graph) {
      if (options.model) result.requestError = `no model named "${options.model}" in ${source.fileName} (it has ${result.models.join(', ') || 'none'})`;
      return finish(result, options);
    }
    result.graph = graph;
    result.model = graph.name;
    if (graph.dialect) result.dialect = graph.dialect;
    const input = resolveInput(graph, options);
    if (typeof input === 'string') {
      result.requestError = input;
      return finish(result, options);
    }
    result.input = input;
    const session = new ModelAnalysis(graph, input.shape, options.padding ? { padModeOverride: options.padding } : {});
    result.session = session;
    result.findings.push(...session.geometry.findings);
    result.outputs = graph.outputs.filter((id) => session.has(id));
    const work = session.workload;
    let fieldsFit = work.fields <= FIELD_WORK_LIMIT;
    if (fieldsFit) {
      void session.fields; // computes them, or records in session.limit why it could not
      if (session.limit) {
        fieldsFit = false;
        result.findings.push(finding('RFL100', `This network cannot be analysed at ${input.shape.join('x')}: ${session.limit}; only shapes are shown.`, null, null));
      }
    } else {
      result.findings.push(
        finding(
          'RFL100',
          `This network is too large to analyse at ${input.shape.join('x')} (about ${work.fields.toExponential(1)} steps for the receptive fields); only shapes are shown.`,
          null,
          null,
        ),
      );
    }
    for (const node of graph.nodes) {
      const g = session.geometry.byId.get(node.id);
      const field = fieldsFit ? (session.fields.get(node.id) ?? null) : null;
      result.layers.push({
        id: node.id,
        name: node.name,
        type: node.type,
        op: node.spec.op,
        line: node.origin ? node.origin.start.line + 1 : null,
        range: node.origin,
        inputs: node.inputs.slice(),
        output: g && g.spatial ? g.size.slice() : null,
        rf: field ? { size: field.size, jump: field.jump, start: field.start } : null,
        ripple: field?.ripple ?? null,
        params: paramsSummary(node),
      });
    }
    result.finalLayers = session.finalSpatialLayers(result.outputs);
    if (!fieldsFit || options.layersOnly) return finish(result, options);
    let maps = mapsFit(input.shape) && work.maps <= MAP_WORK_LIMIT;
    if (maps) {
      for (const id of [...result.outputs, ...result.finalLayers]) {
        if (!result.metrics[id]) result.metrics[id] = session.metrics([id]);
      }
      if (session.limit) {
        // coverage could not be followed: no metrics rather than wrong ones
        maps = false;
        result.metrics = {};
        result.findings.push(finding('RFL100', `No maps at ${input.shape.join('x')}: ${session.limit}.`, null, null));
      }
    } else {
      result.findings.push(
        finding(
          'RFL100',
          mapsFit(input.shape)
            ? `Maps of this network at ${input.shape.join('x')} would take about ${work.maps.toExponential(1)} steps: receptive fields are shown, but no maps, metrics or map-based findings.`
            : `The ${input.shape.join('x')} input has more than ${MAX_MAP_PIXELS} pixels: receptive fields are shown, but no maps, metrics or map-based findings.`,
          null,
          null,
        ),
      );
    }
    result.findings.push(
      ...analysisFindings(session, result.outputs, {
        edgeRatioThreshold: options.edgeRatioThreshold ?? 0.25,
        inputFromFile: input.source === 'file',
        maps,
        searchMaps: Math.max(2, Math.min(24, Math.floor(SEARCH_WORK / Math.max(1, work.maps)))),
      }),
    );
  } catch (e) {
    result.findings.push(
      finding('RFL100', `Internal error while analysing ${source.fileName}: ${(e as Error).message ?? String(e)}`, null, null),
    );
  }
  return finish(result, options);
}

function finish(result: AnalysisResult, options: AnalyzeOptions): AnalysisResult {
  result.findings = applySeverities(result.findings, options.severities);
  return result;
}

export type MapMetric = 'paths' | 'coverage';

export interface InfluenceMap {
  /** ids of the layers whose units are summed */
  layers: string[];
  metric: MapMetric;
  shape: number[];
  /** paths divided by their peak; coverage as integer counts */
  values: Float64Array;
  /** log10 of the largest path count or coverage; null when nothing reaches the input */
  peakLog10: number | null;
}

/** Finds a layer by id, then by name, then by its position in the layer list. */
export function resolveLayer(result: AnalysisResult, ref: string): string | null {
  if (result.layers.some((l) => l.id === ref)) return ref;
  const byName = result.layers.find((l) => l.name === ref);
  if (byName) return byName.id;
  if (/^\d+$/.test(ref)) {
    const idx = Number(ref);
    if (idx < result.layers.length) return result.layers[idx]!.id;
  }
  return null;
}

/** Why a map was not computed, in words for the user. */
export interface MapRefusal {
  refused: string;
}

export function isMapRefusal(m: InfluenceMap | MapRefusal): m is MapRefusal {
  return 'refused' in m;
}

/**
 * The map of a layer (or of several layers together, by default the network's
 * outputs) over the input, computed on demand; or why there is none.
 */
export function influenceMap(
  result: AnalysisResult,
  target: 'outputs' | string | string[],
  metric: MapMetric,
  options: { padding?: PadMode } = {},
): InfluenceMap | MapRefusal {
  if (!result.session) return { refused: result.requestError ?? `${result.file} could not be analysed` };
  const shape = result.session.input;
  if (!mapsFit(shape)) return { refused: `the ${shape.join('x')} input has more than the ${MAX_MAP_PIXELS} pixels maps are computed for` };
  const work = result.session.workload.maps;
  if (work > MAP_WORK_LIMIT) {
    return { refused: `a map of this network at ${shape.join('x')} would take about ${work.toExponential(1)} steps, beyond the ${MAP_WORK_LIMIT.toExponential(0)} allowed` };
  }
  const session = options.padding ? result.session.withPadding({ padModeOverride: options.padding }) : result.session;
  const layers = target === 'outputs' ? result.outputs : Array.isArray(target) ? target : [target];
  if (layers.length === 0) return { refused: `no output of the network has a shape at ${shape.join('x')}` };
  const shapeless = layers.find((id) => !session.has(id));
  if (shapeless !== undefined) return { refused: `layer "${shapeless}" has no shape at ${shape.join('x')}, so it has no map` };
  if (metric === 'coverage') {
    const values = session.coverage(layers);
    if (session.limit) return { refused: `no coverage at ${shape.join('x')}: ${session.limit}` };
    let max = 0;
    for (const v of values) if (v > max) max = v;
    return { layers, metric, shape: session.input.slice(), values, peakLog10: max > 0 ? Math.log10(max) : null };
  }
  const map = session.pathMap(layers);
  let max = 0;
  for (const v of map.values) if (v > max) max = v;
  const values = new Float64Array(map.values.length);
  if (max > 0) for (let i = 0; i < values.length; i++) values[i] = map.values[i]! / max;
  return {
    layers,
    metric,
    shape: map.shape.slice(),
    values,
    peakLog10: max > 0 ? Math.log10(max) + map.log2Scale * Math.log10(2) : null,
  };
}

