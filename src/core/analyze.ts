import { MAP_WORK_LIMIT, FIELD_WORK_LIMIT, MAX_MAP_PIXELS, SEARCH_WORK, WorkLimitError } from './analysis/limits';
import { pathMetrics, type LayerMetrics } from './analysis/metrics';
import { stageFindings } from './analysis/rules';
import { dominatorChain } from './analysis/rules/edgeRatio';
import { ModelAnalysis } from './analysis/modelAnalysis';
import { opOf } from './analysis/ops';
import { DEFAULT_EDGE_RATIO_THRESHOLD, DEFAULT_INPUT_SIZE } from './defaults';
import { readerFor, readModel, type FileAccess, type ModelSource } from './formats';
import { sizeText } from './graph/display';
import { finding, type Finding, type FindingCode, type SeverityOverride } from './graph/finding';
import type { ModelGraph, PadMode, Position, SourceRange } from './graph/ir';
import { maxOf, product } from './graph/shape';
import { finiteOrNull, safeMetrics, type AnalysisReport, type InputSource, type LayerReport } from './report';

export interface AnalyzeOptions {
  /** An explicit input size (one number for every axis, or one per axis); wins over the file's. */
  input?: number | number[];
  /** The size per axis when neither the request nor the file states one (the rfLens default setting). */
  defaultInput?: number;
  /** Which model of a file that defines several. */
  model?: string;
  /** Force a reader by its format name instead of choosing by extension and content. */
  reader?: string;
  /** Reader options by name (Darknet's `dialect`, Caffe's `phase`; see ModelReader.options). */
  readerOptions?: Record<string, string>;
  /** Files a reader may read besides this one (a Python module's imports). */
  files?: FileAccess;
  /** What-if: every convolution padded this way. */
  padding?: PadMode;
  /** RFL002 threshold on the edge ratio (default 0.25). */
  edgeRatioThreshold?: number;
  /** Per-code severity, or 'off' to drop the finding. */
  severities?: Partial<Record<FindingCode, SeverityOverride>>;
  /**
   * Which findings (and metrics) the report holds: 'all' (default); 'fields'
   * for the cheap ones that need only shapes and fields (the editor publishes
   * them while the user types and asks the handle for the rest); 'none' for
   * the layer table alone (the command line's `map`).
   */
  findings?: 'all' | 'fields' | 'none';
}

/** Why a map or a number was not computed, in words for the user. */
export interface Refusal {
  refused: string;
}

export function isRefusal<T extends object>(value: T | Refusal): value is Refusal {
  return 'refused' in value;
}

export type MapMetric = 'paths' | 'coverage';

export interface InfluenceMap {
  /** ids of the layers whose units are summed */
  layers: string[];
  metric: MapMetric;
  shape: number[];
  /** row-major; paths divided by their peak, coverage as integer counts */
  values: Float64Array;
  /** log10 of the largest path count or coverage; null when nothing reaches the input */
  peakLog10: number | null;
}

export interface MapOptions {
  /** what-if: every convolution padded this way */
  padding?: PadMode;
  /** one unit (an index per axis) of the single target layer instead of all its units */
  unit?: number[];
}

export interface DepthProfile {
  /** the layers every path to the outputs passes through, in order */
  layers: string[];
  edgeRatio: Array<number | null>;
  cornerRatio: Array<number | null>;
}

/**
 * An analysed model: its plain report, and everything computed on demand
 * (maps, metrics, the costly findings). Each method returns its value or a
 * refusal that says why.
 */
export interface ModelHandle {
  readonly report: AnalysisReport;
  map(target: 'outputs' | string | string[], metric: MapMetric, options?: MapOptions): InfluenceMap | Refusal;
  metrics(layers: string[], options?: { padding?: PadMode }): LayerMetrics | Refusal;
  /** The findings that compute maps (RFL001-RFL003), severities applied; empty when the report already has them. */
  mapFindings(): Finding[];
  /** The innermost layer whose definition holds the position. */
  layerAt(position: Position): LayerReport | null;
  /** The part inside the input of one unit's field: per axis its first and last pixel. */
  unitField(layer: string, unit: number[]): { lo: number[]; hi: number[] } | Refusal;
  /** Edge and corner ratio along the depth (sampled evenly when a map per layer would cost too much). */
  depthProfile(options?: { padding?: PadMode }): DepthProfile | Refusal;
}

function resolveInput(graph: ModelGraph, options: AnalyzeOptions): { shape: number[]; source: InputSource } | string {
  const rank = graph.rank;
  if (options.input !== undefined) {
    const list = typeof options.input === 'number' ? [options.input] : options.input;
    if (list.some((n) => !Number.isInteger(n) || n < 1)) return `input sizes must be positive integers (got ${sizeText(list)})`;
    if (list.length === 1) return { shape: new Array<number>(rank).fill(list[0]!), source: 'option' };
    if (list.length !== rank) return `the input has ${list.length} axes but ${graph.name} has ${rank} spatial axes`;
    return { shape: list.slice(), source: 'option' };
  }
  if (graph.statedInput && graph.statedInput.length === rank) return { shape: graph.statedInput.slice(), source: 'file' };
  if (!(options.defaultInput && options.defaultInput > 0) && graph.defaultInput && graph.defaultInput.length === rank) {
    return { shape: graph.defaultInput.slice(), source: 'default' };
  }
  const n = options.defaultInput && options.defaultInput > 0 ? Math.floor(options.defaultInput) : DEFAULT_INPUT_SIZE;
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

function emptyReport(file: string, stage: AnalysisReport['findingStage']): AnalysisReport {
  return { file, format: null, model: null, models: [], input: null, outputs: [], finalLayers: [], layers: [], metrics: {}, findings: [], findingStage: stage };
}

function contains(range: SourceRange, p: Position): boolean {
  const afterStart = p.line > range.start.line || (p.line === range.start.line && p.character >= range.start.character);
  const beforeEnd = p.line < range.end.line || (p.line === range.end.line && p.character <= range.end.character);
  return afterStart && beforeEnd;
}

function rangeSize(r: SourceRange): number {
  return (r.end.line - r.start.line) * 1e6 + (r.end.character - r.start.character);
}

/** The handle: the report, the engine behind it, and what it computes on demand. */
class AnalysedModel implements ModelHandle {
  private mapStage: Finding[] | null;

  constructor(
    readonly report: AnalysisReport,
    private readonly analysis: ModelAnalysis | null,
    private readonly options: AnalyzeOptions,
    /** why no map can be computed for this model at all, if so */
    private readonly noMaps: string | null,
  ) {
    this.mapStage = report.findingStage === 'all' ? [] : null;
  }

  private usable(): ModelAnalysis | Refusal {
    if (!this.analysis) return { refused: this.report.requestError ?? `${this.report.file} could not be analysed` };
    if (this.noMaps) return { refused: this.noMaps };
    return this.analysis;
  }

  /** Runs a computation; past a work limit its reason becomes the refusal. */
  private guarded<T extends object>(compute: () => T | Refusal): T | Refusal {
    try {
      return compute();
    } catch (e) {
      if (e instanceof WorkLimitError) return { refused: e.message };
      throw e;
    }
  }

  private analysisFor(padding: PadMode | undefined): ModelAnalysis | Refusal {
    const base = this.usable();
    return isRefusal(base) ? base : base.withPadding(padding);
  }

  map(target: 'outputs' | string | string[], metric: MapMetric, options: MapOptions = {}): InfluenceMap | Refusal {
    const analysis = this.analysisFor(options.padding);
    if (isRefusal(analysis)) return analysis;
    const shape = analysis.input;
    const layers = target === 'outputs' ? this.report.outputs : Array.isArray(target) ? target : [target];
    if (layers.length === 0) return { refused: `no output of the network has a shape at ${sizeText(shape)}` };
    const shapeless = layers.find((id) => !analysis.has(id));
    if (shapeless !== undefined) return { refused: `layer "${shapeless}" has no shape at ${sizeText(shape)}, so it has no map` };
    const unit = options.unit;
    if (unit) {
      const size = analysis.geometry.byId.get(layers[0]!)!.size;
      if (layers.length !== 1 || unit.length !== size.length || unit.some((u, a) => !Number.isInteger(u) || u < 0 || u >= size[a]!)) {
        return { refused: `unit ${unit.join(',')} is not a unit of ${layers.join(', ')} (${sizeText(size)})` };
      }
    }
    return this.guarded(() => {
      if (metric === 'coverage') {
        const values = unit ? unitCoverage(analysis, layers[0]!, unit) : analysis.coverage(layers);
        const max = maxOf(values);
        return { layers, metric, shape: shape.slice(), values, peakLog10: max > 0 ? Math.log10(max) : null };
      }
      const map = unit ? analysis.unitPathMap(layers[0]!, unit) : analysis.pathMap(layers);
      const max = maxOf(map.values);
      const values = new Float64Array(map.values.length);
      if (max > 0) for (let i = 0; i < values.length; i++) values[i] = map.values[i]! / max;
      return { layers, metric, shape: map.shape.slice(), values, peakLog10: max > 0 ? Math.log10(max) + map.log2Scale * Math.log10(2) : null };
    });
  }

  metrics(layers: string[], options: { padding?: PadMode } = {}): LayerMetrics | Refusal {
    const analysis = this.analysisFor(options.padding);
    if (isRefusal(analysis)) return analysis;
    const shapeless = layers.find((id) => !analysis.has(id));
    if (shapeless !== undefined || layers.length === 0) return { refused: `layer "${shapeless ?? ''}" has no shape at ${sizeText(analysis.input)}` };
    return this.guarded(() => safeMetrics(analysis.metrics(layers)));
  }

  mapFindings(): Finding[] {
    if (this.mapStage) return this.mapStage;
    const analysis = this.usable();
    if (!this.analysis) return (this.mapStage = []);
    if (isRefusal(analysis)) {
      // No maps: the deferred rules that need none still run.
      if (!this.report.layers.some((l) => l.rf !== null)) return (this.mapStage = []);
      const rules = ruleOptions(this.options, this.report, this.analysis);
      return (this.mapStage = applySeverities(stageFindings(this.analysis, this.report.outputs, rules, 'maps', false), this.options.severities));
    }
    let found: Finding[];
    try {
      found = stageFindings(analysis, this.report.outputs, ruleOptions(this.options, this.report, analysis), 'maps');
    } catch (e) {
      found = [finding('RFL100', e instanceof WorkLimitError ? `No maps at ${sizeText(analysis.input)}: ${e.message}.` : internalError(this.report.file, e), null, null)];
    }
    return (this.mapStage = applySeverities(found, this.options.severities));
  }

  layerAt(position: Position): LayerReport | null {
    let best: LayerReport | null = null;
    for (const l of this.report.layers) {
      if (l.range && contains(l.range, position) && (!best || rangeSize(l.range) < rangeSize(best.range!))) best = l;
    }
    return best;
  }

  unitField(layer: string, unit: number[]): { lo: number[]; hi: number[] } | Refusal {
    const analysis = this.usable();
    if (isRefusal(analysis)) return analysis;
    if (!analysis.has(layer)) return { refused: `layer "${layer}" has no shape at ${sizeText(analysis.input)}` };
    return this.guarded(() => analysis.unitField(layer, unit) ?? { refused: `no input pixel reaches unit ${unit.join(',')} of ${layer}` });
  }

  depthProfile(options: { padding?: PadMode } = {}): DepthProfile | Refusal {
    const analysis = this.analysisFor(options.padding);
    if (isRefusal(analysis)) return analysis;
    return this.guarded(() => {
      let chain = dominatorChain(analysis, this.report.finalLayers.length ? this.report.finalLayers : this.report.outputs);
      // One map per layer: sample evenly (keeping the last) when all of them would cost more than the search budget.
      const affordable = Math.max(2, Math.floor(SEARCH_WORK / Math.max(1, analysis.workload.maps)));
      if (chain.length > affordable) {
        const step = chain.length / affordable;
        chain = Array.from({ length: affordable }, (_, k) => chain[Math.min(chain.length - 1, Math.round((k + 1) * step) - 1)]!);
      }
      const edgeRatio: Array<number | null> = [];
      const cornerRatio: Array<number | null> = [];
      for (const id of chain) {
        const m = pathMetrics(analysis.pathMap([id]));
        edgeRatio.push(finiteOrNull(m.edgeRatio));
        cornerRatio.push(finiteOrNull(m.cornerRatio));
      }
      return { layers: chain, edgeRatio, cornerRatio };
    });
  }
}

/** Coverage of one unit: 1 on every pixel of its field (the union of its terms), 0 elsewhere. */
function unitCoverage(analysis: ModelAnalysis, layer: string, unit: number[]): Float64Array {
  const map = analysis.unitPathMap(layer, unit);
  const out = new Float64Array(map.values.length);
  for (let i = 0; i < out.length; i++) out[i] = map.values[i]! > 0 ? 1 : 0;
  return out;
}

function ruleOptions(options: AnalyzeOptions, report: AnalysisReport, analysis: ModelAnalysis) {
  return {
    edgeRatioThreshold: options.edgeRatioThreshold ?? DEFAULT_EDGE_RATIO_THRESHOLD,
    inputFromFile: report.input?.source === 'file',
    searchMaps: Math.max(2, Math.min(24, Math.floor(SEARCH_WORK / Math.max(1, analysis.workload.maps)))),
  };
}

function internalError(file: string, e: unknown): string {
  return `Internal error while analysing ${file}: ${(e as Error)?.message ?? String(e)}`;
}

/**
 * Reads and analyses a model file: its layers, receptive fields, metrics and
 * findings, and a handle for maps on demand. Never throws: a problem becomes
 * a finding.
 */
export function openModel(source: ModelSource, options: AnalyzeOptions = {}): ModelHandle {
  const stage = options.findings ?? 'all';
  const report = emptyReport(source.fileName, stage);
  let analysis: ModelAnalysis | null = null;
  let noMaps: string | null = null;
  // A byte-order mark (Windows editors write one) is not part of the text: editors hide it, so ranges count without it.
  if (source.text?.charCodeAt(0) === 0xfeff) source = { ...source, text: source.text.slice(1) };
  try {
    const reader = readerFor(source, options.reader);
    if (!reader) {
      report.findings.push(finding('RFL100', `No reader recognises ${source.fileName}.`, null, null));
      return new AnalysedModel(finish(report, options), null, options, null);
    }
    report.format = reader.format;
    const read = readModel(reader, source, {
      options: options.readerOptions ?? {},
      ...(options.files ? { files: options.files } : {}),
      ...(options.model ? { model: options.model } : {}),
    });
    report.findings.push(...read.findings);
    if (read.wants?.length) report.wants = read.wants.slice();
    report.models = read.models.map((m) => m.name);
    for (const m of read.models) if (m.definition) (report.modelDefinitions ??= {})[m.name] = m.definition;
    const graph = options.model ? read.models.find((m) => m.name === options.model) : read.models[0];
    if (!graph) {
      if (options.model) report.requestError = `no model named "${options.model}" in ${source.fileName} (it has ${report.models.join(', ') || 'none'})`;
      else if (!read.findings.length) report.findings.push(finding('RFL100', `${source.fileName} defines no model that ${reader.displayName} can read.`, null, null));
      return new AnalysedModel(finish(report, options), null, options, null);
    }
    report.model = graph.name;
    if (graph.dialect) report.dialect = graph.dialect;
    const input = resolveInput(graph, options);
    if (typeof input === 'string') {
      report.requestError = input;
      return new AnalysedModel(finish(report, options), null, options, null);
    }
    report.input = input;
    analysis = new ModelAnalysis(graph, input.shape, options.padding ? { padModeOverride: options.padding } : {});
    report.findings.push(...analysis.geometry.findings);
    report.outputs = graph.outputs.filter((id) => analysis!.has(id));
    const work = analysis.workload;
    let fields: ModelAnalysis['fields'] | null = null;
    if (work.fields > FIELD_WORK_LIMIT) {
      noMaps = `this network is too large to analyse at ${sizeText(input.shape)} (about ${work.fields.toExponential(1)} steps for the receptive fields)`;
      report.findings.push(finding('RFL100', `This network is too large to analyse at ${sizeText(input.shape)} (about ${work.fields.toExponential(1)} steps for the receptive fields); only shapes are shown.`, null, null));
    } else {
      try {
        fields = analysis.fields;
      } catch (e) {
        if (!(e instanceof WorkLimitError)) throw e;
        noMaps = `this network cannot be analysed at ${sizeText(input.shape)}: ${e.message}`;
        report.findings.push(finding('RFL100', `This network cannot be analysed at ${sizeText(input.shape)}: ${e.message}; only shapes are shown.`, null, null));
      }
    }
    for (const node of graph.nodes) {
      const g = analysis.geometry.byId.get(node.id);
      const field = fields?.get(node.id) ?? null;
      const layer: LayerReport = {
        id: node.id,
        name: node.name,
        type: node.type,
        op: node.spec.op,
        line: node.origin ? node.origin.start.line + 1 : null,
        range: node.origin,
        inputs: node.inputs.slice(),
        output: g && !g.flat ? g.size.slice() : null,
        rf: field
          ? { size: field.size.slice(), jump: field.jump.map(finiteOrNull), start: field.start.map(finiteOrNull), ...(field.global ? { global: true as const } : {}) }
          : null,
        ripple: finiteOrNull(field?.ripple),
        params: opOf(node.spec).summary(node.spec),
      };
      if (g?.padBefore && g.padAfter) layer.padding = { before: g.padBefore.slice(), after: g.padAfter.slice() };
      report.layers.push(layer);
    }
    report.finalLayers = analysis.finalSpatialLayers(report.outputs);
    if (fields && !noMaps) {
      if (product(input.shape) > MAX_MAP_PIXELS) noMaps = `the ${sizeText(input.shape)} input has more than the ${MAX_MAP_PIXELS} pixels maps are computed for`;
      else if (work.maps > MAP_WORK_LIMIT) {
        noMaps = `a map of this network at ${sizeText(input.shape)} would take about ${work.maps.toExponential(1)} steps, beyond the ${MAP_WORK_LIMIT.toExponential(0)} allowed`;
      }
      if (noMaps) report.findings.push(finding('RFL100', `No maps: ${noMaps}. Receptive fields are shown, but no maps, metrics or map-based findings.`, null, null));
    }
    if (!fields || stage === 'none') return new AnalysedModel(finish(report, options), analysis, options, noMaps);
    const rules = ruleOptions(options, report, analysis);
    report.findings.push(...stageFindings(analysis, report.outputs, rules, 'fields'));
    if (stage === 'all' && noMaps) report.findings.push(...stageFindings(analysis, report.outputs, rules, 'maps', false));
    if (stage === 'all' && !noMaps) {
      try {
        for (const id of [...report.outputs, ...report.finalLayers]) {
          if (!report.metrics[id]) report.metrics[id] = safeMetrics(analysis.metrics([id]));
        }
        report.findings.push(...stageFindings(analysis, report.outputs, rules, 'maps'));
      } catch (e) {
        if (!(e instanceof WorkLimitError)) throw e;
        // coverage could not be followed: no metrics rather than wrong ones
        noMaps = `no maps at ${sizeText(input.shape)}: ${e.message}`;
        report.metrics = {};
        report.findings.push(finding('RFL100', `No maps at ${sizeText(input.shape)}: ${e.message}.`, null, null));
        report.findings.push(...stageFindings(analysis, report.outputs, rules, 'maps', false));
      }
    }
  } catch (e) {
    report.findings.push(finding('RFL100', internalError(source.fileName, e), null, null));
  }
  return new AnalysedModel(finish(report, options), analysis, options, noMaps);
}

/** The one entry point for a report: openModel(...).report, every finding included unless `findings` says otherwise. */
export function analyze(source: ModelSource, options: AnalyzeOptions = {}): AnalysisReport {
  return openModel(source, options).report;
}

function finish(report: AnalysisReport, options: AnalyzeOptions): AnalysisReport {
  report.findings = applySeverities(report.findings, options.severities);
  return report;
}

/** Finds a layer by id, then by name, then by its position in the layer list. */
export function resolveLayer(report: AnalysisReport, ref: string): string | null {
  if (report.layers.some((l) => l.id === ref)) return ref;
  const byName = report.layers.find((l) => l.name === ref);
  if (byName) return byName.id;
  if (/^\d+$/.test(ref)) {
    const idx = Number(ref);
    if (idx < report.layers.length) return report.layers[idx]!.id;
  }
  return null;
}
