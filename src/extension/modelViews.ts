/**
 * The places a model is shown: a text editor (a model definition's text) or
 * the layer table of the ONNX custom editor (a binary file's bytes). The
 * influence-map panel follows the active one and reveals a layer in it: a
 * table selects the layer's row, a text editor its line (the panel's own
 * code). The commands take the active model from here too.
 */
import * as vscode from 'vscode';
import { keyOf } from './documents';

/** viewType of the ONNX layer table (package.json `customEditors`). */
export const ONNX_TABLE_VIEW_TYPE = 'rfLens.onnxLayers';

/** A view that shows a model's layers as rows. */
export interface LayerRowsView {
  /** selects and scrolls to the layer's row */
  select(layer: string): void;
}

export interface ModelViewsApi {
  /** the model of the active tab: a text editor's document, or the file of an ONNX table */
  activeUri(): vscode.Uri | undefined;
  /** fires with the active model's uri when another model becomes active */
  readonly onDidChangeActive: vscode.Event<vscode.Uri>;
  /** selects the layer in the table showing this file; false when no table shows it (then the text editor reveals it) */
  revealInTable(uri: vscode.Uri, layer: string): boolean;
}

export class ModelViews implements ModelViewsApi, vscode.Disposable {
  private readonly tables = new Map<string, Set<LayerRowsView>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChangeActive = this.changed.event;
  private last: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    const check = () => {
      const uri = this.activeUri();
      const key = uri ? keyOf(uri) : undefined;
      if (!uri || key === this.last) return;
      this.last = key;
      this.changed.fire(uri);
    };
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(check),
      vscode.window.tabGroups.onDidChangeTabs(check),
      vscode.window.tabGroups.onDidChangeTabGroups(check),
    );
  }

  activeUri(): vscode.Uri | undefined {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom && input.viewType === ONNX_TABLE_VIEW_TYPE) return input.uri;
    return vscode.window.activeTextEditor?.document.uri;
  }

  /** A table shows this file (until the returned disposable is disposed). */
  registerTable(uri: vscode.Uri, view: LayerRowsView): vscode.Disposable {
    const key = keyOf(uri);
    let set = this.tables.get(key);
    if (!set) this.tables.set(key, (set = new Set()));
    set.add(view);
    return {
      dispose: () => {
        set!.delete(view);
        if (!set!.size && this.tables.get(key) === set) this.tables.delete(key);
      },
    };
  }

  revealInTable(uri: vscode.Uri, layer: string): boolean {
    const views = this.tables.get(keyOf(uri));
    if (!views?.size) return false;
    for (const v of views) v.select(layer);
    return true;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.changed.dispose();
  }
}
