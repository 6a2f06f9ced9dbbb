/**
 * The map engine against automatic differentiation: VGG-16 (Caffe's layout:
 * 3x3 convolutions padded by 1, 2x2 pools of stride 2) with one channel and
 * every weight 1, pools as sums, in TensorFlow.js; the gradient of the sum of
 * pool5 with respect to the input is the path-count map P.
 *
 * Run as a script (`node --import tsx bench/tfjs.ts engine|tfjs|compare`) so
 * that each side is timed in a process of its own: in one process, the
 * garbage one side leaves is collected during the other's runs.
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
          sliding: { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padding: { kind: 'explicit', before: [1, 1], after: [1, 1] }, padMode: 'zeros', ceil: false },
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
        sliding: { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], padding: { kind: 'explicit', before: [0, 0], after: [0, 0] }, padMode: 'zeros', ceil: false },
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

async function tfjsGradient(): Promise<() => Promise<Float32Array>> {
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
  const x = tf.zeros([1, 224, 224, 1]);
  return async () => {
    const g = tf.tidy(() => grad(x));
    const v = (await g.data()) as Float32Array;
    g.dispose();
    return v;
  };
}

/** Median milliseconds of the TensorFlow.js gradient. */
export async function timeTfjs(runs: number, warmup: number): Promise<number> {
  const run = await tfjsGradient();
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    await run();
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * Median milliseconds of the engine's map. `prepared` starts from the network
 * prepared once (its shapes, index rules and tap matrices, as TensorFlow.js
 * starts from its ops and weight tensors); otherwise every run infers the
 * shapes and builds the rules and matrices too.
 */
export function timeEngine(runs: number, warmup: number, prepared: boolean): number {
  const geometry = inferGeometry(vgg16Graph(), [224, 224]);
  const taps = new TapCache();
  const times: number[] = [];
  const batch = 20;
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    for (let k = 0; k < batch; k++) {
      if (prepared) pathMap(geometry, ['pool5'], taps);
      else pathMap(inferGeometry(vgg16Graph(), [224, 224]), ['pool5'], new TapCache());
    }
    if (i >= warmup) times.push((performance.now() - t0) / batch);
  }
  return median(times);
}

/** Largest relative difference between the engine's map and TensorFlow.js's gradient. */
export async function compareValues(): Promise<number> {
  const tfValues = await (await tfjsGradient())();
  const ours = pathMap(inferGeometry(vgg16Graph(), [224, 224]), ['pool5'], new TapCache());
  const scale = 2 ** ours.log2Scale;
  let maxRelDiff = 0;
  for (let i = 0; i < tfValues.length; i++) {
    const a = ours.values[i]! * scale;
    const d = Math.abs(a - tfValues[i]!) / Math.max(Math.abs(a), 1e-300);
    if (d > maxRelDiff) maxRelDiff = d;
  }
  return maxRelDiff;
}

if (require.main === module) {
  const [what, runs, warmup] = [process.argv[2], Number(process.argv[3] ?? 15), Number(process.argv[4] ?? 5)];
  (async () => {
    if (what === 'tfjs') console.log(JSON.stringify({ ms: await timeTfjs(runs, warmup), backend: tf.getBackend() }));
    else if (what === 'engine') console.log(JSON.stringify({ ms: timeEngine(runs, warmup, true) }));
    else if (what === 'engine-with-shapes') console.log(JSON.stringify({ ms: timeEngine(runs, warmup, false) }));
    else console.log(JSON.stringify({ maxRelDiff: await compareValues() }));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
