/**
 * Hover, CodeLens, quick fixes and the status bar item: each reads the
 * document's latest report from the Analyses service.
 */
import * as vscode from 'vscode';
import type { Finding, LayerReport } from '../core';
import type { Analyses } from './analyses';
import type { RflConfig } from './config';
import { DiagnosticsPublisher, SOURCE, toRange } from './diagnostics';
import { commandLink, hoverMarkdown, lensTitle, modelLensTitle, modelSummary, statusText } from './format';
import type { PlainReport } from './worker/messages';

export const SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file' },
  { scheme: 'untitled' },
  { scheme: 'vscode-remote' },
  { scheme: 'vscode-vfs' },
];

function contains(r: LayerReport['range'], p: vscode.Position): boolean {
  if (!r) return false;
  const after = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const before = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return after && before;
}

/**
 * The layer whose definition holds the position (the innermost when definitions nest; of layers one call
 * builds, sharing its range, the last: a Python block's output, as its CodeLens shows).
 */
export function layerAt(report: PlainReport, p: vscode.Position): LayerReport | null {
  let best: LayerReport | null = null;
  let bestSize = Infinity;
  for (const l of report.layers) {
    if (!contains(l.range, p)) continue;
    const size = (l.range!.end.line - l.range!.start.line) * 1e4 + (l.range!.end.character - l.range!.start.character);
    if (size <= bestSize) {
      best = l;
      bestSize = size;
    }
  }
  return best;
}

/** The report of the document's current text, or null (no model, or still analysing an older text). */
function currentReport(analyses: Analyses, doc: vscode.TextDocument): PlainReport | null {
  const e = analyses.get(doc.uri);
  return e?.report && e.reportStamp === e.stamp ? e.report : null;
}

export class LayerHover implements vscode.HoverProvider {
  constructor(private readonly analyses: Analyses) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const got = currentReport(this.analyses, doc) ? { report: currentReport(this.analyses, doc)! } : await this.analyses.fieldsReport(doc.uri);
    if (!got) return undefined;
    const layer = layerAt(got.report, position);
    if (!layer || layer.op === 'input' && !layer.rf) return undefined;
    const metrics = layer.output ? await this.analyses.layerMetrics(doc.uri, layer.id) : null;
    const md = new vscode.MarkdownString(hoverMarkdown(layer, got.report.input?.shape ?? null, metrics, doc.uri.toString()));
    md.isTrusted = { enabledCommands: ['rfLens.showInfluenceMap', 'rfLens.showReceptiveField'] };
    md.supportThemeIcons = true;
    const r = layer.range!;
    return new vscode.Hover(md, new vscode.Range(r.start.line, r.start.character, r.start.line, Math.max(r.start.character, doc.lineAt(r.start.line).text.length)));
  }
}

class LayerLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly uri: vscode.Uri,
    readonly layer: LayerReport,
  ) {
    super(range);
  }
}

/** Above each model a file defines (a Python class, factory or instance): the analysed one's numbers, or "Analyze this model". */
class ModelLens extends vscode.CodeLens {}

export class LayerLenses implements vscode.CodeLensProvider<LayerLens | ModelLens> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly analyses: Analyses,
    private readonly config: (uri?: vscode.Uri) => RflConfig,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): Array<LayerLens | ModelLens> {
    if (!this.config(doc.uri).codeLens) return [];
    const report = currentReport(this.analyses, doc);
    if (!report) return [];
    const out: Array<LayerLens | ModelLens> = [];
    // Layers defined by the same call (a Python block built by a helper: `conv_block(16, 16)` gives a conv, a ReLU
    // and the block's output) share a range: one lens for them, the last (the block's output, what the line gives).
    const byRange = new Map<string, LayerReport>();
    for (const l of report.layers) {
      if (!l.range || !l.rf || l.op === 'input' || l.range.start.line >= doc.lineCount) continue;
      const r = l.range;
      const key = `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
      byRange.delete(key); // (re-inserted: the lenses stay in the order of the layers they show)
      byRange.set(key, l);
    }
    for (const l of byRange.values()) out.push(new LayerLens(new vscode.Range(l.range!.start.line, 0, l.range!.start.line, 0), doc.uri, l));
    // the only model of a file built on one line (`model = mylib.net()`) has its numbers in that line's layer lens already
    const layerLines = new Set(out.map((l) => l.range.start.line));
    const models = this.modelLenses(doc, report).filter((m) => report.models.length > 1 || !layerLines.has(m.range.start.line));
    return [...models, ...out];
  }

  private modelLenses(doc: vscode.TextDocument, report: PlainReport): ModelLens[] {
    const out: ModelLens[] = [];
    for (const name of report.models) {
      const def = report.modelDefinitions?.[name];
      if (!def || def.start.line >= doc.lineCount) continue;
      const range = new vscode.Range(def.start.line, 0, def.start.line, 0);
      const uri = doc.uri.toString();
      out.push(
        new ModelLens(
          range,
          name === report.model
            ? report.models.length > 1
              ? { title: modelLensTitle(report), command: 'rfLens.selectModel', arguments: [uri], tooltip: `${name} is analysed; click to choose another model of this file` }
              : { title: modelLensTitle(report), command: 'rfLens.showInfluenceMap', arguments: [uri], tooltip: `Show the influence map of ${name}` }
            : { title: 'Analyze this model', command: 'rfLens.selectModel', arguments: [uri, name], tooltip: `Analyse ${name} instead of ${report.model ?? 'the first model'}` },
        ),
      );
    }
    return out;
  }

  async resolveCodeLens(lens: LayerLens | ModelLens): Promise<LayerLens | ModelLens> {
    if (!(lens instanceof LayerLens)) return lens;
    const m = lens.layer.output ? await this.analyses.layerMetrics(lens.uri, lens.layer.id) : null;
    lens.command = {
      title: lensTitle(lens.layer, m && !('refused' in m) ? m : null),
      command: 'rfLens.showInfluenceMap',
      arguments: [lens.uri.toString(), lens.layer.id],
      tooltip: `Show the influence map at ${lens.layer.name}`,
    };
    return lens;
  }
}

export class QuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(
    private readonly analyses: Analyses,
    private readonly publisher: DiagnosticsPublisher,
  ) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const out: vscode.CodeAction[] = [];
    const current = currentReport(this.analyses, doc) !== null;
    const seen = new Set<string>();
    for (const d of context.diagnostics) {
      if (d.source !== SOURCE) continue;
      const f: Finding | undefined = this.publisher.findingFor(doc.uri, d);
      const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code);
      if (f && current) {
        f.fixes?.forEach((fix, i) => {
          const a = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          a.edit = new vscode.WorkspaceEdit();
          for (const e of fix.edits) a.edit.replace(doc.uri, toRange(e.range), e.newText);
          a.diagnostics = [d];
          a.isPreferred = i === 0;
          out.push(a);
        });
      }
      if (seen.has(code)) continue;
      seen.add(code);
      const off = new vscode.CodeAction(`Disable ${code} in settings`, vscode.CodeActionKind.QuickFix);
      off.command = { title: off.title, command: 'rfLens.setSeverity', arguments: [code, 'off', doc.uri.toString()] };
      off.diagnostics = [d];
      const docs = new vscode.CodeAction(`Show documentation of ${code}`, vscode.CodeActionKind.QuickFix);
      docs.command = { title: docs.title, command: 'rfLens.showDocumentation', arguments: [code] };
      docs.diagnostics = [d];
      out.push(off, docs);
    }
    return out;
  }
}

export class StatusItem implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('rfLens.status', vscode.StatusBarAlignment.Right, 100);

  constructor(
    private readonly analyses: Analyses,
    private readonly config: (uri?: vscode.Uri) => RflConfig,
    /** the active model's uri: a text editor's, or an ONNX layer table's */
    private readonly activeUri: () => vscode.Uri | undefined,
  ) {
    this.item.name = 'Receptive Field Lens';
    this.item.command = 'rfLens.showInfluenceMap';
  }

  update(): void {
    const uri = this.activeUri();
    const doc = uri ? { uri } : undefined;
    const report = doc ? this.analyses.get(doc.uri)?.report : null;
    if (!doc || !report || !report.finalLayers.length) {
      this.item.hide();
      return;
    }
    const { finals, rf, edge } = modelSummary(report);
    const several = report.models.length > 1 && report.model ? report.model : undefined;
    this.item.text = statusText(rf, edge, several);
    const threshold = this.config(doc.uri).edgeRatioThreshold;
    const low = edge !== null && edge < threshold;
    this.item.backgroundColor = low ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const tooltip = new vscode.MarkdownString(
      `**Receptive Field Lens**\n\n${several ? `Model ${several} (${commandLink('select another', 'rfLens.selectModel', [doc.uri.toString()])}). ` : ''}Final layer${finals.length > 1 ? 's' : ''} ${finals.map((l) => l.name).join(', ')}: receptive field ${
        rf?.join('×') ?? '–'
      } px of ${report.input?.shape.join('×') ?? '–'}, edge ratio ${edge === null ? '–' : edge.toFixed(3)}${
        low ? ` (below the threshold ${threshold})` : ''
      }.\n\nClick to show the influence map.`,
    );
    tooltip.isTrusted = { enabledCommands: ['rfLens.selectModel'] };
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
