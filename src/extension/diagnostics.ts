/**
 * Findings to diagnostics: severity from the settings (one function), code
 * linked to the finding's README section, the narrowest range, related
 * information where the problem starts elsewhere.
 */
import * as vscode from 'vscode';
import type { Finding, FindingCode, LayerReport, SourceRange } from '../core';
// (values from the engine's catalogue entry: the extension host's bundle holds no reader)
import { FINDING_KINDS } from '../core/catalogue';
import { diagnosticSeverity, type RflConfig } from './config';

export const SOURCE = 'rf-lens';

/** The README's section of each finding, as a line (the opener selects it: works offline, in any file system). */
export class Documentation {
  private lines = new Map<string, number>();
  readme: vscode.Uri;

  /** `folder`: the extension's; its README is README.md in a checkout, readme.md in an installed .vsix. */
  constructor(private readonly folder: vscode.Uri) {
    this.readme = vscode.Uri.joinPath(folder, 'README.md');
  }

  async load(): Promise<void> {
    for (const name of ['README.md', 'readme.md']) {
      const uri = vscode.Uri.joinPath(this.folder, name);
      try {
        await vscode.workspace.fs.stat(uri);
        this.readme = uri;
        break;
      } catch {
        // try the next spelling
      }
    }
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(this.readme));
      const lines = text.split(/\r?\n/);
      for (const code of Object.keys(FINDING_KINDS)) {
        const i = lines.findIndex((l) => new RegExp(`^#+\\s+${code}\\b`).test(l));
        if (i >= 0) this.lines.set(code, i + 1);
      }
    } catch {
      // no README: the link opens the file's top
    }
  }

  /** README uri selecting the finding's heading (`#L<line>`). */
  target(code: string): vscode.Uri {
    const line = this.lines.get(code);
    return line ? this.readme.with({ fragment: `L${line}` }) : this.readme;
  }

  anchor(code: string): string {
    return FINDING_KINDS[code as FindingCode]?.anchor ?? '';
  }
}

/** The one mapping from a finding to a VS Code severity; undefined when the setting turns it off. */
export function severityOf(f: Finding, config: RflConfig): vscode.DiagnosticSeverity | undefined {
  const name = config.severity[f.code] ?? f.severity;
  const s = diagnosticSeverity(name);
  return s === null ? undefined : (s as vscode.DiagnosticSeverity);
}

export function toRange(r: SourceRange | null, doc?: vscode.TextDocument): vscode.Range {
  if (!r) {
    // a finding about the whole file: its first non-empty line
    if (doc) {
      for (let i = 0; i < Math.min(doc.lineCount, 200); i++) {
        const line = doc.lineAt(i);
        if (!line.isEmptyOrWhitespace && !/^\s*#/.test(line.text)) return line.range;
      }
    }
    return new vscode.Range(0, 0, 0, 0);
  }
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

interface Related {
  range: SourceRange;
  layer?: string | null;
  message: string;
}

/**
 * The message of a finding in a file without text positions (a binary ONNX
 * model: every diagnostic sits on line 1), naming the node it is about when
 * the message does not already.
 */
export function binaryMessage(f: Finding, layers: readonly LayerReport[] | undefined): string {
  if (f.range || f.layer === null) return f.message;
  const l = layers?.find((x) => x.id === f.layer);
  if (!l) return f.message;
  return f.message.includes(l.name) ? f.message : `${f.message} (node ${l.name}, ${l.type || l.op})`;
}

export function toDiagnostic(f: Finding, config: RflConfig, docs: Documentation, uri: vscode.Uri, doc?: vscode.TextDocument, layers?: readonly LayerReport[]): vscode.Diagnostic | undefined {
  const severity = severityOf(f, config);
  if (severity === undefined) return undefined;
  const d = new vscode.Diagnostic(toRange(f.range, doc), doc ? f.message : binaryMessage(f, layers), severity);
  d.source = SOURCE;
  d.code = { value: f.code, target: docs.target(f.code) };
  // the engine's refactor adds `related` (where a problem starts when that is not the finding's own range)
  const related = (f as Finding & { related?: Related[] }).related;
  if (related?.length) {
    d.relatedInformation = related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(r.range, doc)), r.message));
  }
  // an unresolved layer is skipped by the analysis (treated as the identity): shown faded
  if (f.code === 'RFL100' && f.layer !== null && f.range) d.tags = [vscode.DiagnosticTag.Unnecessary];
  return d;
}

/** Diagnostics for a document, with each diagnostic's finding (for the quick fixes). */
export class DiagnosticsPublisher implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection(SOURCE);
  private readonly byDiagnostic = new WeakMap<vscode.Diagnostic, Finding>();

  constructor(
    private readonly config: (uri?: vscode.Uri) => RflConfig,
    private readonly docs: Documentation,
    /** the layers of a document's report: names the node of a finding in a binary file */
    private readonly layersOf: (uri: vscode.Uri) => readonly LayerReport[] | undefined = () => undefined,
  ) {}

  publish(uri: vscode.Uri, findings: Finding[] | null): void {
    if (!findings) {
      this.collection.delete(uri);
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const out: vscode.Diagnostic[] = [];
    for (const f of findings) {
      const d = toDiagnostic(f, this.config(uri), this.docs, uri, doc, doc ? undefined : this.layersOf(uri));
      if (!d) continue;
      this.byDiagnostic.set(d, f);
      out.push(d);
    }
    this.collection.set(uri, out);
  }

  findingOf(d: vscode.Diagnostic): Finding | undefined {
    return this.byDiagnostic.get(d);
  }

  /** Finds the finding of a diagnostic VS Code hands back (a copy: matched by code, range and message). */
  findingFor(uri: vscode.Uri, d: vscode.Diagnostic): Finding | undefined {
    const direct = this.byDiagnostic.get(d);
    if (direct) return direct;
    const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code);
    for (const own of this.collection.get(uri) ?? []) {
      const oc = typeof own.code === 'object' ? String(own.code.value) : String(own.code);
      if (oc === code && own.message === d.message && own.range.isEqual(d.range)) return this.byDiagnostic.get(own);
    }
    return undefined;
  }

  dispose(): void {
    this.collection.dispose();
  }
}
