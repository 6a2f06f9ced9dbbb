/**
 * The Python reader on fixtures written for the project in the idioms real
 * code uses (torchvision-, timm-, Ultralytics- and Keras-Applications-style),
 * with receptive fields derived by hand.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze, type AnalysisResult, type AnalyzeOptions } from '../../src/core';

const FIX = join(__dirname, '..', 'fixtures', 'python');

const fsFiles = {
  readText(p: string): string | null {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  },
};

function run(rel: string, options: AnalyzeOptions = {}): AnalysisResult {
  const file = resolve(FIX, rel);
  return analyze({ fileName: file, text: readFileSync(file, 'utf8') }, { files: fsFiles, layersOnly: true, ...options });
}

function layer(r: AnalysisResult, id: string) {
  const l = r.layers.find((x) => x.id === id);
  assert.ok(l, `layer ${id} exists (have ${r.layers.map((x) => x.id).slice(0, 40).join(', ')}...)`);
  return l!;
}

function unresolved(r: AnalysisResult): string[] {
  return r.findings.filter((f) => f.code === 'RFL100').map((f) => `${f.range ? f.range.start.line + 1 : '-'}: ${f.message}`);
}

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
