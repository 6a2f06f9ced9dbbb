/**
 * A small stand-in for the editor glue's EngineService, over the engine's
 * public entry (openModel and its handle), for the panel's tests only: no
 * worker, no vscode, documents named by strings. Pure, so the webview tests
 * bundle it into the browser page together with the panel's host session.
 */
import { isRefusal, openModel, type ModelHandle, type PadMode } from '../../src/core';
import type { DepthProfile, MapRequest, MapResult, Refused } from '../../src/extension/engineService';
import type { PanelEngine } from '../../src/extension/panel/session';

export interface FakeEngineOptions {
  /** most layers a depth profile shows (evenly spaced; the last always included) */
  depthLayers?: number;
  input?: number | number[];
}

export class FakeEngine implements PanelEngine<string> {
  private readonly texts = new Map<string, string>();
  private readonly models = new Map<string, ModelHandle>();
  private readonly maps = new Map<string, MapResult | Refused>();
  private readonly listeners: Array<(uri: string) => void> = [];
  readonly calls: string[] = [];

  constructor(private readonly options: FakeEngineOptions = {}) {}

  setText(uri: string, text: string): void {
    this.texts.set(uri, text);
    this.models.delete(uri);
    for (const k of [...this.maps.keys()]) if (k.startsWith(`${uri}\u0000`)) this.maps.delete(k);
    for (const l of this.listeners) l(uri);
  }

  onDidChangeReport(listener: (uri: string) => void): { dispose(): void } {
    this.listeners.push(listener);
    return { dispose: () => this.listeners.splice(this.listeners.indexOf(listener), 1) };
  }

  private model(uri: string): ModelHandle | null {
    let m = this.models.get(uri);
    if (m) return m;
    const text = this.texts.get(uri);
    if (text === undefined) return null;
    m = openModel({ fileName: uri.replace(/^.*[\\/]/, ''), text }, this.options.input !== undefined ? { input: this.options.input } : {});
    this.models.set(uri, m);
    return m;
  }

  async report(uri: string) {
    this.calls.push('report');
    const r = this.model(uri)?.report ?? null;
    return r && r.format ? r : null;
  }

  async map(uri: string, request: MapRequest): Promise<MapResult | Refused> {
    this.calls.push(`map ${typeof request.layer === 'string' ? request.layer : request.layer.join('+')} ${request.metric} ${request.padding ?? 'file'}${request.unit ? ` unit ${request.unit.join(',')}` : ''}`);
    const key = `${uri}\u0000${JSON.stringify(request)}`;
    const hit = this.maps.get(key);
    if (hit) return hit;
    const model = this.model(uri);
    if (!model) return { refused: 'no such document' };
    const padding = request.padding ? { padding: request.padding } : {};
    const layer = request.unit && request.layer === 'outputs' ? model.report.outputs[0]! : request.layer;
    const m = model.map(layer, request.metric, { ...padding, ...(request.unit ? { unit: request.unit } : {}) });
    let out: MapResult | Refused;
    if (isRefusal(m)) out = m;
    else if (request.unit) {
      const field = model.unitField(m.layers[0]!, request.unit);
      out = { ...m, metrics: null, ...(isRefusal(field) ? {} : { field }) };
    } else {
      const metrics = model.metrics(m.layers, padding);
      out = { ...m, metrics: isRefusal(metrics) ? null : metrics };
    }
    this.maps.set(key, out);
    return out;
  }

  async depthProfile(uri: string, padding?: PadMode): Promise<DepthProfile | Refused> {
    this.calls.push(`depth ${padding ?? 'file'}`);
    const model = this.model(uri);
    if (!model) return { refused: 'not analysed' };
    const p = model.depthProfile(padding ? { padding } : {});
    if (isRefusal(p)) return p;
    const limit = this.options.depthLayers ?? 64;
    if (p.layers.length <= limit) return { padding: padding ?? 'file', ...p };
    const pick = [...new Set(Array.from({ length: limit }, (_, i) => Math.round((i * (p.layers.length - 1)) / (limit - 1))))];
    return {
      padding: padding ?? 'file',
      layers: pick.map((i) => p.layers[i]!),
      edgeRatio: pick.map((i) => p.edgeRatio[i]!),
      cornerRatio: pick.map((i) => p.cornerRatio[i]!),
    };
  }
}
