/**
 * The Keras model JSON / .keras reader: fixtures written for the project
 * (Keras 1, 2 and 3 encodings) with hand-derived fields, findings on the
 * layer's object, .keras archives, conformance over the shared corpus and
 * fuzzing (mutated JSON, random bytes as .keras).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import { analyze, type AnalysisReport, type AnalyzeOptions } from '../../src/core';
import { kerasReader, readKeras } from '../../src/core/formats/keras/reader';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'keras');
const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'keras');

const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

function run(name: string, text: string, options: AnalyzeOptions = {}): AnalysisReport {
  return analyze({ fileName: name, text }, { findings: 'none', ...options });
}

function layer(r: AnalysisReport, id: string) {
  const l = r.layers.find((x) => x.id === id);
  assert.ok(l, `layer ${id} exists`);
  return l!;
}

const field = (r: AnalysisReport, id: string) => {
  const l = layer(r, id);
  return { out: l.output, size: l.rf!.size[0], jump: l.rf!.jump[0], start: l.rf!.start[0] };
};

describe('Keras reader: hand-derived fields', () => {
  it('Keras 2 Sequential: TensorFlow same padding puts the odd pixel after; ZeroPadding2D and dilation', () => {
    // conv2d_1 3/1 same: r 3, s 0. pool 2/2: r 4, j 2, s 0.5.
    // conv2d_2 3/2 same on 16: out 8, total max(7*2 + 3 - 16, 0) = 1, 0 before: r 8, j 4, s 0.5 + (1 - 0)*2 = 2.5.
    // zero_padding2d_1 1: out 10, s 2.5 - 4 = -1.5. conv2d_3 3 dilation 2 valid: e 5, out 6, r 8 + 4*4 = 24, s -1.5 + 2*4 = 6.5.
    const r = run('keras2-sequential.json', fixture('keras2-sequential.json'));
    assert.equal(r.format, 'keras-json');
    assert.equal(r.model, 'fixture_sequential');
    assert.deepEqual(r.input, { shape: [32, 32], source: 'file' });
    assert.deepEqual(field(r, 'conv2d_1'), { out: [32, 32], size: 3, jump: 1, start: 0 });
    assert.deepEqual(field(r, 'max_pooling2d_1'), { out: [16, 16], size: 4, jump: 2, start: 0.5 });
    assert.deepEqual(field(r, 'conv2d_2'), { out: [8, 8], size: 8, jump: 4, start: 2.5 });
    assert.deepEqual(field(r, 'zero_padding2d_1'), { out: [10, 10], size: 8, jump: 4, start: -1.5 });
    assert.deepEqual(field(r, 'conv2d_3'), { out: [6, 6], size: 24, jump: 4, start: 6.5 });
    assert.equal(layer(r, 'dense_1').op, 'dense');
    assert.deepEqual(r.layers[0]!.id, 'conv2d_1_input', 'the implicit input is named as Keras names it');
    assert.deepEqual(r.outputs, ['dense_1']);
  });

  it('Keras 1 Sequential: Convolution2D nb_row/nb_col/subsample/border_mode, channels first, Cropping2D', () => {
    // input 3x66x200 ('th'); cropping2d_1 ((10, 6), (0, 0)): 50x200, unit 0 sees row 10: s (10, 0).
    // convolution2d_1 5x5/2 valid: 23x98, r 5, j 2, s (12, 2). maxpooling2d_1 2/2: 11x49, r 7, j 4, s (13, 3).
    // convolution2d_2 3x3 same: 11x49, r 15.
    const r = run('keras1-sequential.json', fixture('keras1-sequential.json'));
    assert.deepEqual(r.input!.shape, [66, 200]);
    assert.deepEqual(layer(r, 'cropping2d_1').output, [50, 200]);
    assert.deepEqual(layer(r, 'cropping2d_1').rf!.start, [10, 0]);
    assert.deepEqual(layer(r, 'convolution2d_1').output, [23, 98]);
    assert.deepEqual(layer(r, 'convolution2d_1').rf, { size: [5, 5], jump: [2, 2], start: [12, 2] });
    assert.deepEqual(layer(r, 'maxpooling2d_1').rf, { size: [7, 7], jump: [4, 4], start: [13, 3] });
    assert.deepEqual(layer(r, 'convolution2d_2').output, [11, 49]);
    assert.equal(layer(r, 'convolution2d_2').rf!.size[0], 15);
    assert.equal(r.findings.filter((f) => f.code === 'RFL100').length, 0);
  });

  it('Keras 3 Functional: keras_history, a shared layer, a nested Sequential, Conv2DTranspose same, Lambda as RFL100', () => {
    // stem 3/2 same on 64: total 1, 0 before: r 3, j 2, s 1. branch_a 3x3 (depthwise): r 7; branch_b 5x5 (separable): r 11.
    // add of the two: the union, 11. pool 2/2 same on 32 (total 0): r 13, j 4, s 2.
    const text = fixture('keras3-functional.json');
    const r = run('keras3-functional.json', text);
    assert.deepEqual(field(r, 'stem'), { out: [32, 32], size: 3, jump: 2, start: 1 });
    assert.equal(field(r, 'branch_a').size, 7);
    assert.equal(field(r, 'branch_b').size, 11);
    assert.deepEqual(layer(r, 'shared_conv').inputs, ['branch_a']);
    assert.deepEqual(layer(r, 'shared_conv@1').inputs, ['branch_b']);
    assert.deepEqual(layer(r, 'add').inputs, ['shared_conv', 'shared_conv@1']);
    assert.equal(field(r, 'add').size, 11);
    assert.deepEqual(field(r, 'pool'), { out: [16, 16], size: 13, jump: 4, start: 2 });
    assert.deepEqual(layer(r, 'up').output, [32, 32]);
    assert.deepEqual(layer(r, 'deconv').output, [64, 64], "Conv2DTranspose 'same': n*s");
    assert.deepEqual(layer(r, 'refine/refine_conv').inputs, ['deconv'], 'the nested model reads the outer tensor');
    assert.deepEqual(layer(r, 'crop').inputs, ['refine']);
    assert.deepEqual(layer(r, 'crop').output, [60, 60]);
    assert.deepEqual(layer(r, 'gap').output, [1, 1], 'a global pool keeps a 1x1 map');
    const lambda = r.findings.filter((f) => f.code === 'RFL100');
    assert.equal(lambda.length, 1);
    assert.equal(lambda[0]!.layer, 'scale');
    assert.match(lambda[0]!.message, /Lambda/);
    // the finding lands on the layer's class name in the file
    const line = text.split('\n').findIndex((l) => l.includes('"class_name": "Lambda"'));
    assert.equal(lambda[0]!.range!.start.line, line);
    assert.deepEqual(r.outputs, ['head']);
  });

  it('layer ranges: kernel and stride values, the input size values of batch_input_shape', () => {
    const text = fixture('keras2-sequential.json');
    const g = readKeras({ fileName: 'k.json', text }).models[0]!;
    const conv = g.nodes.find((n) => n.id === 'conv2d_2')!;
    const at = (r: { start: { line: number; character: number } }) => text.split('\n')[r.start.line]!.slice(r.start.character);
    assert.match(at(conv.valueRanges!.kernel!), /^\[/);
    assert.match(at(conv.ranges!.stride!), /^"strides"/);
    const input = g.nodes[0]!;
    assert.match(at(input.valueRanges!['inputSize:0']!), /^32/);
    assert.ok(conv.origin!.start.line < conv.ranges!.kernel!.start.line);
  });

  it('a .keras archive is read from its config.json; a broken archive is a finding', () => {
    const config = fixture('keras3-functional.json');
    const zip = zipSync({ 'metadata.json': strToU8('{"keras_version": "3.8.0"}'), 'config.json': strToU8(config), 'model.weights.h5': new Uint8Array(16) });
    const r = analyze({ fileName: 'model.keras', bytes: zip }, { findings: 'none' });
    assert.equal(r.format, 'keras-json');
    assert.equal(r.model, 'fixture_functional');
    assert.equal(r.layers.length, run('k.json', config).layers.length);
    assert.ok(r.findings.filter((f) => f.code === 'RFL100').every((f) => f.range === null), 'no ranges into an archive');
    const broken = analyze({ fileName: 'model.keras', bytes: zip.slice(0, 40) }, { findings: 'none' });
    assert.ok(broken.findings.some((f) => f.code === 'RFL100' && /archive/.test(f.message)));
    const noConfig = analyze({ fileName: 'model.keras', bytes: zipSync({ 'a.txt': strToU8('x') }) }, { findings: 'none' });
    assert.ok(noConfig.findings.some((f) => /no config.json/.test(f.message)));
  });

  it('not a Keras model: a finding, no model; match() looks at the structure', () => {
    const r = readKeras({ fileName: 'package.json', text: '{"name": "x", "version": "1.0.0"}' });
    assert.equal(r.models.length, 0);
    assert.ok(r.findings.some((f) => /not a Keras model/.test(f.message)));
    assert.equal(kerasReader.match({ fileName: 'package.json', text: '{"name": "x"}' }), false);
    assert.equal(kerasReader.match({ fileName: 'm.json', text: fixture('keras1-sequential.json') }), true);
    const syntax = run('m.json', '{"class_name": "Sequential", "config": [ {"class_name": "Conv2D", "config": {"name": "c", "kernel_size": 3, "batch_input_shape": [null, 8, 8, 1]}} ');
    assert.ok(syntax.findings.some((f) => f.code === 'RFL100' && /^JSON/.test(f.message) && f.range));
    assert.deepEqual(layer(syntax, 'c').output, [6, 6], 'what parses is still read');
  });

  it('a nested Functional model (Keras 2 lists): its input layer is the outer tensor, its name its output', () => {
    const inner = {
      class_name: 'Model',
      name: 'encoder',
      config: {
        name: 'encoder',
        layers: [
          { name: 'enc_in', class_name: 'InputLayer', config: { batch_input_shape: [null, null, null, 8], name: 'enc_in' }, inbound_nodes: [] },
          { name: 'enc_conv', class_name: 'Conv2D', config: { name: 'enc_conv', kernel_size: [3, 3], strides: [2, 2], padding: 'valid' }, inbound_nodes: [[['enc_in', 0, 0, {}]]] },
        ],
        input_layers: [['enc_in', 0, 0]],
        output_layers: [['enc_conv', 0, 0]],
      },
      inbound_nodes: [[['stem', 0, 0, {}]]],
    };
    const text = JSON.stringify({
      class_name: 'Model',
      config: {
        name: 'outer',
        layers: [
          { name: 'img', class_name: 'InputLayer', config: { batch_input_shape: [null, 33, 33, 3], name: 'img' }, inbound_nodes: [] },
          { name: 'stem', class_name: 'Conv2D', config: { name: 'stem', kernel_size: [3, 3], strides: [1, 1], padding: 'same' }, inbound_nodes: [[['img', 0, 0, {}]]] },
          inner,
          { name: 'out', class_name: 'Conv2D', config: { name: 'out', kernel_size: [1, 1] }, inbound_nodes: [[['encoder', 0, 0, {}]]] },
        ],
        input_layers: [['img', 0, 0]],
        output_layers: [['out', 0, 0]],
      },
    });
    const r = run('nested.json', text);
    assert.deepEqual(r.findings.filter((f) => f.code === 'RFL100').map((f) => f.message), []);
    assert.deepEqual(layer(r, 'encoder/enc_conv').inputs, ['stem']);
    assert.deepEqual(layer(r, 'out').inputs, ['encoder']);
    // stem 3/1 same: r 3, s 0; enc_conv 3/2 valid: r 3 + 2 = 5, j 2, s 0 + 1 = 1
    assert.deepEqual(field(r, 'out'), { out: [16, 16], size: 5, jump: 2, start: 1 });
  });

  it('Conv1D (causal), UpSampling1D and GlobalMaxPooling1D on a 1-D input', () => {
    const text = JSON.stringify({
      class_name: 'Sequential',
      config: {
        name: 'audio',
        layers: [
          { class_name: 'InputLayer', config: { name: 'wave', batch_shape: [null, 100, 1] } },
          { class_name: 'Conv1D', config: { name: 'c1', kernel_size: [3], strides: [1], padding: 'causal', dilation_rate: [2] } },
          { class_name: 'MaxPooling1D', config: { name: 'p1', pool_size: [2], strides: [2], padding: 'valid' } },
          { class_name: 'UpSampling1D', config: { name: 'u1', size: 2 } },
          { class_name: 'GlobalMaxPooling1D', config: { name: 'g' } },
        ],
      },
    });
    const r = run('audio.json', text);
    assert.deepEqual(r.input!.shape, [100]);
    // causal: d*(k-1) = 4 before, none after: unit 0 sees [-4, 0], start -2
    assert.deepEqual(layer(r, 'c1').rf, { size: [5], jump: [1], start: [-2] });
    assert.deepEqual(layer(r, 'c1').output, [100]);
    assert.deepEqual(layer(r, 'u1').output, [100]);
  });
});

/** RFL100 findings the corpus produces, with the reason each is justified. */
const ALLOWED_UNRESOLVED: Record<string, string> = {
  'keras1_carnd_behavioral_cloning_model.json:lambda_5':
    'a Lambda holds marshalled Python bytecode (here the x/255 - 0.5 normalisation of the CarND models): it cannot be read statically; it is pointwise in practice, so the identity it is shown as gives the right field',
};

const corpusFiles = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => f.endsWith('.json') || f.endsWith('.keras')).sort() : [];

function fileLayers(text: string): number {
  const count = (model: { class_name?: string; config?: unknown }): number => {
    const cfg = model.config as { layers?: unknown[] } | unknown[];
    const layers = (Array.isArray(cfg) ? cfg : (cfg?.layers ?? [])) as Array<{ class_name: string; config?: unknown; inbound_nodes?: unknown[] }>;
    return layers.reduce((s, l) => s + (['Sequential', 'Functional', 'Model'].includes(l.class_name) ? count(l) + 1 : Math.max(l.inbound_nodes?.length ?? 1, 1)), 0);
  };
  return count(JSON.parse(text));
}

(corpusFiles.length ? describe : describe.skip)('Keras corpus conformance (../shared/corpus/keras)', function () {
  this.timeout(300000);
  for (const f of corpusFiles) {
    it(`${f}: reads, one node per layer the file defines, every layer has a shape and a field`, () => {
      const text = readFileSync(join(CORPUS, f), 'utf8');
      const r = run(f, text);
      assert.equal(r.format, 'keras-json');
      const unresolved = r.findings.filter((x) => x.code === 'RFL100' && !ALLOWED_UNRESOLVED[`${f}:${x.layer}`]);
      assert.deepEqual(unresolved.map((x) => x.message), []);
      // Sequential files without an InputLayer get the implicit input Keras makes (<first>_input)
      const implicit = r.layers[0]!.id.endsWith('_input') && !text.includes(`"${r.layers[0]!.id}"`) ? 1 : 0;
      assert.equal(r.layers.length, fileLayers(text) + implicit);
      assert.equal(r.input!.source, 'file');
      for (const l of r.layers) {
        assert.ok(l.rf && l.rf.size.every((s) => s >= 1), `${l.id} has a field`);
      }
    });
  }

  it('published fields (Araujo, Norris & Sim, Distill 2019): MobileNet 315, ResNet-50 483, both jump 32', () => {
    const mobilenet = run('m.json', readFileSync(join(CORPUS, 'keras2.2_functional_mobilenet_model.json'), 'utf8'));
    assert.deepEqual(layer(mobilenet, 'conv_pw_13_relu').rf!.size, [315, 315]);
    assert.deepEqual(layer(mobilenet, 'conv_pw_13_relu').rf!.jump, [32, 32]);
    assert.deepEqual(layer(mobilenet, 'conv_pw_13_relu').output, [7, 7]);
    const resnet = run('r.json', readFileSync(join(CORPUS, 'keras3_functional_resnet50.json'), 'utf8'));
    assert.deepEqual(layer(resnet, 'conv5_block3_out').rf!.size, [483, 483]);
    assert.deepEqual(layer(resnet, 'conv5_block3_out').output, [7, 7]);
    assert.equal(layer(resnet, 'conv2_block1_add').op, 'add');
  });

  it('Keras 1 CarND model: the crop of 40 rows above and 20 below leaves 100x320', () => {
    const r = run('k1.json', readFileSync(join(CORPUS, 'keras1_carnd_behavioral_cloning_model.json'), 'utf8'));
    assert.deepEqual(layer(r, 'cropping2d_8').output, [100, 320]);
  });

  it('Keras 3 autoencoder: MaxPooling2D same and UpSampling2D bring 540 back to 540', () => {
    const r = run('ae.json', readFileSync(join(CORPUS, 'keras3_denoise_autoencoder_config.json'), 'utf8'));
    assert.deepEqual(layer(r, r.outputs[0]!).output, [540, 540]);
  });
});

describe('Keras reader: fuzzing', function () {
  this.timeout(300000);
  const seeds = ['keras1-sequential.json', 'keras2-sequential.json', 'keras3-functional.json'].map(fixture);
  for (const f of ['keras2.0_sequential_list_cnn_model.json', 'keras3_mnist_cnn_config.json', 'keras3_denoise_autoencoder_config.json']) {
    if (existsSync(join(CORPUS, f))) seeds.push(readFileSync(join(CORPUS, f), 'utf8'));
  }
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('{', '}', '[', ']', ',', '"', 'null', '-1', '0', '99999', '"same"', '"valid"', '[[1, 2], [3]]', '"Lambda"', '"Conv2D"')) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('digits' as const), at: fc.nat(), value: fc.integer({ min: -3, max: 70000 }) }),
  );
  const check = (r: AnalysisReport) => {
    assert.deepEqual(r.findings.filter((f) => f.message.startsWith('Internal error')).map((f) => f.message), []);
    for (const f of r.findings) if (f.range) assert.ok(f.range.start.line >= 0 && f.range.end.line >= f.range.start.line);
  };

  it('mutated model JSON never throws and never fails inside', () => {
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 5 }), (k, edits) => {
        let t = seeds[k]!;
        for (const e of edits) {
          const at = t.length ? e.at % t.length : 0;
          if (e.kind === 'delete') t = t.slice(0, at) + t.slice(at + e.len);
          else if (e.kind === 'insert') t = t.slice(0, at) + e.text + t.slice(at);
          else if (e.kind === 'truncate') t = t.slice(0, at);
          else {
            const re = /-?\d+/g;
            re.lastIndex = at;
            const m = re.exec(t);
            if (m) t = t.slice(0, m.index) + String(e.value) + t.slice(m.index + m[0].length);
          }
        }
        check(analyze({ fileName: 'fuzz.json', text: t }, { input: 16 }));
      }),
      { numRuns: Number(process.env.RFL_FUZZ_RUNS ?? 300), seed: Number(process.env.RFL_FC_SEED ?? 20261203) },
    );
  });

  it('random bytes and corrupted archives as .keras never throw', () => {
    const zip = zipSync({ 'config.json': strToU8(seeds[2]!) });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.boolean(), (bytes, at, corrupt) => {
        let data = bytes;
        if (corrupt) {
          data = zip.slice();
          for (let i = 0; i < bytes.length && i < 8; i++) data[(at + i * 97) % data.length] = bytes[i]!;
        }
        check(analyze({ fileName: 'random.keras', bytes: data }, { input: 16, findings: 'none' }));
      }),
      { numRuns: Number(process.env.RFL_FUZZ_RUNS ?? 300), seed: Number(process.env.RFL_FC_SEED ?? 11) },
    );
  });
});

describe('Keras on the command line', function () {
  this.timeout(120000);
  const CLI = join(ROOT, 'dist', 'cli.js');
  before(() => {
    if (!existsSync(CLI)) assert.equal(spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT }).status, 0);
  });

  it('analyze a model JSON with --input, and a .keras archive', () => {
    const file = join(ROOT, 'examples', 'keras-json', 'residual-cnn.json');
    const r = spawnSync(process.execPath, [CLI, 'analyze', file, '--input', '64', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.format, 'keras-json');
    assert.deepEqual(j.input.shape, [64, 64]);
    const tmp = mkdtempSync(join(tmpdir(), 'rflens-keras-'));
    const archive = join(tmp, 'model.keras');
    writeFileSync(archive, zipSync({ 'config.json': strToU8(readFileSync(file, 'utf8')) }));
    const k = spawnSync(process.execPath, [CLI, 'analyze', archive, '--json'], { encoding: 'utf8' });
    assert.equal(k.status, 0, k.stderr);
    assert.equal(JSON.parse(k.stdout).model, 'residual_cnn');
  });

  (corpusFiles.length ? it : it.skip)('analyze on every corpus file', () => {
    for (const f of corpusFiles) {
      const r = spawnSync(process.execPath, [CLI, 'analyze', join(CORPUS, f), '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).format, 'keras-json', f);
    }
  });
});
