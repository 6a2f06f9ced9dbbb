/**
 * ONNX files with weights: time and memory of reading and analysing them.
 * Exports nothing itself; measures the files named by RFL_BENCH_ONNX
 * (separated by commas or the path delimiter), e.g.
 *
 *   RFL_BENCH_ONNX=/tmp/resnet50.onnx,/tmp/vgg16.onnx npm run bench:onnx
 *
 * For each file: the size, the time to read it from disk, the reader alone
 * (decode and graph), analyze() with layersOnly (reader, shapes, fields), the
 * full analyze() (reader, fields, metrics, map-based findings),
 * medians over a few runs, and the resident memory the process gained over
 * the file's own bytes (RSS after the runs minus RSS with the bytes loaded),
 * which stays small when weights are not materialised.
 */
import { readFileSync, statSync } from 'node:fs';
import { delimiter } from 'node:path';
import { analyze } from '../src/core/analyze';
import { onnxReader } from '../src/core/formats/onnx/reader';

const RUNS = Number(process.env.RFL_BENCH_RUNS ?? 5);

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number) => (n / 1048576).toFixed(1);

function measure(file: string): void {
  gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const buffer = readFileSync(file);
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const readMs = performance.now() - t0;
  gc?.();
  const rssBytes = process.memoryUsage().rss;
  const source = { fileName: file, bytes };
  const readerMs: number[] = [];
  const analyzeMs: number[] = [];
  const layersOnlyMs: number[] = [];
  let peak = rssBytes;
  let layers = 0;
  let findings = 0;
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const read = onnxReader.read(source, { options: {} });
    readerMs.push(performance.now() - t);
    layers = read.models[0]?.nodes.length ?? 0;
    peak = Math.max(peak, process.memoryUsage().rss);
    t = performance.now();
    analyze(source, { findings: 'none' });
    layersOnlyMs.push(performance.now() - t);
    t = performance.now();
    const result = analyze(source, {});
    analyzeMs.push(performance.now() - t);
    findings = result.findings.length;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  gc?.();
  const rssAfter = process.memoryUsage().rss;
  const size = statSync(file).size;
  const row = {
    file,
    sizeMB: Number(mb(size)),
    layers,
    findings,
    diskReadMs: Math.round(readMs),
    firstReaderMs: Math.round(readerMs[0]!),
    readerMs: Math.round(median(readerMs)),
    layersOnlyMs: Math.round(median(layersOnlyMs)),
    firstAnalyzeMs: Math.round(analyzeMs[0]!),
    analyzeMs: Math.round(median(analyzeMs)),
    rssForBytesMB: Number(mb(rssBytes - rss0)),
    rssGrowthPeakMB: Number(mb(peak - rssBytes)),
    rssGrowthAfterMB: Number(mb(rssAfter - rssBytes)),
  };
  console.log(JSON.stringify(row));
}

const list = (process.env.RFL_BENCH_ONNX ?? '').split(new RegExp(`[,${delimiter}]`)).filter(Boolean);
if (list.length === 0) {
  console.log('Set RFL_BENCH_ONNX to one or more .onnx files (comma separated), e.g. a torchvision ResNet-50 exported with weights.');
} else {
  for (const f of list) measure(f);
}
