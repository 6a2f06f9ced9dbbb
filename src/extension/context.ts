/**
 * The extension's one context object: it owns every disposable, the typed
 * configuration (re-read on change), the worker, the analyses and the editor
 * features, and wires the document events to them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Analyses } from './analyses';
import { readConfig, type RflConfig, type SeverityName } from './config';
import { DiagnosticsPublisher, Documentation } from './diagnostics';
import { isCandidate, isExcluded, isLibraryFile, keyOf } from './documents';
import { LayerHover, LayerLenses, QuickFixes, SELECTOR, StatusItem } from './features';
import { ImportFiles } from './importFiles';
import { ModelChoices, modelPicks } from './modelChoice';
import { ModelViews } from './modelViews';
import { registerOnnxTable } from './onnxTable/provider';
import { registerInfluencePanel, type InfluencePanelApi } from './panel';
import { WorkerClient } from './workerClient';
import { analyzeWorkspace, modelGlob } from './workspacePass';

/** Readers' formats and the language each one's files get when VS Code guessed another. */
const FORMAT_LANGUAGES: Record<string, string> = { darknet: 'darknet', caffe: 'prototxt' };
/** Languages VS Code gives model files by their extension before it knows better (Darknet .cfg: 'properties'). */
const GENERIC_LANGUAGES = new Set(['plaintext', 'properties', 'ini']);

export class RflContext implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** settings of the window (no resource): the workspace pass, the globs */
  config: RflConfig;
  private readonly configs = new Map<string, RflConfig>();
  readonly client: WorkerClient;
  readonly mapsClient: WorkerClient;
  readonly analyses: Analyses;
  readonly publisher: DiagnosticsPublisher;
  readonly docs: Documentation;
  readonly lenses: LayerLenses;
  readonly status: StatusItem;
  readonly panel: InfluencePanelApi;
  /** the active model's view: a text editor, or an ONNX layer table */
  readonly views: ModelViews;
  /** the ONNX layer tables (their probe is for the integration tests) */
  onnxTables: ReturnType<typeof registerOnnxTable> | undefined;
  /** the files models import (Python), cached per version, and who imports what */
  readonly imports = new ImportFiles();
  /** the model the user chose per document */
  readonly models: ModelChoices;
  private extensions: string[] = [];
  private watcher: vscode.FileSystemWatcher | undefined;
  private passDone = false;

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.config = this.readConfig();
    const script = path.join(extension.extensionPath, 'dist', 'worker.js');
    this.client = new WorkerClient(script, log, 'fields');
    this.mapsClient = new WorkerClient(script, log, 'maps');
    this.analyses = this.own(new Analyses(this.client, this.mapsClient, (uri) => this.configFor(uri), log));
    this.models = this.own(new ModelChoices(extension.workspaceState));
    this.analyses.inputs = {
      forRequest: async (uri) => {
        const [files, pythonPath] = await Promise.all([this.imports.known(uri), this.imports.pythonPath(uri, this.configFor(uri).pythonPath)]);
        const model = this.models.get(uri);
        return { ...(model ? { model } : {}), files, ...(pythonPath.length ? { readerOptions: { 'python-path': pythonPath.join('\n') } } : {}) };
      },
      load: (uri, paths) => this.imports.load(uri, paths),
      read: (uri, dependencies) => this.imports.record(uri, dependencies),
      forget: (uri) => this.imports.forget(uri),
    };
    this.docs = new Documentation(extension.extensionUri);
    this.publisher = this.own(new DiagnosticsPublisher((uri) => this.configFor(uri), this.docs, (uri) => this.analyses.get(uri)?.report?.layers));
    this.lenses = new LayerLenses(this.analyses, (uri) => this.configFor(uri));
    this.views = this.own(new ModelViews());
    this.status = this.own(new StatusItem(this.analyses, (uri) => this.configFor(uri), () => this.views.activeUri()));
    this.panel = registerInfluencePanel(extension, this.analyses, log, this.views);
    this.own({ dispose: () => (this.client.dispose(), this.mapsClient.dispose()) });
  }

  private own<T extends vscode.Disposable>(d: T): T {
    this.disposables.push(d);
    return d;
  }

  /** The settings that apply to a resource (resource scope: per workspace folder). */
  configFor(uri?: vscode.Uri): RflConfig {
    if (!uri) return this.config;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const key = folder ? folder.uri.toString() : uri.toString();
    let c = this.configs.get(key);
    if (!c) {
      c = this.readConfig(folder?.uri ?? uri);
      this.configs.set(key, c);
    }
    return c;
  }

  private readConfig(uri?: vscode.Uri): RflConfig {
    const c = vscode.workspace.getConfiguration('rfLens', uri);
    return readConfig((key) => c.get(key));
  }

  start(): void {
    const own = <T extends vscode.Disposable>(d: T) => this.own(d);
    own(vscode.languages.registerHoverProvider(SELECTOR, new LayerHover(this.analyses)));
    own(vscode.languages.registerCodeLensProvider(SELECTOR, this.lenses));
    own(vscode.languages.registerCodeActionsProvider(SELECTOR, new QuickFixes(this.analyses, this.publisher), { providedCodeActionKinds: QuickFixes.kinds }));
    own(
      this.analyses.onDidChangeReport((uri) => {
        const e = this.analyses.get(uri);
        this.publisher.publish(uri, e?.report ? e.report.findings : null);
        // only a shown document's lenses change (a refresh cancels the lenses VS Code is resolving)
        if (vscode.window.visibleTextEditors.some((ed) => keyOf(ed.document.uri) === keyOf(uri))) this.lenses.refresh();
        if (this.views.activeUri()?.toString() === uri.toString()) this.status.update();
      }),
    );
    own(
      this.analyses.onDidRecogniseFormat(({ uri, format }) => {
        const doc = vscode.workspace.textDocuments.find((d) => keyOf(d.uri) === keyOf(uri));
        const lang = FORMAT_LANGUAGES[format];
        if (doc && lang && GENERIC_LANGUAGES.has(doc.languageId)) {
          void vscode.languages.setTextDocumentLanguage(doc, lang).then(undefined, (e) => this.log.warn(`language of ${uri.toString(true)}: ${String(e)}`));
        }
      }),
    );
    own(vscode.workspace.onDidOpenTextDocument((d) => this.opened(d)));
    own(
      vscode.workspace.onDidChangeTextDocument((ev) => {
        if (ev.contentChanges.length === 0) return;
        const debounce = this.configFor(ev.document.uri).debounceMs;
        if (this.analyses.get(ev.document.uri) || isCandidate(ev.document, this.configFor(ev.document.uri))) this.analyses.invalidate(ev.document.uri, true, debounce);
        this.importersChanged(ev.document.uri, debounce); // an imported module edited, saved or not
      }),
    );
    own(
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (this.analyses.get(d.uri)?.open) this.closed(d.uri);
        this.importersChanged(d.uri, 50); // unsaved edits of an imported module are gone: its file counts again
      }),
    );
    own(this.models.onDidChange((uri) => this.analyses.invalidate(uri, this.analyses.get(uri)?.open ?? true)));
    // a virtual environment created, removed or upgraded changes where every import resolves
    const venvs = this.own(vscode.workspace.createFileSystemWatcher('**/pyvenv.cfg'));
    const venvChanged = (u: vscode.Uri) => {
      this.imports.changed(u);
      for (const e of this.analyses.all()) if (e.report?.format === 'python') this.analyses.invalidate(e.uri, e.open, 50);
    };
    own(venvs.onDidCreate(venvChanged));
    own(venvs.onDidChange(venvChanged));
    own(venvs.onDidDelete(venvChanged));
    // closing its last tab is closing the document for the user (VS Code disposes the model later)
    own(vscode.window.tabGroups.onDidChangeTabs((ev) => (ev.closed.length ? this.tabsClosed() : undefined)));
    // the active model: a text editor's or an ONNX table's
    own(this.views.onDidChangeActive(() => this.status.update()));
    own(vscode.window.onDidChangeActiveTextEditor(() => this.status.update()));
    own(
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const ed of editors) if (!this.analyses.get(ed.document.uri)) this.opened(ed.document);
      }),
    );
    own(vscode.workspace.onDidChangeConfiguration((ev) => this.configChanged(ev)));
    own(vscode.workspace.onDidSaveTextDocument((d) => this.dependencyChanged(d.uri)));
    this.registerCommands();
    // binary ONNX files: the layer table (a custom editor), analysed from their bytes
    this.onnxTables = own(
      registerOnnxTable({
        extension: this.extension,
        analyses: this.analyses,
        views: this.views,
        config: (uri) => this.configFor(uri),
        log: this.log,
        showMap: (uri, layer) => this.panel.show(uri, layer),
        selected: (uri, layer) => this.panel.selectIfShown(uri, layer),
        closed: (uri) => this.closed(uri),
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.opened(d);
    void this.startWorkspacePass();
  }

  private tabsClosed(): void {
    const shown = new Set<string>();
    for (const t of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) {
      const input = t.input;
      if (input instanceof vscode.TabInputText) shown.add(keyOf(input.uri));
      else if (input instanceof vscode.TabInputTextDiff) shown.add(keyOf(input.modified));
      else if (input instanceof vscode.TabInputCustom) shown.add(keyOf(input.uri));
    }
    for (const e of this.analyses.all()) {
      if (!e.open || shown.has(e.key)) continue;
      const doc = vscode.workspace.textDocuments.find((d) => keyOf(d.uri) === e.key);
      if (doc?.isDirty) continue; // still being edited (an untitled or unsaved model)
      this.closed(e.uri);
    }
  }

  /**
   * A model document closed: its diagnostics are cleared, except for the
   * workspace's model files, whose saved text the workspace pass keeps in the
   * Problems panel (analysed again from disk).
   */
  closed(uri: vscode.Uri): void {
    this.analyses.forget(uri);
    this.publisher.publish(uri, null);
    if (this.inWorkspaceScope(uri)) this.analyses.invalidate(uri, false, 50);
  }

  private inWorkspaceScope(uri: vscode.Uri): boolean {
    if (uri.scheme === 'untitled' || !vscode.workspace.getWorkspaceFolder(uri)) return false;
    const name = uri.path.toLowerCase();
    return this.extensions.some((ext) => name.endsWith(ext)) && !isExcluded(uri, this.configFor(uri));
  }

  private opened(doc: vscode.TextDocument): void {
    if (isCandidate(doc, this.configFor(doc.uri))) this.analyses.invalidate(doc.uri, true);
  }

  private async startWorkspacePass(): Promise<void> {
    try {
      await this.docs.load();
      this.extensions = (await this.analyses.readers()).flatMap((x) => x.extensions);
      if (this.extensions.length) {
        this.watcher = this.own(vscode.workspace.createFileSystemWatcher(modelGlob(this.extensions)));
        this.watcher.onDidChange((u) => this.dependencyChanged(u));
        this.watcher.onDidCreate((u) => this.dependencyChanged(u));
        this.watcher.onDidDelete((u) => {
          this.importersChanged(u, 50);
          if (vscode.workspace.textDocuments.some((d) => keyOf(d.uri) === keyOf(u))) return;
          this.analyses.forget(u);
          this.publisher.publish(u, null);
        });
      }
      await this.workspacePass(false);
    } catch (e) {
      this.log.error(`workspace pass failed: ${(e as Error).stack ?? String(e)}`);
    }
  }

  async workspacePass(explicit: boolean): Promise<number> {
    const n = await analyzeWorkspace(this.analyses, this.extensions, this.config, this.log, (uri) => void this.client.query({ kind: 'forget', key: keyOf(uri) }).catch(() => undefined), explicit);
    this.passDone = true;
    return n;
  }

  /** A file changed on disk or was saved: files not open are analysed again; open models that read it too. */
  private dependencyChanged(uri: vscode.Uri): void {
    const key = keyOf(uri);
    const open = vscode.workspace.textDocuments.some((d) => keyOf(d.uri) === key);
    if (!open && this.passDone && !isExcluded(uri, this.configFor(uri)) && !isLibraryFile(uri)) this.analyses.invalidate(uri, false, 50);
    this.importersChanged(uri, 50);
  }

  /** A file models read (a Python import) changed: they are analysed again with its new text. */
  private importersChanged(uri: vscode.Uri, delay: number): void {
    for (const key of this.imports.changed(uri)) {
      const e = this.analyses.all().find((x) => x.key === key);
      if (e) this.analyses.invalidate(e.uri, e.open, delay);
    }
  }

  private configChanged(ev: vscode.ConfigurationChangeEvent): void {
    if (!ev.affectsConfiguration('rfLens') && !ev.affectsConfiguration('files.exclude')) return;
    const before = new Map(this.analyses.all().map((e) => [e.key, this.configFor(e.uri)]));
    this.configs.clear();
    this.config = this.readConfig();
    this.log.info('settings changed');
    const analysis = ['defaultInputSize', 'edgeRatioThreshold', 'paddingWhatIf', 'pythonPath'] as const;
    for (const e of this.analyses.all()) {
      const was = before.get(e.key)!;
      const now = this.configFor(e.uri);
      const reanalyse = analysis.some((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]));
      if (isExcluded(e.uri, now)) {
        this.analyses.forget(e.uri);
        this.publisher.publish(e.uri, null);
      } else if (reanalyse) this.analyses.invalidate(e.uri, e.open);
      else this.publisher.publish(e.uri, e.report?.findings ?? null); // severities: no new analysis needed
    }
    this.lenses.refresh();
    this.status.update();
  }

  private uriArg(arg: unknown): vscode.Uri | undefined {
    if (arg instanceof vscode.Uri) return arg;
    if (typeof arg === 'string' && arg) return vscode.Uri.parse(arg);
    return this.views.activeUri();
  }

  private registerCommands(): void {
    const cmd = (id: string, f: (...args: unknown[]) => unknown) =>
      this.own(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            return await f(...args);
          } catch (e) {
            this.log.error(`${id} failed: ${(e as Error).stack ?? String(e)}`);
            return undefined;
          }
        }),
      );
    cmd('rfLens.showInfluenceMap', async (uriArg, layer) => {
      const uri = this.uriArg(uriArg);
      if (!uri) {
        void vscode.window.showInformationMessage('Receptive Field Lens: open a model file first.');
        return;
      }
      this.panel.show(uri, typeof layer === 'string' ? layer : undefined);
    });
    cmd('rfLens.showReceptiveField', async (uriArg, layerArg) => {
      const uri = this.uriArg(uriArg);
      if (!uri) return;
      const report = await this.analyses.report(uri);
      const layer = report?.layers.find((l) => l.id === layerArg) ?? report?.layers.find((l) => l.id === report.finalLayers[0]);
      if (!report || !layer?.output) return;
      const unit = layer.output.map((n) => Math.floor((n - 1) / 2));
      const m = await this.analyses.map(uri, { layer: layer.id, metric: 'coverage', unit });
      this.panel.show(uri, layer.id);
      if ('field' in m && m.field) {
        const span = m.field.lo.map((lo, a) => `${lo}…${m.field!.hi[a]}`).join(' × ');
        void vscode.window.showInformationMessage(`${layer.name}: its centre unit (${unit.join(', ')}) sees input ${span} (${layer.rf?.size.join('×')} px).`);
      }
    });
    cmd('rfLens.analyzeWorkspace', () => this.workspacePass(true));
    cmd('rfLens.selectModel', (uriArg, modelArg) => this.selectModel(this.uriArg(uriArg), typeof modelArg === 'string' ? modelArg : undefined));
    cmd('rfLens.showOutput', () => this.log.show(true));
    cmd('rfLens.showDocumentation', async (code) => {
      await vscode.commands.executeCommand('vscode.open', this.docs.target(String(code ?? '')));
    });
    cmd('rfLens.setSeverity', async (code, value, uriArg) => {
      const uri = this.uriArg(uriArg);
      const c = vscode.workspace.getConfiguration('rfLens', uri);
      const inspect = c.inspect<Record<string, SeverityName>>('severity');
      const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : undefined;
      const target = folder ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
      const base = (target === vscode.ConfigurationTarget.WorkspaceFolder ? inspect?.workspaceFolderValue : target === vscode.ConfigurationTarget.Workspace ? inspect?.workspaceValue : inspect?.globalValue) ?? {};
      await c.update('severity', { ...base, [String(code)]: String(value) }, target);
    });
  }

  /**
   * "Receptive Field Lens: Select Model": which of the file's models is
   * analysed (diagnostics, hovers, CodeLens, status bar, panel); remembered
   * per document. With a name (the CodeLens on a definition) it is chosen directly.
   */
  async selectModel(uri: vscode.Uri | undefined, model?: string): Promise<string | undefined> {
    if (!uri) {
      void vscode.window.showInformationMessage('Receptive Field Lens: open a model file first.');
      return undefined;
    }
    if (model === undefined) {
      const report = await this.analyses.report(uri);
      if (!report || report.models.length === 0) {
        void vscode.window.showInformationMessage('Receptive Field Lens: this file defines no model.');
        return undefined;
      }
      const doc = vscode.workspace.textDocuments.find((d) => keyOf(d.uri) === keyOf(uri));
      const pick = await vscode.window.showQuickPick(modelPicks(report, doc), {
        title: 'Receptive Field Lens: Select Model',
        placeHolder: `The model of ${uri.path.split('/').pop()} to analyse (now ${report.model ?? 'none'})`,
        matchOnDescription: true,
      });
      if (!pick) return undefined;
      model = pick.model;
    }
    this.log.info(`model of ${uri.toString(true)}: ${model}`);
    await this.models.set(uri, model);
    return model;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // disposing is best effort
      }
    }
  }
}
