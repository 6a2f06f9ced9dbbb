/**
 * The analysis worker (bundled as dist/worker.js, run in a Node worker thread
 * of the extension host). This is the ONE module of the editor glue that calls
 * into the engine (src/core), through its public entry: openModel() gives the
 * plain report and a ModelHandle that answers maps, metrics, the map-based
 * findings and the depth profile, each a value or a refusal with its reason.
 *
 * Per document it keeps the latest handle, so maps, metrics and profiles are
 * answered without reading the file again.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isRefusal, openModel, READERS, readerFor, type AnalyzeOptions, type FileAccess, type LayerMetrics, type ModelHandle, type ModelSource, type PadMode } from '../../core';
import { readWithImports, type FileTexts } from './importRounds';
import type { AnalysisSettings, MapPayload, WorkerRequest, WorkerResponse } from './messages';

interface DocState {
  version: number;
  /** the latest handle of this version */
  model: ModelHandle | null;
  /** metrics by padding and layer */
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
  if (settings.readerOptions) o.readerOptions = settings.readerOptions;
  return o;
}

/** Answers of the host to this worker's 'wants', by analysis id. */
const fileAnswers = new Map<number, (files: FileTexts) => void>();

function askHost(req: AnalyzeRequest, paths: string[]): Promise<FileTexts> {
  return new Promise((resolve) => {
    fileAnswers.set(req.id, resolve);
    post({ kind: 'wants', id: req.id, key: req.key, version: req.version, paths });
  });
}

/**
 * Opens the document's model over the files the host sent, asking it for the
 * files the reader wants (imports) and reading again (importRounds.ts). The
 * model the user picked, when the file still defines it; else the reader's first.
 */
async function openWithImports(req: AnalyzeRequest, source: ModelSource, opts: AnalyzeOptions): Promise<{ model: ModelHandle; dependencies: string[] } | null> {
  const open = (files: FileAccess): ModelHandle => {
    const o: AnalyzeOptions = { ...opts, files };
    if (req.model) o.model = req.model;
    const m = openModel(source, o);
    if (req.model && !m.report.model && m.report.models.length && !m.report.models.includes(req.model)) return openModel(source, { ...opts, files });
    return m;
  };
  const outcome = await readWithImports(open, (m) => m.report.wants, (paths) => askHost(req, paths), req.files ?? {}, {
    stale: () => cancelled.has(req.id),
  });
  return outcome && { model: outcome.result, dependencies: outcome.asked };
}

type AnalyzeRequest = Extract<WorkerRequest, { kind: 'analyze' }>;

/**
 * A Python file that defines no model (a package's helper module, a script
 * that merely imports torch) is not a model file for the editor: it gets no
 * "No model found" in the Problems panel (named on the command line it still
 * does). Unless something on a line explains why (an import not found, a
 * syntax error): then the user sees it.
 */
function definesNoModel(m: ModelHandle): boolean {
  return m.report.format === 'python' && m.report.models.length === 0 && m.report.findings.every((f) => !f.range);
}

function unclaimed(req: AnalyzeRequest): void {
  docs.delete(req.key);
  post({ kind: 'unclaimed', id: req.id, key: req.key, version: req.version });
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The extension runs two of these workers: 'fields' answers with the layers,
 * fields and the findings that need no map (fast: the first diagnostics), and
 * keeps the handle for maps, metrics and hovers; 'maps' answers with every
 * finding, the map-based ones (RFL001-RFL003) included, and keeps nothing. So
 * a keystroke's first diagnostics never wait behind a running map pass.
 */
const ROLE: 'fields' | 'maps' | 'both' = (workerData as { role?: 'fields' | 'maps' } | null)?.role ?? 'both';

async function analyzeDocument(req: AnalyzeRequest): Promise<void> {
  // a binary model (ONNX) comes as its bytes, kept by the handle's reader views (weights are never copied)
  const source: ModelSource = req.bytes ? { fileName: req.fileName, bytes: req.bytes } : { fileName: req.fileName, text: req.text ?? '' };
  const reader = readerFor(source);
  if (!reader || !reader.match(source)) {
    docs.delete(req.key);
    post({ kind: 'unclaimed', id: req.id, key: req.key, version: req.version });
    return;
  }
  const opts = options(req.settings);
  let t0 = performance.now();
  let dependencies: string[] = [];
  let fieldsModel: ModelHandle | null = null;
  if (ROLE !== 'maps') {
    const got = await openWithImports(req, source, { ...opts, findings: 'fields' });
    if (!got) return void post({ kind: 'cancelled', id: req.id, key: req.key, version: req.version });
    if (definesNoModel(got.model)) return unclaimed(req);
    fieldsModel = got.model;
    dependencies = got.dependencies;
  }
  const state: DocState = { version: req.version, model: fieldsModel, metrics: new Map() };
  docs.set(req.key, state);
  if (fieldsModel) {
    post({ kind: 'fields', id: req.id, key: req.key, version: req.version, report: fieldsModel.report, ms: performance.now() - t0, ...(dependencies.length ? { dependencies } : {}) });
    if (ROLE === 'fields') return;
  }
  await tick(); // let a cancel or a newer version in
  if (cancelled.delete(req.id) || docs.get(req.key) !== state) {
    post({ kind: 'cancelled', id: req.id, key: req.key, version: req.version });
    return;
  }
  t0 = performance.now();
  // One worker doing both passes adds the map findings to the handle it has; the 'maps' worker reads on its own.
  let full = state.model;
  if (!full) {
    const got = await openWithImports(req, source, opts);
    const wasCancelled = cancelled.delete(req.id); // (always forgotten: the set holds only ids still running)
    if (!got || wasCancelled || docs.get(req.key) !== state) {
      if (docs.get(req.key) === state) docs.delete(req.key);
      return void post({ kind: 'cancelled', id: req.id, key: req.key, version: req.version });
    }
    if (definesNoModel(got.model)) return unclaimed(req);
    full = got.model;
    dependencies = got.dependencies;
  }
  const findings = state.model ? [...full.report.findings, ...full.mapFindings()] : full.report.findings;
  const metrics: Record<string, LayerMetrics> = {};
  for (const id of [...full.report.outputs, ...full.report.finalLayers]) {
    const m = full.report.metrics[id] ?? full.metrics([id]);
    if (!isRefusal(m)) metrics[id] = m;
  }
  if (ROLE === 'maps') {
    if (docs.get(req.key) === state) docs.delete(req.key);
  } else if (docs.get(req.key) === state) {
    for (const [id, m] of Object.entries(metrics)) state.metrics.set(id, m);
  }
  post({ kind: 'complete', id: req.id, key: req.key, version: req.version, findings, metrics, ms: performance.now() - t0, ...(dependencies.length ? { dependencies } : {}) });
}

function stateFor(key: string, version: number): DocState | string {
  const s = docs.get(key);
  if (!s || !s.model) return 'the document has not been analysed';
  if (s.version !== version) return 'the document changed; ask again';
  if (!s.model.report.model) return s.model.report.requestError ?? `${s.model.report.file} could not be analysed`;
  return s;
}

function layerMetrics(s: DocState, ids: string[], padding?: PadMode): Record<string, LayerMetrics> | { refused: string } {
  const out: Record<string, LayerMetrics> = {};
  for (const id of ids) {
    const key = padding ? `${padding}\u0000${id}` : id;
    let m = s.metrics.get(key);
    if (!m) {
      const got = s.model!.metrics([id], padding ? { padding } : {});
      if (isRefusal(got)) {
        if (ids.length === 1) return got;
        continue;
      }
      m = got;
      s.metrics.set(key, m);
    }
    out[id] = m;
  }
  return out;
}

function map(req: Extract<WorkerRequest, { kind: 'map' }>): void {
  const s = stateFor(req.key, req.version);
  if (typeof s === 'string') return post({ kind: 'map', id: req.id, result: { refused: s } });
  const model = s.model!;
  const options = { ...(req.padding ? { padding: req.padding } : {}), ...(req.unit ? { unit: req.unit } : {}) };
  const target = req.unit && req.layer === 'outputs' ? model.report.outputs[0]! : req.layer;
  const m = model.map(target, req.metric, options);
  if (isRefusal(m)) return post({ kind: 'map', id: req.id, result: m });
  let metrics: LayerMetrics | null = null;
  let field: MapPayload['field'];
  if (req.unit) {
    const f = model.unitField(m.layers[0]!, req.unit);
    if (!isRefusal(f)) field = f;
  } else if (m.layers.length === 1) {
    const got = layerMetrics(s, m.layers, req.padding);
    metrics = 'refused' in got ? null : (got[m.layers[0]!] ?? null);
  } else {
    const got = model.metrics(m.layers, req.padding ? { padding: req.padding } : {});
    metrics = isRefusal(got) ? null : got;
  }
  const payload: MapPayload = { layers: m.layers, metric: m.metric, shape: m.shape, values: m.values, peakLog10: m.peakLog10, metrics };
  if (field) payload.field = field;
  post({ kind: 'map', id: req.id, result: payload }, [m.values.buffer as ArrayBuffer]);
}

function metrics(req: Extract<WorkerRequest, { kind: 'metrics' }>): void {
  const s = stateFor(req.key, req.version);
  if (typeof s === 'string') return post({ kind: 'metrics', id: req.id, result: { refused: s } });
  post({ kind: 'metrics', id: req.id, result: layerMetrics(s, req.layers) });
}

function depthProfile(req: Extract<WorkerRequest, { kind: 'depthProfile' }>): void {
  const s = stateFor(req.key, req.version);
  if (typeof s === 'string') return post({ kind: 'depthProfile', id: req.id, result: { refused: s } });
  const p = s.model!.depthProfile(req.padding ? { padding: req.padding } : {});
  if (isRefusal(p)) return post({ kind: 'depthProfile', id: req.id, result: p });
  post({ kind: 'depthProfile', id: req.id, result: { padding: req.padding ?? 'file', ...p } });
}

async function handle(req: WorkerRequest): Promise<void> {
  try {
    switch (req.kind) {
      case 'analyze':
        return await analyzeDocument(req);
      case 'cancel':
        cancelled.add(req.id);
        return;
      case 'files': {
        const answer = fileAnswers.get(req.id);
        fileAnswers.delete(req.id);
        answer?.(req.files);
        return;
      }
      case 'map':
        return map(req);
      case 'metrics':
        return metrics(req);
      case 'depthProfile':
        return depthProfile(req);
      case 'readers':
        return post({ kind: 'readers', id: req.id, readers: READERS.map((r) => ({ format: r.format, extensions: [...r.extensions], binary: r.binary === true })) });
      case 'forget':
        docs.delete(req.key);
        return post({ kind: 'done', id: req.id });
    }
  } catch (e) {
    post({ kind: 'error', id: req.id, message: (e as Error)?.stack ?? String(e) });
  }
}

parentPort?.on('message', (req: WorkerRequest) => void handle(req));
