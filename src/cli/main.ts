/**
 * rflens: the command line on the engine. `analyze` prints every layer's
 * receptive field, the metrics and the findings; `map` writes a layer's path
 * count or coverage map as JSON or PNG. Exit 0 when the analysis ran (whatever
 * it found), 2 for unreadable input or bad usage.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  analyze,
  influenceMap,
  isMapRefusal,
  PAD_MODES,
  resolveLayer,
  type AnalysisResult,
  type AnalyzeOptions,
  type LayerMetrics,
  type PadMode,
} from '../core';
import { heatmapPng } from './png';
import { renderTable } from './table';

const USAGE = `Receptive Field Lens ${'0.1.0'}: what every CNN layer sees.

usage:
  rflens analyze FILE [--input HxW | --input L | --input DxHxW] [--model NAME] [--json]
  rflens map FILE [--layer ID|NAME|INDEX] [--metric paths|coverage]
                  [--padding zeros|reflect|replicate|circular] [--json] [--png OUT.png]

options:
  --input SIZE      input size (wins over the size the file states; default 224 per axis)
  --model NAME      which model of a file that defines several
  --json            machine-readable output
  --layer REF       layer by id, name or position (map; default: the outputs together)
  --metric M        paths (default) or coverage
  --padding MODE    what-if: pad every convolution this way
  --png FILE        write the map as a heatmap image
  --scale S         linear (default) or log colour scale for --png
  --dialect D       Darknet fork: auto (default), pjreddie or alexeyab
  --format F        force a reader: darknet, caffe or python
  --python-path DIR where Python imports of installed libraries are looked up (repeatable)
`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

function parseInput(text: string): number[] {
  const parts = text.toLowerCase().split('x');
  const sizes = parts.map((p) => Number(p));
  if (parts.length > 3 || sizes.some((n) => !Number.isInteger(n) || n < 1)) fail(`--input must look like 224, 224x224 or 16x112x112 (got "${text}")`);
  return sizes;
}

function readSource(file: string): { fileName: string; text: string; bytes: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    fail(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { fileName: file, text: bytes.toString('utf8'), bytes: new Uint8Array(bytes) };
}

/** JSON numbers: NaN and infinities become null. */
function num(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

function metricsJson(m: LayerMetrics): Record<string, number | null> {
  return {
    peakLog10: num(m.peakLog10),
    edgeRatio: num(m.edgeRatio),
    cornerRatio: num(m.cornerRatio),
    wellRepresented: num(m.wellRepresented),
    deadPixels: m.deadPixels,
    coverageMin: m.coverageMin,
    coverageMax: m.coverageMax,
    ripple: num(m.ripple),
  };
}

export function analysisJson(r: AnalysisResult): unknown {
  return {
    file: r.file,
    format: r.format,
    model: r.model,
    input: r.input,
    outputs: r.outputs,
    layers: r.layers.map((l) => ({
      id: l.id,
      name: l.name,
      op: l.op,
      line: l.line,
      inputs: l.inputs,
      output: l.output,
      rf: l.rf ? { size: l.rf.size, jump: l.rf.jump.map(num), start: l.rf.start.map(num) } : null,
    })),
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([id, m]) => [id, metricsJson(m)])),
    findings: r.findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
      line: f.range ? f.range.start.line + 1 : null,
      layer: f.layer,
    })),
  };
}

function run(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      input: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean', default: false },
      layer: { type: 'string' },
      metric: { type: 'string', default: 'paths' },
      padding: { type: 'string' },
      png: { type: 'string' },
      scale: { type: 'string', default: 'linear' },
      dialect: { type: 'string', default: 'auto' },
      format: { type: 'string' },
      'python-path': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.version) {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const [command, file, ...extra] = positionals;
  if (command !== 'analyze' && command !== 'map') fail(`unknown command "${command}" (analyze or map)`);
  if (!file) fail(`${command} needs a model file`);
  if (extra.length) fail(`unexpected argument "${extra[0]}"`);
  if (values.padding !== undefined && !PAD_MODES.includes(values.padding as PadMode)) {
    fail(`--padding must be one of ${PAD_MODES.join(', ')}`);
  }
  if (!['auto', 'pjreddie', 'alexeyab'].includes(values.dialect!)) fail('--dialect must be auto, pjreddie or alexeyab');
  if (values.metric !== 'paths' && values.metric !== 'coverage') fail('--metric must be paths or coverage');
  if (values.scale !== 'linear' && values.scale !== 'log') fail('--scale must be linear or log');
  const options: AnalyzeOptions = {
    darknetDialect: values.dialect as AnalyzeOptions['darknetDialect'],
  };
  if (values.input) options.input = parseInput(values.input);
  if (values.model) options.model = values.model;
  if (values.format) options.format = values.format;
  // Python imports are read from the file system, relative to the model file.
  const base = dirname(resolve(file));
  options.files = {
    readText(path: string): string | null {
      try {
        return readFileSync(resolve(base, path), 'utf8');
      } catch {
        return null;
      }
    },
  };
  if (values['python-path']?.length) options.readerOptions = { 'python-path': values['python-path'].map((p) => resolve(p)).join('\n') };
  if (command === 'analyze' && values.padding) options.padding = values.padding as PadMode;
  if (command === 'map') options.layersOnly = true;

  const source = readSource(file);
  const result = analyze(source, options);
  if (result.requestError) fail(result.requestError);
  if (!result.graph) {
    const why = result.findings[0]?.message ?? 'no model found';
    fail(`cannot analyse ${file}: ${why}`);
  }

  if (command === 'analyze') {
    process.stdout.write(values.json ? `${JSON.stringify(analysisJson(result), null, 2)}\n` : renderTable(result));
    return 0;
  }

  let target: string | string[] = 'outputs';
  if (values.layer !== undefined) {
    const id = resolveLayer(result, values.layer);
    if (!id) fail(`no layer "${values.layer}" in ${file}`);
    target = id;
  }
  const map = influenceMap(result, target, values.metric as 'paths' | 'coverage', values.padding ? { padding: values.padding as PadMode } : {});
  if (isMapRefusal(map)) fail(map.refused);
  if (values.png) {
    const out = resolve(values.png);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, heatmapPng(map.values, map.shape, { scale: values.scale as 'linear' | 'log' }));
  }
  if (values.json) {
    const json = {
      layer: map.layers.length === 1 ? map.layers[0] : map.layers,
      metric: map.metric,
      shape: map.shape,
      peakLog10: num(map.peakLog10),
      values: Array.from(map.values, (v) => (Number.isFinite(v) ? v : null)),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else if (!values.png) {
    process.stdout.write(
      `${map.metric} map of ${map.layers.join(' + ')} over the ${map.shape.join('x')} input: peak 10^${(map.peakLog10 ?? 0).toFixed(2)}; use --json for the values or --png for an image\n`,
    );
  } else {
    process.stdout.write(`wrote ${values.png} (${map.metric} of ${map.layers.join(' + ')}, ${map.shape.join('x')})\n`);
  }
  return 0;
}

function main(): void {
  // A closed pipe (rflens ... | head) is not an error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    process.exitCode = run(process.argv.slice(2));
  } catch (e) {
    const message = e instanceof UsageError ? e.message : (e as Error).message;
    process.stderr.write(`rflens: ${message.split('\n')[0]}\n`);
    process.exitCode = 2;
  }
}

main();
