import * as vscode from 'vscode';
import { analyze } from '../core';

/**
 * Entry point of the extension. For now one command: analyse the active model
 * file with the engine and show the report the command line prints; the
 * editor features (diagnostics, hovers, CodeLens, the influence map panel)
 * build on this.
 */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Receptive Field Lens');
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('rfLens.analyzeActiveFile', () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage('Receptive Field Lens: open a model file first.');
        return;
      }
      const config = vscode.workspace.getConfiguration('rfLens');
      const doc = editor.document;
      const result = analyze(
        { fileName: doc.fileName, text: doc.getText() },
        { defaultInput: config.get<number>('defaultInputSize', 224), edgeRatioThreshold: config.get<number>('edgeRatioThreshold', 0.25) },
      );
      output.clear();
      output.append(
        result.model
          ? `${doc.fileName}: ${result.layers.length} layers, ${result.findings.length} findings\n${result.findings.map((f) => `  ${f.code} ${f.message}`).join('\n')}\n`
          : `${doc.fileName}: ${result.findings[0]?.message ?? 'not a model file'}\n`,
      );
      output.show(true);
    }),
  );
}

export function deactivate(): void {}
