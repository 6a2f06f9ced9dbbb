/**
 * Writes examples/onnx/se-strided.onnx, the bundled ONNX example (a binary
 * file, so it is generated rather than typed): a stem of two strided 3x3
 * convolutions (RFL002, RFL003), a squeeze-and-excitation gate (global
 * context), a 2x2 pool and a 1x1 convolution of stride 2 whose local field
 * has holes (ripple 0) and which drops a row at 64x64 (RFL006), then a
 * classifier. Run: npx tsx scripts/examples/onnx-example.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, node, weight } from '../../test/support/onnxBuild';

const bytes = buildModel({
  opset: 13,
  inputs: [{ name: 'image', dims: [1, 3, 64, 64] }],
  outputs: [{ name: 'logits', dims: [1, 10] }],
  initializers: [
    weight('stem1.w', [16, 3, 3, 3]),
    weight('stem2.w', [32, 16, 3, 3]),
    weight('se.reduce.w', [8, 32, 1, 1]),
    weight('se.expand.w', [32, 8, 1, 1]),
    weight('skip.w', [64, 32, 1, 1]),
    weight('fc.w', [10, 64]),
  ],
  nodes: [
    node('Conv', ['image', 'stem1.w'], ['s1'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'stem1'),
    node('Relu', ['s1'], ['s1r'], {}, 'stem1.relu'),
    node('Conv', ['s1r', 'stem2.w'], ['s2'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'stem2'),
    node('Relu', ['s2'], ['s2r'], {}, 'stem2.relu'),
    node('GlobalAveragePool', ['s2r'], ['se.pool'], {}, 'se.pool'),
    node('Conv', ['se.pool', 'se.reduce.w'], ['se.r'], { kernel_shape: [1, 1] }, 'se.reduce'),
    node('Relu', ['se.r'], ['se.rr'], {}, 'se.relu'),
    node('Conv', ['se.rr', 'se.expand.w'], ['se.e'], { kernel_shape: [1, 1] }, 'se.expand'),
    node('Sigmoid', ['se.e'], ['se.gate'], {}, 'se.sigmoid'),
    node('Mul', ['s2r', 'se.gate'], ['gated'], {}, 'se.scale'),
    node('MaxPool', ['gated'], ['pooled'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool'),
    node('Conv', ['pooled', 'skip.w'], ['skipped'], { kernel_shape: [1, 1], strides: [2, 2] }, 'skip'),
    node('GlobalAveragePool', ['skipped'], ['gap'], {}, 'gap'),
    node('Flatten', ['gap'], ['flat'], {}, 'flatten'),
    node('Gemm', ['flat', 'fc.w'], ['logits'], { transB: 1 }, 'fc'),
  ],
});
const out = join(__dirname, '..', '..', 'examples', 'onnx', 'se-strided.onnx');
writeFileSync(out, bytes);
console.log(`wrote ${out} (${bytes.length} bytes)`);
