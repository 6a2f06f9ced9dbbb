/**
 * Entry point of the extension: builds the one context object and returns a
 * small API (used by the integration tests).
 */
import * as vscode from 'vscode';
import { RflContext } from './context';

export interface RflApi {
  readonly context: RflContext;
  /** milliseconds activate() took */
  readonly activationMs: number;
}

let current: RflContext | undefined;

export function activate(extension: vscode.ExtensionContext): RflApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('Receptive Field Lens', { log: true });
  extension.subscriptions.push(log);
  const context = new RflContext(extension, log);
  extension.subscriptions.push(context);
  context.start();
  current = context;
  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { context, activationMs };
}

export function deactivate(): void {
  current?.dispose();
  current = undefined;
}
