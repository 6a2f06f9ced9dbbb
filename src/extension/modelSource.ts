/**
 * Where the engine gets a model from: an open text document's text, or a
 * file's content through workspace.fs, as bytes when a binary reader (ONNX)
 * claims its extension and as text otherwise. The analyses (so the workspace
 * pass, the diagnostics, the panel and the ONNX layer table) read every model
 * through here; binary files are never decoded as text.
 */
import * as vscode from 'vscode';
import { fileNameOf, keyOf, toEngineDocument, type EngineDocument } from './documents';
import type { ReaderInfo } from './worker/messages';
import type { Logger } from './workerClient';

/** Whether a binary reader claims the file's extension (its content is bytes, never text). */
export function isBinaryModel(uri: vscode.Uri, readers: readonly ReaderInfo[]): boolean {
  const name = uri.path.toLowerCase();
  return readers.some((r) => r.binary && r.extensions.some((ext) => name.endsWith(ext)));
}

/** The model's content: bytes for a binary model (read from the file), else the open document's text or the file's. */
export async function readModelContent(uri: vscode.Uri, binary: boolean, log: Logger): Promise<EngineDocument | null> {
  const key = keyOf(uri);
  if (!binary) {
    const doc = vscode.workspace.textDocuments.find((d) => keyOf(d.uri) === key);
    if (doc) return toEngineDocument(doc);
  }
  try {
    const bytes = await vscode.workspace.fs.readFile(uri);
    if (binary) return { key, fileName: fileNameOf(uri), languageId: '', bytes };
    return { key, fileName: fileNameOf(uri), languageId: '', text: new TextDecoder('utf-8').decode(bytes) };
  } catch (err) {
    log.warn(`cannot read ${uri.toString(true)}: ${(err as Error).message}`);
    return null;
  }
}
