/**
 * The one adapter between VS Code documents and the engine's small document
 * interface ({ fileName, text }), and the filter of which documents are sent
 * to the engine at all (the readers' `match` decides the rest, in the worker).
 */
import * as vscode from 'vscode';
import type { RflConfig } from './config';

/** Schemes of documents a user edits (not output channels, diffs of git, settings). */
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-test-web', 'memfs']);
/** Larger documents are no hand-written model definitions. */
const MAX_CHARS = 8 * 1024 * 1024;

/** A model as the engine reads it: a text document's text, or a binary file's bytes (see modelSource.ts). */
export interface EngineDocument {
  key: string;
  fileName: string;
  languageId: string;
  text?: string;
  bytes?: Uint8Array;
}

export function keyOf(uri: vscode.Uri): string {
  return uri.toString();
}

export function fileNameOf(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.path;
}

export function toEngineDocument(doc: vscode.TextDocument): EngineDocument {
  return { key: keyOf(doc.uri), fileName: fileNameOf(doc.uri), languageId: doc.languageId, text: doc.getText() };
}

/** Globs of files.exclude (the enabled ones) and rfLens.exclude for a resource. */
export function excludeGlobs(uri: vscode.Uri | undefined, config: RflConfig): string[] {
  const filesExclude = vscode.workspace.getConfiguration('files', uri).get<Record<string, unknown>>('exclude') ?? {};
  return [...Object.entries(filesExclude).filter(([, v]) => v === true).map(([g]) => g), ...config.exclude];
}

export function isExcluded(uri: vscode.Uri, config: RflConfig): boolean {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  for (const glob of excludeGlobs(uri, config)) {
    const pattern = folder ? new vscode.RelativePattern(folder, glob) : glob;
    if (vscode.languages.match({ pattern }, { uri, languageId: '' } as unknown as vscode.TextDocument) > 0) return true;
  }
  return false;
}

/** Whether a document may be a model file (whether it is one the readers decide). */
export function isCandidate(doc: vscode.TextDocument, config: RflConfig): boolean {
  if (!SCHEMES.has(doc.uri.scheme)) return false;
  if (doc.languageId === 'log' || doc.getText().length > MAX_CHARS) return false;
  return !isExcluded(doc.uri, config);
}

/**
 * Installed libraries (a virtual environment's site-packages): read when a
 * model imports them, never analysed as the workspace's own model files.
 */
export const LIBRARY_GLOBS: readonly string[] = ['**/.venv/**', '**/venv/**', '**/site-packages/**'];

export function isLibraryFile(uri: vscode.Uri): boolean {
  return /\/(\.venv|venv|site-packages)\//.test(uri.path);
}
