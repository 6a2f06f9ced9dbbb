/**
 * The host side of the influence-map panel without the editor API: it turns
 * the engine's reports and maps into the panel's messages and answers the
 * panel's requests. index.ts wires it to a webview, the editor and the
 * workspace; the webview tests run this same class in the browser over a
 * fake engine, so both sides of the protocol are tested together.
 */
import type { DepthProfile, MapRequest, MapResult, Refused } from '../engineService';
import type { AnalysisReport, Finding, FindingFix, LayerReport, PadMode } from '../../core';
import { defaultSlice, downsample, planeOf } from '../../shared/heatmap';
import type {
  DepthSeries,
  ExportFormat,
  HostToPanel,
  LayerInfo,
  LayerMetricsPayload,
  MapMetric,
  ModelPayload,
  PaddingChoice,
  PanelToHost,
  RemedyInfo,
  RemedyResult,
  ViewState,
} from '../../shared/protocol';

/** EngineService with the document named by any key (a vscode.Uri in the extension, a string in tests). */
export interface PanelEngine<U> {
  report(uri: U): Promise<AnalysisReport | null>;
  map(uri: U, request: MapRequest): Promise<MapResult | Refused>;
  depthProfile(uri: U, padding?: PadMode): Promise<DepthProfile | Refused>;
}

export interface PanelHooks {
  post(message: HostToPanel): unknown;
  /** the panel moved to this layer: show its line */
  reveal?(layer: LayerReport): void;
  /** apply a finding's fix as an edit the user can undo; resolves to whether it was applied */
  apply?(fix: FindingFix): Promise<boolean>;
  /** ask where to save and write the bytes; resolves to the path written, or null */
  save?(format: ExportFormat, data: Uint8Array, suggestedName: string): Promise<string | null>;
  /** the panel's view changed (kept for the serializer) */
  state?(state: ViewState): void;
  log?(message: string): void;
}

export const PADDING_CHOICES: PaddingChoice[] = ['file', 'zeros', 'reflect', 'replicate', 'circular'];

const FORMAT_NAMES: Record<string, string> = { darknet: 'Darknet', caffe: 'Caffe', onnx: 'ONNX', 'keras-json': 'Keras JSON', ultralytics: 'Ultralytics', python: 'Python' };
/** Formats whose files have no key for the padding mode (zeros is all they know). */
const NO_PAD_MODE_KEY = new Set(['darknet', 'caffe']);

const THUMB_SIDE = 96;

function isRefused(x: unknown): x is Refused {
  return typeof x === 'object' && x !== null && 'refused' in x;
}

function metricsPayload(m: MapResult['metrics'] | undefined): LayerMetricsPayload | null {
  if (!m) return null;
  return {
    peakLog10: m.peakLog10,
    edgeRatio: m.edgeRatio,
    cornerRatio: m.cornerRatio,
    wellRepresented: m.wellRepresented,
    deadPixels: m.deadPixels,
    coverageMin: m.coverageMin,
    coverageMax: m.coverageMax,
    ripple: m.ripple,
  };
}

/** The padding the file states, from the layers' parameter summaries: "zeros", "reflect", "none (valid)". */
export function filePadding(report: AnalysisReport): string {
  const modes = new Set<string>();
  for (const l of report.layers) {
    if (l.op !== 'conv') continue;
    const m = /\b(reflect|replicate|circular)\b/.exec(l.params);
    if (m) modes.add(m[1]!);
    else if (/\bp\d|same\(/.test(l.params)) modes.add('zeros');
  }
  return modes.size ? [...modes].join(' + ') : 'none (valid)';
}

/**
 * Layers the panel can map and scrub through: those with a shape (a spatial
 * output, or a field: a layer after global pooling maps like its input), the
 * input excluded.
 */
export function mappableLayers(report: AnalysisReport): string[] {
  return report.layers.filter((l) => l.op !== 'input' && (l.output !== null || l.rf !== null)).map((l) => l.id);
}

/** The layer whose definition holds a 0-based line. */
export function layerAtLine(report: AnalysisReport, line: number): LayerReport | null {
  let best: LayerReport | null = null;
  for (const l of report.layers) {
    const r = l.range;
    if (!r || line < r.start.line || line > r.end.line) continue;
    if (!best || (best.range && r.end.line - r.start.line < best.range.end.line - best.range.start.line)) best = l;
  }
  return best;
}

interface FixRef {
  finding: Finding;
  fix: FindingFix;
}

export class PanelSession<U> {
  private uri: U | null = null;
  private uriText = '';
  private report: AnalysisReport | null = null;
  private fixes: FixRef[] = [];
  private remedyInfo: RemedyInfo[] = [];
  private ready = false;
  private queue: Array<Extract<PanelToHost, { type: 'requestMap' }>> = [];
  private working = false;
  /** the panel's last saved view (for the serializer and to restore on reload) */
  view: ViewState = {};

  constructor(
    private readonly engine: PanelEngine<U>,
    private readonly hooks: PanelHooks,
  ) {}

  get document(): U | null {
    return this.uri;
  }

  get currentReport(): AnalysisReport | null {
    return this.report;
  }

  /** Shows a document (or reloads it after a change); keeps the last good picture when it does not parse. */
  async setDocument(uri: U, uriText: string, state?: ViewState): Promise<void> {
    const changed = uriText !== this.uriText;
    this.uri = uri;
    this.uriText = uriText;
    if (state) this.view = { ...this.view, ...state };
    const report = await this.engine.report(uri);
    if (this.uri !== uri) return;
    if (!report) {
      this.report = null;
      this.post({ type: 'error', message: `No reader recognises ${uriText.split('/').pop()}.` });
      return;
    }
    const usable = report.input !== null && mappableLayers(report).length > 0;
    if (!usable && !changed && this.report) {
      const why = report.findings.find((f) => f.code === 'RFL100')?.message ?? report.requestError ?? 'the file does not parse now';
      this.post({ type: 'stale', message: why });
      return;
    }
    if (!usable) {
      this.report = report;
      const why = report.requestError ?? report.findings.find((f) => f.code === 'RFL100')?.message ?? 'the model has no layer with a spatial shape';
      this.post({ type: 'error', message: `No influence map for ${report.file.split('/').pop()}: ${why}` });
      return;
    }
    this.report = report;
    this.postModel(changed ? state : undefined);
  }

  private post(message: HostToPanel): void {
    if (this.ready) this.hooks.post(message);
    else if (message.type === 'model' || message.type === 'error') this.early = message;
  }
  private early: HostToPanel | null = null;

  private postModel(state?: ViewState): void {
    const report = this.report!;
    this.fixes = [];
    for (const f of report.findings) for (const fix of f.fixes ?? []) this.fixes.push({ finding: f, fix });
    this.remedyInfo = this.remedies(report);
    const layers: LayerInfo[] = report.layers.map((l) => ({
      id: l.id,
      name: l.name,
      type: l.type,
      op: l.op,
      line: l.line,
      output: l.output,
      rf: l.rf ? { size: l.rf.size, jump: l.rf.jump, start: l.rf.start } : null,
      params: l.params,
      ripple: l.ripple,
    }));
    const metrics: Record<string, LayerMetricsPayload> = {};
    for (const [id, m] of Object.entries(report.metrics)) metrics[id] = metricsPayload(m)!;
    const model: ModelPayload = {
      uri: this.uriText,
      fileName: report.file.split(/[\\/]/).pop() ?? report.file,
      format: report.format,
      model: report.model,
      input: report.input ? { shape: report.input.shape.slice(), source: report.input.source } : null,
      layers,
      mappable: mappableLayers(report),
      outputs: report.outputs.slice(),
      finalLayers: report.finalLayers.slice(),
      metrics,
      findings: report.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message, layer: f.layer, line: f.range ? f.range.start.line + 1 : null })),
      remedies: this.remedyInfo,
      paddingEditable: this.remedyInfo.some((r) => r.kind === 'padding' && r.apply),
      filePadding: filePadding(report),
    };
    this.post({ type: 'model', model, ...(state ? { state } : {}) });
  }

  private remedies(report: AnalysisReport): RemedyInfo[] {
    const fmt = report.format ? (FORMAT_NAMES[report.format] ?? report.format) : 'This';
    const out: RemedyInfo[] = [];
    const own = filePadding(report);
    for (const p of PADDING_CHOICES) {
      const label = p === 'file' ? `File's own (${own})` : p;
      const info: RemedyInfo = { id: `pad:${p}`, kind: 'padding', padding: p, label };
      if (p !== 'file') {
        const k = this.fixes.findIndex((r) => /pad/i.test(r.fix.title) && new RegExp(`\\b${p}\\b`, 'i').test(r.fix.title));
        if (k >= 0) info.apply = { fix: k, title: this.fixes[k]!.fix.title };
        else info.note = report.format && NO_PAD_MODE_KEY.has(report.format) ? `What-if only: ${fmt} files have no padding-mode key.` : 'What-if only: no quick fix in this file sets it.';
      }
      out.push(info);
    }
    this.fixes.forEach((r, k) => {
      const m = /input size\s+(\d+(?:\s*[x×]\s*\d+)*)/i.exec(r.fix.title);
      if (!m) return;
      out.push({ id: `input:${k}`, kind: 'input', label: r.fix.title, apply: { fix: k, title: r.fix.title } });
    });
    return out;
  }

  /** The editor's cursor is on this 0-based line: select its layer in the panel. */
  selectLine(line: number): void {
    if (!this.report) return;
    const l = layerAtLine(this.report, line);
    if (l && mappableLayers(this.report).includes(l.id)) this.post({ type: 'select', layer: l.id });
  }

  /** Selects a layer by id (CodeLens, hover and the status bar open the panel at their layer). */
  selectLayer(id: string): void {
    this.view.layer = id;
    this.post({ type: 'select', layer: id });
  }

  async handle(msg: PanelToHost): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (this.early) {
          const e = this.early;
          this.early = null;
          // the panel restores its own state; the host's copy wins after a reload of the host
          this.hooks.post(e.type === 'model' ? { ...e, state: { ...this.view, ...(e.state ?? {}) } } : e);
        } else if (this.report) this.postModel(this.view);
        return;
      case 'requestMap':
        this.queue.push(msg);
        void this.drain();
        return;
      case 'requestRemedies':
        await this.remediesFor(msg.seq, msg.layer, msg.metric);
        return;
      case 'requestDepth':
        await this.depth(msg.seq);
        return;
      case 'reveal': {
        const l = this.report?.layers.find((x) => x.id === msg.layer);
        if (l) this.hooks.reveal?.(l);
        return;
      }
      case 'applyRemedy': {
        const info = this.remedyInfo.find((r) => r.id === msg.id);
        const ref = info?.apply ? this.fixes[info.apply.fix] : undefined;
        if (!ref || !this.hooks.apply) {
          this.post({ type: 'error', message: `${info?.label ?? msg.id} cannot be applied to this file.` });
          return;
        }
        const ok = await this.hooks.apply(ref.fix);
        if (!ok) this.post({ type: 'error', message: `Could not apply "${ref.fix.title}".` });
        return;
      }
      case 'export': {
        const path = await this.hooks.save?.(msg.format, msg.data, msg.suggestedName);
        if (path) this.post({ type: 'exported', path });
        return;
      }
      case 'state':
        this.view = msg.state;
        this.hooks.state?.(msg.state);
        return;
      case 'log':
        this.hooks.log?.(msg.message);
        return;
    }
  }

  /** One map at a time; a newer request for the main view supersedes older ones still waiting. */
  private async drain(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      while (this.queue.length) {
        const msg = this.queue.shift()!;
        // a waiting request of a layer map is stale when a newer one (of the same metric, unit or not) waits behind it
        const newer = this.queue.some((q) => q.metric === msg.metric && !!q.unit === !!msg.unit && q.seq > msg.seq);
        if (newer) {
          this.post({ type: 'mapRefused', seq: msg.seq, message: 'superseded', superseded: true });
          continue;
        }
        await this.answerMap(msg);
      }
    } finally {
      this.working = false;
    }
  }

  private async answerMap(msg: Extract<PanelToHost, { type: 'requestMap' }>): Promise<void> {
    const uri = this.uri;
    if (uri === null) return;
    const t0 = Date.now();
    try {
      const r = await this.engine.map(uri, {
        layer: msg.layer,
        metric: msg.metric,
        ...(msg.padding !== 'file' ? { padding: msg.padding } : {}),
        ...(msg.unit ? { unit: msg.unit } : {}),
      });
      if (uri !== this.uri) return;
      if (isRefused(r)) {
        this.post({ type: 'mapRefused', seq: msg.seq, message: r.refused });
        return;
      }
      this.post({
        type: 'map',
        seq: msg.seq,
        padding: msg.padding,
        ...(msg.unit ? { unit: msg.unit } : {}),
        ms: Date.now() - t0,
        map: {
          layers: r.layers,
          metric: r.metric,
          shape: r.shape,
          values: r.values,
          peakLog10: r.peakLog10,
          metrics: metricsPayload(r.metrics),
          ...(r.field ? { field: r.field } : {}),
        },
      });
    } catch (e) {
      this.post({ type: 'mapRefused', seq: msg.seq, message: (e as Error).message ?? String(e) });
    }
  }

  private async remediesFor(seq: number, layer: string, metric: MapMetric): Promise<void> {
    const uri = this.uri;
    if (uri === null || !this.report) return;
    const results: RemedyResult[] = [];
    for (const info of this.remedyInfo) {
      if (info.kind === 'input') {
        const m = /(\d+(?:\s*[x×]\s*\d+)*)/.exec(info.label.replace(/^[^\d]*/, ''));
        results.push({ id: info.id, label: info.label.replace(/^Use /, ''), padding: 'file', thumb: null, metrics: null, ...(m ? { inputShape: m[1]!.split(/\s*[x×]\s*/).map(Number) } : {}) });
        continue;
      }
      const p = info.padding!;
      const r = await this.engine.map(uri, { layer, metric, ...(p !== 'file' ? { padding: p } : {}) });
      if (uri !== this.uri) return;
      if (isRefused(r)) {
        results.push({ id: info.id, label: info.label, padding: p, thumb: null, metrics: null, refused: r.refused });
        continue;
      }
      const plane = planeOf(r.values, r.shape, defaultSlice(r.shape));
      const small = downsample(plane, THUMB_SIDE);
      results.push({
        id: info.id,
        label: info.label,
        padding: p,
        thumb: { width: small.width, height: small.height, values: small === plane ? plane.values.slice() : small.values },
        metrics: metricsPayload(r.metrics),
      });
    }
    this.post({ type: 'remedies', seq, layer, results });
  }

  private async depth(seq: number): Promise<void> {
    const uri = this.uri;
    if (uri === null) return;
    const series: DepthSeries[] = [];
    let refused: string | undefined;
    for (const p of PADDING_CHOICES) {
      const r = await this.engine.depthProfile(uri, p === 'file' ? undefined : p);
      if (uri !== this.uri) return;
      if (isRefused(r)) {
        refused = r.refused;
        continue;
      }
      series.push({ padding: p, layers: r.layers, edgeRatio: r.edgeRatio, cornerRatio: r.cornerRatio });
    }
    this.post({ type: 'depth', seq, series, ...(refused && !series.length ? { refused } : {}) });
  }
}
