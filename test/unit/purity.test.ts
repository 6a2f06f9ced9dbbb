/**
 * The layering of docs/design-notes.md: src/core imports no editor API, no Node
 * built-in and uses no DOM (it runs in Node, the extension host and a
 * browser); the analysis never imports a reader; the panel never imports the
 * engine or the editor API.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3]!,
  );
}

/** Pure packages (no Node built-ins, no DOM at import) the engine may use: parsers its readers need. */
const CORE_PACKAGES = new Set(['yaml', 'jsonc-parser', 'protobufjs', 'protobufjs/minimal', 'onnx-proto', 'fflate', '@lezer/python', '@lezer/common', '@lezer/lr', '@vscode/tree-sitter-wasm', 'web-tree-sitter']);

const NODE_BUILTINS = new Set(['fs', 'path', 'os', 'child_process', 'util', 'url', 'crypto', 'stream', 'events', 'buffer', 'http', 'https', 'net', 'zlib', 'worker_threads', 'process']);

describe('layering', () => {
  it('src/core imports no vscode, no Node built-in and touches no DOM', () => {
    for (const file of files(join(ROOT, 'src', 'core'))) {
      const rel = relative(ROOT, file);
      for (const spec of imports(file)) {
        assert.notEqual(spec, 'vscode', rel);
        assert.ok(!spec.startsWith('node:') && !NODE_BUILTINS.has(spec), `${rel} imports ${spec}`);
        assert.ok(spec.startsWith('.') || CORE_PACKAGES.has(spec), `${rel} imports the package ${spec}, which is not on the engine's allow-list of pure packages`);
      }
      const text = readFileSync(file, 'utf8');
      assert.ok(!/\b(document|window|navigator)\./.test(text), `${rel} uses the DOM`);
      assert.ok(!/\bprocess\.|\bBuffer\b|__dirname/.test(text), `${rel} uses a Node global`);
    }
  });

  it('the analysis never imports a reader, the IR imports nothing else', () => {
    for (const file of files(join(ROOT, 'src', 'core', 'analysis'))) {
      for (const spec of imports(file)) assert.ok(!spec.includes('formats'), `${relative(ROOT, file)} imports ${spec}`);
    }
    for (const file of files(join(ROOT, 'src', 'core', 'graph'))) {
      for (const spec of imports(file)) assert.ok(spec.startsWith('./'), `${relative(ROOT, file)} imports ${spec}`);
    }
    for (const file of files(join(ROOT, 'src', 'core', 'formats'))) {
      for (const spec of imports(file)) assert.ok(!spec.includes('analysis'), `${relative(ROOT, file)} imports ${spec}`);
    }
  });

  it('the panel imports only its own files and src/shared (protocol, colours, heatmap)', () => {
    for (const file of files(join(ROOT, 'webview'))) {
      for (const spec of imports(file)) {
        assert.ok(spec.startsWith('./') || spec.startsWith('../src/shared/') || !spec.startsWith('.'), `${relative(ROOT, file)} imports ${spec}`);
        assert.ok(!spec.includes('core'), `${relative(ROOT, file)} imports the engine`);
        assert.notEqual(spec, 'vscode');
      }
    }
  });

  it('the command line does not import the editor API', () => {
    for (const file of files(join(ROOT, 'src', 'cli'))) for (const spec of imports(file)) assert.notEqual(spec, 'vscode');
  });
});
