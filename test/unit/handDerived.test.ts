/**
 * Cases small enough to derive by hand; each expected value is worked out in
 * the comment next to it, not produced by the engine.
 */
import { strict as assert } from 'node:assert';
import { ModelAnalysis } from '../../src/core/analysis/modelAnalysis';
import type { ModelGraph, PadMode } from '../../src/core/graph/ir';
import { net } from '../support/build';

function paths(graph: ModelGraph, input: number[], targets = graph.outputs): number[] {
  const m = new ModelAnalysis(graph, input).pathMap(targets);
  return Array.from(m.values, (v) => v * 2 ** m.log2Scale);
}

function coverage(graph: ModelGraph, input: number[], targets = graph.outputs): number[] {
  return Array.from(new ModelAnalysis(graph, input).coverage(targets));
}

/** Coefficients of (1 + x + ... + x^(k-1))^layers. */
function multinomialRow(k: number, layers: number): number[] {
  let row = [1];
  for (let l = 0; l < layers; l++) {
    const next = new Array<number>(row.length + k - 1).fill(0);
    row.forEach((v, i) => {
      for (let t = 0; t < k; t++) next[i + t] += v;
    });
    row = next;
  }
  return row;
}

describe('hand-derived path counts', () => {
  it("a transposed convolution with 'same' padding: n*s outputs, the odd padding pixel after (upper) or before (lower)", () => {
    // k=3, s=2 on 4 samples: 8 outputs and e - s = 1 pixel of padding (TensorFlow's conv2d_transpose: the
    // gradient of a SAME 3-wide stride-2 convolution from 8 to 4, which pads 0 before and 1 after).
    // Upper: input j writes 2j, 2j+1, 2j+2; the last write of j=3 (8) falls off: P = [3, 3, 3, 2].
    // Lower: the pad pixel goes before, j writes 2j-1 .. 2j+1; j=0 loses -1: P = [2, 3, 3, 3].
    for (const [rule, expected] of [['upper', [3, 3, 3, 2]], ['lower', [2, 3, 3, 3]]] as const) {
      const g = net(1)
        .add('t', {
          op: 'convtranspose',
          sliding: { kernel: [3], stride: [2], dilation: [1], padding: { kind: 'same', rule }, padMode: 'zeros', ceil: false },
          outputPadding: [0],
        })
        .build();
      const a = new ModelAnalysis(g, [4]);
      assert.deepEqual(a.geometry.byId.get('t')!.size, [8], rule);
      assert.deepEqual(paths(g, [4]), expected, rule);
    }
  });

  it('stacked 3-wide kernels without padding give the trinomial triangle', () => {
    // L valid 3-wide convolutions on 2L+1 pixels leave one unit; the number of
    // paths from pixel p to it is the coefficient of x^p in (1+x+x^2)^L.
    for (const L of [1, 2, 3, 6, 10]) {
      const b = net(1);
      for (let l = 0; l < L; l++) b.conv(`c${l}`, { k: 3 });
      const got = paths(b.build(), [2 * L + 1]);
      assert.deepEqual(got, multinomialRow(3, L));
    }
    // (1+x+x^2)^2 = 1 2 3 2 1, spelled out
    const b = net(1).conv('a', { k: 3 }).conv('b', { k: 3 });
    assert.deepEqual(paths(b.build(), [5]), [1, 2, 3, 2, 1]);
  });

  it("stacked 2-wide kernels give Pascal's triangle", () => {
    const b = net(1);
    for (let l = 0; l < 5; l++) b.conv(`c${l}`, { k: 2 });
    assert.deepEqual(paths(b.build(), [6]), [1, 5, 10, 10, 5, 1]);
  });

  it('2-D without padding: the outer product of the 1-D rows', () => {
    const b = net(2).conv('a', { k: 3 }).conv('b', { k: 3 });
    const row = [1, 2, 3, 2, 1];
    const expected = row.flatMap((r) => row.map((c) => r * c));
    assert.deepEqual(paths(b.build(), [5, 5]), expected);
  });

  it('each padding mode on a 3-pixel input, one 3-wide convolution padded by 1', () => {
    // units read (-1,0,1), (0,1,2), (1,2,3):
    // zeros: padding reads nothing -> [2,3,2]
    // reflect: -1 -> 1, 3 -> 1 -> pixel 0 once (u0) + once (u1) = 2; pixel 1: 2 (u0) + 1 + 2 (u2) = 5; pixel 2: 2
    // replicate: -1 -> 0, 3 -> 2 -> [3,3,3]; circular: -1 -> 2, 3 -> 0 -> [3,3,3]
    const expected: Record<PadMode, number[]> = {
      zeros: [2, 3, 2],
      reflect: [2, 5, 2],
      replicate: [3, 3, 3],
      circular: [3, 3, 3],
    };
    for (const mode of Object.keys(expected) as PadMode[]) {
      const g = net(1).conv('c', { k: 3, p: 1, mode }).build();
      assert.deepEqual(paths(g, [3]), expected[mode], mode);
    }
  });

  it('zero same padding, two layers: [5,7,5]', () => {
    // A^T 1 = [2,3,2]; A^T [2,3,2] = [2+3, 2+3+2, 3+2]
    const g = net(1).conv('a', { k: 3, p: 1 }).conv('b', { k: 3, p: 1 }).build();
    assert.deepEqual(paths(g, [3]), [5, 7, 5]);
  });

  it('the what-if padding override replaces every convolution padding', () => {
    const g = net(1).conv('a', { k: 3, p: 1 }).build();
    const m = new ModelAnalysis(g, [3], { padModeOverride: 'replicate' }).pathMap(['a']);
    assert.deepEqual(Array.from(m.values, (v) => v * 2 ** m.log2Scale), [3, 3, 3]);
  });

  it('a residual block adds the identity path: 1 + [2,3,3,3,2]', () => {
    const g = net(1).conv('c', { k: 3, p: 1 }).merge('sum', 'add', ['input', 'c']).build();
    assert.deepEqual(paths(g, [5]), [3, 4, 4, 4, 3]);
  });

  it('a concat of two branches adds their paths like a sum', () => {
    // branch a: 3-wide padded -> [2,3,3,3,2]; branch b: 1-wide -> [1,1,1,1,1]
    const g = net(1).conv('a', { k: 3, p: 1 }, 'input').conv('b', { k: 1 }, 'input').merge('cat', 'concat', ['a', 'b']).build();
    assert.deepEqual(paths(g, [5]), [3, 4, 4, 4, 3]);
  });

  it('ceil mode keeps a last window that floor mode drops', () => {
    // 2-wide pool of stride 2 on 5 pixels: floor -> 2 windows, pixel 4 unread;
    // ceil -> ceil(3/2)+1 = 3 windows, the last reads pixel 4 only
    const floor = net(1).pool('p', { k: 2, s: 2 }).build();
    assert.deepEqual(paths(floor, [5]), [1, 1, 1, 1, 0]);
    const ceil = net(1).pool('p', { k: 2, s: 2, ceil: 'always' }).build();
    assert.deepEqual(paths(ceil, [5]), [1, 1, 1, 1, 1]);
    assert.deepEqual(new ModelAnalysis(ceil, [5]).geometry.byId.get('p')!.size, [3]);
  });

  it('ceil mode drops a window that would start in the trailing padding', () => {
    // k=2 s=2 pad 1 on n=4: ceil((4+2-2)/2)+1 = 3; (3-1)*2 = 4 >= n + pad = 5? no -> 3 windows
    // k=1 s=2 pad 1 on n=3: ceil((3+2-1)/2)+1 = 3; (3-1)*2 = 4 >= 3+1 -> dropped -> 2
    const a = net(1).pool('p', { k: 2, s: 2, p: 1, ceil: 'always' }).build();
    assert.deepEqual(new ModelAnalysis(a, [4]).geometry.byId.get('p')!.size, [3]);
    const b = net(1).pool('p', { k: 1, s: 2, p: 1, ceil: 'always' }).build();
    assert.deepEqual(new ModelAnalysis(b, [3]).geometry.byId.get('p')!.size, [2]);
  });

  it('dilation spreads the taps: a 3-tap kernel of dilation 2 reads every second pixel', () => {
    const g = net(1).conv('c', { k: 3, d: 2 }).build();
    assert.deepEqual(paths(g, [5]), [1, 0, 1, 0, 1]);
    const a = new ModelAnalysis(g, [5]);
    assert.deepEqual(a.fields.get('c')!.size, [5]);
  });

  it("asymmetric 'same' padding (TensorFlow rule, stride 2, even input)", () => {
    // n=4, k=3, s=2: total = (2-1)*2 + 3 - 4 = 1 -> 0 before, 1 after; units read (0,1,2) and (2,3,[4])
    const g = net(1).conv('c', { k: 3, s: 2, p: 'upper' }).build();
    assert.deepEqual(paths(g, [4]), [1, 1, 2, 1]);
    const lower = net(1).conv('c', { k: 3, s: 2, p: 'lower' }).build();
    // 1 before, 0 after: units read ([-1],0,1) and (1,2,3)
    assert.deepEqual(paths(lower, [4]), [1, 2, 1, 1]);
  });

  it('a stride larger than the kernel leaves dead pixels', () => {
    const g = net(2).conv('c', { k: 1, s: 2 }).build();
    // units read pixels 0, 2, 4 along each axis: 3x3 = 9 of 36 pixels covered
    const cov = coverage(g, [6, 6]);
    assert.equal(cov.filter((c) => c === 0).length, 27);
    assert.equal(cov.filter((c) => c === 1).length, 9);
  });

  it('kernel 3 with stride 2: coverage alternates 1, 2 and the ripple is 1/2 per axis', () => {
    const g1 = net(1).conv('c', { k: 3, s: 2, p: 1 }).build();
    // n=8: units read (-1,0,1),(1,2,3),(3,4,5),(5,6,7): pixel 0 -> 1, 1 -> 2, 2 -> 1, 3 -> 2 ...
    assert.deepEqual(coverage(g1, [8]), [1, 2, 1, 2, 1, 2, 1, 1]);
    assert.equal(new ModelAnalysis(g1, [8]).fields.get('c')!.ripple, 0.5);
    const g2 = net(2).conv('c', { k: 3, s: 2, p: 1 }).build();
    assert.equal(new ModelAnalysis(g2, [8, 8]).fields.get('c')!.ripple, 0.25);
  });

  it('a following 3-wide layer turns the 1:2 ripple into 3:4', () => {
    // fields of the second layer: [2q-3, 2q+3]; even p is in 3 of them, odd p in 4
    const g = net(1).conv('a', { k: 3, s: 2, p: 1 }).conv('b', { k: 3, p: 1 }).build();
    assert.equal(new ModelAnalysis(g, [64]).fields.get('b')!.ripple, 0.75);
  });
});

describe('hand-derived receptive fields', () => {
  it('size, jump and start of a strided chain (Araujo et al. recurrences)', () => {
    // conv k3 s1 p1: r=3 j=1 start=0; pool k2 s2: r=4 j=2 start=0.5; conv k3 s1 p1: r=4+2*2=8, j=2, start=0.5
    const g = net(1).conv('a', { k: 3, p: 1 }).pool('b', { k: 2, s: 2 }).conv('c', { k: 3, p: 1 }).build();
    const f = new ModelAnalysis(g, [16]).fields;
    assert.deepEqual(f.get('a')!, { ...f.get('a')!, size: [3], jump: [1], start: [0] });
    assert.deepEqual([f.get('b')!.size, f.get('b')!.jump, f.get('b')!.start], [[4], [2], [0.5]]);
    assert.deepEqual([f.get('c')!.size, f.get('c')!.jump, f.get('c')!.start], [[8], [2], [0.5]]);
  });

  it('start is (r-1)/2 minus the effective padding', () => {
    // k7 s2 p3 then k3 s2 p1: r = 7 + 2*2 = 11, effective padding = 3 + 1*2 = 5, start = 5 - 5 = 0
    const g = net(1).conv('a', { k: 7, s: 2, p: 3 }).pool('b', { k: 3, s: 2, p: 1 }).build();
    const f = new ModelAnalysis(g, [32]).fields.get('b')!;
    assert.deepEqual([f.size, f.jump, f.start], [[11], [4], [0]]);
  });

  it('the jump is fractional after upsampling', () => {
    // stride-4 pool then x2 nearest upsampling: units 2q and 2q+1 share a field: jump (n-1 span) = 4*(m-1)/(2m-1)
    const g = net(1)
      .pool('p', { k: 4, s: 4 })
      .add('u', { op: 'upsample', mode: 'nearest', scale: [2], size: null, alignCorners: false })
      .build();
    const f = new ModelAnalysis(g, [16]).fields.get('u')!;
    // pool: 4 units, centres 1.5, 5.5, 9.5, 13.5; upsampled 8 units: first centre 1.5, last 13.5
    assert.deepEqual(f.jump, [(13.5 - 1.5) / 7]);
    assert.deepEqual(f.size, [4]);
  });

  it('a 1000-layer chain of 3-wide kernels: r = 2L+1 at every depth (the fields of deep chains are followed, not refused)', () => {
    let b = net(2);
    for (let i = 1; i <= 1000; i++) b = b.conv(`c${i}`, { k: 3, p: 1 });
    const a = new ModelAnalysis(b.build(), [8, 8]);
    assert.ok(a.fields.size > 1000, 'the fields are followed, not refused');
    for (const L of [1, 2, 170, 999, 1000]) {
      const f = a.fields.get(`c${L}`)!;
      assert.deepEqual(f.size, [2 * L + 1, 2 * L + 1], `c${L}`);
      assert.deepEqual(f.jump, [1, 1]);
    }
  });

  it('on a residual graph the field is the union of the paths (the widest when centred)', () => {
    const g = net(1).conv('c1', { k: 3, p: 1 }).conv('c2', { k: 3, p: 1 }).merge('sum', 'add', ['input', 'c2']).build();
    assert.deepEqual(new ModelAnalysis(g, [9]).fields.get('sum')!.size, [5]);
  });

  it('a squeeze-and-excitation gate adds global context: the field follows the local operand', () => {
    const g = net(2)
      .conv('c', { k: 3, p: 1 })
      .add('gap', { op: 'globalPool' }, ['c'])
      .add('fc', { op: 'dense' }, ['gap'])
      .merge('scale', 'mul', ['c', 'fc'])
      .conv('after', { k: 3, s: 2, p: 1 })
      .build();
    const a = new ModelAnalysis(g, [10, 10]);
    const f = (id: string) => a.fields.get(id)!;
    // c: 3 wide, jump 1, start 0; the gate does not widen it, the conv after it sees 5 at jump 2, start 0
    assert.deepEqual([f('scale').size, f('scale').jump, f('scale').start, f('scale').global], [[3, 3], [1, 1], [0, 0], true]);
    assert.deepEqual([f('after').size, f('after').jump, f('after').start, f('after').global], [[5, 5], [2, 2], [0, 0], true]);
    assert.equal(f('c').global, false);
    // the pool and the dense layer only have global paths: the union of c's units -1 .. 10 (12 wide),
    // centred at 4.5, the next (virtual) pool unit one map (10 pixels) on
    assert.deepEqual([f('gap').size, f('gap').jump, f('gap').start, f('gap').global], [[12, 12], [10, 10], [4.5, 4.5], true]);
    assert.deepEqual([f('fc').size, f('fc').jump, f('fc').start], [[12, 12], [10, 10], [4.5, 4.5]]);
    // maps still count every path: the gate makes every unit depend on every pixel
    const cov = a.coverage(['scale']);
    assert.ok(cov.every((c) => c === 100), 'every unit covers every pixel');
    assert.equal(a.geometry.byId.get('gap')!.flat, false, 'a global pool keeps a 1x1 map');
    assert.equal(a.geometry.byId.get('fc')!.flat, true, 'a dense layer has none');
  });

});

describe('adaptive pooling (PyTorch windows floor(i*L/n) .. ceil((i+1)*L/n) - 1)', () => {
  const adaptive = (output: Array<number | null>) => ({ op: 'adaptivePool' as const, pool: 'avg' as const, output });

  it('L=5, n=3: windows [0,2), [1,4), [3,5): overlapping, of sizes 2, 3, 2', () => {
    const g = net(1).add('a', adaptive([3])).build();
    const a = new ModelAnalysis(g, [5]);
    assert.deepEqual(a.geometry.byId.get('a')!.size, [3]);
    // pixel 0: window 0; 1: windows 0 and 1; 2: window 1; 3: windows 1 and 2; 4: window 2
    assert.deepEqual(paths(g, [5]), [1, 2, 1, 2, 1]);
    assert.deepEqual(coverage(g, [5]), [1, 2, 1, 2, 1]);
    // centre unit 1 reads [1,4): size 3; unit 0's centre 0.5, unit 2's (3+4)/2 = 3.5: jump (3.5-0.5)/2 = 1.5
    const f = a.fields.get('a')!;
    assert.deepEqual([f.size, f.jump, f.start], [[3], [1.5], [0.5]]);
  });

  it('when n divides L it is a pool of kernel = stride = L/n: same shapes, fields and maps', () => {
    // 12x12 -> (3, 4): kernel = stride = (4, 3); after a 3x3 conv (r 3, j 1, start 0): r = 3 + 3 = 6 and 3 + 2 = 5,
    // jump (4, 3), start 0 + (4-1)/2 = 1.5 and (3-1)/2 = 1
    const a = net(2).conv('c', { k: 3, p: 1 }).add('a', adaptive([3, 4])).build();
    const b = net(2).conv('c', { k: 3, p: 1 }).pool('a', { k: [4, 3], s: [4, 3] }).build();
    const fa = new ModelAnalysis(a, [12, 12]).fields.get('a')!;
    const fb = new ModelAnalysis(b, [12, 12]).fields.get('a')!;
    assert.deepEqual([fa.size, fa.jump, fa.start], [[6, 5], [4, 3], [1.5, 1]]);
    assert.deepEqual([fa.size, fa.jump, fa.start, fa.ripple], [fb.size, fb.jump, fb.start, fb.ripple]);
    assert.deepEqual(paths(a, [12, 12]), paths(b, [12, 12]));
    assert.deepEqual(coverage(a, [12, 12]), coverage(b, [12, 12]));
  });

  it('output = input size is the identity; None keeps an axis', () => {
    const g = net(2).conv('c', { k: 3, s: 2, p: 1 }).add('a', adaptive([7, null])).build();
    const m = new ModelAnalysis(g, [14, 10]);
    assert.deepEqual(m.geometry.byId.get('a')!.size, [7, 5]);
    assert.ok(m.geometry.byId.get('a')!.rules[0]!.every((r) => r.identity));
    const fc = m.fields.get('c')!;
    const fa = m.fields.get('a')!;
    assert.deepEqual([fa.size, fa.jump, fa.start], [fc.size, fc.jump, fc.start]);
    assert.deepEqual(paths(g, [14, 10], ['a']), paths(g, [14, 10], ['c']));
  });

  it('n > L repeats inputs, as VGG\'s AdaptiveAvgPool2d((7, 7)) after a 3x3 map (a 100x100 input)', () => {
    // L=3, n=7: windows [0,1) [0,1) [0,2) [1,2) [1,3) [2,3) [2,3): each pixel is read by 3 windows
    const g = net(1).add('a', adaptive([7])).build();
    assert.deepEqual(paths(g, [3]), [3, 3, 3]);
    assert.deepEqual(coverage(g, [3]), [3, 3, 3]);
    // centre unit 3 reads [1,2): size 1; unit 0's centre 0, unit 6's 2: jump 2/6
    const f = new ModelAnalysis(g, [3]).fields.get('a')!;
    assert.deepEqual([f.size, f.jump, f.start], [[1], [2 / 6], [0]]);
  });
});
