/**
 * rflens: the command line on the engine. `analyze` prints every layer's
 * receptive field, the metrics and the findings of one or more model files
 * (or of every model file in folders) as a table, JSON or SARIF; `map` writes
 * a layer's path count or coverage map as JSON or PNG. Exit 0 when the
 * analysis ran, 1 when --fail-on met a finding at or above its severity, 2
 * for unreadable input or bad usage.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  analyze,
  isRefusal,
  openModel,
  KNOWN_EXTENSIONS,
  PAD_MODES,
  parseSeverityOverrides,
  READERS,
  resolveLayer,
  SEVERITY_NAMES,
  type AnalysisReport,
  type AnalyzeOptions,
  type Finding,
  type ModelReader,
  type PadMode,
  type Severity,
} from '../core';
import { errorCode, fileAccess, listInputs, openInput, readSource } from './files';
import { analysisJson, num } from './json';
import { heatmapPng } from './png';
import { Progress } from './progress';
import { sarifLog, type PackageInfo, type SarifFile } from './sarif';
import { renderTable } from './table';

/** package.json next to dist/ (the bundle is dist/cli.js): the version, and where the README is for SARIF's helpUri. */
function packageInfo(): PackageInfo {
  try {
    return JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as PackageInfo;
  } catch {
    return { name: 'receptive-field-lens', displayName: 'Receptive Field Lens' };
  }
}

const pkg = packageInfo();
const VERSION: string = pkg.version ?? 'unknown';
const READER_NAMES = READERS.map((r) => r.format);
const OUTPUT_FORMATS = ['table', 'json', 'sarif'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** --fail-on thresholds, from the most severe. */
const SEVERITY_ORDER: readonly Severity[] = ['error', 'warning', 'information', 'hint'];

/**
 * One flag per reader option (ModelReader.options): `--NAME`, or
 * `--FORMAT-NAME` where two readers use the same name. The engine names no
 * format; the flags and their help come from the readers.
 */
const READER_FLAGS = READERS.flatMap((reader) =>
  (reader.options ?? []).map((option) => {
    const shared = READERS.some((r) => r !== reader && (r.options ?? []).some((o) => o.name === option.name));
    return { flag: shared ? `${reader.format}-${option.name}` : option.name, reader, option };
  }),
);

function readerFlagHelp(): string {
  return READER_FLAGS.map(({ flag, reader, option }) => {
    const values = option.values ? ` (${option.values.join(', ')}${option.default ? `; default ${option.default}` : ''})` : '';
    return `  --${`${flag} V`.padEnd(17)}${reader.displayName}: ${option.description}${values}`;
  }).join('\n');
}

const USAGE = `Receptive Field Lens ${VERSION}: what every CNN layer sees.

usage:
  rflens analyze PATH... [--input HxW | --input L | --input DxHxW] [--model NAME]
                 [--format table|json|sarif] [--json] [--fail-on error|warning|information]
                 [--severity CODE=LEVEL,...] [--reader NAME]
  rflens map FILE [--layer ID|NAME|INDEX] [--metric paths|coverage]
                  [--padding zeros|reflect|replicate|circular] [--json] [--png OUT.png]

  PATH is a model file or a folder: folders are searched recursively (not
  node_modules, .git or hidden folders) for files a reader recognises.

options:
  --input SIZE       input size (wins over the size the file states; default 224 per axis)
  --model NAME       which model of a file that defines several
  --format F         analyze output: table (default), json (one object per line
                     when several files are analysed) or sarif (SARIF 2.1.0)
  --json             the same as --format json
  --fail-on S        exit 1 when a finding of severity S or above exists
                     (error, warning, information or hint; default: never)
  --severity LIST    per-code severity, e.g. RFL002=off,RFL001=error
                     (off, hint, information, warning, error)
  --reader NAME      force a reader: ${READER_NAMES.join(' or ')} (default: by extension and content)
  --layer REF        layer by id, name or position (map; default: the outputs together)
  --metric M         paths (default) or coverage
  --padding MODE     what-if: pad every convolution this way
  --png FILE         write the map as a figure: title (model, layer, metric, scale),
                     heatmap and colour bar with ticks in real units
  --plain            with --png: the map's pixels only
  --scale S          linear (default) or log colour scale for --png

reader options:
${readerFlagHelp()}

exit status: 0 the analysis ran; 1 --fail-on met a finding; 2 unreadable input or bad usage
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

/** Why a named file has no analysis, in one line. */
function whyNot(file: string, result: AnalysisReport): string {
  if (result.requestError) return result.requestError;
  if (result.format === null) {
    const ext = extname(file).toLowerCase();
    const claimed = READERS.map((r) => `${r.format} (${r.extensions.join(' ')})`).join(', ');
    return KNOWN_EXTENSIONS.includes(ext)
      ? `no reader for ${file}: no reader reads ${ext} files (readers: ${claimed})`
      : `no reader recognises ${file} (readers: ${claimed})`;
  }
  const why = result.findings[0]?.message ?? 'no model found';
  return `cannot analyse ${file}: ${why}`;
}

function writeOut(text: string): void {
  process.stdout.write(text);
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
      format: { type: 'string' },
      reader: { type: 'string' },
      'fail-on': { type: 'string' },
      severity: { type: 'string', multiple: true },
      layer: { type: 'string' },
      metric: { type: 'string', default: 'paths' },
      padding: { type: 'string' },
      png: { type: 'string' },
      plain: { type: 'boolean', default: false },
      scale: { type: 'string', default: 'linear' },
      ...Object.fromEntries(READER_FLAGS.map(({ flag }) => [flag, { type: 'string' as const, multiple: true }])),
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.version) {
    writeOut(`${VERSION}\n`);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    writeOut(USAGE);
    return values.help ? 0 : 2;
  }
  const [command, ...paths] = positionals;
  if (command !== 'analyze' && command !== 'map') fail(`unknown command "${command}" (analyze or map)`);
  if (paths.length === 0) fail(`${command} needs a model file${command === 'analyze' ? ' or folder' : ''}`);
  if (command === 'map' && paths.length > 1) fail(`unexpected argument "${paths[1]}" (map takes one model file)`);
  if (values.padding !== undefined && !PAD_MODES.includes(values.padding as PadMode)) {
    fail(`--padding must be one of ${PAD_MODES.join(', ')}`);
  }
  const readerOptions: Record<string, string> = {};
  for (const { flag, option } of READER_FLAGS) {
    // A flag given several times (--python-path A --python-path B) keeps every value, one per line.
    const given = (values as Record<string, unknown>)[flag];
    if (!Array.isArray(given) || given.length === 0) continue;
    for (const v of given as string[]) if (option.values && !option.values.includes(v)) fail(`--${flag} must be one of ${option.values.join(', ')}`);
    readerOptions[option.name] = option.values ? (given as string[])[given.length - 1]! : (given as string[]).map((p) => resolve(p)).join('\n');
  }
  if (values.metric !== 'paths' && values.metric !== 'coverage') fail('--metric must be paths or coverage');
  if (values.scale !== 'linear' && values.scale !== 'log') fail('--scale must be linear or log');

  // --format used to force a reader; a reader's name there still does (an alias of --reader)
  let readerName = values.reader;
  let format: OutputFormat | undefined;
  if (values.format !== undefined) {
    if ((OUTPUT_FORMATS as readonly string[]).includes(values.format)) format = values.format as OutputFormat;
    else if (READER_NAMES.includes(values.format) && readerName === undefined) readerName = values.format;
    else fail(`--format must be one of ${OUTPUT_FORMATS.join(', ')} (a reader is chosen with --reader ${READER_NAMES.join('|')})`);
  }
  if (values.json) {
    if (format !== undefined && format !== 'json') fail(`--json and --format ${format} disagree`);
    format = 'json';
  }
  format ??= 'table';
  if (command === 'map' && format === 'sarif') fail('--format sarif is for analyze (map writes --json or --png)');
  let forced: ModelReader | null = null;
  if (readerName !== undefined) {
    forced = READERS.find((r) => r.format === readerName) ?? fail(`--reader must be one of ${READER_NAMES.join(', ')} (got "${readerName}")`);
  }
  let failOn: Severity | null = null;
  if (values['fail-on'] !== undefined) {
    if (!(SEVERITY_ORDER as readonly string[]).includes(values['fail-on'])) fail(`--fail-on must be one of ${SEVERITY_ORDER.join(', ')}`);
    failOn = values['fail-on'] as Severity;
  }

  const options: AnalyzeOptions = { readerOptions };
  if (values.input) options.input = parseInput(values.input);
  if (values.model) options.model = values.model;
  if (forced) options.reader = forced.format;
  if (values.severity?.length) {
    const parsed = parseSeverityOverrides(values.severity.join(','));
    if (parsed.errors.length) fail(`--severity: ${parsed.errors[0]} (write CODE=LEVEL,..., LEVEL one of ${SEVERITY_NAMES.join(', ')})`);
    options.severities = parsed.severities;
  }
  if (command === 'analyze' && values.padding) options.padding = values.padding as PadMode;
  if (command === 'map') {
    options.findings = 'none';
    return runMap(paths[0]!, options, values as MapValues, format === 'json');
  }
  return runAnalyze(paths, options, format, forced, failOn);
}

function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_ORDER.indexOf(severity) <= SEVERITY_ORDER.indexOf(threshold);
}

function runAnalyze(paths: string[], options: AnalyzeOptions, format: OutputFormat, forced: ModelReader | null, failOn: Severity | null): number {
  const list = listInputs(paths, forced);
  // one file named: today's output (a pretty-printed JSON object); anything else: one JSON object per line
  const single = paths.length === 1 && list.folders.length === 0;
  const problems = list.problems.slice();
  const progress = new Progress(process.stderr, list.entries.length);
  const report = (line: string) => {
    progress.clear();
    process.stderr.write(`rflens: ${line}\n`);
  };
  for (const p of list.problems) report(p);
  const sarifFiles: SarifFile[] = [];
  const found = new Map<string, number>();
  let tables = 0;
  let failed = false;
  list.entries.forEach((entry, i) => {
    progress.update(i + 1, entry.path);
    const opened = openInput(entry, forced);
    if (opened === 'skip') return;
    if ('error' in opened) {
      problems.push(opened.error);
      report(opened.error);
      return;
    }
    if (entry.folder !== null) found.set(entry.folder, (found.get(entry.folder) ?? 0) + 1);
    const fileOptions: AnalyzeOptions = { ...options, files: fileAccess(), ...(opened.reader ? { reader: opened.reader.format } : {}) };
    const result = analyze(opened.source, fileOptions);
    if (result.requestError || !result.model) {
      const why = whyNot(entry.path, result);
      problems.push(why);
      report(why);
      return;
    }
    if (failOn && result.findings.some((f: Finding) => atOrAbove(f.severity, failOn))) failed = true;
    if (format === 'sarif') {
      sarifFiles.push({ path: entry.path, findings: result.findings });
      return;
    }
    progress.clear();
    if (format === 'json') writeOut(single ? `${JSON.stringify(analysisJson(result), null, 2)}\n` : `${JSON.stringify(analysisJson(result))}\n`);
    else writeOut(`${tables++ ? '\n' : ''}${renderTable(result)}`);
  });
  for (const folder of list.folders) {
    if (found.has(folder.path)) continue;
    const why = `no model file in ${folder.path}${forced ? ` for the ${forced.format} reader` : ''} (${folder.files} file${folder.files === 1 ? '' : 's'} searched)`;
    problems.push(why);
    report(why);
  }
  progress.clear();
  if (format === 'sarif') {
    const log = sarifLog(sarifFiles, {
      cwd: process.cwd(),
      pkg,
      severities: options.severities ?? {},
      problems,
      commandLine: ['rflens', ...process.argv.slice(2)].join(' '),
    });
    writeOut(`${JSON.stringify(log, null, 2)}\n`);
  }
  return problems.length ? 2 : failed ? 1 : 0;
}

interface MapValues {
  layer?: string;
  metric: string;
  padding?: string;
  png?: string;
  plain?: boolean;
  scale: string;
}

function runMap(file: string, options: AnalyzeOptions, values: MapValues, json: boolean): number {
  let source;
  try {
    source = readSource(file);
  } catch (e) {
    fail(`cannot read ${file}: ${errorCode(e)}`);
  }
  const model = openModel(source, { ...options, files: fileAccess() });
  const result = model.report;
  if (result.requestError || !result.model) fail(whyNot(file, result));
  let target: string | string[] = 'outputs';
  if (values.layer !== undefined) {
    const id = resolveLayer(result, values.layer);
    if (!id) fail(`no layer "${values.layer}" in ${file}`);
    target = id;
  }
  const map = model.map(target, values.metric as 'paths' | 'coverage', values.padding ? { padding: values.padding as PadMode } : {});
  if (isRefusal(map)) fail(map.refused);
  if (values.png) {
    const out = resolve(values.png);
    mkdirSync(dirname(out), { recursive: true });
    const scale = values.scale as 'linear' | 'log';
    const layerNames = map.layers.map((id) => result.layers.find((l) => l.id === id)?.name ?? id);
    const figure = values.plain
      ? {}
      : {
          metric: map.metric,
          peakLog10: map.peakLog10,
          title: `${result.model}: ${layerNames.length > 2 ? `${layerNames.length} outputs` : layerNames.join(' + ')}`,
          subtitle: `${map.metric === 'paths' ? 'path count' : 'coverage'} over the ${map.shape.join('x')} input, ${scale} scale, padding ${values.padding ?? "the file's own"}`,
        };
    writeFileSync(out, heatmapPng(map.values, map.shape, { scale, ...figure }));
  }
  if (json) {
    const out = {
      layer: map.layers.length === 1 ? map.layers[0] : map.layers,
      metric: map.metric,
      shape: map.shape,
      peakLog10: num(map.peakLog10),
      values: Array.from(map.values, (v) => (Number.isFinite(v) ? v : null)),
    };
    writeOut(`${JSON.stringify(out)}\n`);
  } else if (!values.png) {
    writeOut(
      `${map.metric} map of ${map.layers.join(' + ')} over the ${map.shape.join('x')} input: peak 10^${(map.peakLog10 ?? 0).toFixed(2)}; use --json for the values or --png for an image\n`,
    );
  } else {
    writeOut(`wrote ${values.png} (${map.metric} of ${map.layers.join(' + ')}, ${map.shape.join('x')})\n`);
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
