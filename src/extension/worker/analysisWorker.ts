/**
 * The analysis worker (bundled as dist/worker.js, run in a Node worker thread
 * of the extension host). This is the ONE module of the editor glue that calls
 * into the engine (src/core): when the engine's public API changes
 * (openModel() -> ModelHandle), only this file changes.
 *
 * Per document it keeps the latest analysis, so maps, metrics and profiles are
 * answered from it without reading the file again.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  analyze,
  influenceMap,
  isMapRefusal,
  MAX_MAP_PIXELS,
  READERS,
  readerFor,
  type AnalysisReport,
  type AnalyzeOptions,
  type Finding,
  type LayerMetrics,
  type PadMode,
} from '../../core';
import { dominatorChain } from './depth';
import type { AnalysisSettings, MapPayload, PlainReport, WorkerRequest, WorkerResponse } from './messages';

/** Mirrors analyze.ts's MAP_WORK_LIMIT (not exported today). TODO(lead): ModelHandle.map/metrics refuse by themselves. */
const MAP_WORK_LIMIT = 5e8;

interface DocState {
  version: number;
  /** the latest analysis of this version (the fields pass until the full one replaces it) */
  result: AnalysisReport | null;
  /** sessions with a what-if padding, by mode */
  padded: Map<PadMode, NonNullable<AnalysisReport['session']>>;
  metrics: Map<string, LayerMetrics>;
}

const docs = new Map<string, DocState>();
const cancelled = new Set<number>();

function post(message: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

function options(settings: AnalysisSettings): AnalyzeOptions {
  const o: AnalyzeOptions = {
    defaultInput: settings.defaultInput,
    edgeRatioThreshold: settings.edgeRatioThreshold,
    severities: settings.severities as AnalyzeOptions['severities'],
  };
  if (settings.padding) o.padding = settings.padding;
  return o;
}

function plain(r: AnalysisReport): PlainReport {
  return { ...r, graph: null, session: null };
}

type Range = NonNullable<Finding['range']>;
const same = (a: Range, b: Range) =>
  a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;

/**
 * Narrowest ranges and related locations. A finding placed on a whole layer
 * definition moves to the layer's name (Caffe `name: "conv1"`) or header
 * (Darknet `[maxpool]`); RFL001/RFL002, placed where the problem starts, point
 * at the final layer where it is measured.
 * TODO(lead): the refactored readers fill `ranges.name` and findings carry `related`: drop this then.
 */
function refine(r: AnalysisReport, text: string): Finding[] {
  const graph = r.graph;
  if (!graph) return r.findings;
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const lines = text.split(/\r\n|\r|\n/);
  const header = (n: (typeof graph.nodes)[number]): Range | null => {
    if (!n.origin) return null;
    const named = n.keyRanges?.['name'];
    if (named) return named;
    const line = lines[n.origin.start.line] ?? '';
    const m = /^\s*(\[[^\]]*\])/.exec(line.slice(n.origin.start.character));
    const startChar = n.origin.start.character + (m ? m.index + m[0].indexOf('[') : 0);
    const endChar = m ? startChar + m[1]!.length : line.replace(/\s+$/, '').length;
    return { start: { line: n.origin.start.line, character: startChar }, end: { line: n.origin.start.line, character: Math.max(startChar, endChar) } };
  };
  return r.findings.map((f) => {
    const node = f.layer !== null ? nodes.get(f.layer) : undefined;
    if (!node || !f.range) return f;
    let out: Finding & { related?: Array<{ range: Range; layer: string; message: string }> } = f;
    if (node.origin && same(f.range, node.origin) && node.origin.start.line !== node.origin.end.line) {
      const h = header(node);
      if (h) out = { ...out, range: h };
    }
    if ((f.code === 'RFL001' || f.code === 'RFL002') && !r.finalLayers.includes(node.id)) {
      const related = r.finalLayers
        .map((id) => nodes.get(id))
        .filter((n): n is NonNullable<typeof n> => !!n && !!n.origin)
        .map((n) => ({ range: header(n)!, layer: n.id, message: `measured at ${n.name}, the last spatial layer` }));
      if (related.length) out = { ...out, related };
    }
    return out;
  });
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The extension runs two of these workers: 'fields' answers with the layers,
 * fields and the findings that need no map (fast: the first diagnostics), and
 * keeps the analysis for maps, metrics and hovers; 'maps' answers with every
 * finding, the map-based ones (RFL001-RFL003) included, and keeps nothing. So
 * a keystroke's first diagnostics never wait behind a running map pass.
 */
const ROLE: 'fields' | 'maps' | 'both' = (workerData as { role?: 'fields' | 'maps' } | null)?.role ?? 'both';

async function analyzeDocument(req: Extract<WorkerRequest, { kind: 'analyze' }>): Promise<void> {
  const source = { fileName: req.fileName, text: req.text };
  const reader = readerFor(source);
  if (!reader || !reader.match(source)) {
    docs.delete(req.key);
    post({ kind: 'unclaimed', id: req.id, key: req.key, version: req.version });
    return;
  }
  const state: DocState = { version: req.version, result: null, padded: new Map(), metrics: new Map() };
  docs.set(req.key, state);
  const opts = options(req.settings);
  let t0 = performance.now();
  if (ROLE !== 'maps') {
    // TODO(lead): openModel(source, { ...opts, mapFindings: false }) gives the report without RFL001-RFL003
    // (and with RFL004-RFL006, which need no map); handle.mapFindings() then adds the costly ones without
    // reading the file again. Today the fields pass is analyze() with layersOnly (the reader's findings)
    // and the map pass a second, full analyze().
    const fields = analyze(source, { ...opts, layersOnly: true });
    state.result = fields;
    post({ kind: 'fields', id: req.id, key: req.key, version: req.version, report: { ...plain(fields), findings: refine(fields, req.text) }, ms: performance.now() - t0 });
    if (ROLE === 'fields') return;
  }
  await tick(); // let a cancel or a newer version in
  if (cancelled.delete(req.id) || docs.get(req.key) !== state) {
    post({ kind: 'cancelled', id: req.id, key: req.key, version: req.version });
    return;
  }
  t0 = performance.now();
  const full = analyze(source, opts);
  if (ROLE === 'maps') {
    if (docs.get(req.key) === state) docs.delete(req.key);
  } else if (docs.get(req.key) === state) {
    state.result = full;
    for (const [id, m] of Object.entries(full.metrics)) state.metrics.set(id, m);
  }
  post({ kind: 'complete', id: req.id, key: req.key, version: req.version, findings: refine(full, req.text), metrics: full.metrics, ms: performance.now() - t0 });
}

function stateFor(key: string, version: number): DocState | string {
  const s = docs.get(key);
  if (!s || !s.result) return 'the document has not been analysed';
  if (s.version !== version) return 'the document changed; ask again';
  if (!s.result.session) return s.result.requestError ?? `${s.result.file} could not be analysed`;
  return s;
}

function mapsRefused(r: AnalysisReport): string | null {
  const session = r.session!;
  const pixels = session.input.reduce((p, n) => p * n, 1);
  if (pixels > MAX_MAP_PIXELS) return `the ${session.input.join('x')} input has more than the ${MAX_MAP_PIXELS} pixels maps are computed for`;
  if (session.workload.maps > MAP_WORK_LIMIT) return `a map of this network at ${session.input.join('x')} would take about ${session.workload.maps.toExponential(1)} steps`;
  return null;
}

function sessionFor(s: DocState, padding?: PadMode) {
  const base = s.result!.session!;
  if (!padding) return base;
  let p = s.padded.get(padding);
  if (!p) {
    p = base.withPadding({ padModeOverride: padding });
    s.padded.set(padding, p);
  }
  return p;
}

function layerMetrics(s: DocState, ids: string[], padding?: PadMode): Record<string, LayerMetrics> {
  const out: Record<string, LayerMetrics> = {};
  const session = sessionFor(s, padding);
  for (const id of ids) {
    if (!session.has(id)) continue;
    const key = padding ? `${padding}\u0000${id}` : id;
    let m = s.metrics.get(key);
    if (!m) {
      m = session.metrics([id]);
      s.metrics.set(key, m);
    }
    out[id] = m;
  }
  return out;
}

function map(req: Extract<WorkerRequest, { kind: 'map' }>): void {
  const s = stateFor(req.key, req.version);
  if (typeof s === 'string') return post({ kind: 'map', id: req.id, result: { refused: s } });
  const r = s.result!;
  if (req.unit) {
    // TODO(lead): handle.unitField(layer, unit) and a single unit's map. Today: the unit's theoretical
    // field from the layer's size, jump and start (exact on chains), drawn as a box over the input.
    const id = Array.isArray(req.layer) ? req.layer[0] : req.layer === 'outputs' ? r.outputs[0] : req.layer;
    const layer = r.layers.find((l) => l.id === id);
    if (!layer?.rf) return post({ kind: 'map', id: req.id, result: { refused: `layer "${id}" has no receptive field` } });
    const shape = r.session!.input.slice();
    const lo = layer.rf.size.map((size, a) => layer.rf!.start[a]! + req.unit![a]! * layer.rf!.jump[a]! - (size - 1) / 2);
    const hi = layer.rf.size.map((size, a) => lo[a]! + size - 1);
    const values = new Float64Array(shape.reduce((p, n) => p * n, 1));
    const coord = new Array<number>(shape.length).fill(0);
    for (let flat = 0; flat < values.length; flat++) {
      let rest = flat;
      for (let a = shape.length - 1; a >= 0; a--) {
        coord[a] = rest % shape[a]!;
        rest = Math.floor(rest / shape[a]!);
      }
      values[flat] = coord.every((c, a) => c >= lo[a]! && c <= hi[a]!) ? 1 : 0;
    }
    const payload: MapPayload = { layers: [layer.id], metric: req.metric, shape, values, peakLog10: 0, metrics: null, field: { lo, hi } };
    return post({ kind: 'map', id: req.id, result: payload }, [values.buffer as ArrayBuffer]);
  }
  const m = influenceMap(r, req.layer, req.metric, req.padding ? { padding: req.padding } : {});
  if (isMapRefusal(m)) return post({ kind: 'map', id: req.id, result: m });
  let metrics: LayerMetrics | null = null;
  const ids = m.layers;
  if (ids.length === 1) metrics = layerMetrics(s, ids, req.padding)[ids[0]!] ?? null;
  else metrics = sessionFor(s, req.padding).metrics(ids);
  const payload: MapPayload = { layers: m.layers, metric: m.metric, shape: m.shape, values: m.values, peakLog10: m.peakLog10, metrics };
  post({ kind: 'map', id: req.id, result: payload }, [m.values.buffer as ArrayBuffer]);
}

function metrics(req: Extract<WorkerRequest, { kind: 'metrics' }>): void {
  const s = stateFor(req.key, req.version);
  if (typeof s === 'string') return post({ kind: 'metrics', id: req.id, result: { refused: s } });
  const refused = mapsRefused(s.result!);
  if (refused) return post({ kind: 'metrics', id: req.id, result: { refused } });
  post({ kind: 'metrics', id: req.id, result: layerMetrics(s, req.layers) });
}

function depthProfile(req: Extract<WorkerRequest, { kind: 'depthProfile' }>): void {
  const s = stateFor(req.key, req.version);
  if (typeof s === 'string') return post({ kind: 'depthProfile', id: req.id, result: { refused: s } });
  const r = s.result!;
  const refused = mapsRefused(r);
  if (refused) return post({ kind: 'depthProfile', id: req.id, result: { refused } });
  const session = sessionFor(s, req.padding);
  const chain = dominatorChain(
    r.layers.filter((l) => l.op !== 'input' && l.output !== null && session.has(l.id)),
    r.finalLayers,
  );
  const m = layerMetrics(s, chain, req.padding);
  post({
    kind: 'depthProfile',
    id: req.id,
    result: {
      padding: req.padding ?? 'file',
      layers: chain,
      edgeRatio: chain.map((id) => m[id]?.edgeRatio ?? null),
      cornerRatio: chain.map((id) => m[id]?.cornerRatio ?? null),
    },
  });
}

async function handle(req: WorkerRequest): Promise<void> {
  try {
    switch (req.kind) {
      case 'analyze':
        return await analyzeDocument(req);
      case 'cancel':
        cancelled.add(req.id);
        return;
      case 'map':
        return map(req);
      case 'metrics':
        return metrics(req);
      case 'depthProfile':
        return depthProfile(req);
      case 'readers':
        return post({ kind: 'readers', id: req.id, readers: READERS.map((r) => ({ format: r.format, extensions: [...r.extensions] })) });
      case 'forget':
        docs.delete(req.key);
        return post({ kind: 'done', id: req.id });
    }
  } catch (e) {
    post({ kind: 'error', id: req.id, message: (e as Error)?.stack ?? String(e) });
  }
}

parentPort?.on('message', (req: WorkerRequest) => void handle(req));
