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
import { keyOf, type EngineDocument } from './documents';
import type { DepthProfile, EngineService, MapRequest, MapResult, Refused } from './engineService';
import { isBinaryModel, readModelContent } from './modelSource';
import type { FileTexts } from './worker/importRounds';
import type { AnalysisSettings, PlainReport, ReaderInfo } from './worker/messages';
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
  /** the stamp whose map-based findings are in */
  mapsStamp: number;
  /** map-based findings that came before their fields pass */
  early: { stamp: number; findings: Finding[]; metrics: Record<string, LayerMetrics> } | null;
  lanes: Record<Lane, { inflight: { id: number; stamp: number } | null; again: boolean }>;
  /** the text of the latest run, read once for both lanes (a binary model's bytes: once per lane, they move to its worker) */
  text: { stamp: number; doc: Promise<EngineDocument | null> } | null;
  timer: ReturnType<typeof setTimeout> | undefined;
  waiters: Array<() => void>;
  /** an open document (else a file read from disk by the workspace pass) */
  open: boolean;
  metrics: Map<string, Promise<LayerMetrics | Refused>>;
  timings: { fieldsMs?: number; completeMs?: number; editToFields?: number; editToComplete?: number; changedAt?: number };
}

/**
 * What an analysis needs besides the document's text and settings, supplied
 * by the context: the model the user chose, the files the model imports
 * (importFiles.ts) and the reader options that come from them.
 */
export interface AnalysisInputs {
  forRequest(uri: vscode.Uri): Promise<{ model?: string; files?: FileTexts; readerOptions?: Record<string, string> }>;
  /** the files a reader wants (imports) while it analyses the document */
  load(uri: vscode.Uri, paths: string[]): Promise<FileTexts>;
  /** the files the document's latest analysis read */
  read(uri: vscode.Uri, dependencies: readonly string[]): void;
  /** the document is no longer analysed */
  forget(uri: vscode.Uri): void;
}

let stampCounter = 0;

type Lane = 'fields' | 'maps';
const LANES: Lane[] = ['fields', 'maps'];

/** The analysis of the current text and settings is in, map-based findings included. */
export function isComplete(e: Entry): boolean {
  if (e.timer || e.reportStamp !== e.stamp) return false;
  return e.claimed === false || e.mapsStamp === e.stamp;
}

export class Analyses implements EngineService, vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChangeReport = this.changed.event;
  private readonly languageSwitch = new vscode.EventEmitter<{ uri: vscode.Uri; format: string }>();
  /** set by the context: the chosen model and imported files of each analysis */
  inputs: AnalysisInputs | null = null;
  /** A document whose language VS Code guessed wrongly (a Darknet .cfg opened as 'properties'). */
  readonly onDidRecogniseFormat = this.languageSwitch.event;

  /**
   * `client` runs the fields passes and answers maps, metrics and hovers;
   * `maps` runs the full passes (the map-based findings) in a second worker.
   */
  constructor(
    private readonly client: WorkerClient,
    private readonly mapsClient: WorkerClient,
    private config: (uri?: vscode.Uri) => RflConfig,
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
        mapsStamp: 0,
        early: null,
        lanes: { fields: { inflight: null, again: false }, maps: { inflight: null, again: false } },
        text: null,
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
    const c = this.config(uri);
    const s: AnalysisSettings = { defaultInput: c.defaultInputSize, edgeRatioThreshold: c.edgeRatioThreshold, severities: {} };
    if (c.paddingWhatIf !== 'file') s.padding = c.paddingWhatIf;
    return s;
  }

  private readerList: Promise<ReaderInfo[]> | null = null;

  /** The readers the worker has (their extensions, which read bytes), asked once. */
  readers(): Promise<ReaderInfo[]> {
    if (!this.readerList) {
      this.readerList = this.client.query({ kind: 'readers' }).then((r) => (r.kind === 'readers' ? r.readers : []));
      this.readerList.catch(() => (this.readerList = null));
    }
    return this.readerList;
  }

  /** A document's model: the open editor's text, else the file's through workspace.fs (bytes for a binary format). */
  private async text(e: Entry): Promise<EngineDocument | null> {
    const binary = isBinaryModel(e.uri, await this.readers().catch(() => []));
    return readModelContent(e.uri, binary, this.log);
  }

  /** Something changed (text, settings, a dependency): analyse again after `delay` ms. */
  invalidate(uri: vscode.Uri, open: boolean, delay = 0): Entry {
    const e = this.entry(uri, open);
    e.stamp = ++stampCounter;
    e.metrics.clear();
    e.timings.changedAt = performance.now();
    if (e.timer) clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      e.timer = undefined;
      void this.run(e);
    }, delay);
    // the running map pass is stale now: skip it if it has not started
    const m = e.lanes.maps.inflight;
    if (m) this.mapsClient.cancel(m.id);
    return e;
  }

  private run(e: Entry): void {
    for (const lane of LANES) void this.runLane(e, lane);
  }

  private async textFor(e: Entry, stamp: number): Promise<EngineDocument | null> {
    // bytes move to the lane's worker (detached here), so each lane reads its own, both at once
    if (isBinaryModel(e.uri, await this.readers().catch(() => []))) return readModelContent(e.uri, true, this.log);
    if (!e.text || e.text.stamp !== stamp) e.text = { stamp, doc: this.text(e) };
    return e.text.doc;
  }

  /** One lane's analysis of the entry's current text; at most one in flight per document and lane. */
  private async runLane(e: Entry, lane: Lane): Promise<void> {
    const state = e.lanes[lane];
    const client = lane === 'fields' ? this.client : this.mapsClient;
    if (state.inflight) {
      state.again = true;
      if (lane === 'maps') client.cancel(state.inflight.id);
      return;
    }
    if (this.entries.get(e.key) !== e) return;
    const stamp = e.stamp;
    state.inflight = { id: -1, stamp };
    const doc = await this.textFor(e, stamp);
    const inputs = doc && this.inputs ? await this.inputs.forRequest(e.uri) : {};
    if (!doc || this.entries.get(e.key) !== e) {
      state.inflight = null;
      if (!doc && e.stamp === stamp) {
        // unreadable: nothing to show
        e.claimed = false;
        e.report = null;
        e.reportStamp = e.mapsStamp = stamp;
        this.changed.fire(e.uri);
      }
      this.settle(e);
      return;
    }
    const settings = this.settings(e.uri);
    if (inputs.readerOptions) settings.readerOptions = inputs.readerOptions;
    const id = client.analyze(
      {
        key: e.key,
        version: stamp,
        fileName: doc.fileName,
        languageId: doc.languageId,
        ...(doc.bytes ? { bytes: doc.bytes } : { text: doc.text ?? '' }),
        settings,
        ...(inputs.model ? { model: inputs.model } : {}),
        ...(inputs.files ? { files: inputs.files } : {}),
      },
      (r) => {
        const current = this.entries.get(e.key) === e && e.stamp === stamp;
        switch (r.kind) {
          case 'unclaimed':
            if (current) {
              const was = e.claimed;
              e.claimed = false;
              e.report = null;
              e.reportStamp = e.mapsStamp = stamp;
              if (was !== false || lane === 'fields') this.changed.fire(e.uri);
            }
            break;
          case 'fields':
            if (current) {
              e.claimed = true;
              e.report = r.report;
              this.inputs?.read(e.uri, r.dependencies ?? []);
              e.reportStamp = stamp;
              e.timings.fieldsMs = r.ms;
              if (e.timings.changedAt !== undefined) e.timings.editToFields = performance.now() - e.timings.changedAt;
              if (r.report.format && doc.languageId && doc.languageId !== r.report.format) {
                this.languageSwitch.fire({ uri: e.uri, format: r.report.format });
              }
              if (e.early?.stamp === stamp) this.merge(e, e.early.findings, e.early.metrics);
              e.early = null;
              this.changed.fire(e.uri);
            }
            break;
          case 'complete':
            if (current) {
              e.mapsStamp = stamp;
              e.timings.completeMs = r.ms;
              if (e.timings.changedAt !== undefined) e.timings.editToComplete = performance.now() - e.timings.changedAt;
              if (e.report && e.reportStamp === stamp) {
                this.merge(e, r.findings, r.metrics);
                this.changed.fire(e.uri);
              } else e.early = { stamp, findings: r.findings, metrics: r.metrics };
            }
            break;
          case 'cancelled':
            break;
          case 'error':
            this.log.error(`analysis (${lane}) of ${e.uri.toString(true)} failed: ${r.message}`);
            if (current && lane === 'maps') e.mapsStamp = stamp;
            if (current && lane === 'fields' && !e.report) {
              e.reportStamp = e.mapsStamp = stamp;
              e.claimed = false;
            }
            break;
        }
        state.inflight = null;
        if (state.again || e.stamp !== stamp) {
          state.again = false;
          if (!e.timer && this.entries.get(e.key) === e) void this.runLane(e, lane);
        } else this.settle(e);
      },
      this.inputs ? (paths) => this.inputs!.load(e.uri, paths) : undefined,
    );
    state.inflight = { id, stamp };
  }

  private merge(e: Entry, findings: Finding[], metrics: Record<string, LayerMetrics>): void {
    e.report = { ...e.report!, findings, metrics: { ...e.report!.metrics, ...metrics } };
  }

  private settle(e: Entry): void {
    if (!isComplete(e) && this.entries.get(e.key) === e) return;
    const w = e.waiters.splice(0);
    for (const f of w) f();
  }

  /** The document's analysis of its current text and settings is complete. */
  idle(uri: vscode.Uri): boolean {
    const e = this.get(uri);
    return !!e && isComplete(e);
  }

  /** Resolves when the document's analysis of its current text and settings is complete. */
  whenComplete(e: Entry): Promise<void> {
    if (isComplete(e)) return Promise.resolve();
    return new Promise((resolve) => e.waiters.push(resolve));
  }

  /** Forgets a document (closed, deleted, excluded). */
  forget(uri: vscode.Uri): void {
    const e = this.entries.get(keyOf(uri));
    if (!e) return;
    if (e.timer) clearTimeout(e.timer);
    const m = e.lanes.maps.inflight;
    if (m) this.mapsClient.cancel(m.id);
    this.entries.delete(e.key);
    this.inputs?.forget(uri);
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
