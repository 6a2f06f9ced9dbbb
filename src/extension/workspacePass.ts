/**
 * The workspace pass: every model file of the workspace analysed once, so the
 * Problems panel lists them all; a notification with progress (cancellable)
 * when it takes long.
 */
import * as vscode from 'vscode';
import type { Analyses } from './analyses';
import type { RflConfig } from './config';
import { excludeGlobs, keyOf, LIBRARY_GLOBS } from './documents';

function isOpen(uri: vscode.Uri): boolean {
  const key = keyOf(uri);
  return vscode.workspace.textDocuments.some((d) => keyOf(d.uri) === key);
}

export function modelGlob(extensions: string[]): string {
  const exts = [...new Set(extensions.map((e) => e.replace(/^\./, '')))];
  return exts.length === 1 ? `**/*.${exts[0]}` : `**/*.{${exts.join(',')}}`;
}

export async function analyzeWorkspace(
  analyses: Analyses,
  extensions: string[],
  config: RflConfig,
  log: { info(m: string): void },
  onAnalysed: (uri: vscode.Uri) => void,
  explicit = false,
): Promise<number> {
  if (!vscode.workspace.workspaceFolders?.length || !extensions.length) return 0;
  const t0 = performance.now();
  const excludes = [...excludeGlobs(undefined, config), ...LIBRARY_GLOBS];
  const files = await vscode.workspace.findFiles(modelGlob(extensions), excludes.length ? `{${excludes.join(',')}}` : null, 5000);
  const open = new Set(vscode.workspace.textDocuments.map((d) => keyOf(d.uri)));
  const todo = files.filter((f) => !open.has(keyOf(f)));
  let done = 0;
  let cancelled = false;
  const work = (async () => {
    for (const uri of todo) {
      if (cancelled) break;
      // opened meanwhile: the editor's analysis covers it
      if (!isOpen(uri) && !analyses.get(uri)?.open) {
        const e = analyses.invalidate(uri, false);
        await analyses.whenComplete(e);
        if (!isOpen(uri) && !e.open) onAnalysed(uri);
      }
      done++;
    }
  })();
  // a notification only when the pass takes long (or was asked for)
  const delay = explicit ? 0 : 1500;
  const timer = setTimeout(() => {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Receptive Field Lens: analysing model files', cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => (cancelled = true));
        let reported = 0;
        const tick = setInterval(() => {
          progress.report({ message: `${done} of ${todo.length}`, increment: ((done - reported) * 100) / Math.max(1, todo.length) });
          reported = done;
        }, 200);
        await work;
        clearInterval(tick);
      },
    );
  }, delay);
  await work;
  clearTimeout(timer);
  log.info(`workspace pass: ${done} of ${todo.length} model files (${files.length - todo.length} open) in ${(performance.now() - t0).toFixed(0)} ms${cancelled ? ', cancelled' : ''}`);
  return done;
}
