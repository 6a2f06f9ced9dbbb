/**
 * "Receptive Field Lens: Show Influence Map": one panel beside the editor
 * that follows the active model file, updates while it is edited (the last
 * good picture stays while the text does not parse), reveals the layer's line
 * when the slider moves, selects the layer under the editor's cursor, applies
 * remedies as edits the user can undo, exports the view, and comes back after
 * a reload (WebviewPanelSerializer). The protocol work is PanelSession's;
 * this file is the editor glue around it.
 */
import * as vscode from 'vscode';
import type { EngineService } from '../engineService';
import type { ModelViewsApi } from '../modelViews';
import type { HostToPanel, PanelToHost, ViewState } from '../../shared/protocol';
import { makeNonce, panelHtml } from './html';
import { PanelSession } from './session';

export const VIEW_TYPE = 'rfLens.influenceMap';

const CHANGE_DEBOUNCE_MS = 250;
const CURSOR_DEBOUNCE_MS = 120;

export interface InfluencePanelApi {
  show(uri: vscode.Uri, layer?: string): void;
  /** selects a layer when the panel is open on this model (a row of the ONNX table was selected) */
  selectIfShown(uri: vscode.Uri, layer: string): void;
}

/** What the integration tests can see of the panel (the returned object carries it as its probe member). */
export interface InfluencePanelProbe {
  /** the messages sent to the panel, without their arrays: type, and layer/seq where they have one */
  readonly posted: Array<{ type: string; uri?: string; layer?: string; layers?: string[]; seq?: number; padding?: string }>;
  /** the host session of the open panel */
  session(): PanelSession<vscode.Uri> | null;
  /** handles a message as if the panel had sent it */
  receive(message: PanelToHost): Promise<void>;
}

interface Live {
  panel: vscode.WebviewPanel;
  session: PanelSession<vscode.Uri>;
  disposables: vscode.Disposable[];
}

/** `views`: where models are shown besides text editors (the ONNX table); the panel follows the active one and reveals layers there. */
export function registerInfluencePanel(context: vscode.ExtensionContext, engine: EngineService, log: vscode.LogOutputChannel, views?: ModelViewsApi): InfluencePanelApi {
  let live: Live | null = null;
  const posted: InfluencePanelProbe['posted'] = [];
  /** set while the panel itself moves the editor's cursor, so the move is not echoed back */
  let revealing = 0;
  let changeTimer: ReturnType<typeof setTimeout> | undefined;
  let cursorTimer: ReturnType<typeof setTimeout> | undefined;
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');

  const sameDoc = (a: vscode.Uri | null | undefined, b: vscode.Uri) => !!a && a.toString() === b.toString();
  /** the active model changed: a text editor's document, or (with `views`) an ONNX table's file */
  const activeModelChanged: vscode.Event<vscode.Uri> =
    views?.onDidChangeActive ?? ((f) => vscode.window.onDidChangeActiveTextEditor((ed) => (ed ? f(ed.document.uri) : undefined)));

  function editorFor(uri: vscode.Uri): vscode.TextEditor | undefined {
    return vscode.window.visibleTextEditors.find((e) => sameDoc(e.document.uri, uri));
  }

  function setup(panel: vscode.WebviewPanel, uri: vscode.Uri | null, state: ViewState | undefined, layer?: string): Live {
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    const nonce = makeNonce();
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      nonce,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
    const session = new PanelSession<vscode.Uri>(engine, {
      post: (m: HostToPanel) => {
        posted.push({
          type: m.type,
          ...(m.type === 'model' ? { uri: m.model.uri } : {}),
          ...(m.type === 'select' ? { layer: m.layer } : {}),
          ...(m.type === 'remedies' ? { layer: m.layer } : {}),
          ...(m.type === 'map' ? { layers: m.map.layers, seq: m.seq, padding: m.padding } : {}),
        });
        if (posted.length > 500) posted.splice(0, 100);
        return panel.webview.postMessage(m);
      },
      reveal: (l) => {
        const doc = session.document;
        if (doc && views?.revealInTable(doc, l.id)) return;
        if (!doc || !l.range) return;
        const editor = editorFor(doc);
        if (!editor) return;
        const start = new vscode.Position(l.range.start.line, 0);
        revealing++;
        editor.selection = new vscode.Selection(start, start);
        editor.revealRange(new vscode.Range(start, new vscode.Position(l.range.end.line, 0)), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        setTimeout(() => revealing--, CURSOR_DEBOUNCE_MS * 2);
      },
      apply: async (fix) => {
        const doc = session.document;
        if (!doc) return false;
        const edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) {
          edit.replace(doc, new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.newText);
        }
        const ok = await vscode.workspace.applyEdit(edit);
        log.info(`influence map: ${ok ? 'applied' : 'could not apply'} "${fix.title}" to ${doc.fsPath || doc.toString()}`);
        return ok;
      },
      save: async (format, data, suggestedName) => {
        const doc = session.document;
        const base = doc && doc.scheme === 'file' ? vscode.Uri.joinPath(doc, '..', suggestedName) : undefined;
        const filters: Record<string, string[]> = format === 'png' ? { 'PNG image': ['png'] } : format === 'csv' ? { CSV: ['csv'] } : { 'NumPy array': ['npy'] };
        const target = await vscode.window.showSaveDialog({ defaultUri: base, filters, title: 'Export the influence map' });
        if (!target) return null;
        await vscode.workspace.fs.writeFile(target, data instanceof Uint8Array ? data : new Uint8Array(Object.values(data as object) as number[]));
        void vscode.window.showInformationMessage(`Influence map saved to ${target.fsPath || target.toString()}`);
        return target.fsPath || target.toString();
      },
      log: (m) => log.info(`panel: ${m}`),
    });
    if (state) session.view = state;
    const disposables: vscode.Disposable[] = [
      panel.webview.onDidReceiveMessage((m: PanelToHost) => {
        session.handle(m).catch((e) => log.error(`influence map: ${(e as Error).message ?? e}`));
      }),
      panel.onDidDispose(() => {
        for (const d of disposables) d.dispose();
        if (live?.panel === panel) live = null;
      }),
    ];
    const l: Live = { panel, session, disposables };
    if (uri) void open(l, uri, state, layer);
    return l;
  }

  async function open(l: Live, uri: vscode.Uri, state?: ViewState, layer?: string): Promise<void> {
    l.panel.title = 'Influence Map';
    const view: ViewState | undefined = layer ? { ...(state ?? {}), layer, unit: null } : state;
    try {
      await l.session.setDocument(uri, uri.toString(), view);
      if (layer) l.session.selectLayer(layer);
    } catch (e) {
      log.error(`influence map of ${uri.toString()}: ${(e as Error).message ?? e}`);
    }
  }

  /**
   * Counts the requests for a document (show, the active editor changing): a
   * request that waited for its report yields to any newer one, so a stale
   * editor change never takes the panel from the file last asked for.
   */
  let requests = 0;

  function show(uri: vscode.Uri, layer?: string): void {
    requests++;
    if (live) {
      live.panel.reveal(live.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
      if (!sameDoc(live.session.document, uri)) void open(live, uri, undefined, layer);
      else if (layer) live.session.selectLayer(layer);
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Influence Map', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [dist] });
    live = setup(panel, uri, undefined, layer);
  }

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const s = (state ?? {}) as ViewState;
        let uri: vscode.Uri | null = null;
        try {
          uri = s.uri ? vscode.Uri.parse(s.uri) : ((views ? views.activeUri() : vscode.window.activeTextEditor?.document.uri) ?? null);
        } catch {
          uri = null;
        }
        live?.panel.dispose();
        live = setup(panel, uri, s);
      },
    }),
    // follow the active editor (or ONNX table) when it shows another model file
    activeModelChanged(async (uri) => {
      if (!live || sameDoc(live.session.document, uri)) return;
      if (uri.scheme !== 'file' && uri.scheme !== 'untitled' && uri.scheme !== 'vscode-vfs') return;
      const request = ++requests;
      const report = await engine.report(uri).catch(() => null);
      if (report && live && report.layers.length && request === requests) void open(live, uri);
    }),
    // live updates, debounced; the session keeps the last good picture while the text does not parse
    engine.onDidChangeReport((uri) => {
      if (!live || !sameDoc(live.session.document, uri)) return;
      clearTimeout(changeTimer);
      const l = live;
      changeTimer = setTimeout(() => {
        // (the panel may have moved to another file meanwhile: an update of this one must not take it back)
        if (live === l && sameDoc(l.session.document, uri)) void l.session.setDocument(uri, uri.toString()).catch((e) => log.error(String(e)));
      }, CHANGE_DEBOUNCE_MS);
    }),
    // the editor's cursor selects the layer it is in
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (!live || revealing > 0 || !sameDoc(live.session.document, e.textEditor.document.uri)) return;
      clearTimeout(cursorTimer);
      const line = e.selections[0]?.active.line;
      if (line === undefined) return;
      const l = live;
      cursorTimer = setTimeout(() => l.session.selectLine(line), CURSOR_DEBOUNCE_MS);
    }),
    { dispose: () => live?.panel.dispose() },
  );

  const probe: InfluencePanelProbe = {
    posted,
    session: () => live?.session ?? null,
    receive: async (m) => {
      await live?.session.handle(m);
    },
  };
  function selectIfShown(uri: vscode.Uri, layer: string): void {
    if (live && sameDoc(live.session.document, uri)) live.session.selectLayer(layer);
  }

  return Object.assign({ show, selectIfShown }, { probe });
}
