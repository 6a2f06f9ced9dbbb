// Bundles the three entry points with esbuild: the extension (Node, CommonJS,
// vscode external), the command line and the panel script (browser).
import { build } from 'esbuild';

const watch = process.argv.includes('--watch');
const bench = process.argv.includes('--bench');
// jsonc-parser's UMD main requires its parts at run time, which a bundle cannot follow: prefer ES modules.
const common = { bundle: true, sourcemap: true, logLevel: 'warning', target: 'es2022', mainFields: ['module', 'main'] };

await Promise.all([
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] }),
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife' }),
]);
// The benchmarks run bundled, as the extension and the command line do.
if (bench) {
  await build({ ...common, entryPoints: ['bench/run.ts', 'bench/tfjs.ts', 'bench/onnx.ts'], outdir: 'dist/bench', platform: 'node', format: 'cjs', external: ['@tensorflow/tfjs'] });
}
if (watch) console.log('watch mode is not implemented; rerun npm run build');
