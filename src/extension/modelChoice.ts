/**
 * Which model of a file the user analyses, when the file defines several
 * (a Python file's classes and factory functions): remembered per document in
 * the workspace state, offered by "Receptive Field Lens: Select Model" and by
 * the CodeLens on each definition.
 */
import * as vscode from 'vscode';
import type { AnalysisReport } from '../core';
import { keyOf } from './documents';

const STATE_KEY = 'rfLens.selectedModels';

export class ModelChoices implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires with a document's uri when its chosen model changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  private all(): Record<string, string> {
    return this.state.get<Record<string, string>>(STATE_KEY) ?? {};
  }

  /** The model chosen for a document, if the user chose one. */
  get(uri: vscode.Uri): string | undefined {
    return this.all()[keyOf(uri)];
  }

  /** Chooses a model for a document (undefined: back to the reader's default). */
  async set(uri: vscode.Uri, model: string | undefined): Promise<void> {
    const all = { ...this.all() };
    const key = keyOf(uri);
    if (all[key] === model) return;
    if (model === undefined) delete all[key];
    else all[key] = model;
    await this.state.update(STATE_KEY, all);
    this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** How a model is defined, from its definition's first line: for the picker's description. */
export function definitionKind(line: string): string {
  if (/^\s*class\s/.test(line)) return 'class';
  if (/^\s*(async\s+)?def\s/.test(line)) return 'factory function';
  return 'module-level model';
}

export interface ModelPick extends vscode.QuickPickItem {
  model: string;
}

/** The quick pick's items: every model the file defines, the analysed one marked. */
export function modelPicks(report: AnalysisReport, doc: vscode.TextDocument | undefined): ModelPick[] {
  // in file order (the reader lists the analysed model first)
  const line = (name: string) => report.modelDefinitions?.[name]?.start.line ?? Infinity;
  const names = report.models.map((name, i) => ({ name, i })).sort((a, b) => line(a.name) - line(b.name) || a.i - b.i);
  return names.map(({ name }) => {
    const def = report.modelDefinitions?.[name];
    const line = def && doc && def.start.line < doc.lineCount ? doc.lineAt(def.start.line).text : '';
    const kind = def ? definitionKind(line) : 'model';
    const item: ModelPick = {
      model: name,
      label: name === report.model ? `$(check) ${name}` : name,
      description: def ? `${kind}, line ${def.start.line + 1}` : kind,
    };
    if (name === report.model) item.detail = 'analysed now';
    return item;
  });
}
