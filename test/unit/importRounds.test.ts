/**
 * The editor's wants/re-read loop (src/extension/worker/importRounds.ts):
 * a reader over an asynchronous loader, as the analysis worker runs it. With
 * a fake reader (rounds bounded, missing files, cycles, staleness) and with
 * the real Python reader over the host tests' fixture package (a relative
 * import, a fake virtual environment), whose fields are derived by hand.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openModel, type FileAccess } from '../../src/core';
import { MAX_IMPORT_ROUNDS, readWithImports, type FileTexts } from '../../src/extension/worker/importRounds';

const PYPROJ = join(__dirname, '..', 'host', 'fixtures', 'pyproj');

/** A loader over a fixed set of files that counts its calls. */
function fakeLoader(files: Record<string, string>): { load: (paths: string[]) => Promise<FileTexts>; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    load: async (paths) => {
      calls.push([...paths]);
      await new Promise((r) => setTimeout(r, 1));
      return Object.fromEntries(paths.map((p) => [p, files[p] ?? null]));
    },
  };
}

/**
 * A toy reader with imports: a file's text lists the names it imports
 * (`import a b`); it asks for each file it reaches, depth first, and reports
 * what it read and what it had to skip.
 */
function toyRead(main: string) {
  return (files: FileAccess) => {
    const read: string[] = [];
    const missing: string[] = [];
    const wants: string[] = [];
    const visit = (text: string) => {
      for (const name of /^import (.*)$/m.exec(text)?.[1]?.split(' ') ?? []) {
        if (read.includes(name) || missing.includes(name)) continue;
        const t = files.readText(name);
        if (t === undefined) wants.push(name);
        else if (t === null) missing.push(name);
        else {
          read.push(name);
          visit(t);
        }
      }
    };
    visit(main);
    return { read, missing, wants };
  };
}

describe('import rounds (the editor re-reads a model once the files it wants are loaded)', () => {
  it('loads a chain of imports one level per round, and stops when nothing new is wanted', async () => {
    const { load, calls } = fakeLoader({ a: 'import b', b: 'import c', c: '' });
    const out = (await readWithImports(toyRead('import a'), (r) => r.wants, load))!;
    assert.deepEqual(out.result.read, ['a', 'b', 'c']);
    assert.deepEqual(out.result.wants, []);
    // a, then b (known only once a is read), then c: three loads, four reads
    assert.deepEqual(calls, [['a'], ['b'], ['c']]);
    assert.equal(out.rounds, 4);
    assert.deepEqual(out.asked, ['a', 'b', 'c']);
    assert.deepEqual(out.unresolved, []);
  });

  it('files the host already sent need no round', async () => {
    const { load, calls } = fakeLoader({});
    const out = (await readWithImports(toyRead('import a'), (r) => r.wants, load, { a: 'import b', b: '' }))!;
    assert.deepEqual(out.result.read, ['a', 'b']);
    assert.equal(out.rounds, 1);
    assert.deepEqual(calls, []);
  });

  it('a missing file becomes null (the reader reports it), never asked for again', async () => {
    const { load, calls } = fakeLoader({ a: 'import gone' });
    const out = (await readWithImports(toyRead('import a'), (r) => r.wants, load))!;
    assert.deepEqual(out.result.read, ['a']);
    assert.deepEqual(out.result.missing, ['gone']);
    assert.deepEqual(calls, [['a'], ['gone']]);
    assert.deepEqual(out.asked, ['a', 'gone']);
    assert.equal(out.files.get('gone'), null);
  });

  it('a loader that leaves a path out or fails counts its files as missing', async () => {
    const out = (await readWithImports(toyRead('import a b'), (r) => r.wants, async () => ({ a: '' })))!;
    assert.deepEqual(out.result.read, ['a']);
    assert.deepEqual(out.result.missing, ['b']);
    const failed = (await readWithImports(toyRead('import a'), (r) => r.wants, () => Promise.reject(new Error('disk on fire'))))!;
    assert.deepEqual(failed.result.missing, ['a']);
    assert.equal(failed.rounds, 2);
  });

  it('an import cycle ends: every file is loaded once', async () => {
    const { load, calls } = fakeLoader({ a: 'import b', b: 'import a c', c: 'import a b' });
    const out = (await readWithImports(toyRead('import a'), (r) => r.wants, load))!;
    assert.deepEqual(out.result.read, ['a', 'b', 'c']);
    assert.deepEqual(calls.flat().sort(), ['a', 'b', 'c']);
  });

  it('the rounds are bounded: a reader that always wants more gets what is loaded by then', async () => {
    // every file imports the next one: 0 -> 1 -> 2 -> ...
    const files = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [String(i), `import ${i + 1}`]));
    const { load, calls } = fakeLoader(files);
    const out = (await readWithImports(toyRead('import 0'), (r) => r.wants, load, {}, { maxRounds: 5 }))!;
    assert.equal(out.rounds, 5);
    assert.equal(calls.length, 4); // a load between each two reads
    assert.deepEqual(out.result.read, ['0', '1', '2', '3']);
    assert.deepEqual(out.unresolved, ['4']);
    const dflt = (await readWithImports(toyRead('import 0'), (r) => r.wants, fakeLoader(files).load))!;
    assert.equal(dflt.rounds, MAX_IMPORT_ROUNDS);
    assert.equal(dflt.result.read.length, MAX_IMPORT_ROUNDS - 1);
  });

  it('stops when the document changed meanwhile (stale: no result)', async () => {
    let changed = false;
    const load = async (paths: string[]) => {
      changed = true; // an edit arrives while the files load
      return Object.fromEntries(paths.map((p) => [p, '']));
    };
    assert.equal(await readWithImports(toyRead('import a'), (r) => r.wants, load, {}, { stale: () => changed }), null);
  });

  describe('with the Python reader over the fixture package (host tests use the same files)', () => {
    const disk = (path: string): string | null => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    };
    const loadFromDisk = async (paths: string[]) => Object.fromEntries(paths.map((p) => [p, disk(p)]));
    const rfOf = (report: ReturnType<typeof openModel>['report'], id: string) => report.layers.find((l) => l.id === id)?.rf?.size;

    it('a relative import: two 3x3 convolutions of stride 1 in blocks.py give a field of 1 + 2 + 2 = 5', async () => {
      const file = join(PYPROJ, 'app', 'models.py');
      const source = { fileName: file, text: disk(file)! };
      const out = (await readWithImports((files) => openModel(source, { files, findings: 'fields' }), (m) => m.report.wants, loadFromDisk))!;
      const r = out.result.report;
      assert.equal(r.wants, undefined);
      assert.deepEqual(r.models, ['TwoBlocks', 'StridedBlocks']);
      assert.equal(r.model, 'TwoBlocks');
      assert.deepEqual(rfOf(r, 'first'), [3, 3]);
      assert.deepEqual(rfOf(r, 'second'), [5, 5]);
      assert.deepEqual(r.findings.filter((f) => f.code === 'RFL100'), []);
      assert.ok(out.asked.includes(join(PYPROJ, 'app', 'blocks.py')));
      // the definitions the model picker and the CodeLens use: the class lines (0-based)
      assert.equal(r.modelDefinitions?.TwoBlocks?.start.line, 8);
      assert.equal(r.modelDefinitions?.StridedBlocks?.start.line, 18);
      // the other model: 3x3 stride 2 (field 3, jump 2), then two 3x3: 3 + 2*2 + 2*2 = 11
      const strided = openModel(source, { files: { readText: disk }, model: 'StridedBlocks', findings: 'fields' }).report;
      assert.equal(strided.model, 'StridedBlocks');
      assert.deepEqual(rfOf(strided, 'third'), [11, 11]);
    });

    it('an installed library in .venv: `model = mylib.net()` reads mylib/nets.py (field 5), missing folders above are null', async () => {
      const file = join(PYPROJ, 'app', 'uses_lib.py');
      const source = { fileName: file, text: disk(file)! };
      const { load, calls } = fakeLoader(
        Object.fromEntries(
          ['pyvenv.cfg', 'lib/python3.11/site-packages/mylib/__init__.py', 'lib/python3.11/site-packages/mylib/nets.py'].map((p) => [join(PYPROJ, '.venv', p), disk(join(PYPROJ, '.venv', p))!]),
        ),
      );
      const out = (await readWithImports((files) => openModel(source, { files, findings: 'fields' }), (m) => m.report.wants, load))!;
      const r = out.result.report;
      assert.equal(r.model, 'model');
      assert.deepEqual(r.findings.filter((f) => f.code === 'RFL100'), []);
      assert.deepEqual(rfOf(r, '2'), [5, 5]);
      assert.ok(out.rounds >= 3 && out.rounds <= 6, `rounds ${out.rounds}`);
      assert.ok(calls.flat().includes(join(PYPROJ, '.venv', 'lib', 'python3.11', 'site-packages', 'mylib', 'nets.py')));
      assert.equal(out.files.get(join(PYPROJ, 'app', 'venv', 'pyvenv.cfg')), null);
    });

    it('the same file with no venv loaded reports the import on its line, and still reads', async () => {
      const file = join(PYPROJ, 'app', 'uses_lib.py');
      const source = { fileName: file, text: disk(file)! };
      const out = (await readWithImports((files) => openModel(source, { files, findings: 'fields' }), (m) => m.report.wants, async () => ({})))!;
      const unresolved = out.result.report.findings.filter((f) => f.code === 'RFL100');
      assert.ok(unresolved.some((f) => f.range?.start.line === 1 && /mylib/.test(f.message)), unresolved.map((f) => `${f.range?.start.line}: ${f.message}`).join('\n'));
    });
  });
});
