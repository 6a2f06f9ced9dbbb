/**
 * The Python reader's constant tensors (torch arithmetic on known numbers,
 * parameters and buffers that carry no pixels) and the token idioms of
 * transformers: a RegNet-style width rule, a ViT-style class token, Swin-style
 * windows, shifts and patch merging. Expected values: real PyTorch 1.13
 * (Debian's python3-torch) run once while writing the test, or derived by hand
 * where said; the tests never call Python.
 */
import { strict as assert } from 'node:assert';
import { Interp } from '../../src/core/formats/python/interp';
import { installStdlib } from '../../src/core/formats/python/stdlib';
import { installTorch, TorchState } from '../../src/core/formats/python/torch';
import type { Value } from '../../src/core/formats/python/values';
import { layer, run, unresolved } from '../support/pythonFixtures';

/** Run module-level code and give the named globals as plain JS (numbers, booleans, nested arrays). */
function evalPy(text: string, names: string[]): Record<string, unknown> {
  const it = new Interp('/virtual/consts.py', text, undefined, []);
  installStdlib(it);
  installTorch(it, new TorchState(it));
  it.runMain();
  const js = (v: Value | undefined): unknown => {
    if (!v) return '<undefined>';
    if (v.k === 'num' || v.k === 'bool') return v.v;
    if (v.k === 'list' || v.k === 'tuple') return v.items.map(js);
    return `<${v.k}${v.k === 'unknown' ? `: ${v.why}` : ''}>`;
  };
  return Object.fromEntries(names.map((n) => [n, js(it.mainCtx.globals.vars.get(n))]));
}

describe('python reader: constant tensors', () => {
  it('torch arithmetic on constants gives what PyTorch gives (dtype promotion, float32 rounding, half-even rounding)', () => {
    // every expected value printed by torch 1.13 for the same lines (`.tolist()` / `.item()`)
    const text = `import math
import torch
a = (torch.arange(6) * 27.89 + 48).tolist()
b = torch.round(torch.log((torch.arange(16) * 27.89 + 48) / 48) / math.log(2.09)).int().tolist()
c = (torch.round(torch.divide(48 * torch.pow(2.09, torch.tensor([0.0, 1.0, 2.0, 3.0])), 8)) * 8).int().tolist()
d = torch.diff(torch.tensor([0, 1, 4, 10, 16])).tolist()
e = torch.round(torch.tensor([0.5, 1.5, 2.5, -1.5])).tolist()
f = (torch.arange(7) // 2).tolist()
g = (torch.arange(-3, 4) % 3).tolist()
h = (torch.arange(5) / 2).tolist()
i = torch.cumsum(torch.tensor([1, 2, 3, 4]), 0).tolist()
j = torch.unique(torch.tensor([3, 1, 3, 2, 1])).tolist()
k = torch.cat([torch.tensor([1, 2]), torch.tensor([3])]).tolist()
l = torch.linspace(0, 1, 5).tolist()
m = torch.tensor([[1, 2, 3], [4, 5, 6]])[:, 1].tolist()
n = torch.tensor([[1, 2, 3], [4, 5, 6]])[None, -1, ::2].tolist()
o = torch.tensor([[1, 2, 3], [4, 5, 6]]).permute(1, 0).flatten().tolist()
p = torch.tensor([2.5, 7.0]).max().item()
q = len(torch.zeros(4, 3))
r = int(torch.tensor([7]).sum())
ws = 3
coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij"))
cf = torch.flatten(coords, 1)
rel = (cf[:, :, None] - cf[:, None, :]).permute(1, 2, 0).contiguous()
rel[:, :, 0] += ws - 1
rel[:, :, 1] += ws - 1
rel[:, :, 0] *= 2 * ws - 1
s = rel.sum(-1).flatten()[:20].tolist()
t = torch.tensor([1, 5, 9]).clamp(2, 8).tolist()
u = torch.where(torch.tensor([1, 0, 1]) > 0, torch.tensor([10, 20, 30]), torch.tensor([-1, -2, -3])).tolist()
v = torch.tensor([[1.0, 2.0]]).expand(3, -1).sum(0).tolist()
w = (torch.arange(4) * 0.1).tolist()
x = torch.tensor([0, 1, 2]).masked_fill(torch.tensor([True, False, True]), 7).tolist()
y = (torch.tensor([1, 2]) == torch.tensor([1, 3])).tolist()
z = torch.zeros(2, 3).shape[1]
aa = (torch.tensor(3) * 1.1).item()
bb = torch.tensor([1, 2, 3], dtype=torch.float64).mean().item()
cc = torch.arange(0, 1, 0.25).tolist()
dd = torch.tensor([[3, 1], [2, 8]]).max(dim=1)[1].tolist()
ee = torch.log(10 * torch.ones((2, 1, 1))).flatten().tolist()
widths = [48, 104, 104, 208]
num_stages = len(set(widths))
`;
    const names = 'a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee num_stages'.split(' ');
    const got = evalPy(text, names);
    assert.deepEqual(got, {
      a: [48.0, 75.88999938964844, 103.77999877929688, 131.6699981689453, 159.55999755859375, 187.4499969482422],
      b: [0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3],
      c: [48, 104, 208, 440],
      d: [1, 3, 6, 6],
      e: [0, 2, 2, -2],
      f: [0, 0, 1, 1, 2, 2, 3],
      g: [0, 1, 2, 0, 1, 2, 0],
      h: [0, 0.5, 1, 1.5, 2],
      i: [1, 3, 6, 10],
      j: [1, 2, 3],
      k: [1, 2, 3],
      l: [0, 0.25, 0.5, 0.75, 1],
      m: [2, 5],
      n: [[4, 6]],
      o: [1, 4, 2, 5, 3, 6],
      p: 7,
      q: 4,
      r: 7,
      s: [12, 11, 10, 7, 6, 5, 2, 1, 0, 13, 12, 11, 8, 7, 6, 3, 2, 1, 14, 13],
      t: [2, 5, 8],
      u: [10, -2, 30],
      v: [3, 6],
      w: [0, 0.10000000149011612, 0.20000000298023224, 0.30000001192092896],
      x: [7, 1, 7],
      y: [true, false],
      z: 3,
      aa: 3.3000001907348633,
      bb: 2,
      cc: [0, 0.25, 0.5, 0.75],
      dd: [0, 1],
      ee: [2.3025851249694824, 2.3025851249694824],
      num_stages: 3,
    });
  });

  it('unknown values stay unknown; huge tensors keep their shape only', () => {
    const got = evalPy(
      `import torch
x = torch.randn(3, 4)
a = x.tolist()
b = x.shape[1]
big = torch.arange(10 ** 9)
c = len(big)
d = (big * 2 + 1).shape[0]
e = big.sum().tolist()
f = torch.tensor([1, 2]) + undefined_name
`,
      ['a', 'b', 'c', 'd', 'e', 'f'],
    );
    assert.match(String(got.a), /^<unknown/);
    assert.equal(got.b, 4);
    assert.equal(got.c, 1e9);
    assert.equal(got.d, 1e9);
    assert.match(String(got.e), /^<unknown/);
    assert.match(String(got.f), /^<unknown/);
  });
});

describe('python reader: RegNet-style widths from torch arithmetic', () => {
  it('TinyRegNet: stage depths [1, 1, 4, 4]; fields 3, 7, 15, 127, 351 (PyTorch gradient probe and by hand)', () => {
    // PyTorch runs StageSpec.quantised(blocks=10, start=24, slope=36.0, mult=2.5) to widths [24, 64, 152, 376],
    // depths [1, 1, 4, 4]. By hand: stem 3x3 s2 (3, jump 2); each stage's first block adds 2*jump with its
    // 3x3 stride 2 and doubles the jump, every further block adds 2*jump: s1 7 (j4), s2 15 (j8),
    // s3 15+16+3*32 = 127 (j16), s4 127+32+3*64 = 351 (j32). The gradient probe of the same file in torch
    // at 1200x1200 (weights 1/fan-in, float64) gives 3, 7, 15, 127, 351 at stem, trunk.s1..s3, trunk.
    const r = run('tvstyle/regnet.py', { input: 1200 });
    assert.deepEqual(unresolved(r), []);
    const depth = (s: string) => r.layers.filter((l) => new RegExp(`^trunk\\.${s}\\.\\d+$`).test(l.id)).length;
    assert.deepEqual(['s1', 's2', 's3', 's4'].map(depth), [1, 1, 4, 4]);
    assert.deepEqual(['stem', 'trunk.s1', 'trunk.s2', 'trunk.s3', 'trunk'].map((id) => layer(r, id).rf!.size[0]), [3, 7, 15, 127, 351]);
    assert.deepEqual(layer(r, 'trunk').rf!.jump, [32, 32]);
    assert.deepEqual(layer(r, 'trunk').output, [38, 38]);
    // the probe's centre unit 299 of the stem reads rows 597..599: start 0
    assert.deepEqual(layer(r, 'stem').rf!.start, [0, 0]);
    // a stage's first block projects (its width changes): trunk.s3.0 has proj, trunk.s3.1 not
    layer(r, 'trunk.s3.0.proj.0');
    assert.ok(!r.layers.some((l) => l.id.startsWith('trunk.s3.1.proj')));
  });
});

describe('python reader: token models', () => {
  it('ViT-style: the class token joins the tokens and x[:, 0] reads it back without findings; the head sees everything', () => {
    const r = run('tokens/vit.py', { input: 64 });
    assert.equal(r.model, 'TinyViT');
    assert.deepEqual(unresolved(r), []);
    // patch embedding 8x8 stride 8: by hand
    const p = layer(r, 'patch').rf!;
    assert.deepEqual([p.size, p.jump, p.start], [[8, 8], [8, 8], [3.5, 3.5]]);
    // attention over all tokens: every unit after the flatten depends on every pixel
    const head = layer(r, 'head');
    assert.deepEqual(head.output, null);
    assert.equal(head.rf!.global, true);
    assert.deepEqual(r.outputs, ['head']);
  });

  it('Swin-style: windowed attention is global context, patch merging is a space-to-depth; local fields 4, 8, 16', () => {
    // PyTorch probe of the same file at 64x64 with window_attention replaced by zeros (what is left is the local
    // field): the centre units of embed, merge1, merge2 read rows 28..31, 24..31, 16..31 (sizes 4, 8, 16)
    const r = run('tokens/swin.py', { model: 'TinySwin', input: 64 });
    assert.deepEqual(unresolved(r), []);
    const at = (id: string) => {
      const f = layer(r, id).rf!;
      return [layer(r, id).output, f.size[0], f.jump[0], f.start[0], !!f.global];
    };
    assert.deepEqual(at('embed'), [[16, 16], 4, 4, 1.5, false]);
    assert.deepEqual(at('merge1'), [[8, 8], 8, 8, 3.5, true]);
    assert.deepEqual(at('merge2'), [[4, 4], 16, 16, 7.5, true]);
    assert.equal(layer(r, 'merge1.space_to_depth').op, 'spaceToDepth');
    // the four strided slices left the graph once they became the space-to-depth
    assert.ok(!r.layers.some((l) => /^merge1\.slice/.test(l.id)), r.layers.map((l) => l.id).join(' '));
    // the shifted block rolls by -2 and back by 2: circular padding and a crop each
    assert.ok(r.layers.some((l) => l.id.startsWith('stage1.1.roll')));
  });

  it('Focus-style slices, a crop by slices and torch.roll: fields as the PyTorch probe gives them', () => {
    // probe at 32x32: conv's centre unit 7 reads rows and columns 12..17; conv2's centre unit 6 reads rows 10..19 and
    // columns 8..17 (the crop [1:-1, 2:] shifts rows by 1 and columns by 2, the roll by 2 shifts columns back by 2)
    const r = run('tokens/swin.py', { model: 'Slices', input: 32 });
    assert.deepEqual(unresolved(r), []);
    const conv = layer(r, 'conv');
    assert.deepEqual([conv.output, conv.rf!.size, conv.rf!.start], [[16, 16], [6, 6], [0.5, 0.5]]);
    const c2 = layer(r, 'conv2');
    // centre unit 6: rows 10..19 -> start 14.5 - 6*2 = 2.5; columns 8..17 -> 12.5 - 12 = 0.5
    assert.deepEqual([c2.output, c2.rf!.size, c2.rf!.jump, c2.rf!.start], [[14, 14], [10, 10], [2, 2], [2.5, 0.5]]);
  });
});
