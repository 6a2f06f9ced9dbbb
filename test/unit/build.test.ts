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
    if (!['extension.js', 'cli.js', 'webview.js'].every((f) => existsSync(join(DIST, f)))) {
      const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
  });

  it('the command line bundle runs as an executable script', () => {
    assert.match(readFileSync(join(DIST, 'cli.js'), 'utf8'), /^#!\/usr\/bin\/env node/);
    const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), '--version'], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('the extension bundle loads with vscode external and registers its command', () => {
    const registered: string[] = [];
    const fakeVscode = {
      window: { createOutputChannel: () => ({ dispose() {}, clear() {}, append() {}, show() {} }) },
      commands: { registerCommand: (id: string) => (registered.push(id), { dispose() {} }) },
      workspace: { getConfiguration: () => ({ get: (_k: string, d: unknown) => d }) },
    };
    const load = (Module as unknown as { _load: (r: string, ...rest: unknown[]) => unknown })._load;
    (Module as unknown as { _load: typeof load })._load = (request: string, ...rest: unknown[]) =>
      request === 'vscode' ? fakeVscode : load(request, ...rest);
    try {
      const ext = require(join(DIST, 'extension.js')) as { activate: (ctx: unknown) => void; deactivate: () => void };
      ext.activate({ subscriptions: [] });
      assert.deepEqual(registered, ['rfLens.analyzeActiveFile']);
      const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
      assert.deepEqual(
        manifest.contributes.commands.map((c: { command: string }) => c.command),
        registered,
      );
    } finally {
      (Module as unknown as { _load: typeof load })._load = load;
    }
  });

  it('the panel bundle is a browser script: no require, no Node built-ins', () => {
    const js = readFileSync(join(DIST, 'webview.js'), 'utf8');
    assert.ok(!/\brequire\(/.test(js));
    assert.match(js, /acquireVsCodeApi/);
  });
});
