/** Helpers of the integration tests: the extension's API, waiting, screenshots. */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { RflApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'receptive-field-lens.receptive-field-lens';

export async function api(): Promise<RflApi> {
  const ext = vscode.extensions.getExtension<RflApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : await ext.activate();
}

export function ws(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, f: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Opens a document in an editor and waits for its complete analysis (map-based findings included). */
const originals = new Map<string, string>();

export async function openModel(uri: vscode.Uri): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
  const a = await api();
  const doc = await vscode.workspace.openTextDocument(uri);
  if (!originals.has(uri.toString())) originals.set(uri.toString(), new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  await settled(uri);
  void a;
  return { doc: editor.document, editor };
}

/** Waits until the analysis of the document's current text is complete and published. */
export async function settled(uri: vscode.Uri): Promise<void> {
  const a = await api();
  // (the entry may be replaced meanwhile: a language switch closes and reopens the document)
  await waitFor(`the analysis of ${uri.path}`, () => a.context.analyses.idle(uri), 50000);
  await sleep(20);
}

export function diagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'rf-lens');
}

export function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

export function rangeText(r: vscode.Range): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

/** Asks the driver for a screenshot named `name` (artifacts/screenshots/<name>.png); returns what it saw. */
/**
 * `click`: a CSS selector the driver clicks in whichever webview frame holds it, `keys` then pressed
 * (Playwright key names), `after` ms to wait before the picture.
 */
export async function screenshot(
  name: string,
  options: { hoverWord?: string; settle?: number; escape?: boolean; click?: string; keys?: string[]; after?: number } = {},
): Promise<Record<string, unknown> | null> {
  const signal = process.env.VSCODE_TEST_SCREENSHOT_SIGNAL;
  if (!signal) return null; // the desktop lane has no driver
  fs.writeFileSync(`${signal}.${name}.ready`, JSON.stringify(options));
  const done = `${signal}.${name}.done`;
  await waitFor(`screenshot ${name}`, () => fs.existsSync(done), 30000);
  try {
    return JSON.parse(fs.readFileSync(`${signal}.${name}.ui.json`, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('rfLens').update(key, value, vscode.ConfigurationTarget.Global);
}

/** Runs an edit and waits for the analysis of the text it produced (the change event may come after the edit resolves). */
export async function editAndSettle(uri: vscode.Uri, edit: () => Thenable<unknown>): Promise<void> {
  const a = await api();
  const before = a.context.analyses.get(uri)?.stamp;
  await edit();
  await waitFor(`the analysis after an edit of ${uri.path}`, () => a.context.analyses.get(uri)?.stamp !== before, 10000);
  await settled(uri);
}

/** Puts a document back to its text on disk (and saves it), waiting for the new analysis. */
export async function restore(uri: vscode.Uri): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const disk = originals.get(uri.toString()) ?? new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  if (doc.getText() === disk) return;
  await editAndSettle(uri, async () => {
    const e = new vscode.WorkspaceEdit();
    e.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), disk);
    await vscode.workspace.applyEdit(e);
  });
  await doc.save();
}
