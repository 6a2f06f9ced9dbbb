/**
 * The Python reader on fixtures written for the project in the idioms real
 * code uses (torchvision-, timm-, Ultralytics- and Keras-Applications-style),
 * with receptive fields derived by hand.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { analyze, isRefusal, openModel, readerFor, type AnalysisReport } from '../../src/core';
import { parsePython } from '../../src/core/formats/python/parse';
import { refField, refMaps, refShapes } from '../support/reference';
import { FIX, fsFiles, layer, run, unresolved } from '../support/pythonFixtures';

describe('python reader: torchvision-style code', () => {
  it('ResNet-50 (Bottleneck, _make_layer, _forward_impl): 267 at layer3, 427 at layer4', () => {
    const r = run('tvstyle/resnet.py');
    assert.equal(r.format, 'python');
    assert.equal(r.model, 'ResNet');
    assert.deepEqual(unresolved(r), []);
    assert.deepEqual(layer(r, 'layer3').rf!.size, [267, 267]);
    assert.deepEqual(layer(r, 'layer4').rf!.size, [427, 427]);
    assert.deepEqual(layer(r, 'layer4').rf!.jump, [32, 32]);
    assert.deepEqual(layer(r, 'layer4').output, [7, 7]);
    // named_modules() paths
    for (const id of ['conv1', 'bn1', 'maxpool', 'layer1.0.conv1', 'layer1.0.downsample.0', 'layer4.2.conv3', 'layer4.2.bn3', 'fc']) layer(r, id);
    // a module called three times: the path, then _1, _2
    for (const id of ['layer1.0.relu', 'layer1.0.relu_1', 'layer1.0.relu_2', 'layer1.0.add']) layer(r, id);
    assert.equal(layer(r, 'avgpool').op, 'globalPool');
    assert.deepEqual(r.outputs, ['fc']);
    // ranges: the layer's constructor call in the file
    assert.equal(layer(r, 'conv1').line, 50);
  });

  it('VGG-16 from a config list: 212 at features.30 (its last pool), start 15.5', () => {
    const r = run('tvstyle/vgg.py', { model: 'vgg16' });
    assert.deepEqual(r.models, ['vgg16', 'vgg11']);
    const pool = layer(r, 'features.30');
    assert.equal(pool.op, 'pool');
    assert.deepEqual(pool.rf!.size, [212, 212]);
    assert.deepEqual(pool.rf!.start, [15.5, 15.5]);
    assert.equal(r.layers.filter((l) => l.op === 'conv').length, 13);
  });

  it('factories are offered in file order; the first buildable one is the default', () => {
    const r = run('tvstyle/vgg.py');
    assert.equal(r.model, 'vgg11');
    assert.deepEqual(layer(r, 'features.20').rf!.size, [150, 150]);
  });
});

describe('python reader: torchvision-style segmentation', () => {
  it('a weights enum passes its isinstance check; the getter copies the backbone up to its return layer and deletes what it found', () => {
    const r = run('tvstyle/segmentation.py', { model: 'seg_net' });
    assert.deepEqual(unresolved(r), []);
    // by hand: conv1 3 (jump 2), layer1 3 + 2*2 = 7, layer2 7 + 2*2 = 11 (jump 4); the 1x1 classifier keeps 11
    assert.deepEqual(layer(r, 'backbone.conv1').rf!.size, [3, 3]);
    assert.deepEqual(layer(r, 'backbone.layer1').rf!.size, [7, 7]);
    assert.deepEqual(layer(r, 'backbone.layer2').rf!.size, [11, 11]);
    assert.deepEqual(layer(r, 'backbone.layer2').rf!.jump, [4, 4]);
    assert.deepEqual(layer(r, 'classifier').rf!.size, [11, 11]);
    // the loop broke once layer2 was found: no pooling or dense layer was copied
    assert.ok(!r.layers.some((l) => /avgpool|fc/.test(l.id)), r.layers.map((l) => l.id).join(' '));
    // F.interpolate(x, size=input_shape): resized back to the input's size, which the input lends (it carries no paths);
    // bilinear from a grid of jump 4 reads two neighbouring units: 11 + 4 = 15
    const up = layer(r, 'interpolate');
    assert.equal(up.op, 'upsample');
    assert.deepEqual(up.inputs, ['classifier', 'input']);
    assert.deepEqual(up.output, [224, 224]);
    assert.deepEqual(up.rf!.size, [15, 15]);
    assert.deepEqual(r.outputs, ['interpolate']);
    assert.deepEqual(run('tvstyle/segmentation.py', { model: 'seg_net', input: 100 }).layers.find((l) => l.id === 'interpolate')!.output, [100, 100]);
  });
});

describe('python reader: MaxViT-style construction', () => {
  it('np.linspace(...).tolist() drives the loop, ModuleList += [layer] extends it, typing.OrderedDict names a Sequential', () => {
    const text = [
      'import numpy as np',
      'import torch.nn as nn',
      'from typing import OrderedDict',
      '',
      'class Net(nn.Module):',
      '    def __init__(self, depth_prob=0.2):',
      '        super().__init__()',
      '        p = np.linspace(0, depth_prob, 3).tolist()',
      '        self.layers = nn.ModuleList()',
      '        for i, rate in enumerate(p):',
      '            self.layers += [nn.Conv2d(3 if i == 0 else 8, 8, 3, stride=2 if i == 0 else 1, padding=1)]',
      '        self.head = nn.Sequential(OrderedDict([("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten())]))',
      '',
      '    def forward(self, x):',
      '        for layer in self.layers:',
      '            x = layer(x)',
      '        return self.head(x)',
      '',
    ].join('\n');
    const r = analyze({ fileName: '/virtual/maxvit_style.py', text }, { findings: 'none', model: 'Net' });
    assert.deepEqual(unresolved(r), []);
    // by hand: layers.0 3 (jump 2), layers.1 3 + 2*2 = 7, layers.2 7 + 2*2 = 11
    assert.deepEqual(['layers.0', 'layers.1', 'layers.2'].map((id) => layer(r, id).rf!.size[0]), [3, 7, 11]);
    assert.equal(layer(r, 'head.pool').op, 'globalPool');
    assert.equal(layer(r, 'head.flat').op, 'flatten');
  });
});

describe('python reader: adaptive pooling to sizes other than 1', () => {
  it('AdaptiveAvgPool2d((5, 3)), AdaptiveMaxPool2d((None, 4)), F.adaptive_max_pool2d / F.adaptive_avg_pool2d: PyTorch windows', () => {
    const r = run('adaptive/pools.py');
    assert.deepEqual(unresolved(r), []);
    assert.deepEqual(r.input, { shape: [11, 11], source: 'file' });
    assert.deepEqual(['pool', 'side', 'adaptive_max_pool2d', 'adaptive_avg_pool2d'].map((id) => layer(r, id).op), ['adaptivePool', 'adaptivePool', 'adaptivePool', 'adaptivePool']);
    assert.deepEqual(layer(r, 'pool').output, [5, 3]);
    assert.deepEqual(layer(r, 'side').output, [11, 4]);
    assert.deepEqual(layer(r, 'adaptive_max_pool2d').output, [2, 7]);
    assert.deepEqual(layer(r, 'adaptive_avg_pool2d').output, [3, 3]);
    // rows: 11 -> 5, windows [0,3) [2,5) [4,7) [6,9) [8,11); centre unit 2 reads conv rows 4..6: 3 + 2 = 5;
    // unit 0's centre 1, unit 4's 9: jump 2. Columns: 11 -> 3, windows [0,4) [3,8) [7,11); centre [3,8): 5 + 2 = 7;
    // centres 1.5 and 8.5: jump 3.5
    const pool = layer(r, 'pool').rf!;
    assert.deepEqual([pool.size, pool.jump, pool.start], [[5, 7], [2, 3.5], [1, 1.5]]);
    // None keeps the rows: the conv's field (3) on rows; columns 11 -> 4, windows [0,3) [2,6) [5,9) [8,11): centre unit 1
    // [2,6): 4 + 2; unit 0's conv pixels -1..3 (centre 1), unit 3's 7..11 (centre 9): jump 8/3
    const side = layer(r, 'side').rf!;
    assert.deepEqual([side.size, side.jump, side.start], [[3, 6], [1, 8 / 3], [0, 1]]);
    assert.deepEqual(r.outputs, ['adaptive_max_pool2d', 'adaptive_avg_pool2d']);
  });

  it('torchvision-style VGG-16: AdaptiveAvgPool2d((7, 7)) is the identity at 224 and repeats the 3x3 map at 100', () => {
    const at224 = run('tvstyle/vgg.py', { model: 'vgg16' });
    assert.deepEqual(unresolved(at224), []);
    const f224 = layer(at224, 'features.30').rf!;
    const a224 = layer(at224, 'avgpool');
    assert.equal(a224.op, 'adaptivePool');
    assert.deepEqual([a224.output, a224.rf!.size, a224.rf!.jump, a224.rf!.start], [[7, 7], f224.size, f224.jump, f224.start]);
    const at100 = run('tvstyle/vgg.py', { model: 'vgg16', input: 100 });
    // 100 -> 50 -> 25 -> 12 -> 6 -> 3; 3 -> 7: windows [0,1) [0,1) [0,2) [1,2) [1,3) [2,3) [2,3)
    assert.deepEqual(layer(at100, 'features.30').output, [3, 3]);
    const a100 = layer(at100, 'avgpool');
    assert.deepEqual(a100.output, [7, 7]);
    // centre unit 3 reads the centre unit of features.30 alone (212); unit 0 reads unit 0 (start 15.5), unit 6 unit 2: 15.5 + 64
    assert.deepEqual(a100.rf!.size, [212, 212]);
    assert.deepEqual(a100.rf!.start, [15.5, 15.5]);
    assert.deepEqual(a100.rf!.jump, [64 / 6, 64 / 6]);
  });
});

describe('python reader: unknown conditions, both branches explored', () => {
  const branchFindings = (r: AnalysisReport) => r.findings.filter((f) => /branches build different models/.test(f.message));

  it('a run-time flag in __init__ and in forward(): each branch built, a finding at each `if` that changes the model', () => {
    const r = run('branches/flags.py', { model: 'Net' });
    const text = readFileSync(resolve(FIX, 'branches/flags.py'), 'utf8').split('\n');
    const ifLines = text.flatMap((l, i) => (l.trim() === 'if self.use_res_connect:' ? [i] : []));
    const found = branchFindings(r);
    assert.deepEqual(found.map((f) => f.range!.start.line), ifLines, found.map((f) => f.message).join('\n'));
    assert.ok(found.every((f) => /The if branch is analysed/.test(f.message)));
    assert.ok(/the else branch gives/.test(found[0]!.message), found[0]!.message);
    assert.ok(/no branch gives/.test(found[1]!.message), found[1]!.message);
    // the if branch: two 3x3 convolutions per block (5, then 9) and the residual add
    assert.deepEqual(layer(r, 'blocks.0').rf!.size, [5, 5]);
    assert.deepEqual(layer(r, 'blocks.1').rf!.size, [9, 9]);
    assert.equal(layer(r, 'blocks.1.add').op, 'add');
  });

  it('branches that differ only in activations are not reported', () => {
    const r = run('branches/flags.py', { model: 'Agree' });
    assert.deepEqual(branchFindings(r).map((f) => f.message), []);
    assert.deepEqual(unresolved(r), []);
  });

  it('a condition on the input size in forward(): if / elif / no branch', () => {
    const r = run('branches/flags.py', { model: 'BySize' });
    const found = branchFindings(r);
    assert.equal(found.length, 1, r.findings.map((f) => f.message).join('\n'));
    assert.ok(/the if branch gives 2 layers, the elif branch on line 65 gives 2 layers \(first different at avg_pool2d where the first branch has down\); no branch gives 1 layer/.test(found[0]!.message), found[0]!.message);
    assert.equal(layer(r, 'down').op, 'pool');
  });
});

describe('python reader: a package with helpers in a second file', () => {
  it('relative imports, a Sequential subclass, ModuleList/ModuleDict loops, chunk, channel shuffle, SE gate, functional pool, a tuple returned', () => {
    const r = run('pkg/model.py');
    assert.equal(r.model, 'Net');
    assert.deepEqual(unresolved(r), []);
    assert.deepEqual(r.input, { shape: [64, 64], source: 'file' });
    for (const id of ['stem.0', 'stem.1', 'stem.2', 'stages.0.branch.0.0', 'stages.0.branch.1.0', 'stages.1.se.fc1', 'stages.1.se.gate']) layer(r, id);
    assert.deepEqual(layer(r, 'stem').rf!.size, [3, 3]);
    // F.max_pool2d in Net.forward: an op of the root module
    const pool = layer(r, 'max_pool2d');
    assert.equal(pool.op, 'pool');
    assert.deepEqual(pool.rf!.size, [7, 7]);
    assert.deepEqual(pool.output, [16, 16]);
    // the shuffle's views keep the map; the SE gate multiplies the branch by a pooled summary
    assert.deepEqual(layer(r, 'stages.0').output, [16, 16]);
    assert.equal(layer(r, 'stages.1.se.mul').op, 'mul');
    assert.equal(layer(r, 'stages.1.se.avgpool').op, 'globalPool');
    assert.equal(layer(r, 'stages.0.cat').op, 'concat');
    // ReflectionPad2d((1, 1, 2, 2)): left, right, top, bottom
    assert.deepEqual(layer(r, 'heads.pad').output, [36, 34]);
    assert.equal(layer(r, 'mean').op, 'globalPool');
    assert.deepEqual(r.outputs, ['fc', 'heads.pad']);
  });

  it('a model from a library in the workspace virtual environment (.venv/pyvenv.cfg), input from an example tensor', () => {
    const r = run('venvproj/train.py');
    assert.deepEqual(unresolved(r), []);
    assert.equal(r.model, 'model');
    assert.deepEqual(r.input, { shape: [96, 96], source: 'file' });
    assert.equal(layer(r, 'body.8').op, 'pool');
    assert.deepEqual(layer(r, 'body').rf!.size, [10, 10]);
    assert.deepEqual(layer(r, 'body').output, [48, 48]);
  });

  it('without file access, imports are unknown and say so, and the reader still answers', () => {
    const file = resolve(FIX, 'pkg/model.py');
    const r = analyze({ fileName: file, text: readFileSync(file, 'utf8') }, { findings: 'none' });
    assert.equal(r.format, 'python');
    assert.ok(unresolved(r).some((m) => /relative import of ops/.test(m)), unresolved(r).join('\n'));
  });
});

describe('python reader: Keras', () => {
  it('Keras-Applications style: layers from a run-time module object, resolved by class name; names as given', () => {
    const r = run('keras/functional.py');
    assert.equal(r.model, 'TinyApp');
    assert.deepEqual(unresolved(r), []);
    assert.deepEqual(r.input, { shape: [128, 128], source: 'file' });
    assert.deepEqual(layer(r, 'b1_conv').rf!.size, [3, 3]);
    assert.deepEqual(layer(r, 'b1_conv').rf!.start, [1, 1]);
    assert.deepEqual(layer(r, 'b2_conv').rf!.size, [7, 7]);
    // TF 'same' puts the odd pixel after: 64 -> 32 with 0 before, 1 after
    assert.deepEqual(layer(r, 'pool').rf!.size, [11, 11]);
    assert.deepEqual(layer(r, 'pool').rf!.start, [3, 3]);
    assert.deepEqual(layer(r, 'pool').output, [32, 32]);
    assert.deepEqual(r.outputs, ['predictions']);
  });

  it('Sequential with .add: automatic names, input_shape on the first layer, dilation', () => {
    const r = run('keras/functional.py', { model: 'simple' });
    assert.deepEqual(r.input, { shape: [32, 32], source: 'file' });
    assert.deepEqual(['conv2d', 'max_pooling2d', 'conv2d_1', 'conv2d_2', 'up_sampling2d', 'flatten'].map((id) => layer(r, id).op), ['conv', 'pool', 'conv', 'conv', 'upsample', 'flatten']);
    assert.deepEqual(layer(r, 'conv2d_2').rf!.size, [18, 18]);
    assert.deepEqual(layer(r, 'conv2d_2').output, [10, 10]);
  });

  it('a Lambda whose body is known ops (the scaled residual of Inception-ResNet) and the operators of Keras tensors', () => {
    const r = run('keras/functional.py', { model: 'TinyInceptionResNet' });
    // only the Lambda whose body calls an unknown backend function is unresolved
    const open = unresolved(r);
    assert.equal(open.length, 1, open.join('\n'));
    assert.match(open[0]!, /^\d+: Lambda layer: its function is not read/);
    const s2d = r.findings.find((f) => f.code === 'RFL100')!;
    assert.equal(readFileSync(resolve(FIX, 'keras/functional.py'), 'utf8').split('\n')[s2d.range!.start.line], '    x = klayers.Lambda(lambda t: tf.nn.space_to_depth(t, 1), name="s2d")(x)');
    // by hand: stem 3 (jump 2); block1_b1 3 + 2*2 = 7; the Lambda adds the stem (3) to up (7): 7
    assert.deepEqual(layer(r, 'stem').rf!.size, [3, 3]);
    assert.deepEqual(layer(r, 'block1_conv').rf!.size, [7, 7]);
    const add = layer(r, 'block1.add');
    assert.equal(add.op, 'add');
    assert.deepEqual(add.inputs, ['stem', 'block1_conv']);
    assert.deepEqual(layer(r, 'block1').inputs, ['block1.add']);
    assert.deepEqual(layer(r, 'block1').rf!.size, [7, 7]);
    // x + y * 0.5: side 7 + 2*2 = 11, added to block1_ac (7)
    const plus = r.layers.find((l) => l.op === 'add' && l.inputs.includes('side'))!;
    assert.deepEqual(plus.inputs, ['block1_ac', 'side']);
    assert.deepEqual(plus.rf!.size, [11, 11]);
    // s2d is the identity; head: 11 + 2*2 = 15 (read as the identity of the first input, the Lambda would give 3 + 2*2 = 7 here)
    assert.deepEqual(layer(r, 'head').rf!.size, [15, 15]);
    // sizes: 64 -> stem floor((64 - 3) / 2) + 1 = 31, kept by the 'same' convolutions -> head 31 - 2 = 29
    assert.deepEqual(layer(r, 'head').output, [29, 29]);
  });

  it('backend.int_shape gives the static shapes Keras knows, so NASNet- and MobileNetV2-style branches are decided', () => {
    const r = run('keras/functional.py', { model: 'TinyNas' });
    assert.deepEqual(unresolved(r), []);
    const ids = r.layers.map((l) => l.id);
    // 32 -> a: ceil(32 / 2) = 16 wide, 8 channels; b: 16 wide, 16 channels
    assert.ok(ids.includes('adjust_pool_one') && !ids.includes('adjust_proj_one'), ids.join(' '));
    assert.ok(ids.includes('adjust_proj_two') && !ids.includes('adjust_pool_two'), ids.join(' '));
    assert.ok(!ids.some((id) => id.endsWith('_three')), ids.join(' '));
    // the concatenation has 3 + 8 = 11 channels; the pooled input is 16 wide: both conditions hold
    assert.ok(ids.includes('eleven') && ids.includes('res'), ids.join(' '));
    assert.deepEqual(layer(r, 'adjust_pool_one').output, [16, 16]);
    assert.deepEqual(layer(r, 'res').inputs.length, 2);
  });

  it('ResNeXt as Keras Applications writes it: a Reshape that keeps the spatial sizes and a Lambda summing channel slices', () => {
    const r = run('keras/functional.py', { model: 'TinyResNeXt' });
    assert.deepEqual(unresolved(r), []);
    // by hand: stem 3 (jump 2), g_conv 3 + 2*2 = 7 on the 16x16 grid; the reshapes and the channel sum keep it
    assert.deepEqual(layer(r, 'g_conv').rf!.size, [7, 7]);
    assert.deepEqual(layer(r, 'g_reduce').rf!.size, [7, 7]);
    assert.deepEqual(layer(r, 'g_out').output, [16, 16]);
    assert.deepEqual(layer(r, 'g_out').rf!.size, [7, 7]);
    // channels are not modelled: the sum of slices of one tensor is that tensor, as a grouped Conv2D would be (no add layers)
    assert.ok(!r.layers.some((l) => l.op === 'add'), r.layers.map((l) => `${l.id}:${l.op}`).join(' '));
    assert.deepEqual(r.layers.filter((l) => l.op !== 'input' && l.op !== 'pointwise').map((l) => l.id), ['stem', 'g_pad', 'g_conv', 'g_out']);
  });
});

describe('python reader: engine = brute force on read models', function () {
  this.timeout(300000);
  const cases: Array<[string, string | undefined, number]> = [
    ['keras/functional.py', 'TinyApp', 16],
    ['keras/functional.py', 'simple', 16],
    ['keras/functional.py', 'TinyInceptionResNet', 24],
    ['keras/functional.py', 'TinyNas', 32],
    ['keras/functional.py', 'TinyResNeXt', 32],
    ['tvstyle/segmentation.py', 'seg_net', 20],
    ['pkg/model.py', 'Net', 16],
    ['venvproj/train.py', undefined, 12],
    ['adaptive/pools.py', undefined, 11],
  ];
  for (const [file, model, n] of cases) {
    it(`${file}${model ? ` ${model}` : ''} at ${n}x${n}: fields and path maps`, () => {
      const source = { fileName: resolve(FIX, file), text: readFileSync(resolve(FIX, file), 'utf8') };
      const handle = openModel(source, { files: fsFiles, input: n, model, findings: 'none' });
      const r = handle.report;
      const graph = readerFor(source)!.read(source, { options: {}, files: fsFiles, ...(model ? { model } : {}) }).models.find((m) => m.name === r.model)!;
      const shapes = refShapes(graph, [n, n]);
      const gated = new Set<string>();
      for (const node of graph.nodes) {
        // layers after a gate: the engine's global-context rule (CONTRACT.md) is not the reference's union
        if (node.spec.op === 'mul' || node.inputs.some((i) => gated.has(i))) gated.add(node.id);
        if (node.spec.op === 'input' || gated.has(node.id)) continue;
        const l = layer(r, node.id);
        if (!l.rf) continue;
        const want = refField(graph, shapes, node.id);
        assert.deepEqual(l.rf.size, want.size, `${node.id} size`);
        assert.deepEqual(l.rf.start, want.start, `${node.id} start`);
      }
      const targets = r.outputs.filter((id) => !gated.has(id));
      if (targets.length) {
        const ref = refMaps(graph, [n, n], targets);
        const map = handle.map(targets, 'coverage');
        assert.ok(!isRefusal(map));
        assert.deepEqual(Array.from(map.values), Array.from(ref.coverage));
      }
    });
  }
});

describe('python reader: Ultralytics-style code', () => {
  it('autopad, a shared class-level activation, C2f extending a list from a generator over a ModuleList, SPPF', () => {
    const r = run('ultra/modules.py');
    assert.equal(r.model, 'TinyYolo');
    assert.deepEqual(unresolved(r), []);
    // Conv(3, w, 3, 2): autopad 1; two stride-2 convs: 3 then 7, jump 4
    assert.deepEqual(layer(r, 'model.1').rf!.size, [7, 7]);
    // each Bottleneck adds two 3x3 at jump 4 (16): the generator sees the item appended before it
    assert.deepEqual(layer(r, 'model.2.m.0').rf!.size, [23, 23]);
    assert.deepEqual(layer(r, 'model.2.m.1').rf!.size, [39, 39]);
    assert.equal(layer(r, 'model.2.cat').op, 'concat');
    // SPPF: one MaxPool2d(5, 1, 2) called three times in a chain
    assert.deepEqual(['model.3.m', 'model.3.m_1', 'model.3.m_2'].map((id) => layer(r, id).rf!.size[0]), [55, 71, 87]);
    assert.deepEqual(layer(r, 'model.3').output, [56, 56]);
    // a module shared through a class attribute keeps its first path, later calls are suffixed
    layer(r, 'model.0.act');
    layer(r, 'model.0.act_1');
  });
});

describe('python reader: timm-style code', () => {
  it('registry decorator, layers chosen by name, OrderedDict stem, forward_features/forward_head, dilation', () => {
    const r = run('timmstyle/net.py', { model: 'tinynet_a' });
    assert.deepEqual(r.models, ['tinynet_a', 'TinyNet', 'tinynet_b']);
    assert.deepEqual(unresolved(r), []);
    assert.deepEqual(layer(r, 'stem.pool').rf!.size, [11, 11]);
    assert.deepEqual(layer(r, 'stages.1.conv').rf!.size, [27, 27]);
    // dilation 2 on a 3x3 at jump 8: +32
    assert.deepEqual(layer(r, 'stages.2.conv').rf!.size, [59, 59]);
    assert.equal(layer(r, 'stages.1.act').type, 'SiLU');
    assert.equal(layer(r, 'adaptive_avg_pool2d').op, 'globalPool');
    assert.deepEqual(r.outputs, ['head']);
  });
});

describe('python reader: a file being edited', () => {
  it('incremental reparsing finds the same syntax errors as a fresh parse, keystroke by keystroke', () => {
    const base = readFileSync(resolve(FIX, 'tvstyle/resnet.py'), 'utf8');
    const at = base.indexOf('self.layer2 = ');
    const versions = [base, base.slice(0, at) + 'self.layer2 = self._make_layer((' + base.slice(at + 14), base.slice(0, at) + 'x = [' + base.slice(at), base, base + '\nclass Broken(nn.Module:\n    pass\n', base];
    versions.forEach((text, i) => {
      const incremental = parsePython('/edited/resnet.py', text).errors;
      const fresh = parsePython(`/fresh/${i}/resnet.py`, text).errors;
      assert.deepEqual(incremental, fresh, `version ${i}`);
    });
    assert.ok(parsePython('/edited/resnet.py', versions[1]!).errors.length > 0);
    assert.deepEqual(parsePython('/edited/resnet.py', base).errors, []);
  });

  it('a keystroke outside the code a model runs reuses its build; one inside it, or in a module-level value, rebuilds', () => {
    const file = resolve(FIX, 'tvstyle/resnet.py');
    const base = readFileSync(file, 'utf8') + '\n\nWIDTH = 3\n\nclass Unused(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n        self.conv = nn.Conv2d(c, c, 3)\n';
    const read = (text: string) => readerFor({ fileName: file, text })!.read({ fileName: file, text }, { options: {}, files: fsFiles }).models[0]!;
    const first = read(base);
    const unusedEdit = read(base.replace('nn.Conv2d(c, c, 3)', 'nn.Conv2d(c, c, 5)'));
    assert.equal(unusedEdit.nodes, first.nodes, 'the same graph, not built again');
    // inside the model: the stem's kernel 7 -> 9 widens every field by 2
    const modelEdit = read(base.replace('kernel_size=7, stride=2, padding=3', 'kernel_size=9, stride=2, padding=4'));
    assert.notEqual(modelEdit.nodes, first.nodes);
    const conv1 = modelEdit.nodes.find((n) => n.id === 'conv1')!;
    assert.deepEqual(conv1.spec.op === 'conv' && conv1.spec.sliding.kernel, [9, 9]);
    // a module-level statement always runs: a change there rebuilds
    const globalEdit = read(base.replace('WIDTH = 3', 'WIDTH = 4'));
    assert.notEqual(globalEdit.nodes, read(base).nodes);
    // and the fields agree with a fresh read of the same text (the cache is invisible)
    const r = analyze({ fileName: file, text: base.replace('nn.Conv2d(c, c, 3)', 'nn.Conv2d(c, c, 7)') }, { files: fsFiles, findings: 'none' });
    assert.deepEqual(layer(r, 'layer4').rf!.size, [427, 427]);
  });

  it('a syntax error is reported on its line and the rest still reads', () => {
    const file = resolve(FIX, 'tvstyle/resnet.py');
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('def _forward_impl'));
    lines.splice(at, 0, '    def broken(self, x):', '        y = self.conv1(x) +', '');
    const r = analyze({ fileName: file, text: lines.join('\n') }, { files: fsFiles, findings: 'none' });
    const syntax = r.findings.filter((f) => /Syntax error/.test(f.message));
    assert.ok(syntax.length >= 1);
    // lezer gives up where the open brackets stop making sense: the next statement's line at the latest
    const line = syntax[0]!.range!.start.line;
    assert.ok(line >= at + 1 && line <= at + 3, `syntax error on line ${line + 1}, broken line ${at + 2}`);
    assert.deepEqual(layer(r, 'layer4').rf!.size, [427, 427]);
  });

  it('a half-typed layer call: the layer is unknown with a finding on its line, the model still builds', () => {
    const file = resolve(FIX, 'tvstyle/vgg.py');
    const text = readFileSync(file, 'utf8').replace('nn.Conv2d(in_channels, v, kernel_size=3, padding=1)', 'nn.Conv2d(in_channels, v, kernel_size=ks, padding=1)');
    const r = analyze({ fileName: file, text }, { files: fsFiles, findings: 'none', model: 'vgg16' });
    const f = r.findings.find((x) => /kernel_size is not known/.test(x.message));
    assert.ok(f, r.findings.map((x) => x.message).join('\n'));
    assert.equal(layer(r, 'features.0').op, 'unknown');
    assert.equal(layer(r, 'features.30').op, 'pool');
  });
});

/** Applies non-overlapping edits (line/character positions) to a text, last first. */
function applyEdits(text: string, edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = edits.map((e) => ({ from: offset(e.range.start), to: offset(e.range.end), text: e.newText })).sort((a, b) => b.from - a.from);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

describe('python reader: RFL002 quick fix "pad with replicate/reflect"', () => {
  // the host lane's fixture: one file for both lanes
  const file = resolve(__dirname, '..', 'host', 'fixtures', 'fixes', 'padding.py');
  const text = readFileSync(file, 'utf8');

  it('offers both modes, one edit per call site (the helper and the list comprehension count once), and each removes the finding', () => {
    const r = analyze({ fileName: file, text }, { files: fsFiles });
    const f = r.findings.find((x) => x.code === 'RFL002');
    assert.ok(f, r.findings.map((x) => x.code).join(','));
    assert.deepEqual(
      f!.fixes!.map((x) => x.title.replace(/ \(edge ratio.*/, '')),
      ["Pad with 'replicate': padding_mode in 5 calls", "Pad with 'reflect': padding_mode in 5 calls"],
    );
    const graph = readerFor({ fileName: file, text })!.read({ fileName: file, text }, { options: {}, files: fsFiles }).models[0]!;
    for (const [k, mode] of (['replicate', 'reflect'] as const).entries()) {
      const fixed = applyEdits(text, f!.fixes![k]!.edits);
      // the stated mode is replaced, the others gain an argument (after a trailing comma too)
      assert.equal(fixed.split(`padding_mode='${mode}'`).length - 1, 5);
      assert.ok(!fixed.includes("padding_mode='zeros'"));
      assert.ok(fixed.includes(`bias=False, padding_mode='${mode}',)`));
      const after = openModel({ fileName: file, text: fixed }, { files: fsFiles });
      assert.deepEqual(after.report.findings.concat(after.mapFindings()).filter((x) => x.code === 'RFL002' || x.code === 'RFL100'), []);
      // the edited model's map is the brute-force map of the original model with every convolution padded in that mode
      const map = after.map('outputs', 'paths');
      assert.ok(!isRefusal(map));
      const ref = refMaps(graph, [16, 16], graph.outputs, mode).paths;
      const peak = Math.max(...ref);
      ref.forEach((v, i) => assert.ok(Math.abs(v / peak - map.values[i]!) < 1e-9, `pixel ${i}`));
    }
  });

  it('is not offered when a padding module or a call with **kwargs pads too (the edit would not be the what-if)', () => {
    const withPadModule = text.replace("self.d = nn.Conv2d(32, 32, 3, padding=1)", "self.d = nn.Sequential(nn.ZeroPad2d(1), nn.Conv2d(32, 32, 3))");
    const withKwargs = text.replace("self.d = nn.Conv2d(32, 32, 3, padding=1)", "self.d = nn.Conv2d(32, 32, 3, **dict(padding=1))");
    for (const t of [withPadModule, withKwargs]) {
      assert.notEqual(t, text);
      const f = analyze({ fileName: file, text: t }, { files: fsFiles }).findings.find((x) => x.code === 'RFL002');
      assert.ok(f);
      assert.equal(f!.fixes, undefined);
    }
  });
});

describe('python reader: crops by margins', () => {
  it('Keras Cropping2D ((top, bottom), (left, right)) cuts both ends; PyTorch F.pad with negative pads too', () => {
    // 32x32 input; rows: cut 2 at the top, 1 at the bottom -> 29, first row kept is 2;
    // columns: 3 at the left, 0 at the right -> 29, first column 3. A 3x3 valid conv: 27x27, field 3, start (3, 4).
    const keras = [
      'from tensorflow import keras',
      'from tensorflow.keras import layers',
      'model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Cropping2D(((2, 1), (3, 0)), name="crop"), layers.Conv2D(8, 3, name="conv")])',
    ].join('\n');
    const k = analyze({ fileName: 'crop_keras.py', text: keras }, { findings: 'none' });
    assert.deepEqual(unresolved(k), []);
    assert.deepEqual(layer(k, 'crop').output, [29, 29]);
    assert.deepEqual(layer(k, 'crop').rf, { size: [1, 1], jump: [1, 1], start: [2, 3] });
    assert.deepEqual(layer(k, 'conv').output, [27, 27]);
    assert.deepEqual(layer(k, 'conv').rf, { size: [3, 3], jump: [1, 1], start: [3, 4] });
    // PyTorch lists the last axis first: (left, right, top, bottom) = (-3, 0, -2, -1), the same crop
    const torch = [
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.conv = nn.Conv2d(3, 8, 3)',
      '    def forward(self, x):',
      '        return self.conv(F.pad(x, (-3, 0, -2, -1)))',
      '# rflens: input 32x32',
    ].join('\n');
    const t = analyze({ fileName: 'crop_torch.py', text: torch }, { findings: 'none' });
    assert.deepEqual(unresolved(t), []);
    assert.deepEqual(layer(t, 'conv').output, [27, 27]);
    assert.deepEqual(layer(t, 'conv').rf, { size: [3, 3], jump: [1, 1], start: [3, 4] });
  });
});

describe('python reader: F.interpolate at non-integer ratios', () => {
  // Per input pixel, the sum of the weights of the outputs that read it along one axis: the input's
  // gradient of y.sum() for y = F.interpolate(x) on a 1-D ramp, from PyTorch 1.13 (align_corners=False),
  // normalised to its peak. Nearest ones check by hand too: 5 by 1.5 copies floor(o / 1.5) = 0,0,1,2,2,3,4.
  const cases: Array<[number, string, string, number[]]> = [
    [5, 'scale_factor=1.5', 'nearest', [1, 0.5, 1, 0.5, 0.5]],
    [5, 'scale_factor=1.5', 'nearest-exact', [0.5, 1, 0.5, 1, 0.5]],
    [5, 'scale_factor=1.5', 'linear', [1, 1, 1, 1, 2 / 3]],
    [8, 'scale_factor=0.75', 'nearest', [1, 1, 1, 0, 1, 1, 1, 0]],
    [8, 'scale_factor=0.75', 'nearest-exact', [1, 0, 1, 1, 1, 0, 1, 1]],
    [8, 'scale_factor=0.75', 'linear', [1, 0.8, 0.8, 1, 1, 0.8, 0.8, 1]],
    [7, 'size=3', 'nearest-exact', [0, 1, 0, 1, 0, 1, 0]],
    [7, 'size=3', 'linear', [1 / 3, 2 / 3, 0, 1, 0, 2 / 3, 1 / 3]],
    [6, 'scale_factor=2.5', 'nearest-exact', [2 / 3, 1, 2 / 3, 1, 2 / 3, 1]],
    [5, 'size=8', 'linear', [25 / 27, 1, 24 / 27, 1, 25 / 27]],
  ];
  for (const [n, arg, mode, want] of cases) {
    it(`${mode} ${arg} from ${n}`, () => {
      const text = [
        'import torch.nn as nn',
        'import torch.nn.functional as F',
        'class Net(nn.Module):',
        '    def forward(self, x):',
        `        return F.interpolate(x, ${arg}, mode='${mode}'${mode === 'linear' ? ', align_corners=False' : ''})`,
        `# rflens: input ${n}`,
      ].join('\n');
      const h = openModel({ fileName: 'interp.py', text }, { findings: 'none' });
      assert.deepEqual(unresolved(h.report), []);
      const m = h.map('outputs', 'paths');
      assert.ok(!isRefusal(m));
      // the 2-D map is the outer product of the axis maps: its row sums are the axis map
      const rows = Array.from({ length: n }, (_, i) => m.values.subarray(i * n, (i + 1) * n).reduce((s, v) => s + v, 0));
      const peak = Math.max(...rows);
      rows.forEach((v, i) => assert.ok(Math.abs(v / peak - want[i]!) < 1e-9, `pixel ${i}: ${v / peak} vs ${want[i]}`));
    });
  }
});
