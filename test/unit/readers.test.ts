/**
 * The contract every format reader keeps, checked for each entry of READERS
 * on its examples (examples/<format>/): it claims its own files and no other
 * reader does, it never throws, and every range it reports lies inside the
 * text, also on truncated and corrupted copies.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { READERS, readerFor, type ModelReader, type ModelSource, type SourceRange } from '../../src/core';

const ROOT = join(__dirname, '..', '..');
const seed = process.env.RFL_FC_SEED ? Number(process.env.RFL_FC_SEED) : 20261203;

function examplesOf(reader: ModelReader): ModelSource[] {
  const dir = join(ROOT, 'examples', reader.format);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => reader.extensions.some((e) => f.toLowerCase().endsWith(e)))
    .sort()
    .map((f) => {
      const bytes = new Uint8Array(readFileSync(join(dir, f)));
      return reader.binary ? { fileName: f, bytes } : { fileName: f, text: Buffer.from(bytes).toString('utf8') };
    });
}

function lineLengths(source: ModelSource): number[] | null {
  if (source.text === undefined) return null;
  return source.text.split(/\r\n|\r|\n/).map((l) => l.length);
}

function assertInside(range: SourceRange | null | undefined, lines: number[] | null, what: string): void {
  if (!range || !lines) return;
  for (const p of [range.start, range.end]) {
    assert.ok(p.line >= 0 && p.line < lines.length, `${what}: line ${p.line} of ${lines.length}`);
    assert.ok(p.character >= 0 && p.character <= lines[p.line]!, `${what}: character ${p.character} on line ${p.line}`);
  }
  const before = range.start.line < range.end.line || (range.start.line === range.end.line && range.start.character <= range.end.character);
  assert.ok(before, `${what}: the range starts before it ends`);
}

/** Reads and checks the reader's promises; returns the number of layers read. */
function readChecked(reader: ModelReader, source: ModelSource, what: string): number {
  let result;
  try {
    result = reader.read(source, { options: {} });
  } catch (e) {
    assert.fail(`${what}: read threw ${(e as Error).stack}`);
  }
  const lines = lineLengths(source);
  let layers = 0;
  for (const model of result.models) {
    assert.ok(model.rank >= 1 && model.rank <= 3, `${what}: rank ${model.rank}`);
    const ids = new Set<string>();
    for (const node of model.nodes) {
      assert.ok(!ids.has(node.id), `${what}: layer id ${node.id} is unique`);
      ids.add(node.id);
      for (const input of node.inputs) assert.ok(typeof input === 'string', `${what}: inputs are ids`);
      assertInside(node.origin, lines, `${what} ${node.id} origin`);
      for (const [role, r] of Object.entries(node.ranges ?? {})) assertInside(r, lines, `${what} ${node.id} ${role}`);
      for (const [role, r] of Object.entries(node.valueRanges ?? {})) assertInside(r, lines, `${what} ${node.id} value ${role}`);
    }
    for (const o of model.outputs) assert.ok(ids.has(o), `${what}: output ${o} is a layer`);
    layers += model.nodes.length;
  }
  for (const f of result.findings) {
    assert.ok(f.message.length > 0, `${what}: finding has a message`);
    assertInside(f.range, lines, `${what} finding ${f.code}`);
  }
  return layers;
}

function mutate(source: ModelSource, cut: number, flips: Array<[number, number]>): ModelSource {
  if (source.bytes) {
    const bytes = source.bytes.slice(0, Math.max(0, Math.floor(cut * source.bytes.length)));
    for (const [at, v] of flips) if (bytes.length) bytes[at % bytes.length] = v;
    return { fileName: source.fileName, bytes };
  }
  const text = source.text ?? '';
  const chars = Array.from(text.slice(0, Math.floor(cut * text.length)));
  for (const [at, v] of flips) if (chars.length) chars[at % chars.length] = String.fromCharCode(32 + (v % 95));
  return { fileName: source.fileName, text: chars.join('') };
}

describe('reader contract (every entry of READERS)', () => {
  it('each reader names its format and file endings, and formats are unique', () => {
    const formats = READERS.map((r) => r.format);
    assert.equal(new Set(formats).size, formats.length);
    for (const r of READERS) {
      assert.match(r.format, /^[a-z][a-z0-9-]*$/);
      assert.ok(r.displayName.length > 0);
      assert.ok(r.extensions.length > 0 && r.extensions.every((e) => /^\.[a-z0-9.]+$/.test(e)), `${r.format} extensions`);
      for (const o of r.options ?? []) assert.ok(!o.values || !o.default || o.values.includes(o.default), `${r.format} option ${o.name}`);
    }
  });

  for (const reader of READERS) {
    describe(reader.format, () => {
      const examples = examplesOf(reader);

      it(`has examples in examples/${reader.format}/ that it claims and reads with layers`, () => {
        assert.ok(examples.length > 0, `examples/${reader.format}/ has example files`);
        for (const ex of examples) {
          assert.ok(reader.match(ex), `${ex.fileName} is recognised`);
          assert.equal(readerFor(ex)?.format, reader.format, `${ex.fileName} goes to ${reader.format}`);
          assert.ok(readChecked(reader, ex, ex.fileName) > 1, `${ex.fileName} has layers`);
        }
      });

      it('no other reader claims its examples', () => {
        for (const ex of examples) {
          for (const other of READERS) if (other !== reader) assert.equal(other.match(ex), false, `${other.format} claims ${ex.fileName}`);
        }
      });

      it('truncated and corrupted copies never throw and keep every range inside the text', () => {
        if (examples.length === 0) return;
        fc.assert(
          fc.property(
            fc.nat({ max: examples.length - 1 }),
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 }),
            (k, cut, flips) => {
              const src = mutate(examples[k]!, cut, flips);
              readChecked(reader, src, `${src.fileName} cut at ${cut.toFixed(3)} with ${flips.length} flips`);
            },
          ),
          { seed, numRuns: 60 },
        );
      });
    });
  }
});
