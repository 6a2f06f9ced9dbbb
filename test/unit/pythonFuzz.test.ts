/**
 * Fuzzing the Python reader: truncated and mutated fixtures, random text,
 * and programs that recurse or loop without end. No exception escapes and
 * every run ends within its bounds.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { analyze, readerFor } from '../../src/core';
import { fsFiles } from '../support/pythonFixtures';

const FIX = join(__dirname, '..', 'fixtures', 'python');
const SEED = Number(process.env.RFL_FC_SEED ?? 424242);

function pyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? pyFiles(p) : p.endsWith('.py') ? [p] : [];
  });
}

const files = fsFiles;

function check(fileName: string, text: string, budgetMs = 20000): void {
  const t0 = Date.now();
  const r = analyze({ fileName, text }, { files, findings: 'none', input: 32 });
  const internal = r.findings.filter((f) => f.message.startsWith('Internal error'));
  assert.deepEqual(internal.map((f) => f.message), [], `${fileName}: ${text.slice(0, 200)}`);
  for (const f of r.findings) if (f.range) assert.ok(f.range.start.line >= 0 && f.range.end.line >= f.range.start.line);
  for (const m of r.models.slice(0, 3)) analyze({ fileName, text }, { files, findings: 'none', input: 32, model: m });
  assert.ok(Date.now() - t0 < budgetMs, `${fileName} took ${Date.now() - t0} ms`);
}

describe('python reader fuzzing', function () {
  this.timeout(600000);
  const seeds = pyFiles(FIX).map((p) => ({ p, text: readFileSync(p, 'utf8') }));

  it('truncated fixtures', () => {
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (i, at) => {
        const s = seeds[i]!;
        check(s.p, s.text.slice(0, Math.floor(s.text.length * at)));
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('mutated fixtures', () => {
    const piece = fc.constantFrom('(', ')', '[', ']', ':', '\n', '    ', 'self.', 'nn.Conv2d(', 'return ', 'x', '=', ',', '*', '**', 'for i in range(99999999):', 'while True:', 'lambda: ', 'super().__init__()', 'import ', 'from . import ', '"""', "'", '#', '\\', '0', '-1', 'None');
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.oneof(piece, fc.string({ maxLength: 8 })), fc.nat({ max: 30 })), { minLength: 1, maxLength: 6 }), (i, edits) => {
        let t = seeds[i]!.text;
        for (const [at, ins, del] of edits) {
          const k = t.length ? at % t.length : 0;
          t = t.slice(0, k) + ins + t.slice(k + del);
        }
        check(seeds[i]!.p, t);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('random text claimed as Python', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = readerFor({ fileName: 'x.py', text: s }, 'python')!.read({ fileName: 'x.py', text: s }, { options: {}, files });
        assert.ok(Array.isArray(r.models) && Array.isArray(r.findings));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  const hostile: Array<[string, string]> = [
    ['infinite recursion', 'import torch.nn as nn\ndef f(n):\n    return f(n + 1)\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.x = f(0)\n    def forward(self, x):\n        return x\n'],
    ['a module that builds itself', 'import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = A()\n    def forward(self, x):\n        return self.a(x)\n'],
    ['a forward that calls itself', 'import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(3, 3, 3)\n    def forward(self, x):\n        return self(self.c(x))\n'],
    ['endless while', 'import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        n = 0\n        while True:\n            n += 1\n    def forward(self, x):\n        return x\n'],
    ['a huge range', 'import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.ModuleList([nn.Conv2d(3, 3, 3) for _ in range(10 ** 9)])\n    def forward(self, x):\n        return x\n'],
    ['deep nesting', `import torch\nx = ${'('.repeat(3000)}1${')'.repeat(3000)}\n`],
    ['deep list nesting', `import torch\nx = ${'['.repeat(3000)}${']'.repeat(3000)}\n`],
    ['a long forward', `import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.r = nn.ReLU()\n    def forward(self, x):\n        for _ in range(100000):\n            x = self.r(x)\n        return x\n`],
    ['a huge constant tensor', 'import torch\nimport torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        t = torch.arange(10 ** 12) * 2.5\n        w = torch.ones(60000) \n        for _ in range(100000):\n            w = torch.cumsum(w, 0) / 3\n        self.k = int(t[3])\n    def forward(self, x):\n        return x\n'],
    ['an import cycle', 'from . import model\nimport torch\n'],
    ['nested unknown conditions', `import os\nimport torch.nn as nn\nF = os.environ.get('F')\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(3, 3, 3)\n${Array.from({ length: 25 }, (_, i) => `${'    '.repeat(i + 2)}if F == '${i}':\n${'    '.repeat(i + 3)}self.c${i} = nn.Conv2d(3, 3, ${i + 1})`).join('\n')}\n    def forward(self, x):\n        return self.c(x)\n`],
  ];
  it('branches of unknown conditions: at most 8 extra builds per model, the rest said to be unexplored', () => {
    // 30 sites in __init__ and 30 in forward, each changing the model
    const init = Array.from({ length: 30 }, (_, i) => `        if F == '${i}':\n            self.m${i} = nn.Conv2d(3, 3, ${(i % 5) + 2})\n        else:\n            self.m${i} = nn.MaxPool2d(${(i % 3) + 2})`).join('\n');
    const fwd = Array.from({ length: 30 }, (_, i) => `        if x.shape[-1] > ${i}:\n            x = self.m${i}(x)`).join('\n');
    const text = `import os\nimport torch.nn as nn\nF = os.environ.get('F')\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n${init}\n    def forward(self, x):\n${fwd}\n        return x\n`;
    const t0 = Date.now();
    const r = analyze({ fileName: join(FIX, 'pkg', 'hostile.py'), text }, { files, findings: 'none', input: 64 });
    assert.ok(Date.now() - t0 < 20000, `took ${Date.now() - t0} ms`);
    const explored = r.findings.filter((f) => /branches build different models/.test(f.message));
    assert.equal(explored.length, 8, r.findings.map((f) => f.message).join('\n'));
    const rest = r.findings.filter((f) => /more branches of unknown conditions were not explored/.test(f.message));
    assert.equal(rest.length, 1);
    assert.match(rest[0]!.message, /^A: 52 more branches/);
  });

  it('constant tensor arithmetic: random chains of torch ops on random (also huge) sizes end within bounds', () => {
    const size = fc.oneof(fc.constantFrom('0', '1', '3', '7', '10 ** 9', '2 ** 40', '65536', '70000', '-1', 'n'), fc.nat({ max: 300 }).map(String));
    const op = fc.oneof(
      fc.constantFrom('t = t * 27.89 + 48', 't = torch.log(t / 3) / math.log(2.09)', 't = torch.round(t)', 't = torch.diff(t)', 't = t.int()', 't = torch.cumsum(t, 0)',
        't = torch.cat([t, t])', 't = t.reshape(-1, 1) - t.reshape(1, -1)', 't = t.flatten()', 't = torch.unique(t)', 't = t[::2]', 't = t[None, :, None]', 't = t.sum(0)',
        't = t.permute(1, 0)', 't = t.expand(3, -1)', 't = torch.stack([t, t])', 't[0] += 1', 't = t.tolist()', 't = torch.tensor(t)', 'n = len(t)', 't = t.max()', 't = t // 0',
        't = t ** -1', 't = torch.meshgrid(t, t)', 't = t.repeat(2, 2)', 'for r in t:\n    t = r', 'while t.numel() < 10 ** 8:\n    t = torch.cat([t, t])'),
      size.map((n) => `t = torch.arange(${n})`),
      fc.tuple(size, size).map(([a, b]) => `t = torch.zeros(${a}, ${b})`),
      size.map((n) => `t = torch.linspace(0, 1, ${n})`),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        const body = ops.map((o) => o.split('\n').map((l) => `        ${l}`).join('\n')).join('\n');
        const text = `import math\nimport torch\nimport torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        n = 5\n        t = torch.arange(4)\n${body}\n        self.c = nn.Conv2d(3, 3, 3)\n    def forward(self, x):\n        return self.c(x)\n`;
        check(join(FIX, 'pkg', 'hostile.py'), text, 20000);
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  for (const [what, text] of hostile) {
    it(`ends within bounds: ${what}`, () => check(join(FIX, 'pkg', 'hostile.py'), text, 30000));
  }
});
