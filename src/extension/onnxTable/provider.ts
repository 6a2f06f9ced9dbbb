/**
 * The ONNX layer table: a read-only custom editor for `*.onnx` (binary, so
 * no text editor can show it). It analyses the file's bytes in the worker
 * like any model (diagnostics, the influence map), shows one row per layer
 * with a button that opens the influence map there, re-analyses when the
 * file changes on disk, and selects the row of the layer the panel moves to.
 * After a reload VS Code opens the editor again through this provider; the
 * webview restores its sort, filter and selection itself.
 */
import * as vscode from 'vscode';
import type { Analyses } from '../analyses';
import { isComplete } from '../analyses';
import { diagnosticSeverity, type RflConfig } from '../config';
import { isExcluded } from '../documents';
import { ONNX_TABLE_VIEW_TYPE, type ModelViews } from '../modelViews';
import { makeNonce, panelHtml } from '../panel/html';
import type { LayerTable, SeverityName } from '../../shared/layerTable';
import type { HostToTable, TableToHost } from '../../shared/tableProtocol';
import { TableSession, type TableEngine } from './session';

export interface OnnxTableDeps {
  extension: vscode.ExtensionContext;
  analyses: Analyses;
  views: ModelViews;
  config(uri: vscode.Uri): RflConfig;
  log: vscode.LogOutputChannel;
  /** "Show influence map" on a row */
  showMap(uri: vscode.Uri, layer: string): void;
  /** a row was selected: the panel follows when it shows this file */
  selected(uri: vscode.Uri, layer: string): void;
  /** the last editor of the file closed */
  closed(uri: vscode.Uri): void;
}

/** What the integration tests see of the open tables. */
export interface OnnxTableProbe {
  /** messages posted to the tables (type and, for a table, its row ids) */
  readonly posted: Array<{ uri: string; type: string; rows?: string[]; layer?: string; partial?: boolean; edges?: number }>;
  /** the last table sent for each file (by uri string) */
  readonly tables: Map<string, { table: LayerTable; partial: boolean }>;
  /** handles a message as if the table of `uri` had sent it */
  receive(uri: vscode.Uri, message: TableToHost): void;
}

class OnnxDocument implements vscode.CustomDocument {
  constructor(
    readonly uri: vscode.Uri,
    private readonly onDispose: () => void,
  ) {}
  dispose(): void {
    this.onDispose();
  }
}

export function registerOnnxTable(deps: OnnxTableDeps): { probe: OnnxTableProbe } & vscode.Disposable {
  const { analyses, log } = deps;
  const dist = vscode.Uri.joinPath(deps.extension.extensionUri, 'dist');
  const sessions = new Set<TableSession<vscode.Uri>>();
  const posted: OnnxTableProbe['posted'] = [];
  const tables: OnnxTableProbe['tables'] = new Map();

  const engine: TableEngine<vscode.Uri> = {
    current(uri) {
      const e = analyses.get(uri);
      if (!e) return null;
      if (e.claimed === false && e.reportStamp === e.stamp) return 'unclaimed';
      if (!e.report) return null;
      return { report: e.report, stamp: e.reportStamp, complete: isComplete(e) };
    },
    layerMetrics: (uri, layer) => analyses.layerMetrics(uri, layer),
  };

  const severity = (uri: vscode.Uri) => (code: string, dflt: string): SeverityName | undefined => {
    const name = (deps.config(uri).severity as Record<string, string>)[code] ?? dflt;
    return diagnosticSeverity(name) === null ? undefined : (name as SeverityName);
  };

  const provider: vscode.CustomReadonlyEditorProvider<OnnxDocument> = {
    openCustomDocument(uri) {
      const excluded = isExcluded(uri, deps.config(uri));
      const disposables: vscode.Disposable[] = [];
      if (!excluded) {
        analyses.invalidate(uri, true);
        // its own watcher: the file may lie outside the workspace, which the workspace's watcher does not see
        const folder = vscode.Uri.joinPath(uri, '..');
        const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, uri.path.split('/').pop()!));
        const changed = () => analyses.invalidate(uri, true, 100);
        disposables.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed));
      }
      return new OnnxDocument(uri, () => {
        for (const d of disposables) d.dispose();
        if (!excluded) deps.closed(uri);
      });
    },

    resolveCustomEditor(document, panel) {
      const uri = document.uri;
      panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
      panel.webview.html = panelHtml({
        cspSource: panel.webview.cspSource,
        nonce: makeNonce(),
        scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'table.js')).toString(),
        styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'table.css')).toString(),
        title: 'ONNX layers',
      });
      const session = new TableSession<vscode.Uri>(uri, engine, {
        post: (m: HostToTable) => {
          posted.push({
            uri: uri.toString(),
            type: m.type,
            ...(m.type === 'table' ? { rows: m.table.rows.map((r) => r.id), partial: m.partial } : {}),
            ...(m.type === 'select' ? { layer: m.layer } : {}),
            ...(m.type === 'edges' ? { edges: Object.keys(m.edges).length } : {}),
          });
          if (posted.length > 500) posted.splice(0, 100);
          if (m.type === 'table') tables.set(uri.toString(), { table: m.table, partial: m.partial });
          return panel.webview.postMessage(m);
        },
        severity: severity(uri),
        edgeRatioThreshold: () => deps.config(uri).edgeRatioThreshold,
        showMap: (layer) => deps.showMap(uri, layer),
        selected: (layer) => deps.selected(uri, layer),
      });
      sessions.add(session);
      const disposables: vscode.Disposable[] = [
        panel.webview.onDidReceiveMessage((m: TableToHost) => {
          try {
            session.handle(m);
          } catch (e) {
            log.error(`layer table: ${(e as Error).stack ?? e}`);
          }
        }),
        analyses.onDidChangeReport((u) => {
          if (u.toString() === uri.toString()) session.refresh();
        }),
        // severities change without a new analysis
        vscode.workspace.onDidChangeConfiguration((ev) => {
          if (ev.affectsConfiguration('rfLens', uri)) setTimeout(() => session.refresh(), 0);
        }),
        deps.views.registerTable(uri, { select: (layer) => session.select(layer) }),
      ];
      panel.onDidDispose(() => {
        session.dispose();
        sessions.delete(session);
        for (const d of disposables) d.dispose();
      });
      if (isExcluded(uri, deps.config(uri))) session.notice('This file is excluded from the analysis (files.exclude or rfLens.exclude).');
      else session.refresh();
    },
  };

  const registration = vscode.window.registerCustomEditorProvider(ONNX_TABLE_VIEW_TYPE, provider, {
    supportsMultipleEditorsPerDocument: true,
    webviewOptions: { retainContextWhenHidden: false },
  });
  const probe: OnnxTableProbe = {
    posted,
    tables,
    receive(uri, message) {
      for (const s of sessions) if (s.uri.toString() === uri.toString()) s.handle(message);
    },
  };
  return { probe, dispose: () => registration.dispose() };
}
