/**
 * The host side of the layer table without the editor API: turns the
 * document's latest report into the table's messages, fills in the edge
 * ratios layer by layer (each one map, computed in the worker and cached per
 * version), and answers the table's requests. provider.ts wires it to the
 * custom editor's webview.
 */
import type { AnalysisReport, LayerMetrics } from '../../core';
import { buildLayerTable, type SeverityName } from '../../shared/layerTable';
import type { HostToTable, TableToHost } from '../../shared/tableProtocol';
import type { Refused } from '../engineService';
import { mappableLayers } from '../panel/session';

/** What the table needs of the analyses (the Analyses service in the extension, a fake in tests). */
export interface TableEngine<U> {
  /** the latest report of the document (possibly of an older version while a new one runs); 'unclaimed' when no reader reads it; null while none is in */
  current(uri: U): { report: AnalysisReport; stamp: number; complete: boolean } | 'unclaimed' | null;
  /** metrics of one layer's own map, cached per document version */
  layerMetrics(uri: U, layer: string): Promise<LayerMetrics | Refused>;
}

export interface TableHooks {
  post(message: HostToTable): unknown;
  /** rfLens.edgeRatioThreshold of the document */
  edgeRatioThreshold(): number;
  /** the user's severity of a finding (undefined: off) */
  severity(code: string, severity: string): SeverityName | undefined;
  showMap(layer: string): void;
  selected(layer: string): void;
}

/** Edge ratios are sent in batches at most this often while they are computed. */
const EDGE_FLUSH_MS = 150;

export class TableSession<U> {
  private ready = false;
  private last: HostToTable | null = null;
  /** the version whose edge ratios are known or being computed */
  private edgeStamp = -1;
  private readonly edges = new Map<string, number | null | string>();
  private disposed = false;
  private selection: string | null = null;

  constructor(
    readonly uri: U,
    private readonly engine: TableEngine<U>,
    private readonly hooks: TableHooks,
  ) {}

  private post(m: HostToTable): void {
    if (m.type === 'table' || m.type === 'status') this.last = m;
    if (this.ready) this.hooks.post(m);
  }

  /** The document's report changed (or the settings): shows the latest table. */
  refresh(): void {
    const cur = this.engine.current(this.uri);
    if (cur === null) return this.post({ type: 'status', message: 'Reading the model…', busy: true });
    if (cur === 'unclaimed') return this.post({ type: 'status', message: 'No reader recognises this file as a model.', busy: false });
    const { report, stamp, complete } = cur;
    if (!report.layers.length) {
      const why = report.requestError ?? report.findings.find((f) => f.code === 'RFL100')?.message ?? 'The file defines no layer.';
      return this.post({ type: 'status', message: why, busy: false });
    }
    if (stamp !== this.edgeStamp) {
      this.edgeStamp = stamp;
      this.edges.clear();
    }
    const table = buildLayerTable(report, new Set(mappableLayers(report)), this.hooks.severity);
    for (const row of table.rows) {
      const e = this.edges.get(row.id);
      if (e === undefined) continue;
      if (typeof e === 'string') {
        row.edgeRatio = null;
        row.edgeNote = e;
      } else row.edgeRatio = e;
    }
    this.post({ type: 'table', table, partial: !complete, edgeRatioThreshold: this.hooks.edgeRatioThreshold() });
    void this.fillEdges(stamp, table.rows.filter((r) => r.mappable && r.edgeRatio === undefined).map((r) => r.id));
  }

  private filling = -1;

  /** Computes the edge ratio of every layer that has a map, one at a time (the worker answers other requests between them). */
  private async fillEdges(stamp: number, layers: string[]): Promise<void> {
    if (this.filling === stamp) return;
    this.filling = stamp;
    let batch: Record<string, number | null | string> = {};
    let flushed = Date.now();
    const flush = () => {
      if (Object.keys(batch).length) this.post({ type: 'edges', edges: batch });
      batch = {};
      flushed = Date.now();
    };
    for (const id of layers) {
      if (this.disposed || this.edgeStamp !== stamp) return;
      if (this.edges.has(id)) continue;
      const m = await this.engine.layerMetrics(this.uri, id).catch((e: Error) => ({ refused: e.message }));
      if (this.disposed || this.edgeStamp !== stamp) return;
      const value = 'refused' in m ? m.refused : m.edgeRatio;
      this.edges.set(id, value);
      batch[id] = value;
      if (Date.now() - flushed >= EDGE_FLUSH_MS) flush();
    }
    flush();
    if (this.filling === stamp) this.filling = -1;
  }

  /** A message instead of the table (the file is excluded from the analysis). */
  notice(message: string): void {
    this.post({ type: 'status', message, busy: false });
  }

  /** The panel moved to a layer: select its row. */
  select(layer: string): void {
    this.selection = layer;
    this.post({ type: 'select', layer });
  }

  handle(m: TableToHost): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.last) this.hooks.post(this.last);
        else this.refresh();
        if (this.edges.size) this.hooks.post({ type: 'edges', edges: Object.fromEntries(this.edges) });
        if (this.selection) this.hooks.post({ type: 'select', layer: this.selection });
        return;
      case 'showMap':
        this.hooks.showMap(m.layer);
        return;
      case 'selected':
        this.selection = m.layer;
        this.hooks.selected(m.layer);
        return;
    }
  }

  dispose(): void {
    this.disposed = true;
  }
}
