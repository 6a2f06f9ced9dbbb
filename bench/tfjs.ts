/**
 * The map engine against automatic differentiation: VGG-16 (Caffe's layout:
 * 3x3 convolutions padded by 1, 2x2 pools of stride 2) with one channel and
 * every weight 1, pools as sums, in TensorFlow.js; the gradient of the sum of
 * pool5 with respect to the input is the path-count map P.
 */
import * as tf from '@tensorflow/tfjs';
import { inferGeometry } from '../src/core/analysis/geometry';
import { pathMap, TapCache } from '../src/core/analysis/paths';
import type { LayerNode, ModelGraph } from '../src/core/graph/ir';

const VGG16 = [2, 2, 3, 3, 3]; // convolutions per block, each block ends in a 2x2 pool

export function vgg16Graph(): ModelGraph {
  const nodes: LayerNode[] = [{ id: 'input', name: 'input', type: 'input', inputs: [], spec: { op: 'input', shape: [224, 224] }, origin: null }];
  let prev = 'input';
  VGG16.forEach((convs, b) => {
    for (let c = 0; c < convs; c++) {
      const id = `conv${b + 1}_${c + 1}`;
      nodes.push({
        id,
        name: id,
        type: 'Convolution',
        inputs: [prev],
        origin: null,
        spec: {
          op: 'conv',
          window: { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padding: { kind: 'explicit', before: [1, 1], after: [1, 1] }, padMode: 'zeros', ceil: false },
        },
      });
      prev = id;
    }
    const id = `pool${b + 1}`;
    nodes.push({
      id,
      name: id,
      type: 'Pooling',
      inputs: [prev],
      origin: null,
      spec: {
        op: 'pool',
        pool: 'max',
        window: { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], padding: { kind: 'explicit', before: [0, 0], after: [0, 0] }, padMode: 'zeros', ceil: false },
      },
    });
    prev = id;
  });
  return { format: 'bench', name: 'VGG-16', rank: 2, nodes, outputs: [prev], statedInput: [224, 224] };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function tfjsComparison(runs: number, warmup: number) {
  await tf.setBackend('cpu');
  const conv = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
  const pool = tf.ones([2, 2, 1, 1]) as tf.Tensor4D;
  const net = (x: tf.Tensor): tf.Tensor => {
    let y = x as tf.Tensor4D;
    for (const convs of VGG16) {
      for (let c = 0; c < convs; c++) y = tf.conv2d(y, conv, 1, 'same');
      y = tf.conv2d(y, pool, 2, 'valid');
    }
    return tf.sum(y);
  };
  const grad = tf.grad(net);
  const x = tf.zeros([1, 224, 224, 1]) as tf.Tensor4D;
  const tfTimes: number[] = [];
  let tfValues: Float32Array | null = null;
  for (let i = 0; i < warmup + Math.min(runs, 7); i++) {
    const t0 = performance.now();
    const g = tf.tidy(() => grad(x as tf.Tensor));
    const v = (await g.data()) as Float32Array;
    const dt = performance.now() - t0;
    g.dispose();
    if (i >= warmup) tfTimes.push(dt);
    tfValues = v;
  }
  // Both sides have the network prepared (TensorFlow.js its ops and weights, the
  // engine its shapes and index rules); what is timed is computing the map,
  // tap matrices included.
  const geometry = inferGeometry(vgg16Graph(), [224, 224]);
  const engineTimes: number[] = [];
  const withShapesTimes: number[] = [];
  let ours: { values: Float64Array; log2Scale: number } | null = null;
  for (let i = 0; i < warmup + runs * 20; i++) {
    const t0 = performance.now();
    ours = pathMap(geometry, ['pool5'], new TapCache());
    const t1 = performance.now();
    pathMap(inferGeometry(vgg16Graph(), [224, 224]), ['pool5'], new TapCache());
    const t2 = performance.now();
    if (i >= warmup) {
      engineTimes.push(t1 - t0);
      withShapesTimes.push(t2 - t1);
    }
  }
  let maxRelDiff = 0;
  const scale = 2 ** ours!.log2Scale;
  for (let i = 0; i < tfValues!.length; i++) {
    const a = ours!.values[i]! * scale;
    const b = tfValues![i]!;
    const d = Math.abs(a - b) / Math.max(Math.abs(a), 1e-300);
    if (d > maxRelDiff) maxRelDiff = d;
  }
  return { engineMs: median(engineTimes), engineWithShapesMs: median(withShapesTimes), tfjsMs: median(tfTimes), maxRelDiff, backend: tf.getBackend() };
}
