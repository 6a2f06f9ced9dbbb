import { strict as assert } from 'node:assert';
import { analyze, type AnalysisReport } from '../../src/core';
import { gcd, PjreddieReorgRule, TapSink } from '../../src/core/analysis/axisRules';
import { ModelAnalysis } from '../../src/core/analysis/modelAnalysis';
import { analyzed, engine } from '../support/engine';
import { parseCfg } from '../../src/core/formats/darknet/cfg';
import { darknetReader } from '../../src/core/formats/darknet/reader';
import type { ModelGraph } from '../../src/core/graph/ir';
import { forward, refShapes } from '../support/reference';

function cfg(body: string, net = 'width=32\nheight=32\nchannels=3'): string {
  return `[net]\n${net}\n\n${body}`;
}

function read(text: string, dialect: 'auto' | 'pjreddie' | 'alexeyab' = 'auto'): { graph: ModelGraph; messages: string[] } {
  const r = darknetReader.read({ fileName: 'test.cfg', text }, { options: { dialect } });
  return { graph: r.models[0]!, messages: r.findings.map((f) => f.message) };
}

function run(text: string, input?: number): AnalysisReport {
  return analyzed({ fileName: 'test.cfg', text }, input ? { input } : {});
}

function sizes(r: AnalysisReport): Record<string, number[] | null> {
  return Object.fromEntries(r.layers.map((l) => [l.id, l.output]));
}

describe('Darknet .cfg parser', () => {
  it("strips whitespace and comments like Darknet's read_cfg", () => {
    const p = parseCfg('# comment\n[net]\n width = 416 \n; also a comment\nheight=416\n\n[convolutional]\nsize=3\n');
    assert.equal(p.sections.length, 2);
    assert.deepEqual(
      p.sections[0]!.options.map((o) => [o.key, o.value]),
      [
        ['width', '416'],
        ['height', '416'],
      ],
    );
    assert.equal(p.sections[1]!.type, 'convolutional');
    assert.equal(p.sections[1]!.headerRange.start.line, 6);
  });

  it('reports lines it cannot parse, and options before any section, on their line', () => {
    const p = parseCfg('size=3\n[net]\nthis is not an option\n[maxpool\nsize=2\n');
    assert.deepEqual(
      p.problems.map((x) => x.range.start.line),
      [0, 2, 3],
    );
    assert.equal(p.sections.length, 2, 'the unclosed header still opens a section');
  });
});

describe('Darknet reader', () => {
  it('numbers layers as Darknet does and resolves route and shortcut indices', () => {
    const { graph } = read(
      cfg(`[convolutional]
size=3
stride=1
pad=1
[convolutional]
size=3
stride=1
pad=1
[shortcut]
from=-2
[route]
layers=-1,0
[route]
layers=1`),
    );
    const byId = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
    assert.deepEqual(byId['2']!.inputs, ['1', '0'], 'shortcut: previous layer and from=-2');
    assert.deepEqual(byId['3']!.inputs, ['2', '0'], 'route: relative -1 and absolute 0');
    assert.deepEqual(byId['4']!.inputs, ['1']);
    assert.equal(byId['0']!.inputs[0], 'input');
    assert.deepEqual(graph.statedInput, [32, 32]);
  });

  it('an unusable or half-stated [net] size is reported on its line; the default size is used', () => {
    const zero = run(cfg('[convolutional]\nsize=3\n', 'width=0\nheight=32'));
    assert.deepEqual(zero.input, { shape: [224, 224], source: 'default' });
    const f = zero.findings.find((x) => x.code === 'RFL100')!;
    assert.equal(f.range!.start.line, 1);
    assert.match(f.message, /^width=0 is not a usable input size; Darknet stops on this/);
    const half = run(cfg('[convolutional]\nsize=3\n', 'channels=3\nheight=32'));
    assert.match(half.findings.find((x) => x.code === 'RFL100')!.message, /^\[net\] states height but not width/);
    assert.equal(half.findings.find((x) => x.code === 'RFL100')!.range!.start.line, 2);
    assert.ok(!run(cfg('[convolutional]\nsize=3\n')).findings.some((x) => x.code === 'RFL100'));
  });

  it('reports a reference to a later or missing layer on its line and keeps going', () => {
    const text = cfg(`[convolutional]
size=1
[route]
layers=5`);
    const r = run(text);
    const f = r.findings.find((x) => x.code === 'RFL100')!;
    assert.match(f.message, /layers=5 refers to layer 5/);
    assert.equal(f.range!.start.line, 8, 'the layers= line');
    assert.ok(r.layers.find((l) => l.id === '0')!.rf);
  });

  it('convolution: pad=1 means size/2; padding= is used only without pad', () => {
    const r = run(
      cfg(`[convolutional]
size=5
stride=1
pad=1
[convolutional]
size=3
stride=2
padding=0
[convolutional]
size=3
stride=1
pad=0
padding=1`),
    );
    // 32 -> 32 (pad 2); (32-3)/2+1 = 15; (15+2-3)+1 = 15
    assert.deepEqual(sizes(r), { input: [32, 32], 0: [32, 32], 1: [15, 15], 2: [15, 15] });
  });

  it('maxpool default padding is size-1, floor(P/2) before: size=2 stride=2 halves, size=2 stride=1 keeps the size', () => {
    const r = run(
      cfg(`[maxpool]
size=2
stride=2
[maxpool]
size=2
stride=1
[maxpool]
size=3
stride=2`),
    );
    // 32 -> (32+1-2)/2+1 = 16; 16 -> (16+1-2)/1+1 = 16; 16 -> (16+2-3)/2+1 = 8
    assert.deepEqual(sizes(r), { input: [32, 32], 0: [16, 16], 1: [16, 16], 2: [8, 8] });
    const g = engine(r).geometry.byId.get('1')!;
    assert.deepEqual([g.padBefore, g.padAfter], [
      [0, 0],
      [1, 1],
    ]);
    assert.ok(r.findings.some((f) => f.code === 'RFL005' && f.layer === '1'), 'size=2 stride=1 is lopsided');
    assert.ok(!r.findings.some((f) => f.code === 'RFL005' && f.layer === '0'), 'stride 2 on an even map never reads the padding');
  });

  it('AlexeyAB dilation pads padding*dilation', () => {
    const { graph } = read(
      cfg(`[convolutional]
size=3
stride=1
pad=1
dilation=2`),
    );
    const spec = graph.nodes[1]!.spec;
    assert.equal(spec.op, 'conv');
    if (spec.op === 'conv') {
      assert.deepEqual(spec.sliding.dilation, [2, 2]);
      assert.deepEqual(spec.sliding.padding, { kind: 'explicit', before: [2, 2], after: [2, 2] });
    }
    assert.equal(graph.dialect, 'alexeyab');
  });

  it('upsample copies, a negative stride sums blocks, avgpool keeps a 1x1 map, connected has none', () => {
    const r = run(
      cfg(`[upsample]
stride=2
[upsample]
stride=-4
[avgpool]
[connected]
output=10`),
    );
    assert.deepEqual(sizes(r), { input: [32, 32], 0: [64, 64], 1: [16, 16], 2: [1, 1], 3: null });
    assert.deepEqual(
      r.layers.map((l) => l.rf!.global ?? false),
      [false, false, false, true, true],
    );
  });

  it('crop keeps a centred crop_width x crop_height at test time', () => {
    const r = run(
      cfg(
        `[crop]
crop_height=24
crop_width=20`,
      ),
    );
    assert.deepEqual(sizes(r)['0'], [24, 20]);
    // crop_layer.c: dh = (32-24)/2 = 4, dw = (32-20)/2 = 6
    const field = r.layers.find((l) => l.id === '0')!.rf!;
    assert.deepEqual(field.start, [4, 6]);
  });

  it('yolo, region and detection layers are the outputs; otherwise the last layer', () => {
    const det = read(
      cfg(`[convolutional]
size=1
[yolo]
[convolutional]
size=1
[region]`),
    ).graph;
    assert.deepEqual(det.outputs, ['1', '3']);
    const cls = read(cfg(`[convolutional]\nsize=1\n[softmax]`)).graph;
    assert.deepEqual(cls.outputs, ['1']);
  });

  it('an unknown section is an RFL100 on its header and is treated as the identity', () => {
    const r = run(
      cfg(`[convolutional]
size=3
pad=1
[fancy_layer]
x=1
[convolutional]
size=3
pad=1`),
    );
    const f = r.findings.find((x) => x.code === 'RFL100')!;
    assert.equal(f.range!.start.line, 8, 'the [fancy_layer] header');
    assert.equal(f.layer, '1');
    assert.deepEqual(r.layers.find((l) => l.id === '2')!.rf!.size, [5, 5]);
  });

  it('a value that is not a number is reported, read as atoi does', () => {
    const { messages, graph } = read(cfg(`[convolutional]\nsize=3x\nstride=1`));
    assert.ok(messages.some((m) => m.includes('size=3x is not an integer; Darknet reads it as 3')));
    const spec = graph.nodes[1]!.spec;
    assert.ok(spec.op === 'conv' && spec.sliding.kernel[0] === 3);
  });

  it('scale_channels and sam multiply the feature map by a gate', () => {
    const { graph } = read(
      cfg(`[convolutional]
size=3
pad=1
[avgpool]
[convolutional]
size=1
[scale_channels]
from=-3`),
    );
    const node = graph.nodes.find((n) => n.id === '3')!;
    assert.equal(node.spec.op, 'mul');
    assert.deepEqual(node.inputs, ['2', '0']);
    const a = new ModelAnalysis(graph, [16, 16]);
    // the gate sees every pixel: every unit covers the whole input
    assert.ok(a.coverage(['3']).every((c) => c === 256));
  });
});

describe('Darknet details checked against the C sources', () => {
  it('local layers count outputs as local_layer.c does: (n-1)/stride+1 with any padding', () => {
    // size=5 pad=1 on 32: Darknet gives 32 (not (32+2-5)+1 = 30); without pad: (32-5)/2+1 = 14
    const r = run(cfg(`[local]\nsize=5\nstride=1\npad=1\n[local]\nsize=5\nstride=2\npad=0`));
    assert.deepEqual([sizes(r)['0'], sizes(r)['1']], [
      [32, 32],
      [14, 14],
    ]);
  });

  it('window counts use C division: a 2x2 pool on a 1x1 map gives one output', () => {
    const r = run(cfg(`[maxpool]\nsize=2\nstride=2\npadding=0`, 'width=1\nheight=1'));
    assert.deepEqual(sizes(r)['0'], [1, 1]);
  });

  it("pjreddie's shortcut reads only the first from=", () => {
    const body = `[convolutional]\nsize=1\n[convolutional]\nsize=1\n[convolutional]\nsize=1\n[shortcut]\nfrom=-2,-3`;
    const { graph, messages } = read(cfg(body), 'pjreddie');
    assert.deepEqual(graph.nodes.find((n) => n.id === '3')!.inputs, ['2', '1']);
    assert.ok(messages.some((m) => /reads only the first layer of from=-2,-3/.test(m)));
    const alexey = read(cfg(body), 'alexeyab').graph;
    assert.deepEqual(alexey.nodes.find((n) => n.id === '3')!.inputs, ['2', '1', '0']);
  });

  it("AlexeyAB's shortcut between sizes is reported (it adds by memory index)", () => {
    const r = analyze(
      { fileName: 't.cfg', text: cfg(`[convolutional]\nsize=3\npad=1\n[convolutional]\nsize=3\nstride=2\npad=1\n[shortcut]\nfrom=-2\nweights_type=none`) },
      {},
    );
    assert.ok(r.findings.some((f) => f.code === 'RFL100' && /memory index/.test(f.message)));
  });

  it('section names are matched exactly; a wrong case is reported and read anyway', () => {
    const r = run(cfg(`[Convolutional]\nsize=3\npad=1`));
    const f = r.findings.find((x) => x.code === 'RFL100')!;
    assert.match(f.message, /would stop at \[Convolutional\]/);
    assert.deepEqual(r.layers.find((l) => l.id === '0')!.rf!.size, [3, 3]);
  });
});

describe('Darknet reorg and shortcut follow the literal C code', () => {
  /** The engine's map against the reference, whose reorg and shortcut are line-by-line ports of blas.c. */
  function agree(graph: ModelGraph, input: number[], target: string) {
    const shapes = refShapes(graph, input);
    const n = input[0]! * input[1]!;
    const a = new ModelAnalysis(graph, input);
    const map = a.pathMap([target]);
    const cov = a.coverage([target]);
    for (let p = 0; p < n; p++) {
      const x = new Float64Array(n);
      x[p] = 1;
      const v = forward(graph, shapes, x).get(target)!;
      let sum = 0;
      let units = 0;
      for (const y of v) {
        sum += y;
        if (y > 1e-12) units++;
      }
      assert.ok(Math.abs(map.values[p]! * 2 ** map.log2Scale - sum) < 1e-9 * Math.max(1, sum), `paths at ${p}`);
      assert.equal(cov[p], units, `coverage at ${p}`);
    }
  }

  it("pjreddie's reorg on YOLOv2's 38x38 map (rows gathered from across the map)", () => {
    const { graph } = read(cfg(`[reorg]\nstride=2\n[convolutional]\nsize=3\npad=1`, 'width=38\nheight=38'), 'pjreddie');
    assert.equal(graph.nodes[1]!.spec.op, 'spaceToDepth');
    agree(graph, [38, 38], '1');
  });

  it("AlexeyAB's [reorg] is REORG_OLD: the same gather as pjreddie's", () => {
    const { graph } = read(cfg(`[reorg]\nstride=2\n[convolutional]\nsize=3\npad=1`, 'width=8\nheight=12'), 'alexeyab');
    const spec = graph.nodes[1]!.spec;
    assert.ok(spec.op === 'spaceToDepth' && spec.layout === 'darknet-reorg');
    agree(graph, [12, 8], '1');
  });

  it("AlexeyAB's [reorg3d] calls reorg_cpu with the output's dimensions: a clean space-to-depth", () => {
    const { graph } = read(cfg(`[reorg3d]\nstride=2\n[convolutional]\nsize=3\npad=1`, 'width=8\nheight=12'));
    const spec = graph.nodes[1]!.spec;
    assert.ok(spec.op === 'spaceToDepth' && spec.layout === 'darknet-reorg3d');
    agree(graph, [12, 8], '1');
  });

  it('pjreddie reorg on a non-square map', () => {
    const { graph } = read(cfg(`[reorg]\nstride=2`, 'width=12\nheight=20'), 'pjreddie');
    agree(graph, [20, 12], '0');
  });

  it('a shortcut from a larger map samples every second pixel (pjreddie ResNet)', () => {
    const { graph } = read(
      cfg(
        `[convolutional]
size=3
stride=1
pad=1
[convolutional]
size=3
stride=2
pad=1
[shortcut]
from=-2`,
        'width=12\nheight=12',
      ),
    );
    agree(graph, [12, 12], '2');
  });

  it("pjreddie's reorg maps agree with reorg_cpu where rows wrap (odd h/2) and where they do not (even h/2)", () => {
    for (const [h, w] of [
      [26, 26],
      [52, 8],
      [4, 4],
      [2, 2],
      [6, 2],
    ] as const) {
      const { graph } = read(cfg(`[reorg]\nstride=2\n[convolutional]\nsize=3\npad=1`, `width=${w}\nheight=${h}`), 'pjreddie');
      agree(graph, [h, w], '1');
    }
  });

  it('a reorg on a size the stride does not divide is reported', () => {
    const r = run(cfg(`[reorg]\nstride=2`, 'width=13\nheight=13'));
    assert.ok(r.findings.some((f) => f.code === 'RFL100' && /divisible/.test(f.message)));
  });
});

describe("pjreddie's [reorg] rows, simulated with reorg_cpu at several sizes", () => {
  /** blas.c reorg_cpu, one batch, line by line. */
  function reorgCpu(x: Float64Array, w: number, h: number, c: number, stride: number, forward: boolean, out: Float64Array): void {
    const outC = Math.trunc(c / (stride * stride));
    for (let k = 0; k < c; ++k) {
      for (let j = 0; j < h; ++j) {
        for (let i = 0; i < w; ++i) {
          const inIndex = i + w * (j + h * k);
          const c2 = k % outC;
          const offset = Math.trunc(k / outC);
          const w2 = i * stride + (offset % stride);
          const h2 = j * stride + Math.trunc(offset / stride);
          const outIndex = w2 + w * stride * (h2 + h * stride * c2);
          if (forward) out[outIndex] = x[inIndex]!;
          else out[inIndex] = x[outIndex]!;
        }
      }
    }
  }

  /** Per output row, how often reorg_layer's forward (reorg_cpu(input, w, h, c, ..., 0, output)) reads each input row. */
  function readsPerRow(h: number, w: number, s: number, c: number): Array<Map<number, number>> {
    const x = new Float64Array(w * h * c);
    for (let i = 0; i < x.length; i++) x[i] = i; // every element holds its own index
    const out = new Float64Array(x.length);
    reorgCpu(x, w, h, c, s, false, out);
    const oh = h / s;
    const ow = w / s;
    const rows = Array.from({ length: oh }, () => new Map<number, number>());
    for (let e = 0; e < out.length; e++) {
      const p = e % (ow * oh);
      const [Y, X] = [Math.floor(p / ow), p % ow];
      const v = out[e]! % (w * h);
      const [y, xx] = [Math.floor(v / w), v % w];
      assert.ok(xx >= s * X && xx < s * X + s, `columns stay in their block (${xx} for output column ${X})`);
      rows[Y]!.set(y, (rows[Y]!.get(y) ?? 0) + 1);
    }
    return rows;
  }

  function taps(rule: PjreddieReorgRule, o: number, view: 'real' | 'virtual'): Map<number, number> {
    const sink = new TapSink();
    rule[view](o, sink);
    const m = new Map<number, number>();
    for (let t = 0; t < sink.length; t++) m.set(sink.idx[t]!, (m.get(sink.idx[t]!) ?? 0) + sink.w[t]!);
    return m;
  }

  const mod = (a: number, n: number) => ((a % n) + n) % n;
  const cases: Array<[s: number, heights: number[]]> = [
    [2, [2, 4, 6, 8, 12, 26, 38, 52, 76]],
    [3, [3, 6, 9, 12, 18, 27, 36]],
  ];
  for (const [s, heights] of cases) {
    for (const h of heights) {
      const oh = h / s;
      it(`stride ${s}, height ${h} (h/s = ${oh}, ${oh % 2 ? 'odd' : 'even'})`, () => {
        const rule = new PjreddieReorgRule(h, oh, s);
        for (const [w, c] of [
          [s, s * s],
          [3 * s, 2 * s * s],
        ]) {
          const reads = readsPerRow(h, w, s, c);
          for (let Y = 0; Y < oh; Y++) {
            // real: the rows reorg_cpu reads, in proportion to how often; s rows' worth in all (a clean block reads s rows)
            const real = taps(rule, Y, 'real');
            const total = [...reads[Y]!.values()].reduce((a, b) => a + b, 0);
            assert.deepEqual([...real.keys()].sort((a, b) => a - b), [...reads[Y]!.keys()].sort((a, b) => a - b), `rows of ${Y}`);
            for (const [y, n] of reads[Y]!) assert.ok(Math.abs(real.get(y)! - (s * n) / total) < 1e-12, `weight of row ${y} in ${Y}`);
          }
        }
        const lo = (Y: number) => s * Y - (s - 1) * (s - 1);
        const hi = (Y: number) => s * Y + s * (s - 1);
        const reads = readsPerRow(h, s, s, s * s);
        for (let Y = 0; Y < oh; Y++) {
          const virt = taps(rule, Y, 'virtual');
          const real = taps(rule, Y, 'real');
          // virtual: the same reads, each at a row congruent modulo h, all around the output's own block
          const folded = new Map<number, number>();
          for (const [y, wt] of virt) {
            assert.ok(y >= lo(Y) && y <= hi(Y), `unwrapped row ${y} of ${Y} lies in ${lo(Y)}..${hi(Y)}`);
            folded.set(mod(y, h), (folded.get(mod(y, h)) ?? 0) + wt);
          }
          assert.deepEqual([...folded.entries()].sort((a, b) => a[0] - b[0]), [...real.entries()].sort((a, b) => a[0] - b[0]), `folded ${Y}`);
          // where that window is shorter than the map, the row is the only one congruent to the read in it
          if (hi(0) - lo(0) + 1 <= h) {
            for (const y of reads[Y]!.keys()) {
              const reps = [];
              for (let u = lo(Y); u <= hi(Y); u++) if (mod(u, h) === y) reps.push(u);
              assert.equal(reps.length, 1);
              assert.ok(virt.has(reps[0]!), `read of row ${y} by ${Y} at ${reps[0]}`);
            }
          }
        }
        // the rule repeats every gcd(s, h/s) outputs, also on virtual units beyond the map
        const g = gcd(s, oh);
        assert.deepEqual([rule.periodOut, rule.periodIn], [g, s * g]);
        for (let Y = -2 * oh; Y < 2 * oh; Y++) {
          const a = [...taps(rule, Y, 'virtual').entries()].map(([y, wt]) => [y + s * g, wt]);
          assert.deepEqual([...taps(rule, Y + g, 'virtual').entries()], a, `period at ${Y}`);
        }
        if (s === 2) {
          const want = (Y: number) => (oh % 2 ? [2 * Y - 1, 2 * Y, 2 * Y + 1, 2 * Y + 2] : Y % 2 ? [2 * Y - 1, 2 * Y + 1] : [2 * Y, 2 * Y + 2]);
          for (let Y = 0; Y < oh; Y++) assert.deepEqual([...taps(rule, Y, 'virtual').keys()], want(Y), `rows of ${Y}`);
          // with h/2 odd the first output row reads the last input row (a wrap), with h/2 even no read wraps
          const wraps = taps(rule, 0, 'real').has(h - 1) && h > 2;
          assert.equal(wraps, oh % 2 === 1 && h > 2);
        }
      });
    }
  }

  it('the fields of a reorg on 38 (h/2 odd) and on 52 (h/2 even), by hand', () => {
    const field = (h: number) => run(cfg(`[reorg]\nstride=2`, `width=8\nheight=${h}`), undefined).layers.find((l) => l.id === '0')!.rf!;
    // 38: output row Y reads rows 2Y-1 .. 2Y+2: 4 rows centred on 2Y+0.5, as a clean 2-row block is
    assert.deepEqual([field(38).size, field(38).jump, field(38).start], [[4, 2], [2, 2], [0.5, 0.5]]);
    // 52: the centre unit 12 reads rows 24 and 26 (3 wide); unit 0 rows 0, 2 (centre 1); the last unit 25 rows 49, 51 (centre 50)
    assert.deepEqual([field(52).size, field(52).jump, field(52).start], [[3, 2], [49 / 25, 2], [1, 0.5]]);
  });
});
