/** The three bundles of `npm run build` (npm test builds first). */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

describe('build', function () {
  this.timeout(120000);
  before(() => {
    if (!['extension.js', 'worker.js', 'cli.js', 'webview.js'].every((f) => existsSync(join(DIST, f)))) {
      const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
  });

  it('the command line bundle runs as an executable script', () => {
    assert.match(readFileSync(join(DIST, 'cli.js'), 'utf8'), /^#!\/usr\/bin\/env node/);
    const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), '--version'], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('the extension bundle loads with vscode external, registers every contributed command, and bundles no engine', () => {
    const registered: string[] = [];
    // a stand-in for the editor API: every property and call yields another stand-in
    const fake = (path: string): unknown =>
      new Proxy(function () {}, {
        get(_t, prop) {
          if (prop === 'then') return undefined;
          if (prop === Symbol.iterator) return function* () {};
          if (prop === Symbol.toPrimitive) return () => path;
          if (prop === 'prototype') return {};
          return fake(`${path}.${String(prop)}`);
        },
        apply(_t, _self, args: unknown[]) {
          if (path === 'vscode.commands.registerCommand') registered.push(String(args[0]));
          return fake(`${path}()`);
        },
        construct() {
          return fake(`new ${path}`) as object;
        },
        set() {
          return true;
        },
        defineProperty() {
          return true;
        },
      });
    // the names the bundle reads from the module (esbuild copies a CommonJS module's own properties)
    const names = ['window', 'workspace', 'languages', 'commands', 'extensions', 'env', 'Uri', 'Range', 'Position', 'Selection', 'Location', 'Diagnostic', 'DiagnosticSeverity', 'DiagnosticTag', 'DiagnosticRelatedInformation', 'EventEmitter', 'CodeLens', 'CodeAction', 'CodeActionKind', 'WorkspaceEdit', 'MarkdownString', 'Hover', 'StatusBarAlignment', 'ThemeColor', 'ViewColumn', 'ProgressLocation', 'RelativePattern', 'ConfigurationTarget', 'TabInputText', 'TabInputTextDiff'];
    const fakeVscode = Object.fromEntries(names.map((n) => [n, fake(`vscode.${n}`)]));
    const load = (Module as unknown as { _load: (r: string, ...rest: unknown[]) => unknown })._load;
    (Module as unknown as { _load: typeof load })._load = (request: string, ...rest: unknown[]) =>
      request === 'vscode' ? fakeVscode : load(request, ...rest);
    try {
      const ext = require(join(DIST, 'extension.js')) as { activate: (ctx: unknown) => unknown; deactivate: () => void };
      ext.activate({ subscriptions: [], extensionPath: ROOT, extensionUri: fake('uri') });
      const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
      assert.deepEqual(manifest.contributes.commands.map((c: { command: string }) => c.command).sort(), registered.slice().sort());
      ext.deactivate();
    } finally {
      (Module as unknown as { _load: typeof load })._load = load;
    }
    // the engine runs in the worker: the extension bundle carries none of its readers
    const js = readFileSync(join(DIST, 'extension.js'), 'utf8');
    assert.ok(!/darknetReader|caffeReader|ModelAnalysis/.test(js));
    // ... nor the readers' libraries (they would triple what activation loads)
    assert.ok(!/YAMLParseError|ModelProto|LRParser/.test(js), 'yaml, onnx-proto or lezer in the extension bundle');
    assert.ok(existsSync(join(DIST, 'worker.js')));
  });

  it('the panel bundle is a browser script: no require, no Node built-ins', () => {
    const js = readFileSync(join(DIST, 'webview.js'), 'utf8');
    assert.ok(!/\brequire\(/.test(js));
    assert.match(js, /acquireVsCodeApi/);
  });
});
