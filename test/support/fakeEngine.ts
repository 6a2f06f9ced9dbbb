/**
 * A small stand-in for the editor glue's EngineService, over the current
 * engine (analyze() and influenceMap()), for the panel's tests only: no
 * worker, no vscode, documents named by strings. Pure, so the webview tests
 * bundle it into the browser page together with the panel's host session.
 *
 * A unit's map is exact: the unit is a one-pixel crop appended to its layer,
 * and the crop's path map is the unit's. Its field is the bounding box of
 * the crop's coverage (inside the input).
 */
import { analyze, influenceMap, isMapRefusal, type AnalysisResult, type PadMode } from '../../src/core';
import { ModelAnalysis } from '../../src/core/analysis/session';
import { coverageMetrics, pathMetrics } from '../../src/core/analysis/metrics';
import type { DepthProfile, MapRequest, MapResult, Refused } from '../../src/extension/engineService';
import type { PanelEngine } from '../../src/extension/panel/session';

export interface FakeEngineOptions {
  /** most layers a depth profile computes (evenly spaced; the last always included) */
  depthLayers?: number;
  input?: number | number[];
}

export class FakeEngine implements PanelEngine<string> {
  private readonly texts = new Map<string, string>();
  private readonly reports = new Map<string, AnalysisResult>();
  private readonly maps = new Map<string, MapResult | Refused>();
  private readonly listeners: Array<(uri: string) => void> = [];
  readonly calls: string[] = [];

  constructor(private readonly options: FakeEngineOptions = {}) {}

  setText(uri: string, text: string): void {
    this.texts.set(uri, text);
    this.reports.delete(uri);
    for (const k of [...this.maps.keys()]) if (k.startsWith(`${uri}\u0000`)) this.maps.delete(k);
    for (const l of this.listeners) l(uri);
  }

  onDidChangeReport(listener: (uri: string) => void): { dispose(): void } {
    this.listeners.push(listener);
    return { dispose: () => this.listeners.splice(this.listeners.indexOf(listener), 1) };
  }

  private analysis(uri: string): AnalysisResult | null {
    let r = this.reports.get(uri);
    if (r) return r;
    const text = this.texts.get(uri);
    if (text === undefined) return null;
    r = analyze({ fileName: uri.replace(/^.*[\\/]/, ''), text }, this.options.input !== undefined ? { input: this.options.input } : {});
    this.reports.set(uri, r);
    return r;
  }

  async report(uri: string) {
    this.calls.push('report');
    const r = this.analysis(uri);
    return r && r.format ? r : null;
  }

  async map(uri: string, request: MapRequest): Promise<MapResult | Refused> {
    this.calls.push(`map ${typeof request.layer === 'string' ? request.layer : request.layer.join('+')} ${request.metric} ${request.padding ?? 'file'}${request.unit ? ` unit ${request.unit.join(',')}` : ''}`);
    const key = `${uri}\u0000${JSON.stringify(request)}`;
    const hit = this.maps.get(key);
    if (hit) return hit;
    const r = this.analysis(uri);
    if (!r) return { refused: 'no such document' };
    const out = request.unit ? this.unitMap(r, request) : this.layerMap(r, request);
    this.maps.set(key, out);
    return out;
  }

  private layerMap(r: AnalysisResult, request: MapRequest): MapResult | Refused {
    const m = influenceMap(r, request.layer, request.metric, request.padding ? { padding: request.padding } : {});
    if (isMapRefusal(m)) return m;
    const base = request.padding && r.session ? r.session.withPadding({ padModeOverride: request.padding }) : r.session!;
    return { ...m, metrics: base.metrics(m.layers) };
  }

  private unitMap(r: AnalysisResult, request: MapRequest): MapResult | Refused {
    const layer = request.layer === 'outputs' ? r.outputs[0] : Array.isArray(request.layer) ? request.layer[0] : request.layer;
    if (!r.graph || !layer) return { refused: 'no layer' };
    const unit = request.unit!;
    const graph = {
      ...r.graph,
      nodes: [...r.graph.nodes, { id: '__unit', name: '__unit', type: 'crop', inputs: [layer], spec: { op: 'crop' as const, offset: unit, size: unit.map(() => 1) }, origin: null }],
      outputs: ['__unit'],
    };
    const session = new ModelAnalysis(graph, r.session!.input, request.padding ? { padModeOverride: request.padding } : {});
    if (!session.has('__unit')) return { refused: `unit (${unit.join(', ')}) is outside layer ${layer}` };
    const cov = session.coverage(['__unit']);
    const shape = session.input;
    const lo = shape.map((n) => n);
    const hi = shape.map(() => -1);
    const coord = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < cov.length; i++) {
      if (cov[i]! > 0) {
        let rest = i;
        for (let a = shape.length - 1; a >= 0; a--) {
          coord[a] = rest % shape[a]!;
          rest = Math.floor(rest / shape[a]!);
        }
        coord.forEach((c, a) => {
          if (c < lo[a]!) lo[a] = c;
          if (c > hi[a]!) hi[a] = c;
        });
      }
    }
    let values: Float64Array;
    let peakLog10: number | null;
    if (request.metric === 'coverage') {
      values = cov;
      peakLog10 = hi[0]! >= 0 ? 0 : null;
    } else {
      const pm = session.pathMap(['__unit']);
      let max = 0;
      for (const v of pm.values) if (v > max) max = v;
      values = new Float64Array(pm.values.length);
      if (max > 0) for (let i = 0; i < values.length; i++) values[i] = pm.values[i]! / max;
      peakLog10 = max > 0 ? Math.log10(max) + pm.log2Scale * Math.log10(2) : null;
    }
    return { layers: [layer], metric: request.metric, shape: shape.slice(), values, peakLog10, metrics: null, field: { lo, hi } };
  }

  async depthProfile(uri: string, padding?: PadMode): Promise<DepthProfile | Refused> {
    this.calls.push(`depth ${padding ?? 'file'}`);
    const r = this.analysis(uri);
    if (!r?.session) return { refused: 'not analysed' };
    const session = padding ? r.session.withPadding({ padModeOverride: padding }) : r.session;
    const chain = r.session.ancestors(r.finalLayers).filter((id) => {
      const l = r.layers.find((x) => x.id === id);
      return l && l.output !== null && l.op !== 'input';
    });
    const limit = this.options.depthLayers ?? 64;
    const pick = chain.length <= limit ? chain : Array.from({ length: limit }, (_, i) => chain[Math.round((i * (chain.length - 1)) / (limit - 1))]!);
    const layers = [...new Set(pick)];
    const edgeRatio: Array<number | null> = [];
    const cornerRatio: Array<number | null> = [];
    for (const id of layers) {
      const m = pathMetrics(session.pathMap([id]));
      edgeRatio.push(m.edgeRatio);
      cornerRatio.push(m.cornerRatio);
    }
    void coverageMetrics;
    return { padding: padding ?? 'file', layers, edgeRatio, cornerRatio };
  }
}
