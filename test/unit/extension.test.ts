/**
 * The editor glue's pure parts: settings parsing and their agreement with
 * package.json and the engine, severity mapping, the texts of CodeLens, hover
 * and status bar, the depth chain the panel's profile uses.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, FINDING_KINDS, PAD_MODES, type LayerReport } from '../../src/core';
import {
  DEFAULT_EDGE_RATIO_THRESHOLD,
  DEFAULT_INPUT_SIZE,
  defaultSeverities,
  diagnosticSeverity,
  readConfig,
  SEVERITY_NAMES,
  severityOverrides,
} from '../../src/extension/config';
import { effectivePadding, fmtAxes, fmtRatio, hoverMarkdown, lensTitle, modelLensTitle, modelSummary, statusText } from '../../src/extension/format';

const ROOT = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const props = manifest.contributes.configuration.properties;

describe('extension settings', () => {
  it('package.json states the engine’s defaults', () => {
    assert.equal(props['rfLens.defaultInputSize'].default, DEFAULT_INPUT_SIZE);
    assert.equal(props['rfLens.edgeRatioThreshold'].default, DEFAULT_EDGE_RATIO_THRESHOLD);
    // the engine falls back to the same size when neither the request nor the file states one
    const r = analyze({ fileName: 'x.cfg', text: '[net]\nchannels=3\n\n[convolutional]\nsize=3\nstride=1\npad=1\n' });
    assert.deepEqual(r.input, { shape: [DEFAULT_INPUT_SIZE, DEFAULT_INPUT_SIZE], source: 'default' });
    const sev = props['rfLens.severity'];
    assert.deepEqual(sev.default, defaultSeverities());
    assert.deepEqual(Object.keys(sev.properties).sort(), Object.keys(FINDING_KINDS).sort());
    for (const [code, kind] of Object.entries(FINDING_KINDS)) {
      assert.equal(sev.properties[code].default, kind.defaultSeverity, code);
      assert.deepEqual(sev.properties[code].enum, [...SEVERITY_NAMES], code);
      assert.match(sev.properties[code].markdownDescription, new RegExp(`^${code} ${kind.title}$`));
    }
    assert.deepEqual(props['rfLens.paddingWhatIf'].enum, ['file', ...PAD_MODES]);
  });

  it('every setting is resource-scoped with a markdown description', () => {
    for (const [key, p] of Object.entries<{ scope: string; markdownDescription: string }>(props)) {
      assert.equal(p.scope, 'resource', key);
      assert.ok(p.markdownDescription, key);
    }
  });

  it('activation is per language, command and model-file presence, never "*"; untrusted and virtual workspaces supported', () => {
    const events: string[] = manifest.activationEvents;
    assert.ok(!events.includes('*') && !events.some((e) => e.startsWith('onStartupFinished')));
    for (const lang of ['darknet', 'prototxt', 'python', 'yaml', 'json']) assert.ok(events.includes(`onLanguage:${lang}`), lang);
    // the workspace pass fills the Problems panel at start-up when the workspace holds files only models use
    for (const ext of ['cfg', 'prototxt', 'onnx', 'keras']) assert.ok(events.includes(`workspaceContains:**/*.${ext}`), ext);
    assert.ok(!events.some((e) => /^workspaceContains:.*\.(py|json|ya?ml)$/.test(e)), 'not every Python/JSON/YAML workspace');
    assert.deepEqual(manifest.capabilities, { untrustedWorkspaces: { supported: true }, virtualWorkspaces: true });
    const langs = manifest.contributes.languages.map((l: { id: string }) => l.id);
    assert.deepEqual(langs, ['darknet', 'prototxt']);
    const darknet = manifest.contributes.languages[0];
    assert.equal(darknet.extensions, undefined, 'Darknet is recognised by content, other .cfg files are left alone');
    assert.ok(new RegExp(darknet.firstLine).test('[net]') && new RegExp(darknet.firstLine).test('[network]') && !new RegExp(darknet.firstLine).test('[metadata]'));
    const commands = manifest.contributes.commands.map((c: { command: string }) => c.command);
    for (const c of ['rfLens.showInfluenceMap', 'rfLens.analyzeWorkspace', 'rfLens.showOutput']) assert.ok(commands.includes(c), c);
    assert.match(manifest.engines.vscode, /^\^1\.(1[0-3]\d)\.\d+$/);
    assert.ok(Number(manifest.engines.vscode.split('.')[1]) <= 139);
  });

  it('reads settings with defaults for missing or invalid values', () => {
    const c = readConfig(() => undefined);
    assert.equal(c.defaultInputSize, 224);
    assert.equal(c.edgeRatioThreshold, 0.25);
    assert.deepEqual(c.severity, defaultSeverities());
    assert.equal(c.codeLens, true);
    assert.equal(c.paddingWhatIf, 'file');
    assert.deepEqual(c.exclude, []);
    const values: Record<string, unknown> = {
      defaultInputSize: 416.7,
      edgeRatioThreshold: 3,
      severity: { RFL001: 'error', RFL004: 'off', RFL999: 'error', RFL002: 'loud' },
      'codeLens.enabled': false,
      paddingWhatIf: 'reflect',
      exclude: ['**/x/**', 3, ''],
    };
    const d = readConfig((k) => values[k]);
    assert.equal(d.defaultInputSize, 416);
    assert.equal(d.edgeRatioThreshold, 0.25);
    assert.equal(d.severity.RFL001, 'error');
    assert.equal(d.severity.RFL004, 'off');
    assert.equal(d.severity.RFL002, 'warning');
    assert.ok(!('RFL999' in d.severity));
    assert.equal(d.codeLens, false);
    assert.equal(d.paddingWhatIf, 'reflect');
    assert.deepEqual(d.exclude, ['**/x/**']);
    assert.deepEqual(severityOverrides(d), { RFL001: 'error', RFL004: 'off' });
    assert.equal(readConfig((k) => (k === 'paddingWhatIf' ? 'mirror' : undefined)).paddingWhatIf, 'file');
  });

  it('maps severity names to VS Code’s DiagnosticSeverity values', () => {
    assert.deepEqual(SEVERITY_NAMES.map(diagnosticSeverity), [null, 3, 2, 1, 0]);
    assert.equal(diagnosticSeverity('loud'), null);
  });
});

const layer = (over: Partial<LayerReport>): LayerReport => ({
  id: '3',
  name: '[convolutional] 3',
  type: 'convolutional',
  op: 'conv',
  line: 10,
  range: { start: { line: 9, character: 0 }, end: { line: 13, character: 5 } },
  inputs: ['2'],
  output: [26, 26],
  rf: { size: [212, 212], jump: [32, 32], start: [-90.5, -90.5] },
  ripple: 1,
  params: 'k3 s2 p1',
  ...over,
});

describe('editor texts', () => {
  it('CodeLens titles: field, jump, edge ratio', () => {
    const m = { peakLog10: 3, edgeRatio: 0.3141, cornerRatio: 0.1, wellRepresented: 0.5, deadPixels: 0, coverageMin: 1, coverageMax: 9, ripple: 1 };
    assert.equal(lensTitle(layer({}), m), 'RF 212×212 · jump 32 · edge 0.31');
    assert.equal(lensTitle(layer({}), null), 'RF 212×212 · jump 32');
    assert.equal(lensTitle(layer({ rf: { size: [5, 7], jump: [1, 2], start: [0, 0] } }), null), 'RF 5×7 · jump 1×2');
    assert.equal(lensTitle(layer({ rf: { size: [5, 5], jump: [0.5, 0.5], start: [0, 0] } }), { ...m, edgeRatio: 0.004 }), 'RF 5×5 · jump 0.5 · edge 4.0e-3');
  });

  it('number formats', () => {
    assert.equal(fmtAxes([3, 3]), '3×3');
    assert.equal(fmtAxes([2, 2], true), '2');
    assert.equal(fmtAxes([1 / 3, 2], true), '0.33×2');
    assert.equal(fmtAxes(null), '–');
    assert.equal(fmtRatio(null), '–');
    assert.equal(fmtRatio(0), '0.00');
    assert.deepEqual(effectivePadding(layer({})), [196, 196]);
  });

  it('hover markdown: operation, sizes, field, metrics with units, two command links', () => {
    const md = hoverMarkdown(
      layer({}),
      [416, 416],
      { peakLog10: 3, edgeRatio: 0.31, cornerRatio: 0.05, wellRepresented: 0.5, deadPixels: 12, coverageMin: 0, coverageMax: 9, ripple: 0.5 },
      'file:///m.cfg',
    );
    assert.match(md, /^\*\*\\\[convolutional\\\] 3\*\* · `convolutional` · k3 s2 p1$/m);
    assert.match(md, /\| output \| 26×26 units \|/);
    assert.match(md, /\| receptive field \| 212×212 px of 416×416 \|/);
    assert.match(md, /\| jump · start \| 32 px · -90\.5 px \|/);
    assert.match(md, /\| effective padding \| 196 px \|/);
    assert.match(md, /\| coverage \| 0 – 9 units per pixel \|/);
    assert.match(md, /\| edge · corner ratio \| 0\.31 · 0\.05 of peak paths \|/);
    assert.match(md, /\| dead pixels \| 12 \|/);
    assert.match(md, /\| ripple \| 0\.50 \(uneven: checkerboard\) \|/);
    const link = /\[Show influence map at this layer\]\(command:rfLens\.showInfluenceMap\?([^)]+)\)/.exec(md);
    assert.ok(link);
    assert.deepEqual(JSON.parse(decodeURIComponent(link[1]!)), ['file:///m.cfg', '3']);
    assert.match(md, /\[Show this layer's receptive field\]\(command:rfLens\.showReceptiveField\?/);
    assert.match(hoverMarkdown(layer({ name: 'conv1', id: 'c1' }), null, { refused: 'too big' }, 'u'), /\*\*conv1 \(c1\)\*\*[\s\S]*\| maps \| too big \|/);
  });

  it('status bar text', () => {
    assert.equal(statusText([212, 212], 0.31), '$(eye) RF 212×212 · edge 0.31');
    assert.equal(statusText([15, 15], null), '$(eye) RF 15×15');
    assert.equal(statusText([11, 11], 0.2, 'StridedBlocks'), '$(eye) StridedBlocks · RF 11×11 · edge 0.20');
  });

  it('a model’s summary: the widest field of its final layers and their lowest edge ratio', () => {
    const m = { peakLog10: 3, edgeRatio: 0.3141, cornerRatio: 0.1, wellRepresented: 0.5, deadPixels: 0, coverageMin: 1, coverageMax: 9, ripple: 1 };
    const report = {
      finalLayers: ['a', 'b'],
      layers: [layer({ id: 'a', rf: { size: [5, 5], jump: [1, 1], start: [0, 0] } }), layer({ id: 'b', rf: { size: [9, 7], jump: [2, 2], start: [0, 0] } })],
      metrics: { a: { ...m, edgeRatio: 0.5 }, b: { ...m, edgeRatio: 0.25 } },
    };
    const s = modelSummary(report);
    assert.deepEqual(s.rf, [9, 7]);
    assert.equal(s.edge, 0.25);
    assert.deepEqual(s.finals.map((l) => l.id), ['a', 'b']);
    assert.equal(modelLensTitle(report), 'RF 9×7 · edge 0.25 · analysed model');
    // before the map-based pass: no metrics yet
    assert.equal(modelLensTitle({ ...report, metrics: {} }), 'RF 9×7 · analysed model');
  });
});

describe('rfLens.pythonPath', () => {
  it('a list of folders, or one string with a folder per line; blanks dropped', () => {
    assert.deepEqual(readConfig(() => undefined).pythonPath, []);
    assert.deepEqual(readConfig((k) => (k === 'pythonPath' ? [' /opt/libs ', '', 'vendor', 3] : undefined)).pythonPath, ['/opt/libs', 'vendor']);
    assert.deepEqual(readConfig((k) => (k === 'pythonPath' ? '/a\n\n b ' : undefined)).pythonPath, ['/a', 'b']);
    assert.equal(props['rfLens.pythonPath'].scope, 'resource');
    assert.deepEqual(props['rfLens.pythonPath'].default, []);
    assert.match(props['rfLens.pythonPath'].markdownDescription, /--python-path/);
  });
});

describe('depth chain', () => {
});

describe('editor glue layering', () => {
  it('src/extension imports the engine only through its public entry, never the command line; only the worker calls it', () => {
    const { readdirSync, statSync } = require('node:fs') as typeof import('node:fs');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
      });
    for (const file of files(join(ROOT, 'src', 'extension'))) {
      const rel = file.slice(ROOT.length + 1);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
        const [, typeOnly, names, spec] = m;
        assert.ok(!spec!.includes('/cli'), `${rel} imports ${spec}`);
        if (!/(^|\/)core(\/|$)/.test(spec!)) continue;
        assert.match(spec!, /^(\.\.\/)+core(\/catalogue)?$/, `${rel} imports ${spec}, not the engine's public entry`);
        // the catalogue entry holds values only: nothing that reads or analyses
        if (spec!.endsWith('/catalogue')) continue;
        if (typeOnly || rel.endsWith(join('worker', 'analysisWorker.ts'))) continue;
        const values = names!.split(',').map((n) => n.trim()).filter((n) => n && !n.startsWith('type '));
        for (const v of values) assert.ok(['FINDING_KINDS', 'PAD_MODES', 'analyze'].includes(v) && (v !== 'analyze' || rel.includes('worker')), `${rel} calls the engine (${v}) outside the worker`);
      }
    }
  });
});
