/** The command line as other tools use it: dist/cli.js in a child process. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { colorTable } from '../../src/shared/colormap';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const DARKNET = join(ROOT, 'examples', 'darknet', 'strided-blind-spots.cfg');
const CAFFE = join(ROOT, 'examples', 'caffe', 'valid-convs.prototxt');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
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

  it('map --png writes a heatmap in the viridis colours', () => {
    const out = join(tmp, 'map.png');
    const r = cli('map', DARKNET, '--png', out);
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
    assert.equal(cli('map', file, '--png', out).code, 0);
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
