/**
 * The ONNX reader: small graphs built here with onnx-proto in the shapes real
 * exporters write, each with receptive fields derived by hand; conformance
 * over every corpus file (../shared/corpus/onnx, read in place: the shapes
 * the engine infers equal the shapes each graph declares); fuzzing with
 * truncated and corrupted bytes.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { analyze, isRefusal, openModel, readerFor, type AnalysisReport, type AnalyzeOptions } from '../../src/core';
import { decodeModel, tensorValues } from '../../src/core/formats/onnx/decode';
import { mapReshape, onnxReader, readOnnxDetailed, resolveShape } from '../../src/core/formats/onnx/reader';
import { onnxLinearTaps, onnxNearestSource } from '../support/onnxResize';
import { buildModel, floats, int64s, node, weight, type ModelSpec } from '../support/onnxBuild';

function run(spec: ModelSpec | Uint8Array, options: AnalyzeOptions = {}): AnalysisReport {
  const bytes = spec instanceof Uint8Array ? spec : buildModel(spec);
  return analyze({ fileName: 'model.onnx', bytes }, options);
}

function layer(r: AnalysisReport, id: string) {
  const l = r.layers.find((x) => x.id === id);
  assert.ok(l, `layer ${id} exists (have ${r.layers.map((x) => x.id).join(', ')})`);
  return l!;
}

function unresolved(r: AnalysisReport): string[] {
  return r.findings.filter((f) => f.code === 'RFL100').map((f) => f.message);
}

const X = (dims: Array<number | string>, name = 'input') => ({ name, dims });

/** conv (weight dims give the kernel) -> strided conv -> pool -> global pool -> flatten -> gemm */
function chain(): ModelSpec {
  return {
    inputs: [X([1, 3, 32, 32])],
    outputs: [{ name: 'logits', dims: [1, 10] }],
    initializers: [weight('c1.w', [8, 3, 3, 3]), weight('c2.w', [8, 8, 3, 3]), weight('fc.w', [10, 8]), weight('fc.b', [10])],
    nodes: [
      node('Conv', ['input', 'c1.w'], ['c1'], { pads: [1, 1, 1, 1] }, '/c1/Conv'),
      node('Relu', ['c1'], ['r1'], {}, '/r1/Relu'),
      node('Conv', ['r1', 'c2.w'], ['c2'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, '/c2/Conv'),
      node('MaxPool', ['c2'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }, '/pool/MaxPool'),
      node('GlobalAveragePool', ['p'], ['g'], {}, '/gap'),
      node('Flatten', ['g'], ['f'], { axis: 1 }, '/Flatten'),
      node('Gemm', ['f', 'fc.w', 'fc.b'], ['logits'], { transB: 1 }, '/fc/Gemm'),
    ],
  };
}

describe('ONNX reader: decoding', () => {
  it('keeps initializers as views of the file bytes (no copy of weight data)', () => {
    const bytes = buildModel(chain());
    const g = decodeModel(bytes).graph!;
    const w = g.initializers.get('c2.w')!;
    assert.deepEqual(w.dims, [8, 8, 3, 3]);
    assert.ok(w.raw && w.raw.length === 4 * 8 * 8 * 9);
    assert.equal(w.raw.buffer, bytes.buffer, 'raw_data is a subarray of the input');
    assert.ok(w.raw.byteOffset > 0);
    // and so it stays inside a larger buffer (the command line reads files into one)
    const padded = new Uint8Array(bytes.length + 16);
    padded.set(bytes, 16);
    const g2 = decodeModel(padded.subarray(16)).graph!;
    assert.equal(g2.initializers.get('c2.w')!.raw!.buffer, padded.buffer);
  });

  it('packed float_data stays a view too; values are read only for small tensors', () => {
    const big = new Array<number>(10000).fill(0.5);
    const bytes = buildModel({ inputs: [X([1, 1, 4, 4])], initializers: [floats('big', big, [100, 100]), floats('small', [1, 1, 2, 2])], nodes: [] });
    const g = decodeModel(bytes).graph!;
    const t = g.initializers.get('big')!;
    assert.equal(t.values, null);
    assert.equal(t.packed!.chunks[0]!.buffer, bytes.buffer);
    assert.equal(tensorValues(t), null);
    assert.deepEqual(tensorValues(g.initializers.get('small')!), [1, 1, 2, 2]);
  });

  it('claims .onnx by extension and by the ModelProto header', () => {
    const bytes = buildModel(chain());
    assert.equal(readerFor({ fileName: 'a.onnx', bytes })?.format, 'onnx');
    assert.ok(onnxReader.match({ fileName: 'a.bin', bytes }));
    assert.ok(!onnxReader.match({ fileName: 'a.cfg', text: '[net]\n' }));
    assert.equal(onnxReader.binary, true);
  });

  it('a file that is not ONNX, an empty file, a truncated file: one RFL100, no exception', () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('[net]\nwidth=3\n'), buildModel(chain()).subarray(0, 200)]) {
      const r = run(bytes);
      assert.ok(unresolved(r).length >= 1, 'a finding');
      assert.ok(!r.findings.some((f) => f.message.startsWith('Internal error')));
    }
  });
});

describe('ONNX reader: hand-derived fields', () => {
  it('conv -> strided conv -> pool: sizes 3, 5, 7, jumps 1, 2, 4; classifier flat', () => {
    const r = run(chain());
    assert.deepEqual(unresolved(r), []);
    assert.deepEqual(r.input, { shape: [32, 32], source: 'file' });
    assert.deepEqual(layer(r, '/c1/Conv').output, [32, 32]);
    assert.deepEqual(layer(r, '/c1/Conv').rf, { size: [3, 3], jump: [1, 1], start: [0, 0] });
    assert.deepEqual(layer(r, '/c2/Conv').output, [16, 16]);
    assert.deepEqual(layer(r, '/c2/Conv').rf, { size: [5, 5], jump: [2, 2], start: [0, 0] });
    // unit 0 of the pool reads c2 units 0 and 1, centred at input 0 and 2
    assert.deepEqual(layer(r, '/pool/MaxPool').rf, { size: [7, 7], jump: [4, 4], start: [1, 1] });
    assert.equal(layer(r, '/gap').op, 'globalPool');
    assert.equal(layer(r, '/Flatten').op, 'flatten');
    assert.equal(layer(r, '/fc/Gemm').op, 'dense');
    assert.deepEqual(r.outputs, ['/fc/Gemm']);
    assert.equal(layer(r, '/fc/Gemm').output, null);
  });

  it('nodes in any order are sorted topologically', () => {
    const spec = chain();
    spec.nodes.reverse();
    const a = run(chain());
    const b = run(spec);
    assert.deepEqual(
      b.layers.map((l) => [l.id, l.output, l.rf?.size]),
      a.layers.map((l) => [l.id, l.output, l.rf?.size]),
    );
  });

  it('weights as graph inputs, Constant nodes and ConstantOfShape (the model zoo light files) give the kernel', () => {
    const mk = (nodes: ModelSpec['nodes'], extra: Partial<ModelSpec> = {}): AnalysisReport =>
      run({ inputs: [X([1, 3, 9, 9]), ...(extra.inputs ?? [])], initializers: extra.initializers ?? [], nodes: [...nodes, node('Conv', ['input', 'W'], ['y'], {}, 'conv')] });
    const asInput = mk([], { inputs: [{ name: 'W', dims: [4, 3, 5, 5] }] });
    const asConstant = mk([node('Constant', [], ['W'], { value: { tensor: weight('', [4, 3, 5, 5]) } })]);
    const asShape = mk([node('ConstantOfShape', ['W_shape'], ['W'], { value: { tensor: floats('', [0], [1]) } })], { initializers: [int64s('W_shape', [4, 3, 5, 5])] });
    for (const r of [asInput, asConstant, asShape]) {
      assert.deepEqual(unresolved(r), []);
      assert.deepEqual(layer(r, 'conv').output, [5, 5]);
      assert.deepEqual(layer(r, 'conv').rf!.size, [5, 5]);
    }
  });

  it('auto_pad SAME_UPPER puts the odd pixel after, SAME_LOWER before (start 1 vs 0 for k3 s2 on 6)', () => {
    for (const [mode, start] of [['SAME_UPPER', 1], ['SAME_LOWER', 0]] as const) {
      const r = run({ inputs: [X([1, 1, 6, 6])], initializers: [weight('W', [1, 1, 3, 3])], nodes: [node('Conv', ['input', 'W'], ['y'], { auto_pad: mode, strides: [2, 2] }, 'c')] });
      assert.deepEqual(layer(r, 'c').output, [3, 3]);
      assert.deepEqual(layer(r, 'c').rf!.start, [start, start], mode);
    }
  });

  it('pads list all begins, then all ends', () => {
    // H: 1 before, 3 after -> 10+4-3+1 = 12, start 1-1 = 0; W: 2 before, 4 after -> 14, start 1-2 = -1
    const r = run({ inputs: [X([1, 1, 10, 10])], initializers: [weight('W', [1, 1, 3, 3])], nodes: [node('Conv', ['input', 'W'], ['y'], { pads: [1, 2, 3, 4] }, 'c')] });
    assert.deepEqual(layer(r, 'c').output, [12, 14]);
    assert.deepEqual(layer(r, 'c').rf!.start, [0, -1]);
  });

  it('pools: ceil_mode, dilations, 1-D and 3-D', () => {
    const pool = (dims: number[], attrs: Record<string, number[] | number>, op = 'MaxPool') =>
      layer(run({ inputs: [X(dims)], nodes: [node(op, ['input'], ['y'], attrs, 'p')] }), 'p');
    assert.deepEqual(pool([1, 1, 6, 6], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }).output, [3, 3]);
    assert.deepEqual(pool([1, 1, 6, 6], { kernel_shape: [3, 3], strides: [2, 2] }).output, [2, 2]);
    const d = pool([1, 1, 5, 5], { kernel_shape: [2, 2], dilations: [2, 2] });
    assert.deepEqual(d.output, [3, 3]);
    assert.deepEqual(d.rf!.size, [3, 3]);
    assert.deepEqual(pool([1, 2, 20], { kernel_shape: [4], strides: [2] }, 'AveragePool').output, [9]);
    assert.deepEqual(pool([1, 2, 8, 8, 8], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }).output, [4, 4, 4]);
    assert.deepEqual(pool([1, 2, 8, 8], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'LpPool').rf!.size, [3, 3]);
  });

  it('ConvTranspose: kernel from the weight, output_padding, output_shape', () => {
    // (3-1)*2 + 3 + 1 = 8
    const a = run({ inputs: [X([1, 1, 3, 3])], initializers: [weight('W', [1, 2, 3, 3])], nodes: [node('ConvTranspose', ['input', 'W'], ['y'], { strides: [2, 2], output_padding: [1, 1] }, 't')] });
    assert.deepEqual(layer(a, 't').output, [8, 8]);
    // output_shape 10x8 with strides 3x2: H needs one more row than the kernel reaches, W pads 1 in total
    const b = run({ inputs: [X([1, 1, 3, 3])], initializers: [weight('W', [1, 2, 3, 3])], nodes: [node('ConvTranspose', ['input', 'W'], ['y'], { strides: [3, 2], output_shape: [10, 8] }, 't')] });
    assert.deepEqual(layer(b, 't').output, [10, 8]);
    assert.deepEqual(unresolved(b), []);
  });

  it('Pad (pads as an input, opset 11+; as an attribute before) is a kernel-1 window with the pad mode', () => {
    for (const [mode, padMode] of [['reflect', 'reflect'], ['edge', 'replicate'], ['wrap', 'circular'], ['constant', undefined]] as const) {
      const r = run({
        inputs: [X([1, 3, 8, 8])],
        initializers: [int64s('pads', [0, 0, 1, 2, 0, 0, 3, 4]), weight('W', [4, 3, 3, 3])],
        nodes: [node('Pad', ['input', 'pads'], ['p'], { mode }, 'pad'), node('Conv', ['p', 'W'], ['y'], {}, 'conv')],
      });
      const pad = layer(r, 'pad');
      assert.equal(pad.op, 'conv');
      assert.deepEqual(pad.output, [12, 14]);
      assert.equal(pad.params.includes(padMode ?? 'reflect'), padMode !== undefined, pad.params);
      // a 3x3 conv after it: field 3, starting 1 - 1 = 0 (H) and 1 - 2 = -1 (W)
      assert.deepEqual(layer(r, 'conv').rf, { size: [3, 3], jump: [1, 1], start: [0, -1] });
    }
    const old = run({ opset: 6, inputs: [X([1, 1, 2, 4])], nodes: [node('Pad', ['input'], ['y'], { pads: [0, 0, 0, 1, 0, 0, 1, 2], mode: 'edge' }, 'pad')] });
    assert.deepEqual(layer(old, 'pad').output, [3, 7]);
    assert.ok(layer(old, 'pad').params.includes('replicate'));
    const crop = run({ inputs: [X([1, 1, 8, 8])], initializers: [int64s('pads', [0, 0, -1, -2, 0, 0, -1, 0])], nodes: [node('Pad', ['input', 'pads'], ['y'], {}, 'pad')] });
    assert.equal(layer(crop, 'pad').op, 'crop');
    assert.deepEqual(layer(crop, 'pad').output, [6, 6]);
  });

  it('Resize with scales from an initializer, sizes from a Shape chain, Upsample with scales as an attribute', () => {
    const scales = run({
      inputs: [X([1, 2, 5, 5])],
      initializers: [floats('scales', [1, 1, 2, 2])],
      nodes: [node('Resize', ['input', '', 'scales'], ['y'], { mode: 'nearest' }, 'up')],
    });
    assert.deepEqual(unresolved(scales), []);
    assert.deepEqual(layer(scales, 'up').output, [10, 10]);
    // output 0 copies input 0, output 9 copies input 4: jump (4 - 0) / 9
    assert.deepEqual(layer(scales, 'up').rf!.jump, [4 / 9, 4 / 9]);
    // torch.onnx.export of F.interpolate(x, size=(2h, 2w)): Shape -> Slice -> Mul -> Concat -> Resize(sizes)
    const chainSizes = run({
      inputs: [X([1, 2, 6, 4])],
      initializers: [int64s('s0', [0]), int64s('s2', [2]), int64s('s4', [4]), int64s('two', [2])],
      nodes: [
        node('Shape', ['input'], ['shape']),
        node('Slice', ['shape', 's0', 's2'], ['nc']),
        node('Slice', ['shape', 's2', 's4'], ['hw']),
        node('Mul', ['hw', 'two'], ['hw2']),
        node('Concat', ['nc', 'hw2'], ['sizes'], { axis: 0 }),
        node('Resize', ['input', '', '', 'sizes'], ['y'], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, 'up'),
      ],
    });
    assert.deepEqual(unresolved(chainSizes), []);
    assert.deepEqual(layer(chainSizes, 'up').output, [12, 8]);
    assert.equal(layer(chainSizes, 'up').params, 'nearest x2');
    // ... and it follows a requested input size, as the chain would
    assert.deepEqual(layer(run(buildModel(chainSizesSpec()), { input: 10 }), 'up').output, [20, 20]);
    const old = run({ opset: 7, inputs: [X([1, 1, 3, 3])], nodes: [node('Upsample', ['input'], ['y'], { scales: { floats: [1, 1, 2, 3] }, mode: 'nearest' }, 'up')] });
    assert.deepEqual(layer(old, 'up').output, [6, 9]);
  });

  it('Resize: every coordinate_transformation_mode and nearest_mode copies the pixels the specification gives, at any ratio', () => {
    // 3 -> 7 with half_pixel and round_prefer_floor copies 0,0,1,1,1,2,2 (floor(o*3/7) would copy 0,0,0,1,1,2,2)
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((o) => onnxNearestSource(o, 3, 7, null, 'half_pixel', 'round_prefer_floor')), [0, 0, 1, 1, 1, 2, 2]);
    const CTMS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
    const MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
    // sizes (the ratio of the sizes) and scales (the scale itself, floor(n * scale) outputs); up and down
    const cases: Array<{ nIn: number; sizes?: number; scale?: number }> = [
      { nIn: 3, sizes: 7 }, { nIn: 7, sizes: 3 }, { nIn: 5, sizes: 5 }, { nIn: 4, sizes: 1 }, { nIn: 6, sizes: 9 },
      { nIn: 4, scale: 3 }, { nIn: 5, scale: 1.5 }, { nIn: 8, scale: 0.75 }, { nIn: 7, scale: 0.5 }, { nIn: 6, scale: 2.5 },
    ];
    const mapOf = (bytes: Uint8Array, metric: 'paths' | 'coverage') => {
      const h = openModel({ fileName: 'resize.onnx', bytes });
      assert.deepEqual(unresolved(h.report), []);
      const m = h.map('up', metric);
      assert.ok(!isRefusal(m), JSON.stringify(m));
      return m;
    };
    let checked = 0;
    for (const c of cases) {
      const nOut = c.sizes ?? Math.floor(c.nIn * c.scale!);
      const resizeInputs = c.sizes ? ['input', '', '', 'sizes'] : ['input', '', 'scales'];
      const init = c.sizes ? [int64s('sizes', [1, 1, c.sizes, 1])] : [floats('scales', [1, 1, c.scale!, 1])];
      const scale = c.sizes ? null : c.scale!;
      for (const ctm of CTMS) {
        for (const mode of MODES) {
          const bytes = buildModel({ inputs: [X([1, 1, c.nIn, 1])], initializers: init, nodes: [node('Resize', resizeInputs, ['y'], { mode: 'nearest', coordinate_transformation_mode: ctm, nearest_mode: mode }, 'up')] });
          // coverage of input pixel i: how many outputs copy it
          const want = new Array<number>(c.nIn).fill(0);
          for (let o = 0; o < nOut; o++) want[onnxNearestSource(o, c.nIn, nOut, scale, ctm, mode)]!++;
          assert.deepEqual([...mapOf(bytes, 'coverage').values], want, `${c.nIn}->${nOut} ${ctm} ${mode}`);
          checked++;
        }
        if (ctm === 'tf_half_pixel_for_nn') continue;
        // linear: the path map is the sum of the interpolation weights each input pixel receives
        const bytes = buildModel({ inputs: [X([1, 1, c.nIn, 1])], initializers: init, nodes: [node('Resize', resizeInputs, ['y'], { mode: 'linear', coordinate_transformation_mode: ctm }, 'up')] });
        const want = new Array<number>(c.nIn).fill(0);
        for (let o = 0; o < nOut; o++) for (const [i, w] of onnxLinearTaps(o, c.nIn, nOut, scale, ctm)) want[i]! += w;
        const peak = Math.max(...want);
        const got = mapOf(bytes, 'paths').values;
        want.forEach((v, i) => assert.ok(Math.abs(v / peak - got[i]!) < 1e-9, `${c.nIn}->${nOut} linear ${ctm} pixel ${i}: ${got[i]} vs ${v / peak}`));
        checked++;
      }
    }
    assert.equal(checked, 10 * (5 * 4 + 4));
    // an integer scale with floor copies floor(o / s): the summary says so
    const lin = run({ inputs: [X([1, 1, 4, 4])], initializers: [floats('scales', [1, 1, 2, 2])], nodes: [node('Resize', ['input', '', 'scales'], ['y'], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, 'up')] });
    assert.equal(layer(lin, 'up').params, 'bilinear x2');
    assert.deepEqual(unresolved(lin), []);
  });

  it('DepthToSpace is a pixel shuffle, SpaceToDepth a clean space-to-depth', () => {
    const a = run({ inputs: [X([1, 8, 4, 4])], nodes: [node('DepthToSpace', ['input'], ['y'], { blocksize: 2, mode: 'CRD' }, 'd2s')] });
    assert.equal(layer(a, 'd2s').op, 'pixelShuffle');
    assert.deepEqual(layer(a, 'd2s').output, [8, 8]);
    const b = run({ inputs: [X([1, 2, 8, 6])], nodes: [node('SpaceToDepth', ['input'], ['y'], { blocksize: 2 }, 's2d')] });
    assert.equal(layer(b, 's2d').op, 'spaceToDepth');
    assert.deepEqual(layer(b, 's2d').output, [4, 3]);
    assert.deepEqual(layer(b, 's2d').rf!.size, [2, 2]);
  });

  it('PixelShuffle exported as Reshape -> Transpose -> Reshape is a pixel shuffle', () => {
    const r = run({
      opset: 9,
      inputs: [X([1, 8, 4, 4])],
      initializers: [int64s('s1', [1, 2, 2, 2, 4, 4]), int64s('s2', [1, 2, 8, 8])],
      nodes: [node('Reshape', ['input', 's1'], ['a'], {}, 'r1'), node('Transpose', ['a'], ['b'], { perm: [0, 1, 4, 2, 5, 3] }, 't'), node('Reshape', ['b', 's2'], ['y'], {}, 'r2')],
    });
    assert.deepEqual(unresolved(r), []);
    assert.equal(layer(r, 'r2').op, 'pixelShuffle');
    assert.deepEqual(layer(r, 'r2').output, [8, 8]);
  });

  it('the classifier flatten from a Shape/Gather/Unsqueeze/Concat chain (x.view(x.size(0), -1))', () => {
    const r = run({
      inputs: [X([1, 3, 8, 8])],
      initializers: [weight('W', [4, 3, 3, 3]), int64s('zero', [0], []), int64s('minus1', [-1]), weight('fc', [256, 10])],
      nodes: [
        node('Conv', ['input', 'W'], ['c'], { pads: [1, 1, 1, 1] }, '/conv/Conv'),
        node('Shape', ['c'], ['s'], {}, '/Shape'),
        node('Gather', ['s', 'zero'], ['n'], { axis: 0 }, '/Gather'),
        node('Unsqueeze', ['n'], ['n1'], { axes: [0] }, '/Unsqueeze'),
        node('Concat', ['n1', 'minus1'], ['shape'], { axis: 0 }, '/Concat'),
        node('Reshape', ['c', 'shape'], ['f'], {}, '/Reshape'),
        node('MatMul', ['f', 'fc'], ['y'], {}, '/fc/MatMul'),
      ],
      opset: 11,
    });
    assert.deepEqual(unresolved(r), []);
    // shape computations leave no layer behind
    assert.deepEqual(r.layers.map((l) => l.id), ['input', '/conv/Conv', '/Reshape', '/fc/MatMul']);
    assert.equal(layer(r, '/Reshape').op, 'flatten');
    assert.equal(layer(r, '/fc/MatMul').output, null);
  });

  it('NHWC input with a Transpose (tf2onnx, keras2onnx): size from H and W', () => {
    const r = run({
      inputs: [X(['N', 16, 12, 3])],
      initializers: [weight('W', [8, 3, 3, 3])],
      nodes: [node('Transpose', ['input'], ['t'], { perm: [0, 3, 1, 2] }, 'nchw'), node('Conv', ['t', 'W'], ['y'], { strides: [2, 2], pads: [1, 1, 1, 1] }, 'conv')],
    });
    assert.deepEqual(unresolved(r), []);
    assert.deepEqual(r.input, { shape: [16, 12], source: 'file' });
    assert.deepEqual(layer(r, 'conv').output, [8, 6]);
  });

  it('NHWC behind preprocessing (Sub, Div by constants, then Transpose) is still found', () => {
    const r = run({
      inputs: [X([1, 20, 10, 3])],
      initializers: [floats('mean', [0.5, 0.5, 0.5]), floats('std', [0.2, 0.2, 0.2]), weight('W', [8, 3, 3, 3])],
      nodes: [
        node('Sub', ['input', 'mean'], ['a'], {}, 'sub'),
        node('Div', ['a', 'std'], ['b'], {}, 'div'),
        node('Transpose', ['b'], ['t'], { perm: [0, 3, 1, 2] }, 'nchw'),
        node('Conv', ['t', 'W'], ['y'], {}, 'conv'),
      ],
    });
    assert.deepEqual(unresolved(r), []);
    assert.deepEqual(r.input, { shape: [20, 10], source: 'file' });
    assert.deepEqual(layer(r, 'conv').output, [18, 8]);
  });

  it('symbolic spatial dims fall back to the default size', () => {
    const spec: ModelSpec = { inputs: [X(['batch', 3, 'height', 'width'])], initializers: [weight('W', [8, 3, 3, 3])], nodes: [node('Conv', ['input', 'W'], ['y'], {}, 'conv')] };
    assert.deepEqual(run(spec).input, { shape: [224, 224], source: 'default' });
    assert.deepEqual(run(spec, { defaultInput: 64 }).input, { shape: [64, 64], source: 'default' });
    assert.deepEqual(layer(run(spec, { defaultInput: 64 }), 'conv').output, [62, 62]);
  });

  it('channels-last LayerNorm decomposition (Transpose, ReduceMean/Sub/Pow/Sqrt/Div over C) is pointwise', () => {
    const r = run({
      opset: 13,
      inputs: [X([1, 4, 8, 8])],
      initializers: [weight('W0', [4, 4, 3, 3]), weight('W1', [4, 4, 3, 3]), floats('two', [2], []), floats('eps', [1e-6], [])],
      nodes: [
        node('Conv', ['input', 'W0'], ['c0'], { pads: [1, 1, 1, 1] }, 'c0'),
        node('Transpose', ['c0'], ['t'], { perm: [0, 2, 3, 1] }, 'to_nhwc'),
        node('ReduceMean', ['t'], ['m'], { axes: [-1] }, 'mean'),
        node('Sub', ['t', 'm'], ['d'], {}, 'sub'),
        node('Pow', ['d', 'two'], ['p'], {}, 'pow'),
        node('ReduceMean', ['p'], ['v'], { axes: [-1] }, 'var'),
        node('Add', ['v', 'eps'], ['ve'], {}, 'add_eps'),
        node('Sqrt', ['ve'], ['s'], {}, 'sqrt'),
        node('Div', ['d', 's'], ['n'], {}, 'div'),
        node('Transpose', ['n'], ['back'], { perm: [0, 3, 1, 2] }, 'to_nchw'),
        node('Conv', ['back', 'W1'], ['y'], { pads: [1, 1, 1, 1] }, 'c1'),
      ],
    });
    assert.deepEqual(unresolved(r), []);
    assert.equal(layer(r, 'mean').op, 'pointwise');
    assert.equal(layer(r, 'sub').op, 'add');
    assert.equal(layer(r, 'div').op, 'mul');
    assert.deepEqual(layer(r, 'c1').output, [8, 8]);
    assert.deepEqual(layer(r, 'c1').rf!.size, [5, 5]);
  });

  it("torch's GroupNorm export (Reshape to [N, G, -1], InstanceNormalization, Reshape back) normalises over the map", () => {
    const r = run({
      opset: 13,
      inputs: [X([1, 8, 6, 6])],
      initializers: [int64s('groups', [0, 2, -1]), floats('ones', [1, 1]), floats('zeros', [0, 0]), weight('W', [4, 8, 3, 3])],
      nodes: [
        node('Reshape', ['input', 'groups'], ['g'], {}, 'gn/Reshape'),
        node('InstanceNormalization', ['g', 'ones', 'zeros'], ['n'], { epsilon: { float: 1e-5 } }, 'gn/InstanceNormalization'),
        node('Shape', ['input'], ['shape'], {}, 'gn/Shape'),
        node('Reshape', ['n', 'shape'], ['back'], {}, 'gn/Reshape_1'),
        node('Conv', ['back', 'W'], ['y'], { pads: [1, 1, 1, 1] }, 'conv'),
      ],
    });
    assert.deepEqual(unresolved(r), []);
    assert.equal(layer(r, 'gn/InstanceNormalization').op, 'normalize');
    assert.deepEqual(layer(r, 'conv').output, [6, 6]);
  });

  it('ReduceMean over H and W is a global pool; over H only it is unresolved', () => {
    const all = run({ opset: 13, inputs: [X([1, 4, 8, 8])], nodes: [node('ReduceMean', ['input'], ['y'], { axes: [2, 3], keepdims: 1 }, 'gap')] });
    assert.equal(layer(all, 'gap').op, 'globalPool');
    const one = run({ opset: 13, inputs: [X([1, 4, 8, 8])], nodes: [node('ReduceMax', ['input'], ['y'], { axes: [2] }, 'r')] });
    assert.equal(unresolved(one).length, 1);
    // opset 18: axes as an input
    const input = run({ opset: 18, inputs: [X([1, 4, 8, 8])], initializers: [int64s('axes', [-2, -1])], nodes: [node('ReduceMean', ['input', 'axes'], ['y'], {}, 'gap')] });
    assert.equal(layer(input, 'gap').op, 'globalPool');
  });

  it('squeeze-and-excitation: GlobalAveragePool -> 1x1 convs -> Sigmoid -> Mul is a mul with a gate', () => {
    const r = run({
      inputs: [X([1, 8, 8, 8])],
      initializers: [weight('W', [8, 8, 3, 3]), weight('f1', [2, 8, 1, 1]), weight('f2', [8, 2, 1, 1])],
      nodes: [
        node('Conv', ['input', 'W'], ['c'], { pads: [1, 1, 1, 1] }, 'conv'),
        node('GlobalAveragePool', ['c'], ['g'], {}, 'se/pool'),
        node('Conv', ['g', 'f1'], ['a'], {}, 'se/fc1'),
        node('Relu', ['a'], ['b'], {}, 'se/relu'),
        node('Conv', ['b', 'f2'], ['e'], {}, 'se/fc2'),
        node('Sigmoid', ['e'], ['s'], {}, 'se/gate'),
        node('Mul', ['c', 's'], ['y'], {}, 'se/mul'),
      ],
    });
    assert.deepEqual(unresolved(r), []);
    const mul = layer(r, 'se/mul');
    assert.equal(mul.op, 'mul');
    assert.deepEqual(mul.inputs, ['conv', 'se/gate']);
    assert.deepEqual(mul.output, [8, 8]);
    assert.deepEqual(layer(r, 'se/gate').output, [1, 1], 'the gate is a 1x1 map');
  });

  it('attention over positions (Reshape to HW, MatMul, Softmax, MatMul, Reshape back) is global context', () => {
    const r = run({
      inputs: [X([1, 8, 4, 4])],
      initializers: [weight('W', [8, 8, 1, 1]), weight('W2', [8, 8, 3, 3]), int64s('flat', [1, 8, 16]), int64s('map', [1, 8, 4, 4])],
      nodes: [
        node('Conv', ['input', 'W'], ['c'], {}, 'qkv'),
        node('Reshape', ['c', 'flat'], ['q'], {}, 'q'),
        node('Transpose', ['q'], ['qt'], { perm: [0, 2, 1] }, 'qt'),
        node('Reshape', ['c', 'flat'], ['k'], {}, 'k'),
        node('MatMul', ['qt', 'k'], ['att'], {}, 'scores'),
        node('Softmax', ['att'], ['sm'], { axis: -1 }, 'softmax'),
        node('Reshape', ['c', 'flat'], ['v'], {}, 'v'),
        node('Transpose', ['v'], ['vt'], { perm: [0, 2, 1] }, 'vt'),
        node('MatMul', ['sm', 'vt'], ['o'], {}, 'mix'),
        node('Transpose', ['o'], ['ot'], { perm: [0, 2, 1] }, 'ot'),
        node('Reshape', ['ot', 'map'], ['m'], {}, 'unflatten'),
        node('Add', ['c', 'm'], ['res'], {}, 'residual'),
        node('Conv', ['res', 'W2'], ['y'], { pads: [1, 1, 1, 1] }, 'out'),
      ],
      opset: 13,
    });
    assert.deepEqual(unresolved(r), []);
    assert.equal(layer(r, 'q').op, 'pointwise');
    assert.equal(layer(r, 'scores').op, 'mul');
    assert.deepEqual(layer(r, 'scores').inputs, ['qt', 'scores:context']);
    assert.equal(layer(r, 'scores:context').op, 'globalPool');
    assert.deepEqual(layer(r, 'mix').inputs, ['softmax', 'mix:context']);
    assert.equal(layer(r, 'softmax').op, 'pointwise');
    assert.deepEqual(layer(r, 'unflatten').output, [4, 4]);
    assert.deepEqual(layer(r, 'out').output, [4, 4]);
  });

  it('YOLOv5 Focus as four strided Slices and a Concat: each slice reads every second pixel', () => {
    const big = 2 ** 31 - 1;
    const slices = [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ];
    const r = run({
      opset: 13,
      inputs: [X([1, 3, 8, 8])],
      initializers: [int64s('ends', [big, big]), int64s('axes', [2, 3]), int64s('steps', [2, 2]), weight('W', [8, 12, 3, 3]), ...slices.map(([h, w], k) => int64s(`st${k}`, [h!, w!]))],
      nodes: [
        ...slices.map((_, k) => node('Slice', ['input', `st${k}`, 'ends', 'axes', 'steps'], [`s${k}`], {}, `slice${k}`)),
        node('Concat', ['s0', 's1', 's2', 's3'], ['cat'], { axis: 1 }, 'cat'),
        node('Conv', ['cat', 'W'], ['y'], { pads: [1, 1, 1, 1] }, 'conv'),
      ],
    });
    assert.deepEqual(unresolved(r), []);
    for (let k = 0; k < 4; k++) assert.deepEqual(layer(r, `slice${k}`).output, [4, 4]);
    assert.equal(layer(r, 'cat').op, 'concat');
    // the centre unit (1) reads grid units 0..2, which read input pixels 0..5 across the four offsets
    assert.deepEqual(layer(r, 'conv').rf!.size, [6, 6]);
  });

  it('1-D and 3-D convolutions', () => {
    const a = run({ inputs: [X([1, 4, 50])], initializers: [weight('W', [8, 4, 5])], nodes: [node('Conv', ['input', 'W'], ['y'], { dilations: [2], strides: [2] }, 'c')] });
    assert.deepEqual(layer(a, 'c').output, [21]);
    assert.deepEqual(layer(a, 'c').rf!.size, [9]);
    const b = run({ inputs: [X([1, 2, 8, 8, 8])], initializers: [weight('W', [4, 2, 3, 3, 3])], nodes: [node('Conv', ['input', 'W'], ['y'], { pads: [1, 1, 1, 1, 1, 1], strides: [1, 2, 2] }, 'c')] });
    assert.deepEqual(layer(b, 'c').output, [8, 4, 4]);
  });

  it('QLinearConv, ConvInteger and DeformConv are convolutions', () => {
    const q = run({
      inputs: [X([1, 1, 7, 7]), { name: 'xs', dims: [] }, { name: 'xz', dims: [] }, { name: 'w', dims: [1, 1, 3, 3] }, { name: 'ws', dims: [1] }, { name: 'wz', dims: [1] }, { name: 'ys', dims: [] }, { name: 'yz', dims: [] }],
      nodes: [node('QLinearConv', ['input', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], {}, 'q')],
    });
    assert.deepEqual(layer(q, 'q').rf!.size, [3, 3]);
    const d = run({ inputs: [X([1, 1, 6, 6]), { name: 'W', dims: [1, 1, 2, 2] }, { name: 'off', dims: [1, 8, 5, 5] }], nodes: [node('DeformConv', ['input', 'W', 'off'], ['y'], {}, 'd')] });
    assert.deepEqual(unresolved(d), []);
    assert.deepEqual(layer(d, 'd').output, [5, 5]);
  });

  it('layer ids: node names, else the first output; repeated names made unique', () => {
    const r = run({
      inputs: [X([1, 1, 8, 8])],
      nodes: [node('Relu', ['input'], ['a'], {}, ''), node('Relu', ['a'], ['b'], {}, 'act'), node('Relu', ['b'], ['c'], {}, 'act')],
    });
    assert.deepEqual(r.layers.map((l) => l.id), ['input', 'a', 'act', 'act#2']);
  });

  it('an unknown operator on the image is an RFL100 and the identity; Softmax over C*H*W before opset 13 normalises over the map', () => {
    const r = run({ inputs: [X([1, 1, 8, 8])], nodes: [node('FancyOp', ['input'], ['a'], {}, 'fancy'), node('MaxPool', ['a'], ['b'], { kernel_shape: [2, 2], strides: [2, 2] }, 'p')] });
    assert.equal(unresolved(r).length, 1);
    assert.match(unresolved(r)[0]!, /FancyOp/);
    assert.equal(r.findings.find((f) => f.code === 'RFL100')!.layer, 'fancy');
    assert.deepEqual(layer(r, 'p').output, [4, 4]);
    const s = run({ opset: 11, inputs: [X([1, 3, 8, 8])], nodes: [node('Softmax', ['input'], ['y'], { axis: 1 }, 'sm')] });
    assert.equal(layer(s, 'sm').op, 'normalize');
    const s13 = run({ opset: 13, inputs: [X([1, 3, 8, 8])], nodes: [node('Softmax', ['input'], ['y'], { axis: 1 }, 'sm')] });
    assert.equal(layer(s13, 'sm').op, 'pointwise');
  });

  it('Split and Concat along channels keep the map; along a spatial axis they are unresolved', () => {
    const r = run({
      opset: 11,
      inputs: [X([1, 4, 8, 8])],
      nodes: [node('Split', ['input'], ['a', 'b'], { axis: 1, split: [2, 2] }, 'split'), node('Relu', ['b'], ['rb'], {}, 'relu'), node('Concat', ['a', 'rb'], ['y'], { axis: 1 }, 'cat')],
    });
    assert.deepEqual(unresolved(r), []);
    assert.equal(layer(r, 'cat').op, 'concat');
    assert.deepEqual(layer(r, 'cat').output, [8, 8]);
    const s = run({ opset: 11, inputs: [X([1, 4, 8, 8])], nodes: [node('Split', ['input'], ['a', 'b'], { axis: 2 }, 'split')] });
    assert.equal(unresolved(s).length, 1);
  });

  it('reshape helpers: -1 and 0, groups of equal products', () => {
    assert.deepEqual(resolveShape([2, 3, 4], [0, -1], false), [2, 12]);
    assert.equal(resolveShape([2, 3, 4], [5, -1], false), null);
    assert.equal(mapReshape([1, 8, 4, 4], ['n', 'c', 0, 1], [1, 128], 2), 'flatten');
    assert.deepEqual(mapReshape([1, 8, 4, 4], ['n', 'c', 0, 1], [1, 2, 4, 4, 4], 2), { roles: ['n', 'c', 'c', 0, 1], factor: [1, 1] });
    assert.deepEqual(mapReshape([1, 8, 4, 4], ['n', 'c', 0, 1], [1, 8, 16], 2), { roles: ['n', 'c', 'P'], factor: [1, 1] });
  });
});

function chainSizesSpec(): ModelSpec {
  return {
    inputs: [X([1, 2, 6, 6])],
    initializers: [int64s('s0', [0]), int64s('s2', [2]), int64s('s4', [4]), int64s('two', [2])],
    nodes: [
      node('Shape', ['input'], ['shape']),
      node('Slice', ['shape', 's0', 's2'], ['nc']),
      node('Slice', ['shape', 's2', 's4'], ['hw']),
      node('Mul', ['hw', 'two'], ['hw2']),
      node('Concat', ['nc', 'hw2'], ['sizes'], { axis: 0 }),
      node('Resize', ['input', '', '', 'sizes'], ['y'], { mode: 'nearest' }, 'up'),
    ],
  };
}

describe('ONNX on the command line', function () {
  this.timeout(120000);
  const ROOT = join(__dirname, '..', '..');
  const CLI = join(ROOT, 'dist', 'cli.js');
  before(() => {
    // the bundle must contain the ONNX reader
    if (!existsSync(CLI) || !readFileSync(CLI, 'utf8').includes('ONNX')) {
      const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
    }
  });
  it('rflens analyze model.onnx --json and map read the binary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rflens-onnx-'));
    const file = join(dir, 'chain.onnx');
    writeFileSync(file, buildModel(chain()));
    const a = spawnSync(process.execPath, [CLI, 'analyze', file, '--json'], { encoding: 'utf8' });
    assert.equal(a.status, 0, a.stderr);
    const j = JSON.parse(a.stdout);
    assert.equal(j.format, 'onnx');
    assert.deepEqual(j.input.shape, [32, 32]);
    assert.ok(j.layers.some((l: { id: string; rf: { size: number[] } }) => l.id === '/pool/MaxPool' && l.rf.size[0] === 7));
    const m = spawnSync(process.execPath, [CLI, 'map', file, '--layer', '/c2/Conv', '--metric', 'coverage', '--json'], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    assert.deepEqual(JSON.parse(m.stdout).shape, [32, 32]);
  });
});

// ---------------------------------------------------------------- corpus

const CORPUS = join(__dirname, '..', '..', '..', 'shared', 'corpus', 'onnx');
const haveCorpus = existsSync(CORPUS);

function corpusFiles(dir = CORPUS): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...corpusFiles(p));
    else if (f.endsWith('.onnx')) out.push(p);
  }
  return out;
}

/**
 * RFL100 findings the corpus may produce (file name: reason). Empty: every
 * layer of every corpus file is understood. (Second graph inputs that only
 * feed a DeformConv's offsets or quantisation parameters are constants to
 * the reader and raise nothing.)
 */
const ALLOWED_UNRESOLVED: Record<string, string> = {};

(haveCorpus ? describe : describe.skip)('ONNX corpus conformance (../shared/corpus/onnx)', function () {
  this.timeout(300000);
  const files = haveCorpus ? corpusFiles() : [];
  it('has the 79 files', () => assert.equal(files.length, 79));
  for (const file of files) {
    const rel = file.slice(CORPUS.length + 1);
    it(`${rel}: reads, declared shapes equal the inferred ones, no unresolved layer`, () => {
      const bytes = new Uint8Array(readFileSync(file));
      const source = { fileName: file, bytes };
      const r = analyze(source, { findings: 'none' });
      assert.equal(r.format, 'onnx');
      assert.ok(r.model && r.layers.length >= 2, 'a model with layers');
      const bad = r.findings.filter((f) => f.code === 'RFL100' && !ALLOWED_UNRESOLVED[rel.split('/').pop()!]);
      assert.deepEqual(bad.map((f) => f.message), []);
      for (const l of r.layers) {
        assert.ok(l.rf && l.rf.size.every((s) => s >= 1), `${l.id} has a field`);
      }
      const detail = readOnnxDetailed(source);
      let compared = 0;
      for (const vi of detail.declared) {
        const t = detail.tensors.get(vi.name);
        if (!t || !t.roles || !vi.dims || t.id === r.layers[0]!.id) continue;
        const l = r.layers.find((x) => x.id === t.id)!;
        const spatial: Array<number | string | null> = [];
        t.roles.forEach((role, k) => typeof role === 'number' && (spatial[role] = vi.dims![k]!));
        if (spatial.some((d) => typeof d !== 'number')) continue;
        // A pooled map (positions mixed) is a 1x1 map when the declared dims keep 1s for it, else flat.
        const pooled = vi.dims.length > 2 && vi.dims.slice(2).every((d) => d === 1) ? vi.dims.slice(2) : null;
        assert.deepEqual(l.output, spatial.length ? spatial : pooled, `${vi.name} (${l.id}): declared ${vi.dims.join('x')}`);
        compared++;
      }
      assert.ok(compared >= 1, 'at least one declared shape compared');
    });
  }

  describe('numbers of known networks', () => {
    const light = (f: string) => analyze({ fileName: f, bytes: new Uint8Array(readFileSync(join(CORPUS, 'light', f))) }, { findings: 'none' });
    const last = (r: AnalysisReport) => layer(r, r.finalLayers[0]!);
    it('AlexNet pool5: 195 at jump 32 (Araujo et al.); VGG-19 pool5: 268 at 32, 7x7', () => {
      assert.deepEqual(last(light('light_bvlc_alexnet.onnx')).rf!.size, [195, 195]);
      const vgg = last(light('light_vgg19.onnx'));
      assert.deepEqual([vgg.output, vgg.rf!.size, vgg.rf!.jump, vgg.rf!.start], [[7, 7], [268, 268], [32, 32], [15.5, 15.5]]);
    });
    it('ResNet-50 (Caffe2, stride in the 3x3): 427 before the 7x7 average pool, which adds 6 x 32', () => {
      const r = light('light_resnet50.onnx');
      const pool = last(r);
      assert.deepEqual(pool.rf!.size, [427 + 6 * 32, 427 + 6 * 32]);
      assert.deepEqual(layer(r, pool.inputs[0]!).output, [7, 7]);
    });
    it('keras2onnx MNIST: NHWC input with nodes out of order, 28x28 -> 7x7, field 10 at jump 4', () => {
      const r = analyze({ fileName: 'mnist-sm.onnx', bytes: new Uint8Array(readFileSync(join(CORPUS, 'mnist-sm.onnx'))) }, { findings: 'none' });
      assert.deepEqual(r.input, { shape: [28, 28], source: 'file' });
      const l = last(r);
      assert.deepEqual([l.output, l.rf!.size, l.rf!.jump], [[7, 7], [10, 10], [4, 4]]);
    });
  });
});

// ---------------------------------------------------------------- fuzzing

describe('ONNX fuzzing: truncated and corrupted bytes', function () {
  this.timeout(600000);
  const SEED = Number(process.env.RFL_FC_SEED ?? 424242);
  const seeds: Uint8Array[] = [buildModel(chain()), buildModel(chainSizesSpec())];
  if (haveCorpus) {
    for (const f of ['light/light_squeezenet.onnx', 'mnist-sm.onnx', 'pytorch-converted/test_PixelShuffle.onnx', 'node/test_convtranspose_output_shape.onnx', 'node/test_resize_upsample_scales_nearest.onnx', 'pytorch-operator/test_operator_pad.onnx']) {
      if (existsSync(join(CORPUS, f))) seeds.push(new Uint8Array(readFileSync(join(CORPUS, f))));
    }
  }
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 300 }) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;
  const mutate = (b: Uint8Array, ms: Mutation[]): Uint8Array => {
    let out = b;
    for (const m of ms) {
      const at = out.length ? m.at % out.length : 0;
      const cat = (...parts: Uint8Array[]) => {
        const r = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
        let o = 0;
        for (const p of parts) {
          r.set(p, o);
          o += p.length;
        }
        return r;
      };
      if (m.kind === 'truncate') out = out.slice(0, at);
      else if (m.kind === 'flip') {
        out = out.slice();
        if (out.length) out[at] = m.value;
      } else if (m.kind === 'delete') out = cat(out.subarray(0, at), out.subarray(at + m.len));
      else if (m.kind === 'insert') out = cat(out.subarray(0, at), m.bytes, out.subarray(at));
      else out = cat(out.subarray(0, at + m.len), out.subarray(at));
    }
    return out;
  };

  it('mutated ONNX files never throw, never fail inside, never hang', () => {
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 4, max: 40 }), (k, ms, size) => {
        const bytes = mutate(seeds[k]!, ms);
        const t0 = performance.now();
        const r = analyze({ fileName: 'fuzz.onnx', bytes }, { input: size });
        const ms2 = performance.now() - t0;
        assert.deepEqual(r.findings.filter((f) => f.message.startsWith('Internal error')).map((f) => f.message), []);
        for (const f of r.findings) assert.ok(typeof f.message === 'string' && f.message.length > 0);
        if (!r.model) assert.ok(r.findings.some((f) => f.code === 'RFL100'), 'no model, so a finding says why');
        assert.ok(ms2 < 5000, `took ${ms2} ms`);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('random bytes named .onnx never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = analyze({ fileName: 'x.onnx', bytes });
        assert.ok(!r.findings.some((f) => f.message.startsWith('Internal error')));
        if (!r.model) assert.ok(r.findings.some((f) => f.code === 'RFL100'));
      }),
      { numRuns: 300, seed: SEED + 1 },
    );
  });
});
