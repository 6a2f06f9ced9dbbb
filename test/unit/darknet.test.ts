import { strict as assert } from 'node:assert';
import { analyze, type AnalysisResult } from '../../src/core';
import { ModelAnalysis } from '../../src/core/analysis/session';
import { parseCfg } from '../../src/core/formats/darknet/cfg';
import { darknetReader } from '../../src/core/formats/darknet/reader';
import type { ModelGraph } from '../../src/core/graph/ir';
import { forward, refShapes } from '../support/reference';

function cfg(body: string, net = 'width=32\nheight=32\nchannels=3'): string {
  return `[net]\n${net}\n\n${body}`;
}

function read(text: string, dialect: 'auto' | 'pjreddie' | 'alexeyab' = 'auto'): { graph: ModelGraph; messages: string[] } {
  const r = darknetReader.read({ fileName: 'test.cfg', text }, { darknetDialect: dialect });
  return { graph: r.models[0]!, messages: r.findings.map((f) => f.message) };
}

function run(text: string, input?: number): AnalysisResult {
  return analyze({ fileName: 'test.cfg', text }, input ? { input } : {});
}

function sizes(r: AnalysisResult): Record<string, number[] | null> {
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
    const g = r.session!.geometry.byId.get('1')!;
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

  it('a reorg on a size the stride does not divide is reported', () => {
    const r = run(cfg(`[reorg]\nstride=2`, 'width=13\nheight=13'));
    assert.ok(r.findings.some((f) => f.code === 'RFL100' && /divisible/.test(f.message)));
  });
});
