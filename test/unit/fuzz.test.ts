/**
 * Fuzzing the readers and the engine: mutated real files, random bytes and
 * random but well-formed networks. Whatever comes in, analyze() returns a
 * result with findings; it never throws and never fails inside (an internal
 * error would surface as an "Internal error" finding).
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { analyze, openModel, readerFor, type ModelHandle } from '../../src/core';

const ROOT = join(__dirname, '..', '..');
const SEED = Number(process.env.RFL_FC_SEED ?? 424242);

/** Files to mutate; `own` marks those cheap enough to analyse at their own input size as well. */
function seeds(): Array<{ name: string; text: string; own: boolean }> {
  const out: Array<{ name: string; text: string; own: boolean }> = [];
  for (const dir of ['examples/darknet', 'examples/caffe']) {
    for (const f of readdirSync(join(ROOT, dir))) out.push({ name: f, text: readFileSync(join(ROOT, dir, f), 'utf8'), own: true });
  }
  const corpus = join(ROOT, '..', 'shared', 'corpus');
  for (const f of ['darknet/yolov3-tiny.cfg', 'darknet/yolov2.cfg', 'darknet/resnet18.cfg', 'caffe/lenet.prototxt', 'caffe/squeezenet_v1.1_deploy.prototxt', 'caffe/bvlc_alexnet_deploy_v1_layers.prototxt']) {
    if (existsSync(join(corpus, f))) out.push({ name: f.split('/')[1]!, text: readFileSync(join(corpus, f), 'utf8'), own: f.includes('lenet') });
  }
  return out;
}

function checkResult(model: ModelHandle, what: string): void {
  const r = model.report;
  const internal = r.findings.filter((f) => f.message.startsWith('Internal error'));
  assert.deepEqual(
    internal.map((f) => f.message),
    [],
    what,
  );
  for (const f of r.findings) {
    assert.ok(typeof f.message === 'string' && f.message.length > 0);
    if (f.range) assert.ok(f.range.start.line >= 0 && f.range.end.line >= f.range.start.line, `${what}: range`);
  }
  // Maps must be computable for whatever was analysed.
  if (r.model && r.outputs.length && r.input && r.input.shape.reduce((p, n) => p * n, 1) <= 4096) {
    model.map('outputs', 'paths');
    model.map('outputs', 'coverage');
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('{', '}', '[', ']', '=', '"', '\n', '-1', '0', '99999', '[route]\nlayers=-99\n', 'layer {', 'bottom: "x"', '\u0000', '\uFFFD', '#')) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('digits' as const), at: fc.nat(), value: fc.integer({ min: -5, max: 70000 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, ms: Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const at = t.length ? m.at % t.length : 0;
    switch (m.kind) {
      case 'delete':
        t = t.slice(0, at) + t.slice(at + m.len);
        break;
      case 'insert':
        t = t.slice(0, at) + m.text + t.slice(at);
        break;
      case 'duplicate':
        t = t.slice(0, at) + t.slice(at, at + m.len) + t.slice(at);
        break;
      case 'truncate':
        t = t.slice(0, at);
        break;
      case 'digits': {
        // replace the next number with another one (sizes, strides, paddings, indices)
        const re = /-?\d+/g;
        re.lastIndex = at;
        const found = re.exec(t);
        if (found) t = t.slice(0, found.index) + String(m.value) + t.slice(found.index + found[0].length);
        break;
      }
    }
  }
  return t;
}

describe('fuzzing the readers and the engine', function () {
  this.timeout(600000);
  const files = seeds();

  it('mutated model files never throw and never fail inside', () => {
    fc.assert(
      fc.property(fc.nat({ max: files.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 48 }), fc.boolean(), (k, ms, size, own) => {
        const { name, text } = files[k]!;
        const source = { fileName: name, text: mutate(text, ms) };
        // Small inputs keep the maps cheap. Small files are tried at their own (possibly mutated)
        // size too, unless a mutation made it large: that is work, not a hang, and not this test's subject.
        const stated = readerFor(source)?.read(source, { options: {} }).models[0]?.statedInput;
        const ownSize = own && files[k]!.own && stated && stated.reduce((p, n) => p * n, 1) <= 512 * 512;
        const r = openModel(source, ownSize ? {} : { input: size });
        checkResult(r, `${name} after ${JSON.stringify(ms)}`);
      }),
      { numRuns: 400, seed: SEED },
    );
  });

  it('random text in either format never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.constantFrom('x.cfg', 'x.prototxt', 'x.txt'), (text, name) => {
        checkResult(openModel({ fileName: name, text }), name);
      }),
      { numRuns: 300, seed: SEED + 1 },
    );
  });

  const darknetLayer = fc.oneof(
    fc.record({ t: fc.constant('convolutional'), size: fc.integer({ min: -1, max: 7 }), stride: fc.integer({ min: -1, max: 4 }), pad: fc.integer({ min: 0, max: 1 }), dilation: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ t: fc.constant('maxpool'), size: fc.integer({ min: 0, max: 5 }), stride: fc.integer({ min: 0, max: 4 }), padding: fc.integer({ min: -1, max: 4 }) }),
    fc.record({ t: fc.constant('route'), layers: fc.array(fc.integer({ min: -8, max: 8 }), { minLength: 1, maxLength: 3 }) }),
    fc.record({ t: fc.constant('shortcut'), from: fc.integer({ min: -8, max: 8 }) }),
    fc.record({ t: fc.constant('upsample'), stride: fc.integer({ min: -3, max: 3 }) }),
    fc.record({ t: fc.constant('reorg'), stride: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ t: fc.constant('crop'), crop_height: fc.integer({ min: 0, max: 40 }), crop_width: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ t: fc.constantFrom('avgpool', 'connected', 'dropout', 'softmax', 'yolo', 'local', 'scale_channels', 'sam', 'deconvolutional'), from: fc.integer({ min: -4, max: 2 }), size: fc.integer({ min: 1, max: 4 }), stride: fc.integer({ min: 1, max: 3 }) }),
  );

  it('random Darknet networks with arbitrary parameters never throw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.array(darknetLayer, { minLength: 1, maxLength: 12 }), (w, h, layers) => {
        const text = `[net]\nwidth=${w}\nheight=${h}\n\n${layers
          .map((l) => `[${l.t}]\n${Object.entries(l).filter(([k]) => k !== 't').map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join('\n')}\n`)
          .join('\n')}`;
        checkResult(openModel({ fileName: 'random.cfg', text }), text);
      }),
      { numRuns: 400, seed: SEED + 2 },
    );
  });

  it('a deep strided chain on a small input is refused in a moment, not followed for minutes', () => {
    // 24 stride-2 convolutions on 16 pixels: fields reach 2^24 pixels out (found by fuzzing the Ultralytics reader)
    const text = `[net]\nwidth=16\nheight=16\n${'[convolutional]\nsize=3\nstride=2\npad=1\n'.repeat(24)}`;
    const t0 = Date.now();
    const r = analyze({ fileName: 'deep.cfg', text });
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    assert.ok(r.findings.some((f) => f.code === 'RFL100' && /span more than/.test(f.message)), JSON.stringify(r.findings.map((f) => f.message)));
    assert.equal(r.layers.length, 25, 'the shapes are still shown');
  });

  it('huge sizes are refused with a finding, not computed', () => {
    const r = analyze({ fileName: 'big.cfg', text: '[net]\nwidth=100000000\nheight=100000000\n[convolutional]\nsize=3\npad=1\n' });
    assert.ok(r.findings.some((f) => f.code === 'RFL100'));
    const r2 = analyze({ fileName: 'big.cfg', text: '[net]\nwidth=4096\nheight=4096\n[convolutional]\nsize=3\npad=1\n' });
    assert.ok(r2.findings.some((f) => f.code === 'RFL100' && /no maps/.test(f.message)));
    assert.deepEqual(r2.layers[1]!.rf!.size, [3, 3]);
  });
});
