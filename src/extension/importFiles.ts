/**
 * The files a model reads besides its own (Python imports), as the editor
 * gives them to the analysis worker: open documents first (their unsaved
 * text), else the file through workspace.fs, cached until the file changes
 * (the watcher, a save, an edit). Also who imports what, so a change of an
 * imported file analyses its importers again, and where installed libraries
 * are looked up (`rfLens.pythonPath`, a `.venv`/`venv` in the workspace folder).
 */
import * as vscode from 'vscode';
import { keyOf } from './documents';
import type { FileTexts } from './worker/importRounds';

/** Virtual environments looked for in each workspace folder (the reader also finds one next to the file or up to three folders above). */
const VENV_FOLDERS = ['.venv', 'venv'];

export class ImportFiles {
  /** texts of files not open in an editor, by uri; null: missing */
  private readonly disk = new Map<string, Promise<string | null>>();
  /** per analysed document (its key): the paths its reader asked for last time, as the reader names them */
  private readonly paths = new Map<string, string[]>();
  /** per file (its uri key): the keys of the documents that read it */
  private readonly importers = new Map<string, Set<string>>();

  /** The uri of a path the reader names: a file path for file: documents, a path on the same file system otherwise. */
  uriOf(doc: vscode.Uri, path: string): vscode.Uri {
    return doc.scheme === 'file' ? vscode.Uri.file(path) : doc.with({ path: path.replace(/\\/g, '/'), query: '', fragment: '' });
  }

  /** A path as the reader names it (the counterpart of documents.ts' fileNameOf). */
  pathOf(uri: vscode.Uri): string {
    return uri.scheme === 'file' ? uri.fsPath : uri.path;
  }

  /** The text of a file: an open document's (saved or not), else the file's, else null. */
  text(uri: vscode.Uri): Promise<string | null> {
    const key = keyOf(uri);
    const doc = vscode.workspace.textDocuments.find((d) => keyOf(d.uri) === key);
    if (doc) return Promise.resolve(doc.getText());
    let p = this.disk.get(key);
    if (!p) {
      p = Promise.resolve(vscode.workspace.fs.readFile(uri)).then(
        (bytes) => new TextDecoder('utf-8').decode(bytes),
        () => null,
      );
      this.disk.set(key, p);
    }
    return p;
  }

  /** The texts of the paths a reader asked for, read relative to the document's file system. */
  async load(doc: vscode.Uri, paths: readonly string[]): Promise<FileTexts> {
    const texts = await Promise.all(paths.map((p) => this.text(this.uriOf(doc, p))));
    const out: FileTexts = {};
    paths.forEach((p, i) => (out[p] = texts[i]!));
    return out;
  }

  /** The current texts of what the document read last time: sent with the next analysis, so an edit needs one round. */
  known(doc: vscode.Uri): Promise<FileTexts> {
    return this.load(doc, this.paths.get(keyOf(doc)) ?? []);
  }

  /** What the document's latest analysis read (missing files included: their creation matters too). */
  record(doc: vscode.Uri, paths: readonly string[]): void {
    const key = keyOf(doc);
    this.unrecord(key);
    if (!paths.length) return;
    this.paths.set(key, [...paths]);
    for (const p of paths) {
      const f = keyOf(this.uriOf(doc, p));
      let s = this.importers.get(f);
      if (!s) this.importers.set(f, (s = new Set()));
      s.add(key);
    }
  }

  private unrecord(key: string): void {
    const old = this.paths.get(key);
    if (!old) return;
    this.paths.delete(key);
    for (const s of this.importers.values()) s.delete(key);
  }

  /** A document is no longer analysed. */
  forget(doc: vscode.Uri): void {
    this.unrecord(keyOf(doc));
  }

  /** A file changed (on disk, in an editor, created, deleted): its cached text is dropped; returns the keys of the documents that read it. */
  changed(uri: vscode.Uri): string[] {
    const key = keyOf(uri);
    this.disk.delete(key);
    return [...(this.importers.get(key) ?? [])].filter((k) => k !== key);
  }

  /**
   * The reader's `python-path` for a document: the setting's folders (relative
   * ones from the workspace folder), then the site-packages of a `.venv` or
   * `venv` in the workspace folder (its `pyvenv.cfg` gives the Python version,
   * as the reader does for environments next to the file).
   */
  async pythonPath(doc: vscode.Uri, setting: readonly string[]): Promise<string[]> {
    const folder = vscode.workspace.getWorkspaceFolder(doc);
    const out: string[] = [];
    for (const entry of setting) {
      const isAbsolute = /^([\\/]|[A-Za-z]:[\\/])/.test(entry);
      if (isAbsolute) out.push(entry);
      else if (folder) out.push(this.pathOf(vscode.Uri.joinPath(folder.uri, entry)));
    }
    if (folder) {
      for (const v of VENV_FOLDERS) {
        const venv = vscode.Uri.joinPath(folder.uri, v);
        const cfg = await this.text(vscode.Uri.joinPath(venv, 'pyvenv.cfg'));
        if (cfg === null) continue;
        const m = /^\s*(?:version|version_info)\s*=\s*(\d+)\.(\d+)/m.exec(cfg);
        if (m) out.push(this.pathOf(vscode.Uri.joinPath(venv, 'lib', `python${m[1]}.${m[2]}`, 'site-packages')));
        out.push(this.pathOf(vscode.Uri.joinPath(venv, 'Lib', 'site-packages')));
      }
    }
    return [...new Set(out)];
  }
}
