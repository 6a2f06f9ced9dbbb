/**
 * Conformance on the shared corpus of real model files (read in place from
 * ../shared/corpus, never copied): every Darknet and Caffe file reads without
 * an unresolved layer, its shapes agree with what the frameworks print, and
 * the receptive fields of classic networks equal the published values.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelAnalysis } from '../../src/core/analysis/modelAnalysis';
import { analyzed, engine, engineOf } from '../support/engine';
import { analyze, type AnalysisReport, type AnalyzeOptions } from '../../src/core';

const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpus');
const haveCorpus = existsSync(CORPUS);

/**
 * RFL100 findings the corpus may produce, each with why the layer has no
 * spatial meaning to us. Empty: every layer of every Darknet and Caffe corpus
 * file is understood.
 */
const ALLOWED_UNRESOLVED: Record<string, string> = {};

function run(rel: string, options: AnalyzeOptions = {}): AnalysisReport {
  const file = join(CORPUS, rel);
  return analyzed({ fileName: file, text: readFileSync(file, 'utf8') }, options);
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
            // A global pool's output is a 1x1 map; only dense, flatten and reshape remove the axes.
            if (l.op === 'globalPool') assert.deepEqual(l.output, r.input!.shape.map(() => 1), `${l.id} is a 1x1 map`);
            if (l.op === 'dense' || l.op === 'flatten') assert.equal(l.output, null, `${l.id} has no map`);
            if (l.op === 'globalPool' || l.op === 'dense' || l.op === 'flatten') assert.equal(l.rf?.global, true, `${l.id} is global`);
          }
          // The findings look at the last layers with spatial extent, never at a pooled 1x1 map after them.
          for (const id of r.finalLayers) assert.ok(engine(r).geometry.byId.get(id)!.spatial, `${id} is spatial`);
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

    it('Darknet ResNet-50: shortcuts from larger maps are sampled, the last map is 8x8 at 256, then a 1x1 pool', () => {
      const r = run('darknet/resnet50.cfg');
      // the findings look at the last block (8x8), not at the 1x1 map the global pool leaves
      assert.deepEqual(r.finalLayers, ['65']);
      assert.equal(layer(r, '65').type, 'shortcut');
      assert.deepEqual(layer(r, '65').output, [8, 8]);
      assert.deepEqual(layer(r, '66').output, [1, 1], 'avgpool');
      assert.deepEqual(layer(r, r.outputs[0]!).output, [1, 1], 'the softmax on the pooled map');
      assert.ok(r.metrics['65'] && r.metrics[r.outputs[0]!]);
    });

    it('global pools are 1x1 maps; the findings look at the layer before them', () => {
      for (const [file, final, pool] of [
        ['darknet/darknet19.cfg', '23', '24'],
        ['darknet/efficientnet_b0.cfg', '131', '132'],
        ['caffe/squeezenet_v1.1_deploy.prototxt', 'relu_conv10', 'pool10'],
        ['caffe/mobilenet_deploy.prototxt', 'relu6/sep', 'pool6'],
      ] as const) {
        const r = run(file);
        assert.deepEqual(r.finalLayers, [final], file);
        assert.notDeepEqual(layer(r, final).output, [1, 1], file);
        assert.deepEqual(layer(r, pool).output, [1, 1], `${file} ${pool}`);
      }
      // VGG-16: pool5 (7x7) before the dense layers, which have no map
      const vgg = run('caffe/vgg16_deploy.prototxt');
      assert.deepEqual(vgg.finalLayers, ['pool5']);
      assert.equal(layer(vgg, 'fc6').output, null);
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

  describe('global context and wrapped reads do not disturb the geometry', () => {
    it('EfficientNet-B0: the squeeze-and-excitation gates add global context; jumps are the stride products 2 .. 32', () => {
      const r = run('darknet/efficientnet_b0.cfg');
      const strided = r.layers.filter((l) => l.op === 'conv' && /\bs2\b/.test(l.params));
      assert.deepEqual(
        strided.map((l) => l.rf!.jump),
        [[2, 2], [4, 4], [8, 8], [16, 16], [32, 32]],
      );
      // symmetric padding all the way: every map's unit 0 is centred on pixel 0, its jump 224 / its size
      for (const l of r.layers) {
        if (!l.output || l.output[0] === 1) continue;
        assert.deepEqual(l.rf!.jump, l.output.map((n) => 224 / n), `${l.id} jump`);
        assert.deepEqual(l.rf!.start, [0, 0], `${l.id} start`);
        // from the first gate (layer 6) on, every layer depends on the whole input
        assert.equal(l.rf!.global ?? false, l.op !== 'input' && Number(l.id) >= 6, `${l.id} global`);
      }
      // a gate: the field of its local operand, marked global
      const gates = r.layers.filter((l) => l.type === 'scale_channels');
      assert.equal(gates.length, 16);
      for (const g of gates) {
        const local = layer(r, g.inputs.find((id) => layer(r, id).output![0] !== 1)!);
        assert.deepEqual([g.rf!.size, g.rf!.jump, g.rf!.start], [local.rf!.size, local.rf!.jump, local.rf!.start], g.id);
        assert.equal(g.rf!.global, true);
      }
      // the first gate multiplies conv 2 (7x7 at jump 2), the last conv (125) sees 787
      assert.deepEqual(layer(r, '6').rf!.size, [7, 7]);
      assert.deepEqual(layer(r, '131').rf!.size, [787, 787]);
      // the last global pool sees the union of the 7x7 map's fields: 787 + 6*32, one map (224) to the next virtual unit
      assert.deepEqual([layer(r, '132').rf!.size, layer(r, '132').rf!.jump, layer(r, '132').rf!.start], [[979, 979], [224, 224], [96, 96]]);
    });

    it('EfficientNet-B0 without its gates has the same size, jump and start on every layer', () => {
      const file = join(CORPUS, 'darknet/efficientnet_b0.cfg');
      const source = { fileName: file, text: readFileSync(file, 'utf8') };
      const gated = analyze(source, { findings: 'none' });
      const graph = engineOf(source, gated).graph;
      // each [scale_channels] becomes the identity of its local operand; the gate branches are left dangling
      const plain = {
        ...graph,
        nodes: graph.nodes.map((n) => {
          if (n.spec.op !== 'mul') return n;
          const local = n.inputs.find((id) => gated.layers.find((l) => l.id === id)!.output![0] !== 1)!;
          return { ...n, inputs: [local], spec: { op: 'pointwise' as const, kind: 'identity' } };
        }),
      };
      const fields = new ModelAnalysis(plain, [224, 224]).fields;
      let compared = 0;
      for (const l of gated.layers) {
        const f = fields.get(l.id)!;
        assert.deepEqual([l.rf!.size, l.rf!.jump, l.rf!.start], [f.size, f.jump, f.start], l.id);
        compared++;
      }
      assert.equal(compared, gated.layers.length);
    });

    for (const input of [608, 416]) {
      it(`YOLOv2 (pjreddie) at ${input}: the reorg and the route that joins it keep jump 32 and start 15.5`, () => {
        const r = run('darknet/yolov2.cfg', { input });
        const reorg = layer(r, '27');
        assert.equal(reorg.type, 'reorg');
        // rows: 4 rows of the 16-jump map around each block (166 + 3*16); columns: a clean 2-wide block (166 + 16)
        assert.deepEqual([reorg.rf!.size, reorg.rf!.jump, reorg.rf!.start], [[214, 182], [32, 32], [15.5, 15.5]]);
        for (const id of ['28', '29', '31']) {
          assert.deepEqual([layer(r, id).rf!.jump, layer(r, id).rf!.start], [[32, 32], [15.5, 15.5]], id);
        }
        assert.deepEqual(layer(r, '28').rf!.size, [502, 502], 'the route: the union of the reorg and layer 24');
        assert.deepEqual(layer(r, '31').rf!.size, [566, 566]);
      });
    }
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
