/**
 * npm run bench, editor part: the analysis worker's round trip as the
 * extension uses it, outside VS Code. Starts dist/worker.js in a worker
 * thread, sends YOLOv4 (the largest corpus file) as an edited document, and
 * measures edit -> first diagnostics (the fields pass) and edit -> map-based
 * findings (the full pass); then the activation of dist/extension.js against
 * a stand-in editor API. Medians; nothing here is a test.
 */
import { existsSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { analyze } from '../src/core';
import type { WorkerRequest, WorkerResponse } from '../src/extension/worker/messages';

const DIST = join(__dirname, '..');
const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpus');
const RUNS = process.argv.includes('--quick') ? 5 : 21;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function workerBench(rel: string): Promise<void> {
  const file = join(corpus, rel);
  if (!existsSync(file)) {
    console.log(`${rel}: not in the corpus, skipped`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  // as the extension runs them: one worker for the fields passes (and maps), one for the map-based findings
  const fieldsWorker = new Worker(join(DIST, 'worker.js'), { workerData: { role: 'fields' } });
  const mapsWorker = new Worker(join(DIST, 'worker.js'), { workerData: { role: 'maps' } });
  const waiters = new Map<string, (m: WorkerResponse) => void>();
  fieldsWorker.on('message', (m: WorkerResponse) => waiters.get(`f${m.id}`)?.(m));
  mapsWorker.on('message', (m: WorkerResponse) => waiters.get(`m${m.id}`)?.(m));
  let id = 0;
  const settings = { defaultInput: 224, edgeRatioThreshold: 0.25, severities: {} };
  // `to`: which workers get the edit (the typing lanes each feed their own worker, as the extension does)
  const edit = (version: number, body: string, to: 'both' | 'fields' | 'maps' = 'both') => {
    const rid = ++id;
    const t0 = performance.now();
    const fields = new Promise<number>((resolve) => waiters.set(`f${rid}`, () => resolve(performance.now() - t0)));
    const complete = new Promise<number>((resolve) => waiters.set(`m${rid}`, (m) => resolve(m.kind === 'cancelled' ? NaN : performance.now() - t0)));
    const msg = { kind: 'analyze', id: rid, key: 'file:///bench.cfg', version, fileName: file, languageId: 'darknet', text: body, settings } satisfies WorkerRequest;
    if (to !== 'maps') fieldsWorker.postMessage(msg);
    if (to !== 'fields') mapsWorker.postMessage(msg);
    return { fields, complete, rid };
  };
  const fieldsMs: number[] = [];
  const completeMs: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    // a keystroke: one filter count changes (the same network shape, a new text)
    const body = text.replace(/filters=32\b/, `filters=${32 + (i % 7)}`);
    const r = edit(i + 1, body);
    const f = await r.fields;
    const c = await r.complete;
    if (i >= 3) {
      fieldsMs.push(f);
      completeMs.push(c);
    }
  }
  // a map over the wire (Float64Array, transferred)
  const mapMs: number[] = [];
  for (let i = 0; i < 9; i++) {
    const rid = ++id;
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => waiters.set(`f${rid}`, () => resolve()));
    fieldsWorker.postMessage({ kind: 'map', id: rid, key: 'file:///bench.cfg', version: RUNS + 3, layer: 'outputs', metric: 'paths' } satisfies WorkerRequest);
    await done;
    mapMs.push(performance.now() - t0);
  }
  // typing: a keystroke every 100 ms, coalesced as the extension does (at most one analysis in flight per
  // document and worker; a keystroke during one waits for it and then sends the newest text)
  const keyAt = new Map<number, number>();
  const firstDiag: number[] = [];
  let mapsDoneFor = 0;
  const lane = (worker: 'fields' | 'maps') => {
    let inflight = false;
    let pending: { version: number; body: string } | null = null;
    const send = (version: number, body: string) => {
      inflight = true;
      const r = edit(version, body, worker);
      const done = worker === 'fields' ? r.fields : r.complete;
      void done.then((ms) => {
        if (worker === 'fields') {
          for (const [v, t] of keyAt) if (v <= version && !Number.isNaN(t)) (firstDiag.push(performance.now() - t), keyAt.set(v, NaN));
        } else if (!Number.isNaN(ms)) mapsDoneFor = version;
        inflight = false;
        if (pending) {
          const p = pending;
          pending = null;
          send(p.version, p.body);
        }
      });
    };
    return (version: number, body: string) => (inflight ? (pending = { version, body }) : send(version, body));
  };
  const fieldsLane = lane('fields');
  const mapsLane = lane('maps');
  let lastKey = 0;
  for (let i = 0; i < 20; i++) {
    const version = 1000 + i;
    const body = text.replace(/filters=32\b/, `filters=${40 + i}`);
    keyAt.set(version, performance.now());
    lastKey = performance.now();
    fieldsLane(version, body);
    mapsLane(version, body);
    await new Promise((res) => setTimeout(res, 100));
  }
  while (mapsDoneFor < 1019) await new Promise((res) => setTimeout(res, 5));
  const lastComplete = performance.now() - lastKey;
  await fieldsWorker.terminate();
  await mapsWorker.terminate();
  console.log(`\n${rel} (${text.split('\n').length} lines), worker round trip, median of ${RUNS} edits:`);
  console.log(`  edit -> first diagnostics (fields pass):       ${median(fieldsMs).toFixed(1)} ms`);
  console.log(`  edit -> map-based findings (full pass):        ${median(completeMs).toFixed(1)} ms`);
  console.log(`  influence map of the outputs, to the host:     ${median(mapMs).toFixed(1)} ms`);
  console.log(`  typing (20 keystrokes 100 ms apart, coalesced): keystroke -> first diagnostics median ${median(firstDiag).toFixed(1)} ms, max ${Math.max(...firstDiag).toFixed(1)} ms;`);
  console.log(`    last keystroke -> its map-based findings ${lastComplete.toFixed(0)} ms`);
  // the same passes in this thread, for the worker's overhead
  const inFields: number[] = [];
  const inFull: number[] = [];
  for (let i = 0; i < 7; i++) {
    let t = performance.now();
    analyze({ fileName: file, text }, { findings: 'fields' });
    inFields.push(performance.now() - t);
    t = performance.now();
    analyze({ fileName: file, text });
    inFull.push(performance.now() - t);
  }
  console.log(`  the same in the main thread: analyze({ layersOnly }) ${median(inFields).toFixed(1)} ms, analyze() ${median(inFull).toFixed(1)} ms`);
}

function activationBench(): void {
  const fake = (path: string): unknown =>
    new Proxy(function () {}, {
      get: (_t, prop) => (prop === 'then' ? undefined : prop === Symbol.iterator ? function* () {} : prop === 'prototype' ? {} : fake(`${path}.${String(prop)}`)),
      apply: () => fake(`${path}()`),
      construct: () => fake(`new ${path}`) as object,
      set: () => true,
    });
  const names = ['window', 'workspace', 'languages', 'commands', 'extensions', 'env', 'Uri', 'Range', 'Position', 'Selection', 'Location', 'Diagnostic', 'DiagnosticSeverity', 'DiagnosticTag', 'DiagnosticRelatedInformation', 'EventEmitter', 'CodeLens', 'CodeAction', 'CodeActionKind', 'WorkspaceEdit', 'MarkdownString', 'Hover', 'StatusBarAlignment', 'ThemeColor', 'ViewColumn', 'ProgressLocation', 'RelativePattern', 'ConfigurationTarget', 'TabInputText', 'TabInputTextDiff'];
  const vscode = Object.fromEntries(names.map((n) => [n, fake(`vscode.${n}`)]));
  const M = Module as unknown as { _load: (r: string, ...rest: unknown[]) => unknown };
  const load = M._load;
  M._load = (request: string, ...rest: unknown[]) => (request === 'vscode' ? vscode : load(request, ...rest));
  const t0 = performance.now();
  const ext = require(join(DIST, 'extension.js')) as { activate: (c: unknown) => { activationMs: number }; deactivate: () => void };
  const loaded = performance.now() - t0;
  const api = ext.activate({ subscriptions: [], extensionPath: join(DIST, '..'), extensionUri: fake('uri') });
  const total = performance.now() - t0;
  ext.deactivate();
  M._load = load;
  console.log(`\nactivation: load dist/extension.js ${loaded.toFixed(1)} ms + activate() ${api.activationMs.toFixed(1)} ms = ${total.toFixed(1)} ms (stand-in editor API; the worker starts on first use)`);
}

void (async () => {
  await workerBench('darknet/yolov4.cfg');
  await workerBench('caffe/ResNet-152-deploy.prototxt');
  activationBench();
  process.exit(0);
})();
