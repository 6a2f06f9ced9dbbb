/**
 * A minimal stand-in for the influence-map panel (src/extension/panel, built
 * in parallel), with the same signature: a webview tab titled "Influence Map"
 * with the layer's name, a strict content security policy and no script.
 * TODO(lead): replace the import in context.ts with registerInfluencePanel from './panel'.
 */
import * as vscode from 'vscode';
import type { EngineService } from './engineService';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function registerInfluencePanel(
  context: vscode.ExtensionContext,
  engine: EngineService,
  log: vscode.LogOutputChannel,
): { show(uri: vscode.Uri, layer?: string): void } {
  let panel: vscode.WebviewPanel | undefined;
  let current: { uri: vscode.Uri; layer?: string } | undefined;
  const render = async () => {
    if (!panel || !current) return;
    const { uri, layer } = current;
    const report = await engine.report(uri);
    const name = layer ? (report?.layers.find((l) => l.id === layer)?.name ?? layer) : 'outputs';
    const file = uri.path.split('/').pop() ?? uri.toString();
    const csp = `default-src 'none'; style-src ${panel.webview.cspSource} 'unsafe-inline';`;
    panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Influence Map</title>
<style>body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:1em}</style></head>
<body><h2>Influence map: ${escapeHtml(name)}</h2><p>${escapeHtml(file)}${report?.input ? ` at ${report.input.shape.join('×')}` : ''}</p></body></html>`;
  };
  context.subscriptions.push(
    engine.onDidChangeReport((uri) => {
      if (current && uri.toString() === current.uri.toString()) void render().catch((e) => log.error(String(e)));
    }),
  );
  return {
    show(uri: vscode.Uri, layer?: string) {
      current = layer === undefined ? { uri } : { uri, layer };
      if (!panel) {
        panel = vscode.window.createWebviewPanel('rfLens.influenceMap', 'Influence Map', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false });
        panel.onDidDispose(() => (panel = undefined), null, context.subscriptions);
      } else panel.reveal(vscode.ViewColumn.Beside, true);
      void render().catch((e) => log.error(`panel: ${String(e)}`));
    },
  };
}
