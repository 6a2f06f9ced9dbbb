import { strict as assert } from 'node:assert';
import type { AnalysisReport } from '../../src/core';
import { analyzed, engine } from '../support/engine';
import { caffeReader } from '../../src/core/formats/caffe/reader';
import { parsePrototext, Pt } from '../../src/core/formats/caffe/prototext';

function run(text: string, input?: number): AnalysisReport {
  return analyzed({ fileName: 'net.prototxt', text }, input ? { input } : {});
}

function sizes(r: AnalysisReport): Record<string, number[] | null> {
  return Object.fromEntries(r.layers.map((l) => [l.id, l.output]));
}

const HEADER = 'name: "t"\ninput: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 32\ninput_dim: 32\n';

describe('protobuf text format', () => {
  it('reads nested messages, both colon forms, lists, strings and comments', () => {
    const d = parsePrototext(`# top
name: "n" # trailing
layer { name: 'a' type: "Convolution" convolution_param: { kernel_size: [3, 5] pad: 1 } }
flag: true
x: -1.5e2
`);
    assert.deepEqual(d.problems, []);
    const root = new Pt(d.root);
    assert.equal(root.string('name'), 'n');
    const conv = root.message('layer')!.message('convolution_param')!;
    assert.deepEqual(conv.numbers('kernel_size'), [3, 5]);
    assert.equal(root.number('x'), -150);
    assert.equal(root.bool('flag'), true);
    assert.equal(root.field('layer')!.range.start.line, 2);
  });

  it('reports problems on their line and recovers', () => {
    const d = parsePrototext(`layer {
  name: "unterminated
  type: "ReLU"
  @@@
}
layer { name: "ok" }
layer {`);
    const lines = d.problems.map((p) => p.range.start.line);
    assert.ok(lines.includes(1), 'the unterminated string');
    assert.ok(lines.includes(3), 'the stray characters');
    assert.ok(d.problems.some((p) => /Missing '}'/.test(p.message)), 'the unclosed brace at the end');
    const names = new Pt(d.root).messages('layer').map((l) => l.string('name'));
    assert.ok(names.includes('ok'));
  });
});

describe('Caffe reader', () => {
  it('every input form: input_dim, input_shape, Input layer (shape { } and shape: { })', () => {
    const forms = [
      HEADER,
      'input: "data"\ninput_shape { dim: 1 dim: 3 dim: 32 dim: 32 }\n',
      'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 32 dim: 32 } } }\n',
      'layer { name: "data" type: "Input" top: "data" input_param { shape: { dim: 1 dim: 3 dim: 32 dim: 32 } } }\n',
      'layer { name: "data" type: "Data" top: "data" top: "label" transform_param { crop_size: 32 } }\n',
    ];
    for (const head of forms) {
      const r = run(`${head}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { kernel_size: 3 } }`);
      assert.deepEqual(r.input, { shape: [32, 32], source: 'file' }, head);
      assert.deepEqual(sizes(r)['c'], [30, 30]);
    }
  });

  it('V1 layers with enum types read like V2', () => {
    const r = run(`${HEADER}layers { name: "c" type: CONVOLUTION bottom: "data" top: "c" convolution_param { kernel_size: 5 stride: 2 } }
layers { name: "r" type: RELU bottom: "c" top: "c" }
layers { name: "p" type: POOLING bottom: "c" top: "p" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }`);
    // (32-5)/2+1 = 14; pool ceil((14-3)/2)+1 = 7
    assert.deepEqual(sizes(r), { data: [32, 32], c: [14, 14], r: [14, 14], p: [7, 7] });
  });

  it('pooling rounds up; a window starting in the padding is dropped only when padded', () => {
    const r = run(`${HEADER}layer { name: "p1" type: "Pooling" bottom: "data" top: "p1" pooling_param { kernel_size: 3 stride: 2 } }
layer { name: "p2" type: "Pooling" bottom: "data" top: "p2" pooling_param { kernel_size: 2 stride: 2 pad: 1 } }
layer { name: "p3" type: "Pooling" bottom: "data" top: "p3" pooling_param { kernel_size: 3 stride: 2 round_mode: FLOOR } }`);
    // p1: ceil(29/2)+1 = 16; p2: ceil((32+2-2)/2)+1 = 17, (17-1)*2 = 32 >= 32+1? no -> 17; p3: floor -> 15
    assert.deepEqual([sizes(r)['p1'], sizes(r)['p2'], sizes(r)['p3']], [
      [16, 16],
      [17, 17],
      [15, 15],
    ]);
  });

  it('kernel_h/kernel_w, pad_h/pad_w and stride_h/stride_w set each axis', () => {
    const r = run(`${HEADER}layer { name: "c" type: "Convolution" bottom: "data" top: "c"
  convolution_param { kernel_h: 1 kernel_w: 7 pad_h: 0 pad_w: 3 stride_h: 2 stride_w: 1 } }`);
    assert.deepEqual(sizes(r)['c'], [16, 32]);
    assert.deepEqual(r.layers.find((l) => l.id === 'c')!.rf!.size, [1, 7]);
  });

  it('deconvolution: stride*(n-1) + kernel - 2*pad', () => {
    const r = run(`${HEADER}layer { name: "d" type: "Deconvolution" bottom: "data" top: "d" convolution_param { kernel_size: 4 stride: 2 pad: 1 } }`);
    assert.deepEqual(sizes(r)['d'], [64, 64]);
  });

  it('in-place layers chain, Eltwise adds, PROD multiplies, Concat joins channels', () => {
    const { models } = caffeReader.read(
      {
        fileName: 'x.prototxt',
        text: `${HEADER}layer { name: "a" type: "Convolution" bottom: "data" top: "a" convolution_param { kernel_size: 3 pad: 1 } }
layer { name: "a_relu" type: "ReLU" bottom: "a" top: "a" }
layer { name: "b" type: "Convolution" bottom: "data" top: "b" convolution_param { kernel_size: 1 } }
layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" }
layer { name: "prod" type: "Eltwise" bottom: "a" bottom: "b" top: "prod" eltwise_param { operation: PROD } }
layer { name: "cat" type: "Concat" bottom: "sum" bottom: "prod" top: "cat" }`,
      },
      { options: {} },
    );
    const byId = Object.fromEntries(models[0]!.nodes.map((n) => [n.id, n]));
    assert.deepEqual(byId['sum']!.inputs, ['a_relu', 'b']);
    assert.equal(byId['sum']!.spec.op, 'add');
    assert.equal(byId['prod']!.spec.op, 'mul');
    assert.equal(byId['cat']!.spec.op, 'concat');
    assert.deepEqual(models[0]!.outputs, ['cat']);
  });

  it('Crop takes the reference size and its offset', () => {
    const r = run(`${HEADER}layer { name: "up" type: "Deconvolution" bottom: "data" top: "up" convolution_param { kernel_size: 4 stride: 2 } }
layer { name: "crop" type: "Crop" bottom: "up" bottom: "data" top: "crop" crop_param { axis: 2 offset: 5 } }`);
    // up: 31*2+4 = 66; crop to 32x32 starting at 5
    assert.deepEqual(sizes(r)['crop'], [32, 32]);
    const g = engine(r).geometry.byId.get('crop')!;
    const rule = g.rules[0]![0]! as unknown as { offset: number };
    assert.equal(rule.offset, 5);
  });

  it('LRN within a channel is a local_size window; across channels it is pointwise', () => {
    const r = run(`${HEADER}layer { name: "n1" type: "LRN" bottom: "data" top: "n1" lrn_param { local_size: 5 norm_region: WITHIN_CHANNEL } }
layer { name: "n2" type: "LRN" bottom: "n1" top: "n2" lrn_param { local_size: 5 } }`);
    assert.deepEqual(sizes(r)['n1'], [32, 32]);
    assert.deepEqual(r.layers.find((l) => l.id === 'n1')!.rf!.size, [5, 5]);
    assert.deepEqual(r.layers.find((l) => l.id === 'n2')!.rf!.size, [5, 5]);
  });

  it('analyses the TEST phase: include/exclude select layers', () => {
    const r = run(`${HEADER}layer { name: "train_only" type: "Convolution" bottom: "data" top: "x" include { phase: TRAIN } convolution_param { kernel_size: 5 } }
layer { name: "test_only" type: "Convolution" bottom: "data" top: "x" include { phase: TEST } convolution_param { kernel_size: 3 } }
layer { name: "not_test" type: "ReLU" bottom: "x" top: "x" exclude { phase: TEST } }`);
    assert.deepEqual(
      r.layers.map((l) => l.id),
      ['data', 'test_only'],
    );
    assert.deepEqual(sizes(r)['test_only'], [30, 30]);
  });

  it('an unknown type is RFL100 on its type line; the rest is analysed', () => {
    const r = run(`${HEADER}layer {
  name: "weird"
  type: "MyLayer"
  bottom: "data"
  top: "w"
}
layer { name: "c" type: "Convolution" bottom: "w" top: "c" convolution_param { kernel_size: 3 } }`);
    const f = r.findings.find((x) => x.code === 'RFL100')!;
    assert.equal(f.range!.start.line, 8);
    assert.equal(f.layer, 'weird');
    assert.deepEqual(sizes(r)['c'], [30, 30]);
  });

  it('a byte-order mark before the first line is not text (Windows editors write one)', () => {
    const text = `${HEADER}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { kernel_size: 3 } }`;
    const plain = run(text);
    const marked = run(`\ufeff${text}`);
    assert.deepEqual(marked.findings, plain.findings);
    assert.equal(marked.model, 't');
    assert.deepEqual(marked.input, { shape: [32, 32], source: 'file' });
    assert.deepEqual(sizes(marked), sizes(plain));
    assert.deepEqual(marked.layers.map((l) => l.line), plain.layers.map((l) => l.line));
  });

  it('a missing bottom and a duplicate name are reported, not thrown', () => {
    const r = run(`${HEADER}layer { name: "c" type: "Convolution" bottom: "nothing" top: "c" convolution_param { kernel_size: 3 } }
layer { name: "c" type: "ReLU" bottom: "data" top: "r" }`);
    const messages = r.findings.filter((f) => f.code === 'RFL100').map((f) => f.message);
    assert.ok(messages.some((m) => m.includes('"nothing" is not produced')));
    assert.ok(messages.some((m) => m.includes('used twice')));
  });

  it('a Python data layer is the input; its size is the default when unstated', () => {
    const r = run(`layer { name: "data" type: "Python" top: "data" top: "label" python_param { module: "m" layer: "L" } }
layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { kernel_size: 3 pad: 1 } }`);
    assert.deepEqual(r.input, { shape: [224, 224], source: 'default' });
  });

  it('round_mode may be written as a number (FLOOR = 1)', () => {
    const r = run(`${HEADER}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { kernel_size: 3 stride: 2 round_mode: 1 } }`);
    assert.deepEqual(sizes(r)['p'], [15, 15]);
  });

  it('convolutions count windows with C division (a too-small input still gives one)', () => {
    const r = run(`${HEADER}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { kernel_size: 33 stride: 2 } }`);
    assert.deepEqual(sizes(r)['c'], [1, 1]);
  });

  it('Crop with a negative axis counts from the end (CanonicalAxisIndex)', () => {
    const r = run(`${HEADER}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { kernel_size: 5 } }
layer { name: "crop" type: "Crop" bottom: "data" bottom: "c" top: "crop" crop_param { axis: -1 offset: 2 } }`);
    // axis -1 = W only: H keeps 32, W takes the reference's 28 from offset 2
    assert.deepEqual(sizes(r)['crop'], [32, 28]);
  });

  it('Normalize across space and MVN read the whole map; ArgMax without an axis is global', () => {
    const r = run(`${HEADER}layer { name: "n" type: "Normalize" bottom: "data" top: "n" }
layer { name: "m" type: "MVN" bottom: "data" top: "m" }
layer { name: "n2" type: "Normalize" bottom: "data" top: "n2" norm_param { across_spatial: false } }
layer { name: "am" type: "ArgMax" bottom: "data" top: "am" }`);
    const cov = (id: string) => Array.from(engine(r).coverage([id]));
    assert.ok(cov('n').every((c) => c === 1024), 'every unit sees every pixel');
    assert.ok(cov('m').every((c) => c === 1024));
    assert.ok(cov('n2').every((c) => c === 1), 'across_spatial: false is pointwise');
    assert.equal(sizes(r)['am'], null);
  });

  it('3-D convolutions from a 5-D input', () => {
    const r = run(`input: "clip"
input_shape { dim: 1 dim: 3 dim: 8 dim: 16 dim: 16 }
layer { name: "c" type: "Convolution" bottom: "clip" top: "c" convolution_param { kernel_size: 3 kernel_size: 3 kernel_size: 3 stride: 1 stride: 2 stride: 2 pad: 1 } }`);
    assert.deepEqual(sizes(r)['c'], [8, 8, 8]);
    assert.deepEqual(r.layers.find((l) => l.id === 'c')!.rf!.size, [3, 3, 3]);
  });
});
