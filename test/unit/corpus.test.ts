/**
 * Conformance on the shared corpus of real model files (read in place from
 * ../shared/corpus, never copied): every Darknet and Caffe file reads without
 * an unresolved layer, its shapes agree with what the frameworks print, and
 * the receptive fields of classic networks equal the published values.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineOf } from '../support/engine';
import { analyze, type AnalysisReport, type AnalyzeOptions } from '../../src/core';

const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpus');
const haveCorpus = existsSync(CORPUS);

/**
 * RFL100 findings the corpus may produce, each with why the layer has no
 * spatial meaning to us. Empty: every layer of every Darknet and Caffe corpus
 * file is understood.
 */
const ALLOWED_UNRESOLVED: Record<string, string> = {};

const sources = new WeakMap<AnalysisReport, { fileName: string; text: string }>();

function run(rel: string, options: AnalyzeOptions = {}): AnalysisReport {
  const file = join(CORPUS, rel);
  const source = { fileName: file, text: readFileSync(file, 'utf8') };
  const r = analyze(source, options);
  sources.set(r, source);
  return r;
}

/** The engine behind a report of run(), for looking inside. */
function engine(r: AnalysisReport) {
  return engineOf(sources.get(r)!, r);
}

function layer(r: AnalysisReport, id: string) {
  const l = r.layers.find((x) => x.id === id);
  assert.ok(l, `layer ${id} exists`);
  return l!;
}

(haveCorpus ? describe : describe.skip)('corpus conformance (../shared/corpus)', function () {
  this.timeout(300000);
  for (const dir of ['darknet', 'caffe']) {
    const folder = join(CORPUS, dir);
    const files = existsSync(folder) ? readdirSync(folder).filter((f) => !f.startsWith('.')).sort() : [];
    describe(dir, () => {
      for (const f of files) {
        it(`${f}: reads, every layer has a shape and a field, no unresolved layer`, () => {
          const r = run(join(dir, f));
          assert.equal(r.format, dir);
          assert.ok(r.model, 'a model');
          const analysis = engine(r);
          const unresolved = r.findings.filter((x) => x.code === 'RFL100' && !ALLOWED_UNRESOLVED[`${f}:${x.layer}`]);
          assert.deepEqual(unresolved.map((x) => x.message), []);
          assert.ok(r.outputs.length > 0, 'outputs');
          const inputId = r.layers.find((l) => l.op === 'input')!.id;
          for (const l of r.layers) {
            assert.ok(analysis.has(l.id), `${l.id} has a shape`);
            // Layers that do not depend on the pixels (SSD's prior boxes) have no field.
            const dependsOnInput = analysis.ancestors([l.id]).includes(inputId);
            if (dependsOnInput) assert.ok(l.rf && l.rf.size.every((s) => s >= 1), `${l.id} has a field`);
            else assert.equal(l.rf, null, `${l.id} depends on no pixel`);
          }
          for (const [id, m] of Object.entries(r.metrics)) {
            assert.ok(m.peakLog10 !== null && m.peakLog10 > 0, `${id} peak`);
            // 0 when the border is cropped away (Darknet's [crop])
            assert.ok(m.edgeRatio !== null && m.edgeRatio >= 0 && m.edgeRatio <= 1, `${id} edge ratio ${m.edgeRatio}`);
          }
        });
      }
    });
  }

  describe('shapes the frameworks print', () => {
    it('YOLOv3 at 608: heads at 19, 38 and 76', () => {
      const r = run('darknet/yolov3.cfg');
      assert.deepEqual(r.outputs.map((id) => layer(r, id).output), [
        [19, 19],
        [38, 38],
        [76, 76],
      ]);
      assert.deepEqual(r.input, { shape: [608, 608], source: 'file' });
    });

    it('YOLOv3 with --input 416: heads at 13, 26 and 52', () => {
      const r = run('darknet/yolov3.cfg', { input: 416 });
      assert.deepEqual(r.outputs.map((id) => layer(r, id).output![0]), [13, 26, 52]);
      assert.equal(r.input!.source, 'option');
    });

    it('YOLOv3-tiny: the size=2 stride=1 maxpool keeps 13x13', () => {
      const r = run('darknet/yolov3-tiny.cfg');
      assert.deepEqual(layer(r, '11').output, [13, 13]);
      assert.deepEqual(layer(r, '9').output, [13, 13]);
    });

    it('YOLOv2 (pjreddie): reorg turns 38x38 into 19x19 and the route joins it', () => {
      const r = run('darknet/yolov2.cfg');
      const reorg = r.layers.find((l) => l.op === 'spaceToDepth')!;
      assert.deepEqual(engine(r).geometry.byId.get(reorg.inputs[0]!)!.size, [38, 38]);
      assert.deepEqual(reorg.output, [19, 19]);
      assert.equal(r.dialect, 'pjreddie');
    });

    it('YOLOv1: local layer keeps 7x7, then connected layers have no spatial extent', () => {
      const r = run('darknet/yolov1.cfg');
      const local = r.layers.find((l) => l.type === 'local')!;
      assert.deepEqual(local.output, [7, 7]);
      assert.equal(layer(r, r.outputs[0]!).output, null);
    });

    it('Darknet ResNet-50: shortcuts from larger maps are sampled, the last map is 8x8 at 256', () => {
      const r = run('darknet/resnet50.cfg');
      const last = r.layers.filter((l) => l.output && l.op !== 'input').pop()!;
      assert.deepEqual(last.output, [8, 8]);
    });

    it('AlexNet (Caffe): 55, 27 (ceil), 27, 13, 13, 6', () => {
      const r = run('caffe/bvlc_alexnet_deploy.prototxt');
      for (const [id, n] of [
        ['conv1', 55],
        ['pool1', 27],
        ['conv2', 27],
        ['pool2', 13],
        ['conv5', 13],
        ['pool5', 6],
      ] as const) {
        assert.deepEqual(layer(r, id).output, [n, n], id);
      }
    });

    it('the four AlexNet encodings (V1 layers, input_dim, input_shape, Input layer) give the same model', () => {
      const base = run('caffe/bvlc_alexnet_deploy.prototxt');
      const sig = (r: AnalysisReport) => r.layers.filter((l) => l.op !== 'pointwise').map((l) => `${l.op}:${l.output}:${l.rf?.size}`);
      for (const f of ['bvlc_alexnet_deploy_input_dim', 'bvlc_alexnet_deploy_input_shape', 'bvlc_alexnet_deploy_v1_layers']) {
        assert.deepEqual(sig(run(`caffe/${f}.prototxt`)), sig(base), f);
      }
    });

    it('train_val files analyse the TEST graph with the data layer crop size', () => {
      const r = run('caffe/bvlc_alexnet_train_val.prototxt');
      assert.deepEqual(r.input, { shape: [227, 227], source: 'file' });
      assert.ok(r.outputs.includes('accuracy'));
    });

    it('ResNet-50 (Caffe): res5c is 7x7 at 224', () => {
      const r = run('caffe/ResNet-50-deploy.prototxt');
      assert.deepEqual(layer(r, 'res5c').output, [7, 7]);
    });

    it('FCN-8s: crops with offsets line the score maps up with the input', () => {
      const r = run('caffe/voc-fcn8s_deploy.prototxt');
      assert.deepEqual(layer(r, 'score').output, r.input!.shape);
    });
  });

  describe('published receptive fields (Araujo, Norris & Sim, Distill 2019)', () => {
    const cases: Array<[string, string, number, number | undefined, number]> = [
      // file, layer, size, input, jump
      ['caffe/bvlc_alexnet_deploy.prototxt', 'pool5', 195, undefined, 32],
      ['caffe/vgg16_deploy.prototxt', 'pool5', 212, undefined, 32],
      ['caffe/mobilenet_deploy.prototxt', 'conv6/sep', 315, undefined, 32],
      ['caffe/ResNet-50-deploy.prototxt', 'res5c', 483, undefined, 32],
      ['caffe/inception_v3_deploy.prototxt', 'inception_c2_concat', 1311, 299, 32],
      ['caffe/inception_v4_deploy.prototxt', 'inception_c3_concat', 2071, 299, 32],
    ];
    for (const [file, id, size, input, jump] of cases) {
      it(`${file} ${id}: size ${size}, jump ${jump}`, () => {
        const r = run(file, input ? { input } : {});
        const l = layer(r, id);
        assert.deepEqual(l.rf!.size, [size, size]);
        assert.deepEqual(l.rf!.jump, [jump, jump]);
      });
    }
    it('VGG-16: effective padding 90 (start = (r-1)/2 - 90 = 15.5)', () => {
      const l = layer(run('caffe/vgg16_deploy.prototxt'), 'pool5');
      assert.deepEqual(l.rf!.start, [15.5, 15.5]);
    });
    it('VGG-16 in Darknet (crop 224 of 256) has the same field as in Caffe', () => {
      const r = run('darknet/vgg-16.cfg');
      const pools = r.layers.filter((l) => l.type === 'maxpool');
      assert.deepEqual(pools[pools.length - 1]!.rf!.size, [212, 212]);
    });
  });
});
