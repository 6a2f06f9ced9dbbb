/** The command line as other tools use it: dist/cli.js in a child process. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { PNG } from 'pngjs';
import { analyze, FINDING_KINDS, KNOWN_EXTENSIONS, parseSeverityOverrides, READERS, readerFor, recognizeReader, type ModelSource } from '../../src/core';
import { Progress } from '../../src/cli/progress';
import { readmeUrl } from '../../src/cli/sarif';
import { colorTable } from '../../src/shared/colormap';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const DARKNET = join(ROOT, 'examples', 'darknet', 'strided-blind-spots.cfg');
const CAFFE = join(ROOT, 'examples', 'caffe', 'valid-convs.prototxt');

function cliIn(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cli(...args: string[]) {
  return cliIn(ROOT, ...args);
}

function json(...args: string[]) {
  const r = cli(...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('command line', function () {
  this.timeout(120000);
  const tmp = mkdtempSync(join(tmpdir(), 'rflens-cli-'));

  before(() => {
    if (!existsSync(CLI)) {
      const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
  });

  it('analyze --json prints exactly the contract', () => {
    const j = json('analyze', DARKNET, '--json');
    assert.deepEqual(Object.keys(j), ['file', 'format', 'model', 'input', 'outputs', 'layers', 'metrics', 'findings']);
    assert.equal(j.format, 'darknet');
    assert.deepEqual(j.input, { shape: [100, 100], source: 'file' });
    assert.deepEqual(j.outputs, ['7']);
    for (const l of j.layers) {
      assert.deepEqual(Object.keys(l), ['id', 'name', 'op', 'line', 'inputs', 'output', 'rf']);
      if (l.rf) for (const k of ['size', 'jump', 'start']) assert.equal(l.rf[k].length, 2);
    }
    const conv0 = j.layers.find((l: { id: string }) => l.id === '0');
    assert.deepEqual(conv0, {
      id: '0',
      name: '[convolutional] 0',
      op: 'conv',
      line: 18,
      inputs: ['input'],
      output: [50, 50],
      rf: { size: [3, 3], jump: [2, 2], start: [0, 0] },
    });
    assert.ok(j.metrics['7'] && j.metrics['5'], 'metrics for the output and the last spatial layer');
    assert.deepEqual(Object.keys(j.metrics['5']), [
      'peakLog10',
      'edgeRatio',
      'cornerRatio',
      'wellRepresented',
      'deadPixels',
      'coverageMin',
      'coverageMax',
      'ripple',
    ]);
    const codes = j.findings.map((f: { code: string }) => f.code).sort();
    assert.deepEqual(codes, ['RFL001', 'RFL002', 'RFL003', 'RFL004', 'RFL005', 'RFL006', 'RFL100']);
    for (const f of j.findings) assert.deepEqual(Object.keys(f), ['code', 'severity', 'message', 'line', 'layer']);
    const dead = j.findings.find((f: { code: string }) => f.code === 'RFL001');
    assert.equal(dead.layer, '1');
    assert.equal(dead.line, 29, 'on the stride= line of the 1x1 convolution');
    assert.equal(j.metrics['5'].deadPixels, 4524);
  });

  it('a squeeze-and-excitation gate: rf.global in the JSON, +g in the table; a global pool is a 1x1 map', () => {
    const file = join(tmp, 'se.cfg');
    writeFileSync(
      file,
      '[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nsize=3\nstride=2\npad=1\nfilters=8\n\n[avgpool]\n\n[convolutional]\nsize=1\nfilters=8\n\n[scale_channels]\nfrom=-3\n\n[convolutional]\nsize=3\npad=1\nfilters=8\n\n[connected]\noutput=10\n',
    );
    const j = json('analyze', file, '--json');
    const byId = (id: string) => j.layers.find((l: { id: string }) => l.id === id);
    assert.deepEqual(byId('0').rf, { size: [3, 3], jump: [2, 2], start: [0, 0] }, 'no global key on a local layer');
    assert.deepEqual(byId('1').output, [1, 1], 'avgpool');
    assert.equal(byId('1').rf.global, true);
    // the gate: the field of conv 0, plus global context; the conv after it: 7 at jump 2
    assert.deepEqual(byId('3').rf, { size: [3, 3], jump: [2, 2], start: [0, 0], global: true });
    assert.deepEqual(byId('4').rf, { size: [7, 7], jump: [2, 2], start: [0, 0], global: true });
    assert.equal(byId('5').output, null, 'connected');
    const t = cli('analyze', file);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /\n1 +\d+ +avgpool +1x1 +33\+g /);
    assert.match(t.stdout, /\n3 +\d+ +scale_channels +16x16 +3\+g +2 +0\n/);
    assert.match(t.stdout, /\n0 +\d+ +convolutional +k3 s2 p1 +16x16 +3 +2 +0\n/);
    assert.match(t.stdout, /\n5 +\d+ +connected +\(flat\)/);
    assert.match(t.stdout, /rf \+g: the layer also depends on every pixel through a global operation/);
    // no legend where nothing is global
    const plain = join(tmp, 'plain.cfg');
    writeFileSync(plain, '[net]\nwidth=32\nheight=32\nchannels=3\n\n[convolutional]\nsize=3\nstride=2\npad=1\nfilters=8\n');
    assert.doesNotMatch(cli('analyze', plain).stdout, /\+g/);
  });

  it('reader options are flags built from the readers (--dialect, --phase), checked against their values', () => {
    const help = cli('--help');
    assert.match(help.stdout, /--dialect V +Darknet: .*\(auto, pjreddie, alexeyab; default auto\)/);
    assert.match(help.stdout, /--phase V +Caffe: .*\(TEST, TRAIN; default TEST\)/);
    const bad = cli('analyze', DARKNET, '--phase', 'VALIDATE');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--phase must be one of TEST, TRAIN/);
    // A layer only in the TRAIN phase is in the graph only when --phase TRAIN asks for it.
    const prototxt = join(tmp, 'phases.prototxt');
    writeFileSync(
      prototxt,
      'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 16\ninput_dim: 16\n' +
        'layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { kernel_size: 3 } }\n' +
        'layer { name: "t" type: "Convolution" bottom: "c" top: "t" include { phase: TRAIN } convolution_param { kernel_size: 3 } }\n',
    );
    const ids = (...extra: string[]) => json('analyze', prototxt, '--json', ...extra).layers.map((l: { id: string }) => l.id);
    assert.deepEqual(ids(), ['data', 'c']);
    assert.deepEqual(ids('--phase', 'TRAIN'), ['data', 'c', 't']);
  });

  it('--input wins over the file and is reported as the source', () => {
    const j = json('analyze', DARKNET, '--json', '--input', '64');
    assert.deepEqual(j.input, { shape: [64, 64], source: 'option' });
    const k = json('analyze', DARKNET, '--json', '--input', '64x48');
    assert.deepEqual(k.input.shape, [64, 48]);
  });

  it('analyze prints a readable table by default', () => {
    const r = cli('analyze', CAFFE);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /format caffe, model ValidConvs, input 96x96 \(stated in the file\)/);
    assert.match(r.stdout, /conv1\s+\d+\s+Convolution\s+k3 s1\s+94x94\s+3\s+1\s+1/);
    assert.match(r.stdout, /RFL002 warning line \d+:/);
  });

  it('map --json: path counts divided by the peak, for the outputs by default', () => {
    const j = json('map', CAFFE, '--json');
    assert.deepEqual(Object.keys(j), ['layer', 'metric', 'shape', 'peakLog10', 'values']);
    assert.equal(j.layer, 'prob');
    assert.deepEqual(j.shape, [96, 96]);
    assert.equal(j.values.length, 96 * 96);
    assert.equal(Math.max(...j.values), 1);
    // valid convolutions: the corner pixel is reached by exactly one path of the peak's 10^peakLog10
    assert.ok(Math.abs(j.values[0] - 10 ** -j.peakLog10) < 1e-12);
  });

  it('map --metric coverage --layer NAME and --layer INDEX', () => {
    const byName = json('map', CAFFE, '--json', '--metric', 'coverage', '--layer', 'conv1');
    assert.equal(byName.metric, 'coverage');
    // a valid 3x3 convolution: corners covered once, the interior 9 times
    assert.equal(byName.values[0], 1);
    assert.equal(byName.values[2 * 96 + 2], 9);
    const byIndex = json('map', CAFFE, '--json', '--metric', 'coverage', '--layer', '1');
    assert.deepEqual(byIndex.values, byName.values);
  });

  it('map --padding is a what-if on every convolution', () => {
    const zeros = json('map', DARKNET, '--json', '--layer', '0');
    const reflect = json('map', DARKNET, '--json', '--layer', '0', '--padding', 'reflect');
    assert.notDeepEqual(zeros.values, reflect.values);
  });

  it('map --png writes a figure (title, map, colour bar); --plain the map in the viridis colours', () => {
    const fig = join(tmp, 'figure.png');
    assert.equal(cli('map', DARKNET, '--png', fig).code, 0);
    const f = PNG.sync.read(readFileSync(fig));
    // the 300x300 map plus a title above and a colour bar beside it
    assert.ok(f.width > 300 && f.height > 300, `${f.width}x${f.height}`);
    const lut0 = colorTable('viridis');
    const top = `${lut0[255 * 3]},${lut0[255 * 3 + 1]},${lut0[255 * 3 + 2]}`;
    let peakColour = 0;
    let ink = 0;
    for (let i = 0; i < f.data.length; i += 4) {
      const c = `${f.data[i]},${f.data[i + 1]},${f.data[i + 2]}`;
      if (c === top) peakColour++;
      if (f.data[i]! < 60 && f.data[i + 1]! < 60 && f.data[i + 2]! < 60) ink++;
    }
    assert.ok(peakColour > 0, 'the peak colour is drawn');
    assert.ok(ink > 0, 'the title and ticks are drawn');
    const out = join(tmp, 'map.png');
    const r = cli('map', DARKNET, '--png', out, '--plain');
    assert.equal(r.code, 0, r.stderr);
    const png = PNG.sync.read(readFileSync(out));
    assert.equal(png.width, 300, '100 pixels enlarged 3 times');
    assert.equal(png.height, 300);
    const lut = colorTable('viridis');
    const palette = new Set<string>();
    for (let i = 0; i < 256; i++) palette.add(`${lut[i * 3]},${lut[i * 3 + 1]},${lut[i * 3 + 2]}`);
    for (let i = 0; i < png.data.length; i += 4 * 997) assert.ok(palette.has(`${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`));
  });

  it('a 1-D model maps to a profile image', () => {
    const file = join(tmp, 'audio.prototxt');
    writeFileSync(
      file,
      'input: "wave"\ninput_shape { dim: 1 dim: 1 dim: 400 }\nlayer { name: "c" type: "Convolution" bottom: "wave" top: "c" convolution_param { kernel_size: 10 stride: 5 } }\n',
    );
    const j = json('analyze', file, '--json');
    assert.deepEqual(j.input.shape, [400]);
    assert.deepEqual(j.layers[1].output, [79]);
    const out = join(tmp, 'audio.png');
    assert.equal(cli('map', file, '--png', out, '--plain').code, 0);
    assert.equal(PNG.sync.read(readFileSync(out)).height, 160);
  });

  it('bad usage and unreadable input exit 2 with one line on stderr', () => {
    const cases: string[][] = [
      ['analyze', join(tmp, 'missing.cfg')],
      ['analyze', DARKNET, '--input', 'big'],
      ['analyze', DARKNET, '--input', '1x2x3'],
      ['map', DARKNET, '--layer', 'nope'],
      ['map', DARKNET, '--metric', 'colour'],
      ['map', DARKNET, '--padding', 'mirror'],
      ['frobnicate', DARKNET],
      ['analyze'],
      ['analyze', DARKNET, '--no-such-option'],
    ];
    for (const args of cases) {
      const r = cli(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, args.join(' '));
      assert.match(r.stderr, /^rflens: /);
    }
    const junk = join(tmp, 'junk.txt');
    writeFileSync(junk, 'hello world\n');
    const r = cli('analyze', junk);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no reader recognises|cannot analyse/i);
  });

  it('a map that is not computed says why', () => {
    // 2048x2048 fits the pixel limit; a 121-wide window on every pixel does not fit the work limit (4.2e6 x 242 steps).
    const wide = join(tmp, 'wide.cfg');
    writeFileSync(wide, '[net]\nwidth=2048\nheight=2048\n[maxpool]\nsize=121\nstride=1\n');
    let r = cli('map', wide);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^rflens: a map of this network at 2048x2048 would take about 1\.0e\+9 steps/);
    const j = json('analyze', wide, '--json');
    assert.deepEqual(j.layers[1].rf.size, [121, 121]);
    assert.ok(j.findings.some((f: { code: string; message: string }) => f.code === 'RFL100' && /no maps/.test(f.message)));
    r = cli('map', DARKNET, '--input', '4096');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^rflens: the 4096x4096 input has more than the 4194304 pixels/);
  });

  it('a file with problems still exits 0 and reports them', () => {
    const file = join(tmp, 'broken.cfg');
    writeFileSync(file, '[net]\nwidth=32\nheight=32\n[convolutional]\nsize=3\npad=1\n[route]\nlayers=-9\n[convolutional]\nsize=3\n');
    const j = json('analyze', file, '--json');
    const f = j.findings.find((x: { code: string }) => x.code === 'RFL100');
    assert.equal(f.line, 8);
  });
});

/** Section 6 of issue 6: several files and folders, JSON lines, SARIF, --fail-on, --severity. */
const TINY_DARKNET = '[net]\nwidth=32\nheight=32\n[convolutional]\nsize=3\nstride=1\npad=1\nfilters=8\n[convolutional]\nsize=1\nstride=2\nfilters=8\n';
const TINY_CAFFE =
  'name: "Tiny"\ninput: "data"\ninput_shape { dim: 1 dim: 3 dim: 32 dim: 32 }\nlayer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 4 kernel_size: 3 } }\n';
/** A PyTorch model definition in the style of torchvision's models/resnet.py, with lines other readers used to take for theirs. */
const PY_RESNET = `from typing import List, Optional
import torch.nn as nn


class ResNet(nn.Module):
    def __init__(
        self,
        layers: List[int],
        num_classes: int = 1000,
        input: "Tensor" = None,
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
`;
const CONTRACT_KEYS = ['file', 'format', 'model', 'input', 'outputs', 'layers', 'metrics', 'findings'];

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  return lines.map((l) => JSON.parse(l));
}

/** Absolute URIs for `format: uri`, no blanks or backslashes for `format: uri-reference`. */
function sarifAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('uri', /^[A-Za-z][A-Za-z0-9+.-]*:[^\s\\]*$/);
  ajv.addFormat('uri-reference', /^[^\s\\]*$/);
  ajv.addFormat('date-time', true);
  ajv.addFormat('uuid', /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/);
  return ajv;
}

function assertValid(validate: ReturnType<Ajv2020['compile']>, data: unknown): void {
  assert.ok(validate(data), JSON.stringify(validate.errors, null, 1));
}

/** The part of SARIF 2.1.0 that GitHub code scanning reads, as its documentation requires it (results need a location with region.startLine). */
const GITHUB_SARIF_SUBSET = {
  type: 'object',
  required: ['$schema', 'version', 'runs'],
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { const: '2.1.0' },
    runs: { type: 'array', minItems: 1, items: { $ref: '#/$defs/run' } },
  },
  $defs: {
    message: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1 } } },
    run: {
      type: 'object',
      required: ['tool', 'results'],
      properties: {
        tool: {
          type: 'object',
          required: ['driver'],
          properties: {
            driver: {
              type: 'object',
              required: ['name', 'rules'],
              properties: {
                name: { type: 'string' },
                version: { type: 'string' },
                semanticVersion: { type: 'string' },
                rules: { type: 'array', items: { $ref: '#/$defs/rule' } },
              },
            },
          },
        },
        originalUriBaseIds: {
          type: 'object',
          additionalProperties: { type: 'object', required: ['uri'], properties: { uri: { type: 'string', format: 'uri', pattern: '/$' } } },
        },
        columnKind: { enum: ['utf16CodeUnits', 'unicodeCodePoints'] },
        results: { type: 'array', items: { $ref: '#/$defs/result' } },
      },
    },
    rule: {
      type: 'object',
      required: ['id', 'shortDescription', 'defaultConfiguration'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]*$' },
        shortDescription: { $ref: '#/$defs/message' },
        fullDescription: { $ref: '#/$defs/message' },
        help: { $ref: '#/$defs/message' },
        helpUri: { type: 'string', format: 'uri' },
        defaultConfiguration: {
          type: 'object',
          properties: { level: { enum: ['none', 'note', 'warning', 'error'] }, enabled: { type: 'boolean' } },
        },
      },
    },
    result: {
      type: 'object',
      required: ['ruleId', 'level', 'message', 'locations'],
      properties: {
        ruleId: { type: 'string' },
        ruleIndex: { type: 'integer', minimum: 0 },
        level: { enum: ['none', 'note', 'warning', 'error'] },
        message: { $ref: '#/$defs/message' },
        locations: {
          type: 'array',
          minItems: 1,
          maxItems: 10,
          items: {
            type: 'object',
            required: ['physicalLocation'],
            properties: {
              physicalLocation: {
                type: 'object',
                required: ['artifactLocation', 'region'],
                properties: {
                  artifactLocation: {
                    type: 'object',
                    required: ['uri'],
                    properties: { uri: { type: 'string', format: 'uri-reference' }, uriBaseId: { type: 'string' } },
                  },
                  region: {
                    type: 'object',
                    required: ['startLine'],
                    properties: {
                      startLine: { type: 'integer', minimum: 1 },
                      startColumn: { type: 'integer', minimum: 1 },
                      endLine: { type: 'integer', minimum: 1 },
                      endColumn: { type: 'integer', minimum: 1 },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** The official schema ships in @microsoft/sarif-multitool-linux (not a dependency: installed, it is used). */
const OFFICIAL_SARIF_SCHEMA = process.env.RFL_SARIF_SCHEMA ?? join(ROOT, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'sarif-2.1.0.json');

describe('command line in CI pipelines', function () {
  this.timeout(120000);
  const tmp = mkdtempSync(join(tmpdir(), 'rflens-ci-'));
  const zoo = join(tmp, 'zoo');
  write(join(zoo, 'yolo.cfg'), TINY_DARKNET);
  write(join(zoo, 'alpha.prototxt'), TINY_CAFFE);
  write(join(zoo, 'caffe', 'deploy.txt'), TINY_CAFFE); // no extension of its own: recognised by content
  write(join(zoo, 'setup.cfg'), '[metadata]\nname = zoo\n[options]\npackages = find:\n'); // .cfg, but no Darknet network
  write(join(zoo, 'tools.py'), 'import os\n\ndef main():\n    print(os.getcwd())\n'); // Python, but no model code: not claimed
  write(join(zoo, 'notes.txt'), 'layers: 3\ninput: x\n');
  write(join(zoo, 'config.yaml'), TINY_DARKNET); // Darknet text under a YAML name: not Darknet's to claim
  write(join(zoo, 'node_modules', 'pkg', 'x.cfg'), TINY_DARKNET);
  write(join(zoo, '.cache', 'y.cfg'), TINY_DARKNET);
  const noModels = join(tmp, 'docs');
  write(join(noModels, 'README.md'), '# nothing here\n');
  write(join(noModels, 'setup.cfg'), '[metadata]\nname = docs\n');
  const python = write(join(tmp, 'models', 'resnet.py'), PY_RESNET);

  before(() => {
    if (!existsSync(CLI)) {
      const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
  });

  it('several files: one JSON object per line, each exactly the contract, in the order given', () => {
    const r = cli('analyze', DARKNET, CAFFE, '--json');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    const [d, c] = lines.map((l) => JSON.parse(l));
    for (const j of [d, c]) assert.deepEqual(Object.keys(j), CONTRACT_KEYS);
    assert.equal(d.format, 'darknet');
    assert.equal(c.format, 'caffe');
    // each line is what the file alone gives (pretty-printed)
    assert.deepEqual(d, json('analyze', DARKNET, '--json'));
    assert.deepEqual(c, json('analyze', CAFFE, '--format', 'json'));
    assert.equal(r.stderr, '', 'no progress line when stderr is not a terminal');
  });

  it('a folder: model files found recursively and sorted, other files skipped silently', () => {
    const r = cliIn(tmp, 'analyze', 'zoo', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = jsonLines(r.stdout);
    assert.deepEqual(
      lines.map((j) => j.file),
      [join('zoo', 'alpha.prototxt'), join('zoo', 'yolo.cfg'), join('zoo', 'caffe', 'deploy.txt')],
    );
    assert.deepEqual(
      lines.map((j) => j.format),
      ['caffe', 'darknet', 'caffe'],
    );
    for (const j of lines) assert.deepEqual(Object.keys(j), CONTRACT_KEYS);
    // a folder and a file together; a file found twice is analysed once
    const both = jsonLines(cliIn(tmp, 'analyze', join('zoo', 'yolo.cfg'), 'zoo', '--json').stdout);
    assert.deepEqual(
      both.map((j) => j.file),
      [join('zoo', 'yolo.cfg'), join('zoo', 'alpha.prototxt'), join('zoo', 'caffe', 'deploy.txt')],
    );
    // the table: one report per file
    const t = cliIn(tmp, 'analyze', 'zoo');
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout.match(/^ {2}format /gm)?.length, 3);
    // --reader narrows the search to one reader's files
    const onlyDarknet = jsonLines(cliIn(tmp, 'analyze', 'zoo', '--json', '--reader', 'darknet').stdout);
    assert.deepEqual(
      onlyDarknet.map((j) => j.file),
      [join('zoo', 'yolo.cfg')],
    );
  });

  it('a folder without any model file says so (exit 2); the other inputs are still analysed', () => {
    let r = cliIn(tmp, 'analyze', 'docs');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'rflens: no model file in docs (2 files searched)\n');
    r = cliIn(tmp, 'analyze', 'docs', join('zoo', 'yolo.cfg'), '--json');
    assert.equal(r.code, 2);
    assert.equal(jsonLines(r.stdout).length, 1);
    assert.match(r.stderr, /^rflens: no model file in docs/);
    r = cliIn(tmp, 'analyze', join('zoo', 'yolo.cfg'), 'missing.cfg', '--json');
    assert.equal(r.code, 2);
    assert.equal(jsonLines(r.stdout).length, 1);
    assert.equal(r.stderr, 'rflens: cannot read missing.cfg: ENOENT\n');
  });

  it('Python imports resolve for a path relative to the working folder (a relative import of the same package)', () => {
    const r = JSON.parse(cliIn(ROOT, 'analyze', join('test', 'host', 'fixtures', 'pyproj', 'app', 'models.py'), '--json').stdout);
    assert.equal(r.model, 'TwoBlocks');
    assert.deepEqual(r.findings.filter((f: { code: string }) => f.code === 'RFL100'), []);
    // blocks.py's conv_block twice: two 3x3 convolutions of stride 1, field 1 + 2 + 2
    assert.deepEqual(r.layers.find((l: { id: string }) => l.id === 'second').rf.size, [5, 5]);
  });

  it('a Python file goes to the Python reader, never to an empty Caffe model; one without a buildable model says so in one line', () => {
    // ResNet here needs its `layers` argument: no model can be built with its defaults
    for (const file of [python, write(join(tmp, 'resnet.txt'), PY_RESNET)]) {
      const r = cli('analyze', file);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /^rflens: cannot analyse .*resnet\.(py|txt): No model found/);
    }
    // a .py file that is no model code at all, named: the Python reader says so (in a folder it is skipped)
    const tool = cli('analyze', join(zoo, 'tools.py'));
    assert.equal(tool.code, 2);
    assert.match(tool.stderr, /^rflens: cannot analyse .*tools\.py: No model found/);
  });

  it('readers claim only their own files (readerFor)', () => {
    const src = (fileName: string, text: string): ModelSource => ({ fileName, text });
    // an extension that belongs to another format is never claimed by content
    for (const name of ['resnet.py', 'yolov8.yaml', 'model.yml', 'model.json', 'model.onnx', 'model.keras', 'model.pt', 'model.h5']) {
      const ext = name.slice(name.lastIndexOf('.'));
      // the format's own reader, once it exists, or none; never Darknet or Caffe by content
      const own = READERS.find((r) => r.extensions.includes(ext))?.format ?? null;
      for (const text of [TINY_DARKNET, TINY_CAFFE]) {
        const got = readerFor(src(name, text))?.format ?? null;
        assert.ok(got === null || got === own, `${name} goes to ${got}`);
        assert.ok(got !== 'darknet' && got !== 'caffe', name);
      }
    }
    // ... for every known extension no reader claims, whatever the content (every bundled example)
    const examples = ['darknet', 'caffe'].flatMap((d) => readdirSync(join(ROOT, 'examples', d)).map((f) => readFileSync(join(ROOT, 'examples', d, f), 'utf8')));
    for (const ext of KNOWN_EXTENSIONS.filter((e) => !READERS.some((r) => r.extensions.includes(e)))) {
      for (const text of examples) assert.equal(readerFor(src(`model${ext}`, text)), null, ext);
    }
    // a claimed extension goes only to its readers, recognised or not (the reader then says what is wrong)
    assert.equal(readerFor(src('net.cfg', TINY_CAFFE))?.format, 'darknet');
    assert.equal(recognizeReader(src('net.cfg', TINY_CAFFE)), null);
    assert.equal(readerFor(src('net.prototxt', TINY_CAFFE))?.format, 'caffe');
    // an unclaimed extension, or none: by content
    assert.equal(readerFor(src('deploy.txt', TINY_CAFFE))?.format, 'caffe');
    assert.equal(readerFor(src('yolo', TINY_DARKNET))?.format, 'darknet');
    assert.equal(readerFor(src('resnet.txt', PY_RESNET))?.format, 'python', 'Python model code in a .txt: recognised by content');
    assert.equal(readerFor(src('setup', '[metadata]\nname = x\n')), null);
    // Keras model JSON in a .txt: the Keras reader recognises it by content
    assert.equal(readerFor(src('keras.txt', '{"class_name": "Sequential", "config": {"layers": []}}'))?.format, 'keras-json');
    // the user's choice wins
    assert.equal(readerFor(src('resnet.py', PY_RESNET), 'caffe')?.format, 'caffe');
    // a claimed file without any layer says so
    const solver = analyze({ fileName: 'solver.prototxt', text: 'net: "train_val.prototxt"\nbase_lr: 0.01\n' });
    assert.equal(solver.format, 'caffe');
    assert.ok(
      solver.findings.some((f) => f.code === 'RFL100' && /found no layer in solver\.prototxt/.test(f.message)),
      JSON.stringify(solver.findings),
    );
    const netOnly = analyze({ fileName: 'net.cfg', text: '[net]\nwidth=32\nheight=32\n' });
    assert.equal(netOnly.findings.filter((f) => /no layer/i.test(f.message)).length, 1, 'said once');
  });

  it('--format sarif: SARIF 2.1.0 that GitHub code scanning reads', () => {
    const r = cli('analyze', DARKNET, CAFFE, '--format', 'sarif');
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout);
    const validate = sarifAjv().compile(GITHUB_SARIF_SUBSET);
    assertValid(validate, log);
    const run = log.runs[0];
    assert.equal(run.tool.driver.version, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    // one rule per finding code, in FINDING_KINDS order, with its short description and README section
    const codes = Object.keys(FINDING_KINDS) as (keyof typeof FINDING_KINDS)[];
    assert.deepEqual(
      run.tool.driver.rules.map((x: { id: string }) => x.id),
      codes,
    );
    for (const rule of run.tool.driver.rules) {
      const kind = FINDING_KINDS[rule.id as keyof typeof FINDING_KINDS];
      assert.equal(rule.shortDescription.text, kind.title);
      assert.ok(rule.help.text.includes(`README.md#${kind.anchor}`) || rule.helpUri?.endsWith(`#${kind.anchor}`), rule.id);
    }
    // the findings of both files, on paths relative to the working folder
    const j = json('analyze', DARKNET, '--json');
    const darknetResults = run.results.filter(
      (x: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) =>
        x.locations[0]!.physicalLocation.artifactLocation.uri === 'examples/darknet/strided-blind-spots.cfg',
    );
    assert.equal(darknetResults.length, j.findings.length);
    assert.ok(run.results.some((x: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => x.locations[0]!.physicalLocation.artifactLocation.uri === 'examples/caffe/valid-convs.prototxt'));
    for (const x of run.results) {
      assert.equal(x.locations[0].physicalLocation.artifactLocation.uriBaseId, '%SRCROOT%');
      assert.equal(x.ruleIndex, codes.indexOf(x.ruleId));
    }
    // the layer's line and columns, 1-based; levels from the severities (information -> note)
    const result = analyze({ fileName: DARKNET, text: readFileSync(DARKNET, 'utf8') });
    const dead = result.findings.find((f) => f.code === 'RFL001')!;
    const deadResult = darknetResults.find((x: { ruleId: string }) => x.ruleId === 'RFL001');
    assert.deepEqual(deadResult.locations[0].physicalLocation.region, {
      startLine: dead.range!.start.line + 1,
      startColumn: dead.range!.start.character + 1,
      endLine: dead.range!.end.line + 1,
      endColumn: dead.range!.end.character + 1,
    });
    assert.equal(deadResult.locations[0].physicalLocation.region.startLine, 29);
    // related places (where the loss shows, the last layer) as relatedLocations on the same file
    const related = (dead.related ?? []).filter((x) => x.range);
    assert.equal(deadResult.relatedLocations?.length ?? 0, related.length);
    related.forEach((x, i) => {
      assert.equal(deadResult.relatedLocations[i].message.text, x.message);
      assert.equal(deadResult.relatedLocations[i].physicalLocation.region.startLine, x.range!.start.line + 1);
    });
    assert.equal(deadResult.level, 'warning');
    assert.equal(darknetResults.find((x: { ruleId: string }) => x.ruleId === 'RFL003').level, 'note');
    assert.deepEqual(run.invocations, [{ executionSuccessful: true, commandLine: `rflens analyze ${DARKNET} ${CAFFE} --format sarif` }]);
    // a file outside the working folder gets an absolute file URI
    const outside = JSON.parse(cliIn(tmp, 'analyze', DARKNET, '--format', 'sarif').stdout);
    assert.match(outside.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, /^file:\/\/\/.*strided-blind-spots\.cfg$/);
    // inputs that could not be analysed are tool notifications, and the log is still written
    const partial = cliIn(tmp, 'analyze', 'docs', 'zoo', '--format', 'sarif');
    assert.equal(partial.code, 2);
    const p = JSON.parse(partial.stdout);
    assertValid(validate, p);
    assert.equal(p.runs[0].invocations[0].executionSuccessful, false);
    assert.match(p.runs[0].invocations[0].toolExecutionNotifications[0].message.text, /no model file in docs/);
    assert.ok(p.runs[0].results.some((x: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => x.locations[0]!.physicalLocation.artifactLocation.uri === 'zoo/caffe/deploy.txt'));
  });

  it('--format sarif validates against the official SARIF 2.1.0 schema', function () {
    if (!existsSync(OFFICIAL_SARIF_SCHEMA)) {
      console.log(
        `      (skipped: no SARIF 2.1.0 schema at ${relative(ROOT, OFFICIAL_SARIF_SCHEMA)}; npm install @microsoft/sarif-multitool-linux@5.7.0, which ships sarif-2.1.0.json, or set RFL_SARIF_SCHEMA)`,
      );
      this.skip();
    }
    const validate = sarifAjv().compile(JSON.parse(readFileSync(OFFICIAL_SARIF_SCHEMA, 'utf8')));
    for (const args of [
      [DARKNET, CAFFE],
      [DARKNET, '--severity', 'RFL002=off,RFL001=error'],
    ]) {
      const log = JSON.parse(cli('analyze', ...args, '--format', 'sarif').stdout);
      assertValid(validate, log);
    }
  });

  it('--fail-on: exit 1 when a finding at or above the severity exists, with the report still printed', () => {
    // the Darknet example has warnings and information but no error; the Caffe example no error either
    assert.equal(cli('analyze', DARKNET, '--fail-on', 'error').code, 0);
    let r = cli('analyze', DARKNET, '--fail-on', 'warning', '--json');
    assert.equal(r.code, 1);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout)), CONTRACT_KEYS);
    assert.equal(r.stderr, '');
    assert.equal(cli('analyze', DARKNET, '--fail-on', 'information').code, 1);
    assert.equal(cli('analyze', DARKNET, '--severity', 'RFL001=error', '--fail-on', 'error').code, 1);
    r = cli('analyze', DARKNET, CAFFE, '--format', 'sarif', '--fail-on', 'warning');
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).version, '2.1.0');
    // every warning turned down: nothing at or above warning is left
    const down = Object.keys(FINDING_KINDS)
      .map((c) => `${c}=information`)
      .join(',');
    assert.equal(cli('analyze', DARKNET, '--severity', down, '--fail-on', 'warning').code, 0);
    // unreadable input stays exit 2, whatever --fail-on says
    assert.equal(cliIn(tmp, 'analyze', 'docs', '--fail-on', 'warning').code, 2);
    assert.equal(cli('analyze', DARKNET, '--fail-on', 'sometimes').code, 2);
  });

  it('--severity sets severities per code, with the names the editor uses', () => {
    const j = json('analyze', DARKNET, '--json', '--severity', 'RFL002=off,RFL001=error', '--severity', 'rfl003=hint');
    const codes = j.findings.map((f: { code: string }) => f.code);
    assert.ok(!codes.includes('RFL002'));
    assert.equal(j.findings.find((f: { code: string }) => f.code === 'RFL001').severity, 'error');
    assert.equal(j.findings.find((f: { code: string }) => f.code === 'RFL003').severity, 'hint');
    const log = JSON.parse(cli('analyze', DARKNET, '--format', 'sarif', '--severity', 'RFL002=off,RFL001=error').stdout);
    const rules = log.runs[0].tool.driver.rules;
    assert.deepEqual(rules[1].defaultConfiguration, { level: 'warning', enabled: false });
    assert.deepEqual(rules[0].defaultConfiguration, { level: 'error' });
    assert.ok(!log.runs[0].results.some((x: { ruleId: string }) => x.ruleId === 'RFL002'));
    assert.equal(log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'RFL001').level, 'error');
    for (const bad of ['RFL999=off', 'RFL001=loud', 'RFL001']) {
      const r = cli('analyze', DARKNET, '--severity', bad);
      assert.equal(r.code, 2, bad);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /^rflens: --severity: /);
    }
  });

  it('parseSeverityOverrides (core): the --severity syntax and the editor setting object', () => {
    assert.deepEqual(parseSeverityOverrides('RFL002=off,RFL001=error'), { severities: { RFL002: 'off', RFL001: 'error' }, errors: [] });
    assert.deepEqual(parseSeverityOverrides(' rfl003 = Hint '.replace(/ = /, '=')), { severities: { RFL003: 'hint' }, errors: [] });
    assert.deepEqual(parseSeverityOverrides('RFL004:information RFL004=warning').severities, { RFL004: 'warning' });
    assert.deepEqual(parseSeverityOverrides({ RFL100: 'off', RFL005: 'error' }).severities, { RFL100: 'off', RFL005: 'error' });
    const bad = parseSeverityOverrides({ RFL001: 3, NOPE: 'off' });
    assert.deepEqual(bad.severities, {});
    assert.equal(bad.errors.length, 2);
    assert.deepEqual(parseSeverityOverrides(''), { severities: {}, errors: [] });
    assert.deepEqual(parseSeverityOverrides(undefined), { severities: {}, errors: [] });
  });

  it('--reader NAME forces a reader; --format NAME still does', () => {
    const copy = write(join(tmp, 'caffe-model.txt'), readFileSync(CAFFE, 'utf8'));
    assert.equal(json('analyze', copy, '--json', '--reader', 'caffe').format, 'caffe');
    assert.equal(json('analyze', copy, '--json', '--format', 'caffe').format, 'caffe');
    assert.equal(json('analyze', CAFFE, '--format', 'caffe', '--json').format, 'caffe');
    assert.equal(cli('map', CAFFE, '--format', 'caffe', '--json').code, 0);
    for (const args of [
      ['--reader', 'pytorch'],
      ['--format', 'xml'],
      ['--format', 'table', '--json'],
    ]) {
      const r = cli('analyze', CAFFE, ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    assert.equal(cli('map', CAFFE, '--format', 'sarif').code, 2);
    assert.equal(cli('map', CAFFE, DARKNET).code, 2, 'map takes one file');
  });

  it('the progress line: on a terminal only, overwritten in place, cleared at the end', () => {
    const writes: string[] = [];
    const tty = { isTTY: true, columns: 40, write: (t: string) => writes.push(t) };
    const p = new Progress(tty, 3);
    p.update(1, 'models/a.cfg');
    p.update(2, 'models/some/very/long/folder/name/that/does/not/fit/b.cfg');
    p.clear();
    p.clear();
    assert.deepEqual(writes[0], '\r\x1b[Krflens: 1/3 models/a.cfg');
    assert.ok(writes[1]!.startsWith('\r\x1b[Krflens: 2/3 …'));
    assert.ok(writes[1]!.endsWith('fit/b.cfg'));
    assert.ok(writes[1]!.length - 4 <= 39, 'never wider than the terminal');
    assert.deepEqual(writes.slice(2), ['\r\x1b[K'], 'cleared once');
    const quiet: string[] = [];
    new Progress({ isTTY: false, write: (t: string) => quiet.push(t) }, 100).update(1, 'x');
    new Progress({ isTTY: true, write: (t: string) => quiet.push(t) }, 1).update(1, 'x');
    assert.deepEqual(quiet, [], 'not on a pipe, not for one file');
  });

  it('helpUri: from package.json repository or homepage, else none (SARIF wants it absolute)', () => {
    assert.equal(readmeUrl({ repository: 'github:rfl/lens' }), 'https://github.com/rfl/lens/blob/HEAD/README.md');
    assert.equal(readmeUrl({ repository: { type: 'git', url: 'git+https://github.com/rfl/lens.git' } }), 'https://github.com/rfl/lens/blob/HEAD/README.md');
    assert.equal(readmeUrl({ repository: 'rfl/lens' }), 'https://github.com/rfl/lens/blob/HEAD/README.md');
    assert.equal(readmeUrl({ homepage: 'https://rfl.example/docs#intro' }), 'https://rfl.example/docs');
    assert.equal(readmeUrl({}), null);
  });
});
