// Bundles the entry points with esbuild: the extension and its analysis worker
// (Node, CommonJS, vscode external), the command line and the panel script
// (browser); with --host-tests the integration tests that run inside VS Code
// (out/host), with --bench the benchmarks (dist/bench).
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const bench = process.argv.includes('--bench');
const hostTests = process.argv.includes('--host-tests');
// jsonc-parser's UMD main requires its parts at run time, which a bundle cannot follow: prefer ES modules.
const common = { bundle: true, sourcemap: true, logLevel: 'warning', target: 'es2022', mainFields: ['module', 'main'] };

await Promise.all([
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] }),
  build({ ...common, entryPoints: ['src/extension/worker/analysisWorker.ts'], outfile: 'dist/worker.js', platform: 'node', format: 'cjs' }),
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', banner: { js: '#!/usr/bin/env node' } }),
  // The panel's script is minified: the webview parses it on every first paint.
  build({ ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', minify: true }),
  // the ONNX editor's layer table
  build({ ...common, entryPoints: ['webview/table.ts'], outfile: 'dist/table.js', platform: 'browser', format: 'iife', minify: true }),
]);
if (hostTests) {
  // Each test file its own bundle, loaded by out/host/index.js (mocha inside the extension host).
  const tests = readdirSync('test/host').filter((f) => f.endsWith('.test.ts')).map((f) => `test/host/${f}`);
  await build({ ...common, entryPoints: ['test/host/index.ts', ...tests], outdir: 'out/host', platform: 'node', format: 'cjs', external: ['vscode', 'mocha'] });
}
// The benchmarks run bundled, as the extension and the command line do.
if (bench) {
  await build({ ...common, entryPoints: ['bench/run.ts', 'bench/tfjs.ts', 'bench/onnx.ts', 'bench/editor.ts', 'bench/python.ts'], outdir: 'dist/bench', platform: 'node', format: 'cjs', external: ['@tensorflow/tfjs'] });
}
if (watch) console.log('watch mode is not implemented; rerun npm run build');
