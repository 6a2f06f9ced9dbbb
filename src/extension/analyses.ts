/**
 * The EngineService: every document's latest analysis, computed in the worker.
 * Per document at most one analysis is in flight; an edit while one runs
 * cancels its map-based pass and starts the newest text when the worker is
 * free. Results of a text or settings that are no longer current are never
 * published.
 */
import * as vscode from 'vscode';
import type { AnalysisReport, Finding, LayerMetrics, PadMode } from '../core';
import type { RflConfig } from './config';
import { fileNameOf, keyOf, toEngineDocument, type EngineDocument } from './documents';
import type { DepthProfile, EngineService, MapRequest, MapResult, Refused } from './engineService';
import type { AnalysisSettings, PlainReport } from './worker/messages';
import type { Logger, WorkerClient } from './workerClient';

export interface Entry {
  key: string;
  uri: vscode.Uri;
  /** bumped by every change of text, settings or a dependency; results of an older stamp are stale */
  stamp: number;
  /** the stamp the report belongs to */
  reportStamp: number;
  report: PlainReport | null;
  /** false: no reader claims the document; undefined: not known yet */
  claimed: boolean | undefined;
  /** the map-based findings are in */
  complete: boolean;
  inflight: { id: number; stamp: number } | null;
  again: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  waiters: Array<() => void>;
  /** an open document (else a file read from disk by the workspace pass) */
  open: boolean;
  metrics: Map<string, Promise<LayerMetrics | Refused>>;
  timings: { fieldsMs?: number; completeMs?: number; editToFields?: number; editToComplete?: number; changedAt?: number };
}

let stampCounter = 0;

export class Analyses implements EngineService, vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChangeReport = this.changed.event;
  private readonly languageSwitch = new vscode.EventEmitter<{ uri: vscode.Uri; format: string }>();
  /** A document whose language VS Code guessed wrongly (a Darknet .cfg opened as 'properties'). */
  readonly onDidRecogniseFormat = this.languageSwitch.event;

  constructor(
    private readonly client: WorkerClient,
    private config: () => RflConfig,
    private readonly log: Logger,
  ) {}

  get(uri: vscode.Uri): Entry | undefined {
    return this.entries.get(keyOf(uri));
  }

  all(): Entry[] {
    return [...this.entries.values()];
  }

  private entry(uri: vscode.Uri, open: boolean): Entry {
    const key = keyOf(uri);
    let e = this.entries.get(key);
    if (!e) {
      e = {
        key,
        uri,
        stamp: ++stampCounter,
        reportStamp: 0,
        report: null,
        claimed: undefined,
        complete: false,
        inflight: null,
        again: false,
        timer: undefined,
        waiters: [],
        open,
        metrics: new Map(),
        timings: {},
      };
      this.entries.set(key, e);
    }
    if (open) e.open = true;
    return e;
  }

  settings(uri: vscode.Uri): AnalysisSettings {
    const c = this.config();
    void uri;
    const s: AnalysisSettings = { defaultInput: c.defaultInputSize, edgeRatioThreshold: c.edgeRatioThreshold, severities: {} };
    if (c.paddingWhatIf !== 'file') s.padding = c.paddingWhatIf;
    return s;
  }

  /** The text of a document: the open editor's, else the file's through workspace.fs. */
  private async text(e: Entry): Promise<EngineDocument | null> {
    const doc = vscode.workspace.textDocuments.find((d) => keyOf(d.uri) === e.key);
    if (doc) return toEngineDocument(doc);
    try {
      const bytes = await vscode.workspace.fs.readFile(e.uri);
      return { key: e.key, fileName: fileNameOf(e.uri), languageId: '', text: new TextDecoder('utf-8').decode(bytes) };
    } catch (err) {
      this.log.warn(`cannot read ${e.uri.toString(true)}: ${(err as Error).message}`);
      return null;
    }
  }

  /** Something changed (text, settings, a dependency): analyse again after `delay` ms. */
  invalidate(uri: vscode.Uri, open: boolean, delay = 0): Entry {
    const e = this.entry(uri, open);
    e.stamp = ++stampCounter;
    e.complete = false;
    e.metrics.clear();
    e.timings.changedAt = performance.now();
    if (e.timer) clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      e.timer = undefined;
      void this.run(e);
    }, delay);
    // the running analysis is stale now: skip its map-based pass
    if (e.inflight) this.client.cancel(e.inflight.id);
    return e;
  }

  private async run(e: Entry): Promise<void> {
    if (e.inflight) {
      e.again = true;
      this.client.cancel(e.inflight.id);
      return;
    }
    if (this.entries.get(e.key) !== e) return;
    const stamp = e.stamp;
    e.inflight = { id: -1, stamp };
    const doc = await this.text(e);
    if (!doc || this.entries.get(e.key) !== e) {
      e.inflight = null;
      this.settle(e);
      return;
    }
    const id = this.client.analyze(
      { key: e.key, version: stamp, fileName: doc.fileName, languageId: doc.languageId, text: doc.text, settings: this.settings(e.uri) },
      (r) => {
        const current = this.entries.get(e.key) === e && e.stamp === stamp;
        switch (r.kind) {
          case 'unclaimed':
            if (current) {
              e.claimed = false;
              e.report = null;
              e.reportStamp = stamp;
              e.complete = true;
              this.changed.fire(e.uri);
            }
            break;
          case 'fields':
            if (current) {
              e.claimed = true;
              e.report = r.report;
              e.reportStamp = stamp;
              e.timings.fieldsMs = r.ms;
              if (e.timings.changedAt !== undefined) e.timings.editToFields = performance.now() - e.timings.changedAt;
              if (r.report.format && doc.languageId && doc.languageId !== r.report.format) {
                this.languageSwitch.fire({ uri: e.uri, format: r.report.format });
              }
              this.changed.fire(e.uri);
            }
            return; // still in flight
          case 'complete':
            if (current && e.report) {
              e.report = { ...e.report, findings: r.findings, metrics: { ...e.report.metrics, ...r.metrics } };
              e.complete = true;
              e.timings.completeMs = r.ms;
              if (e.timings.changedAt !== undefined) e.timings.editToComplete = performance.now() - e.timings.changedAt;
              this.changed.fire(e.uri);
            }
            break;
          case 'cancelled':
            break;
          case 'error':
            this.log.error(`analysis of ${e.uri.toString(true)} failed: ${r.message}`);
            if (current) e.complete = true;
            break;
        }
        e.inflight = null;
        if (e.again || e.stamp !== stamp) {
          e.again = false;
          if (!e.timer && this.entries.get(e.key) === e) void this.run(e);
        } else this.settle(e);
      },
    );
    e.inflight = { id, stamp };
  }

  private settle(e: Entry): void {
    const w = e.waiters.splice(0);
    for (const f of w) f();
  }

  /** Resolves when the document's analysis of its current text and settings is complete. */
  whenComplete(e: Entry): Promise<void> {
    if (e.complete && e.reportStamp === e.stamp && !e.inflight && !e.timer) return Promise.resolve();
    return new Promise((resolve) => e.waiters.push(resolve));
  }

  /** Forgets a document (closed, deleted, excluded). */
  forget(uri: vscode.Uri): void {
    const e = this.entries.get(keyOf(uri));
    if (!e) return;
    if (e.timer) clearTimeout(e.timer);
    if (e.inflight) this.client.cancel(e.inflight.id);
    this.entries.delete(e.key);
    this.settle(e);
    void this.client.query({ kind: 'forget', key: e.key }).catch(() => undefined);
    this.changed.fire(uri);
  }

  findings(uri: vscode.Uri): Finding[] {
    return this.get(uri)?.report?.findings ?? [];
  }

  // ---- EngineService ----

  async report(uri: vscode.Uri): Promise<AnalysisReport | null> {
    let e = this.get(uri);
    if (!e) {
      const open = vscode.workspace.textDocuments.some((d) => keyOf(d.uri) === keyOf(uri));
      e = this.invalidate(uri, open);
    }
    await this.whenComplete(e);
    return (e.claimed === false ? null : (e.report as AnalysisReport | null)) ?? null;
  }

  /** The report of the current text as soon as its fields are known (the map-based findings may follow). */
  async fieldsReport(uri: vscode.Uri): Promise<{ report: PlainReport; stamp: number } | null> {
    const e = this.get(uri);
    if (e?.report && e.reportStamp === e.stamp) return { report: e.report, stamp: e.stamp };
    const r = await this.report(uri);
    const e2 = this.get(uri);
    return r && e2 ? { report: e2.report!, stamp: e2.reportStamp } : null;
  }

  async map(uri: vscode.Uri, request: MapRequest): Promise<MapResult | Refused> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.report(uri);
      const e = this.get(uri);
      if (!r || !e) return { refused: 'no model in this document' };
      const q: { kind: 'map'; key: string; version: number; layer: MapRequest['layer']; metric: MapRequest['metric']; padding?: PadMode; unit?: number[] } = {
        kind: 'map',
        key: e.key,
        version: e.reportStamp,
        layer: request.layer,
        metric: request.metric,
      };
      if (request.padding) q.padding = request.padding;
      if (request.unit) q.unit = request.unit;
      const res = await this.client.query(q);
      if (res.kind !== 'map') continue;
      if ('refused' in res.result && e.stamp !== e.reportStamp) continue; // changed meanwhile
      return res.result as MapResult | Refused;
    }
    return { refused: 'the document keeps changing' };
  }

  /** Metrics of one layer (its own map), cached per document version. */
  layerMetrics(uri: vscode.Uri, layer: string): Promise<LayerMetrics | Refused> {
    const e = this.get(uri);
    if (!e || !e.report) return Promise.resolve({ refused: 'not analysed' });
    const known = e.report.metrics[layer];
    if (known) return Promise.resolve(known);
    let p = e.metrics.get(layer);
    if (!p) {
      const stamp = e.reportStamp;
      p = this.client
        .query({ kind: 'metrics', key: e.key, version: stamp, layers: [layer] })
        .then((res) => {
          if (res.kind !== 'metrics') return { refused: 'no answer' };
          if ('refused' in res.result) {
            e.metrics.delete(layer); // may be a version race: ask again next time
            return res.result as Refused;
          }
          return (res.result as Record<string, LayerMetrics>)[layer] ?? { refused: `layer ${layer} has no map` };
        })
        .catch((err: Error) => ({ refused: err.message }));
      e.metrics.set(layer, p);
    }
    return p;
  }

  async depthProfile(uri: vscode.Uri, padding?: PadMode): Promise<DepthProfile | Refused> {
    const r = await this.report(uri);
    const e = this.get(uri);
    if (!r || !e) return { refused: 'no model in this document' };
    const q: { kind: 'depthProfile'; key: string; version: number; padding?: PadMode } = { kind: 'depthProfile', key: e.key, version: e.reportStamp };
    if (padding) q.padding = padding;
    const res = await this.client.query(q);
    return res.kind === 'depthProfile' ? (res.result as DepthProfile | Refused) : { refused: 'no answer' };
  }

  dispose(): void {
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
    this.changed.dispose();
    this.languageSwitch.dispose();
  }
}
