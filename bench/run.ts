/**
 * npm run bench: the engine's speed and memory on the largest corpus models,
 * and the exact map engine against automatic differentiation of the same
 * all-ones network in TensorFlow.js. Medians over repeated runs; nothing here
 * is a test (DESIGN.md: speed is measured, never asserted in tests).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../src/core/analyze';
import { ModelAnalysis } from '../src/core/analysis/modelAnalysis';
import { readerFor } from '../src/core/formats';
import type { ModelGraph } from '../src/core/graph/ir';
import { spawnSync } from 'node:child_process';

// Run from dist/bench/ (bundled like the extension and the command line, see scripts/build.mjs).
const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpus');
const quick = process.argv.includes('--quick');
const RUNS = quick ? 5 : 25;
const WARMUP = quick ? 2 : 10;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function time(fn: () => void, runs = RUNS, warmup = WARMUP): number {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

function readGraph(file: string, text: string): ModelGraph {
  const src = { fileName: file, text };
  return readerFor(src)!.read(src, { options: {} }).models[0]!;
}

interface Row {
  model: string;
  input: string;
  layers: number;
  fieldsMs: number;
  fieldsAndMapMs: number;
  analyzeMs: number;
}

function benchModel(rel: string, input?: number): Row | null {
  const file = join(corpus, rel);
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8');
  const graph = readGraph(file, text);
  const size = input ? new Array<number>(graph.rank).fill(input) : (graph.statedInput ?? [224, 224]);
  const fieldsMs = time(() => {
    void new ModelAnalysis(readGraph(file, text), size).fields;
  });
  const fieldsAndMapMs = time(() => {
    const s = new ModelAnalysis(readGraph(file, text), size);
    void s.fields;
    s.pathMap(s.graph.outputs);
    s.coverage(s.finalSpatialLayers(s.graph.outputs));
  });
  const analyzeMs = time(() => {
    analyze({ fileName: file, text }, input ? { input } : {});
  });
  return { model: rel, input: size.join('x'), layers: graph.nodes.length, fieldsMs, fieldsAndMapMs, analyzeMs };
}

function memoryOf(rel: string): number | null {
  const file = join(corpus, rel);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!existsSync(file) || !gc) return null;
  const text = readFileSync(file, 'utf8');
  const graph = readGraph(file, text);
  gc();
  gc();
  const before = process.memoryUsage();
  // Everything the analysis keeps: shapes, fields, tap matrices, the final map and coverage.
  const s = new ModelAnalysis(graph, graph.statedInput ?? [608, 608]);
  void s.fields;
  const map = s.pathMap(s.graph.outputs);
  const cov = s.coverage(s.finalSpatialLayers(s.graph.outputs));
  let peak = process.memoryUsage();
  gc();
  gc();
  const after = process.memoryUsage();
  const retained = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 1e6;
  peak = peak.heapUsed + peak.arrayBuffers > after.heapUsed + after.arrayBuffers ? peak : after;
  void [s, map, cov];
  return retained;
}

async function main() {
  const ms = (x: number) => x.toFixed(1);
  console.log(`Receptive Field Lens benchmark (${RUNS} runs, medians, Node ${process.versions.node})`);
  if (!existsSync(corpus)) console.log(`(corpus not found at ${corpus}: corpus models skipped)`);
  const rows = [
    benchModel('darknet/yolov4.cfg'),
    benchModel('caffe/ResNet-152-deploy.prototxt'),
    benchModel('caffe/vgg16_deploy.prototxt'),
    benchModel('darknet/yolov3-tiny.cfg'),
    benchModel('caffe/ResNet-50-deploy.prototxt'),
  ].filter((r): r is Row => r !== null);
  console.log('\nmodel | input | layers | fields (ms) | fields + final map + coverage (ms) | full analyze() with findings (ms)');
  for (const r of rows) {
    console.log(`${r.model} | ${r.input} | ${r.layers} | ${ms(r.fieldsMs)} | ${ms(r.fieldsAndMapMs)} | ${ms(r.analyzeMs)}`);
  }
  const mem = memoryOf('darknet/yolov4.cfg');
  if (mem !== null) console.log(`\nmemory added by YOLOv4 at 608x608 with its final map and coverage: ${mem.toFixed(1)} MB`);
  // Each side in processes of its own, alternating, three times: medians of the medians.
  const side = (what: string) => {
    const r = spawnSync(process.execPath, [join(__dirname, 'tfjs.js'), what, String(RUNS), String(WARMUP)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  const tfjsMs: number[] = [];
  const engineMs: number[] = [];
  const withShapesMs: number[] = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    tfjsMs.push(side('tfjs').ms);
    engineMs.push(side('engine').ms);
    withShapesMs.push(side('engine-with-shapes').ms);
  }
  const { maxRelDiff } = side('compare');
  const t = median(tfjsMs);
  const e = median(engineMs);
  const w = median(withShapesMs);
  console.log(
    `\nVGG-16 at 224x224, all-ones weights, the path-count map of pool5: exact engine ${e.toFixed(3)} ms on the prepared network ` +
      `(${w.toFixed(3)} ms preparing it too: shapes, index rules, tap matrices), TensorFlow.js autodiff ${t.toFixed(1)} ms (cpu backend): ` +
      `${Math.round(t / e)}x faster (${Math.round(t / w)}x with the preparation); largest relative difference ${maxRelDiff.toExponential(2)} ` +
      `(TensorFlow.js computes in float32)`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
