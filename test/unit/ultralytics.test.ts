/**
 * The Ultralytics YOLO .yaml reader: fixtures written for the project with
 * hand-derived fields (the derivations are in the fixtures' comments),
 * parse_model's rules (repeats, scales, string arguments), findings on the
 * row that causes them, conformance over the shared corpus and fuzzing.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { analyze, type AnalysisReport, type AnalyzeOptions } from '../../src/core';
import { pyRound, readUltralytics, ultralyticsReader } from '../../src/core/formats/ultralytics/reader';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'ultralytics');
const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'ultralytics');

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

function run(name: string, text: string, options: AnalyzeOptions = {}): AnalysisReport {
  return analyze({ fileName: name, text }, { findings: 'none', ...options });
}

function layer(r: AnalysisReport, id: string) {
  const l = r.layers.find((x) => x.id === id);
  assert.ok(l, `layer ${id} exists`);
  return l!;
}

const sizes = (r: AnalysisReport, ids: string[]) => ids.map((id) => layer(r, id).rf!.size[0]);

describe('Ultralytics reader: hand-derived fields', () => {
  const backbone = fixture('yolov8-backbone.yaml');

  it('YOLOv8n-style backbone: P3, P4, P5 fields 95, 239, 783 (jumps 8, 16, 32), heads 127, 303, 911', () => {
    const r = run('yolov8-backbone.yaml', backbone);
    assert.equal(r.format, 'ultralytics');
    assert.deepEqual(sizes(r, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']), [3, 7, 23, 31, 95, 111, 239, 271, 399, 783]);
    assert.deepEqual(['4', '6', '9'].map((id) => layer(r, id).rf!.jump[0]), [8, 16, 32]);
    assert.deepEqual(['4', '6', '9'].map((id) => layer(r, id).rf!.start), [[0, 0], [0, 0], [0, 0]]);
    assert.deepEqual(r.outputs, ['10.0', '10.1', '10.2']);
    assert.deepEqual(sizes(r, r.outputs), [127, 303, 911]);
    assert.deepEqual(r.outputs.map((id) => layer(r, id).output), [[80, 80], [40, 40], [20, 20]]);
  });

  it('scales are models named like Ultralytics (yolov8n-backbone, ...); the first is the default; scale l repeats as written', () => {
    const r = run('yolov8-backbone.yaml', backbone);
    assert.deepEqual(r.models, ['yolov8n-backbone', 'yolov8s-backbone', 'yolov8l-backbone']);
    assert.equal(r.model, 'yolov8n-backbone');
    const l = run('yolov8-backbone.yaml', backbone, { model: 'yolov8l-backbone' });
    assert.deepEqual(sizes(l, ['2', '3', '4', '5', '6', '7', '8', '9']), [55, 63, 255, 271, 655, 687, 1071, 1455]);
    const s = run('yolov8-backbone.yaml', backbone, { model: 'yolov8s-backbone' });
    assert.deepEqual(sizes(s, ['9']), [783], 'width does not change the field');
  });

  it('block internals carry Ultralytics attribute names; the row node is the block output', () => {
    const r = run('yolov8-backbone.yaml', backbone);
    const ids = r.layers.map((l) => l.id);
    for (const id of ['2.cv1', '2.m.0.cv1', '2.m.0.cv2', '2.m.0', '4.m.1.cv2', '9.cv1', '9.m', '9.m@2', '9.m@3', '10.cv2.0.0', '10.cv3.2.2']) assert.ok(ids.includes(id), id);
    assert.equal(layer(r, '2').type, 'C2f');
    assert.equal(layer(r, '2').name, 'C2f 2 (cv2)');
    assert.equal(layer(r, '2.m.0').op, 'add', 'C2f(shortcut=True) bottlenecks add their input');
    assert.deepEqual(layer(r, '9.m').params, 'max k5 s1 p2');
    assert.deepEqual(layer(r, '2').inputs, ['2.cat']);
    assert.deepEqual(layer(r, '2.cv1').inputs, ['1']);
    // every layer of a row points at the row's line
    assert.equal(layer(r, '2.m.0.cv1').line, layer(r, '2').line);
    assert.equal(layer(r, '0').line, backbone.split('\n').findIndex((l) => l.includes('# 0-P1/2')) + 1);
  });

  it('Focus, ZeroPad2d, MaxPool2d, SPP and C3 (depth 0.67) give the fields of the derivation; an unknown module is an RFL100 on its name', () => {
    const r = run('mixed-modules.yaml', fixture('mixed-modules.yaml'), { input: 64 });
    assert.deepEqual(sizes(r, ['0', '1', '2', '3', '4', '5']), [6, 6, 8, 12, 60, 68]);
    assert.deepEqual(['0', '1', '2', '3'].map((id) => layer(r, id).rf!.start[0]), [0.5, 0.5, 1.5, 1.5]);
    assert.deepEqual(['0', '1', '2', '3', '4', '5', '6', '7'].map((id) => layer(r, id).output![0]), [32, 33, 32, 16, 16, 16, 32, 32]);
    assert.equal(layer(r, '0.space_to_depth').op, 'spaceToDepth');
    assert.equal(r.layers.filter((l) => l.id.startsWith('5.m.')).filter((l) => l.op === 'conv').length, 2, 'one bottleneck: round(2*0.67) = 1');
    assert.ok(!r.layers.some((l) => l.id === '5.m.0'), 'C3(shortcut=False): no add');
    const f = r.findings.filter((x) => x.code === 'RFL100');
    assert.equal(f.length, 1);
    assert.equal(f[0]!.layer, '8');
    assert.match(f[0]!.message, /FancyBlock/);
    assert.equal(f[0]!.range!.start.line, fixture('mixed-modules.yaml').split('\n').findIndex((l) => l.includes('FancyBlock, [64]')));
    assert.deepEqual(r.outputs, ['9.0', '9.1']);
    assert.deepEqual(r.outputs.map((id) => layer(r, id).output), [[32, 32], [16, 16]]);
  });

  it('C3k2 becomes C3k blocks at scales m/l/x (parse_model forces c3k); C2PSA mixes positions globally', () => {
    const text = fixture('attention.yaml');
    const n = run('attention.yaml', text);
    const m = run('attention.yaml', text, { model: 'attention-m' });
    assert.deepEqual(n.models, ['attention-n', 'attention-m']);
    assert.deepEqual(sizes(n, ['2', '3']), [23, 31]);
    assert.deepEqual(sizes(m, ['2', '3']), [39, 47]);
    assert.ok(m.layers.some((l) => l.id === '2.m.0.m.1.cv2'), 'C3k holds two bottlenecks');
    const pool = layer(n, '4.m.0.attn.attend.pool');
    assert.equal(pool.op, 'globalPool');
    const mix = layer(n, '4.m.0.attn.attend');
    assert.equal(mix.op, 'mul');
    assert.deepEqual(mix.inputs, ['4.m.0.attn.qkv', '4.m.0.attn.attend.pool']);
    assert.equal(layer(n, '4.m.0.attn.pe').params, 'k3 s1 p1');
    assert.equal(n.findings.filter((f) => f.code === 'RFL100').length, 0);
  });

  it('every block of the library: the fields of the module-zoo derivation', () => {
    const r = run('module-zoo.yaml', fixture('module-zoo.yaml'), { input: 64 });
    assert.deepEqual(r.findings.filter((f) => f.code === 'RFL100').map((f) => f.message), []);
    const ids = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '14'];
    assert.deepEqual(sizes(r, ids), [11, 7, 11, 7, 7, 27, 11, 9, 9, 23, 19, 15]);
    assert.deepEqual(layer(r, '4.m.0.cv1').params, 'k1x3 s1 p0x1', 'C3x: a (1, 3) kernel pads (0, 1)');
    assert.deepEqual(layer(r, '8').output, [16, 16]);
    assert.deepEqual(layer(r, '12').output, [64, 64]);
    assert.equal(layer(r, '13.m.tr.0.ma.pool').op, 'globalPool');
    assert.deepEqual(r.outputs, ['15.0', '15.1', '16.0', '16.1', '17.0', '17.1', '17.proto.cv3', '18.0']);
    // heads add two 3x3 convs per scale: 11 + 8 (j 2), 9 + 16 (j 4)
    assert.deepEqual(sizes(r, ['15.0', '15.1', '16.0', '18.0']), [19, 25, 15, 19]);
    assert.deepEqual(layer(r, '17.proto.cv3').output, [64, 64], 'the mask prototypes are upsampled 2x');
  });

  it('RT-DETR-style rows: HGStem, HGBlock (n after k), DWConv, AIFI, ResNetLayer, RTDETRDecoder', () => {
    const r = run('rtdetr-style.yaml', fixture('rtdetr-style.yaml'), { input: 64 });
    assert.deepEqual(r.findings.filter((f) => f.code === 'RFL100').map((f) => f.message), []);
    assert.deepEqual(sizes(r, ['0', '1', '2', '3', '5']), [11, 59, 67, 99, 147]);
    assert.deepEqual(['0', '2', '5'].map((id) => layer(r, id).rf!.start[0]), [2, 2, 2]);
    assert.deepEqual(['0', '2', '5'].map((id) => layer(r, id).output![0]), [16, 8, 4]);
    assert.equal(r.layers.filter((l) => /^1\.m\.\d$/.test(l.id)).length, 6);
    assert.equal(layer(r, '4.ma.pool').op, 'globalPool');
    assert.deepEqual(r.outputs, ['6.0', '6.1']);
    assert.equal(layer(r, '6.0.pool').op, 'globalPool', "the decoder's deformable attention reads the whole map");
  });

  it('Python round() halves to even, as parse_model scales repeats', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 0.99, 1.98, 2.97, 3.5].map(pyRound), [0, 2, 2, 1, 2, 3, 4]);
  });
});

describe('Ultralytics reader: rules and findings', () => {
  const head = (rows: string) => `nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n${rows}\nhead:\n  - [-1, 1, Conv, [16, 1, 1]]\n`;

  it('default input 640 (224 for classifiers); --input and the default setting override it', () => {
    const text = head('');
    assert.deepEqual(run('m.yaml', text).input, { shape: [640, 640], source: 'default' });
    assert.deepEqual(run('m.yaml', text, { input: 320 }).input, { shape: [320, 320], source: 'option' });
    assert.deepEqual(run('m.yaml', text, { defaultInput: 256 }).input, { shape: [256, 256], source: 'default' });
    const cls = 'nc: 10\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [-1, 1, Classify, [nc]]\n';
    const r = run('c.yaml', cls);
    assert.deepEqual(r.input!.shape, [224, 224]);
    assert.equal(layer(r, '1').op, 'dense');
    assert.equal(layer(r, '1.pool').op, 'globalPool');
  });

  it('from: -1, negative, absolute and lists; a row that is not earlier is an RFL100 on its from', () => {
    const text = head('  - [-1, 1, Conv, [16, 3, 1]]\n  - [[-1, 0], 1, Concat, [1]]\n  - [5, 1, Conv, [16, 3, 1]]');
    const r = run('m.yaml', text);
    assert.deepEqual(layer(r, '2').inputs, ['1', '0']);
    const f = r.findings.find((x) => x.code === 'RFL100')!;
    assert.equal(f.layer, '3');
    assert.match(f.message, /from 5 refers to row 5/);
    assert.equal(f.range!.start.line, 5);
    assert.equal(f.range!.start.character, 5);
    assert.deepEqual(layer(r, '3').inputs, ['2'], 'falls back to the previous row');
  });

  it('a YAML syntax error is a finding with its place; text without backbone/head is refused with a finding', () => {
    const r = run('m.yaml', 'backbone:\n  - [-1, 1, Conv, [16, 3, 2]\nhead:\n  - [-1, 1, Conv, [16, 1, 1]]\n');
    assert.ok(r.findings.some((f) => f.code === 'RFL100' && /YAML/.test(f.message) && f.range));
    const none = readUltralytics({ fileName: 'x.yaml', text: 'name: not a model\n' });
    assert.equal(none.models.length, 0);
    assert.ok(none.findings.some((f) => /no backbone/.test(f.message)));
    assert.equal(ultralyticsReader.match({ fileName: 'x.yaml', text: 'name: x\n' }), false);
    assert.equal(ultralyticsReader.match({ fileName: 'x.yaml', text: fixture('attention.yaml') }), true);
  });

  it('repeats of a module parse_model does not fold in become an nn.Sequential of copies (2.0, 2.1)', () => {
    const r = run('m.yaml', 'depth_multiple: 0.33\n' + head('  - [-1, 6, Conv, [16, 3, 1]]'));
    assert.deepEqual(r.layers.filter((l) => l.id.startsWith('1')).map((l) => l.id), ['1.0', '1']);
    assert.equal(layer(r, '1').rf!.size[0], 3 + 2 * 2 + 2 * 2);
  });

  it('huge repeats are capped with a finding; nested aliases do not blow up', () => {
    const r = run('m.yaml', head('  - [-1, 60000, C2f, [16, True]]'));
    assert.ok(r.findings.some((f) => f.code === 'RFL100' && f.layer === '1' && /256/.test(f.message)));
    assert.equal(r.layers.filter((l) => /^1\.m\.\d+$/.test(l.id)).length, 256);
    let bomb = 'a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n';
    for (let i = 1; i < 12; i++) bomb += `a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]\n`;
    const t0 = Date.now();
    const b = run('bomb.yaml', `${bomb}backbone:\n  - [-1, 1, Conv, *a11]\nhead:\n  - [-1, 1, Conv, [8, 1, 1]]\n`);
    assert.ok(Date.now() - t0 < 5000);
    assert.ok(b.layers.length >= 2);
  });

  it('a file named with its scale (yolov10n.yaml) keeps that scale first and its name', () => {
    const text = 'nc: 1\nscales:\n  s: [0.33, 0.5, 1024]\n  n: [0.33, 0.25, 1024]\n' + head('').slice('nc: 2\n'.length);
    const r = readUltralytics({ fileName: 'dir/yolov10n.yaml', text });
    assert.deepEqual(r.models.map((m) => m.name), ['yolov10n', 'yolov10s']);
  });

  it('a Bottleneck row: 3x3/3x3 in the package, 1x1/3x3 in the YOLOv5 repository; it adds its input when the channels match', () => {
    const rows = 'backbone:\n  - [-1, 1, Conv, [32, 3, 2]]\n  - [-1, 1, Bottleneck, [32]]\n  - [-1, 1, Bottleneck, [64]]\nhead:\n  - [-1, 1, Conv, [8, 1, 1]]\n';
    const pkg = run('b.yaml', `nc: 1\n${rows}`);
    assert.deepEqual(sizes(pkg, ['1', '2']), [3 + 8, 3 + 16]);
    assert.equal(layer(pkg, '1').op, 'add', 'c1 == c2: x + cv2(cv1(x))');
    assert.equal(layer(pkg, '2').op, 'conv', '32 -> 64 channels: no shortcut');
    const v5 = run('b.yaml', `nc: 1\nanchors:\n  - [10, 13]\n${rows}`);
    assert.deepEqual(sizes(v5, ['1', '2']), [3 + 4, 3 + 8]);
  });

  it('YOLOv5-repository files (anchors) have one 1x1 convolution per scale as the head', () => {
    const text = 'nc: 2\nanchors:\n  - [10, 13, 16, 30, 33, 23]\nbackbone:\n  [[-1, 1, Conv, [16, 6, 2, 2]], [-1, 1, Conv, [32, 3, 2]]]\nhead:\n  [[[0, 1], 1, Detect, [nc, anchors]]]\n';
    const r = run('v5.yaml', text);
    assert.equal(r.dialect, 'yolov5');
    assert.deepEqual(r.outputs, ['2.0', '2.1']);
    assert.deepEqual(sizes(r, ['0', '2.0', '2.1']), [6, 6, 10]);
    assert.equal(layer(r, '0').rf!.start[0], 0.5, 'k6 s2 p2: start (6-1)/2 - 2');
  });
});

function yamlRows(text: string): number {
  const d = parseYaml(text) as Record<string, unknown[]>;
  return (d.backbone?.length ?? 0) + (d.head?.length ?? 0);
}

/** RFL100 findings the corpus may produce, each with its reason. Empty: every module of every corpus file is modelled. */
const ALLOWED_UNRESOLVED: Record<string, string> = {};

const corpusFiles = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')).sort() : [];

(corpusFiles.length ? describe : describe.skip)('Ultralytics corpus conformance (../shared/corpus/ultralytics)', function () {
  this.timeout(300000);
  for (const f of corpusFiles) {
    it(`${f}: every scale reads, one row id per row, every layer has a shape and a field`, () => {
      const text = readFileSync(join(CORPUS, f), 'utf8');
      const first = run(f, text);
      assert.equal(first.format, 'ultralytics');
      for (const model of first.models) {
        const r = model === first.model ? first : run(f, text, { model });
        assert.equal(r.model, model);
        const unresolved = r.findings.filter((x) => x.code === 'RFL100' && !ALLOWED_UNRESOLVED[`${f}:${x.layer}`]);
        assert.deepEqual(unresolved.map((x) => x.message), [], model);
        const rowIds = new Set(r.layers.filter((l) => l.op !== 'input').map((l) => l.id.split('.')[0]));
        const n = yamlRows(text);
        assert.deepEqual([...rowIds].map(Number).sort((a, b) => a - b), [...Array(n).keys()], `${model}: rows 0..${n - 1}`);
        assert.ok(r.outputs.length >= 1);
        for (const l of r.layers) {
          assert.ok(l.rf && l.rf.size.every((s) => s >= 1), `${model} ${l.id} has a field`);
        }
      }
    });
  }

  it('yolov8.yaml (n): backbone P3/P4/P5 fields 95/239/783 at jumps 8/16/32, heads at 80, 40, 20', () => {
    const r = run('yolov8.yaml', readFileSync(join(CORPUS, 'yolov8.yaml'), 'utf8'));
    assert.deepEqual(sizes(r, ['4', '6', '9']), [95, 239, 783]);
    assert.deepEqual(['4', '6', '9'].map((id) => layer(r, id).rf!.jump[0]), [8, 16, 32]);
    assert.deepEqual(r.outputs.map((id) => layer(r, id).output), [[80, 80], [40, 40], [20, 20]]);
  });

  it('yolov5s6.yaml: four detection scales (P3-P6); yolov5s-seg.yaml: three scales and the mask prototypes at 160', () => {
    const r6 = run('yolov5s6.yaml', readFileSync(join(CORPUS, 'yolov5s6.yaml'), 'utf8'));
    assert.deepEqual(r6.outputs.map((id) => layer(r6, id).output![0]), [80, 40, 20, 10]);
    const seg = run('yolov5s-seg.yaml', readFileSync(join(CORPUS, 'yolov5s-seg.yaml'), 'utf8'));
    assert.deepEqual(seg.outputs.map((id) => layer(seg, id).output![0]), [80, 40, 20, 160]);
  });

  it('yolov3-tiny.yaml: ZeroPad2d then MaxPool2d(2, 1) keeps 20x20; heads at 40 and 20', () => {
    const r = run('yolov3-tiny.yaml', readFileSync(join(CORPUS, 'yolov3-tiny.yaml'), 'utf8'));
    assert.deepEqual(layer(r, '11').output, [21, 21]);
    assert.deepEqual(layer(r, '12').output, [20, 20]);
    assert.deepEqual(r.outputs.map((id) => layer(r, id).output![0]), [40, 20]);
  });

  it('yolov8-cls.yaml: the classifier reads 224 and ends in a dense layer', () => {
    const r = run('yolov8-cls.yaml', readFileSync(join(CORPUS, 'yolov8-cls.yaml'), 'utf8'));
    assert.deepEqual(r.input, { shape: [224, 224], source: 'default' });
    assert.equal(layer(r, r.outputs[0]!).op, 'dense');
  });
});

describe('Ultralytics reader: fuzzing', function () {
  this.timeout(300000);
  const seeds = [fixture('yolov8-backbone.yaml'), fixture('mixed-modules.yaml'), fixture('attention.yaml')];
  for (const f of ['yolov8.yaml', 'yolo11.yaml', 'yolov10n.yaml', 'yolov5s.yaml']) if (existsSync(join(CORPUS, f))) seeds.push(readFileSync(join(CORPUS, f), 'utf8'));
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('[', ']', ',', '-1', '99', '- [', '\n', ':', 'None', '&a', '*a', '"', '#', '0', '-7', '[[-1, 3], 1, Concat, [1]]')) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('digits' as const), at: fc.nat(), value: fc.integer({ min: -30, max: 40 }) }),
  );
  it('mutated model files never throw and never fail inside', () => {
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 5 }), (k, edits) => {
        let t = seeds[k]!;
        for (const e of edits) {
          const at = t.length ? e.at % t.length : 0;
          if (e.kind === 'delete') t = t.slice(0, at) + t.slice(at + e.len);
          else if (e.kind === 'insert') t = t.slice(0, at) + e.text + t.slice(at);
          else if (e.kind === 'truncate') t = t.slice(0, at);
          else {
            const re = /-?\d+/g;
            re.lastIndex = at;
            const m = re.exec(t);
            if (m) t = t.slice(0, m.index) + String(e.value) + t.slice(m.index + m[0].length);
          }
        }
        const r = analyze({ fileName: 'fuzz.yaml', text: t }, { input: 16 });
        assert.deepEqual(r.findings.filter((f) => f.message.startsWith('Internal error')).map((f) => f.message), []);
        for (const f of r.findings) if (f.range) assert.ok(f.range.start.line >= 0 && f.range.end.line >= f.range.start.line);
      }),
      { numRuns: Number(process.env.RFL_FUZZ_RUNS ?? 250), seed: Number(process.env.RFL_FC_SEED ?? 20261203) },
    );
  });

  it('random text never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (t) => {
        const r = analyze({ fileName: 'x.yaml', text: `backbone:\n${t}\nhead:\n${t}` }, { input: 16, findings: 'none' });
        assert.deepEqual(r.findings.filter((f) => f.message.startsWith('Internal error')).map((f) => f.message), []);
      }),
      { numRuns: Number(process.env.RFL_FUZZ_RUNS ?? 200), seed: Number(process.env.RFL_FC_SEED ?? 7) },
    );
  });
});

describe('Ultralytics on the command line', function () {
  this.timeout(120000);
  const CLI = join(ROOT, 'dist', 'cli.js');
  before(() => {
    if (!existsSync(CLI)) assert.equal(spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT }).status, 0);
  });

  it('analyze FILE --model NAME --input N', () => {
    const file = join(ROOT, 'examples', 'ultralytics', 'yolo-small.yaml');
    const r = spawnSync(process.execPath, [CLI, 'analyze', file, '--model', 'yolo-small-s', '--input', '320', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.format, 'ultralytics');
    assert.equal(j.model, 'yolo-small-s');
    assert.deepEqual(j.input.shape, [320, 320]);
    assert.deepEqual(j.outputs, ['14.0', '14.1']);
  });

  (corpusFiles.length ? it : it.skip)('analyze on every corpus file (yolov8.yaml with --model yolov8s at 640, the others at --input 320)', () => {
    for (const f of corpusFiles) {
      const args = f === 'yolov8.yaml' ? ['--model', 'yolov8s'] : ['--input', '320'];
      const r = spawnSync(process.execPath, [CLI, 'analyze', join(CORPUS, f), ...args, '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
      const j = JSON.parse(r.stdout);
      assert.equal(j.format, 'ultralytics', f);
      if (f === 'yolov8.yaml') assert.deepEqual([j.model, j.input.shape], ['yolov8s', [640, 640]]);
      else assert.deepEqual(j.input.shape, [320, 320], f);
    }
  });
});
