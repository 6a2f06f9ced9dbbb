/**
 * Python models in the real VS Code: imports followed through workspace.fs
 * (a relative import of a helper module, a library in the project's .venv, a
 * folder named by rfLens.pythonPath), importers analysed again when an
 * imported file changes (unsaved edits and files written on disk), and the
 * model picker (command, CodeLens on each definition, status bar, hover).
 * Fields and edge ratios are derived in the test, by hand and by a small
 * 1-D backpropagation that shares no code with the engine.
 */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { InfluencePanelProbe } from '../../src/extension/panel';
import { api, codeOf, diagnostics, editAndSettle, openModel, screenshot, setSetting, settled, sleep, waitFor, ws } from './helpers';

const MODELS = ws('pyproj', 'app', 'models.py');
const BLOCKS = ws('pyproj', 'app', 'blocks.py');
const USES_LIB = ws('pyproj', 'app', 'uses_lib.py');
const USES_VENDOR = ws('pyproj', 'app', 'uses_vendor.py');
const NETS = ws('pyproj', '.venv', 'lib', 'python3.11', 'site-packages', 'mylib', 'nets.py');

/** A convolution along one axis: kernel, stride, zero padding on both sides. */
type Conv = [k: number, s: number, p: number];

/** Receptive field of a chain along one axis: r += (k - 1) * jump, jump *= s. */
function fieldOf(chain: Conv[]): number {
  let r = 1;
  let jump = 1;
  for (const [k, s] of chain) {
    r += (k - 1) * jump;
    jump *= s;
  }
  return r;
}

/**
 * Edge ratio of a chain on an n x n input by brute force: the path count of
 * every input pixel to the sum of the last layer's units (weights 1, zero
 * padding carries no path) is a product of two 1-D counts; the ratio is the
 * mean over the one-pixel border ring divided by the peak.
 */
function edgeRatioOf(chain: Conv[], n: number): number {
  const sizes = [n];
  for (const [k, s, p] of chain) sizes.push(Math.floor((sizes[sizes.length - 1]! + 2 * p - k) / s) + 1);
  let g = new Array<number>(sizes[sizes.length - 1]!).fill(1);
  for (let l = chain.length - 1; l >= 0; l--) {
    const [k, s, p] = chain[l]!;
    const back = new Array<number>(sizes[l]!).fill(0);
    g.forEach((v, o) => {
      for (let t = 0; t < k; t++) {
        const i = o * s - p + t;
        if (i >= 0 && i < back.length) back[i]! += v;
      }
    });
    g = back;
  }
  const peak = Math.max(...g) ** 2;
  let ring = 0;
  let count = 0;
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++)
      if (y === 0 || x === 0 || y === n - 1 || x === n - 1) {
        ring += g[y]! * g[x]!;
        count++;
      }
  return ring / count / peak;
}

async function lensTitles(uri: vscode.Uri): Promise<string[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
  return lenses.map((l) => `${l.range.start.line} ${l.command?.title}`);
}

async function hoverText(uri: vscode.Uri, pos: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, pos)) ?? [];
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
}

const rfl004 = (uri: vscode.Uri) => diagnostics(uri).find((d) => codeOf(d) === 'RFL004')?.message ?? '';
const unresolved = (uri: vscode.Uri) => diagnostics(uri).filter((d) => codeOf(d) === 'RFL100').map((d) => `${d.range.start.line}: ${d.message}`);

// conv_block(c_in, c_out, stride) in blocks.py: a KERNEL x KERNEL convolution, padding KERNEL // 2
const block = (kernel: number, stride = 1): Conv => [kernel, stride, Math.floor(kernel / 2)];
const TWO_BLOCKS = [block(3), block(3)];
const STRIDED_BLOCKS = [block(3, 2), block(3), block(3)];

describe('Python models in VS Code: imports and the model picker', function () {
  this.timeout(90000);

  before(async () => {
    await api();
    await setSetting('pythonPath', undefined);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a relative import: diagnostics, hover and CodeLens show the fields computed through the helper module', async () => {
    const { editor } = await openModel(MODELS);
    assert.deepEqual(unresolved(MODELS), []);
    const rf = fieldOf(TWO_BLOCKS);
    assert.equal(rf, 5); // 1 + 2 + 2
    assert.match(rfl004(MODELS), new RegExp(`sees at most ${rf}x${rf} pixels of the 64x64 input`));
    const edge = edgeRatioOf(TWO_BLOCKS, 64).toFixed(2);
    assert.equal(edge, '0.55'); // (2*5*566 + 2*5*556) / 252 / 81, by hand
    const titles = await lensTitles(MODELS);
    // line 8: class TwoBlocks (analysed); line 18: class StridedBlocks; lines 11 and 12: the layers built by conv_block
    assert.ok(titles.includes(`8 RF ${rf}×${rf} · edge ${edge} · analysed model`), titles.join('\n'));
    assert.ok(titles.includes('18 Analyze this model'), titles.join('\n'));
    // one lens per block call (its conv, ReLU and output share the call's range), with the edge ratio of its own
    // map: after one block (2*2*190 + 2*2*186) / 252 / 9 = 0.66
    assert.deepEqual(
      titles.filter((t) => /^1[12] /.test(t)).sort(),
      [`11 RF 3×3 · jump 1 · edge ${edgeRatioOf([block(3)], 64).toFixed(2)}`, `12 RF ${rf}×${rf} · jump 1 · edge ${edge}`],
    );
    const text = await hoverText(MODELS, new vscode.Position(12, 25)); // self.second = conv_block(16, 16)
    assert.match(text, new RegExp(`\\| receptive field \\| ${rf}×${rf} px of 64×64 \\|`));
    assert.match(text, /^\*\*second\*\* · `Sequential`/m); // the block's output, as its CodeLens
    // a helper module that defines no model is no model file: no "No model found" in the Problems panel
    await waitFor('blocks.py analysed', async () => (await vscode.workspace.openTextDocument(BLOCKS)) && (await api()).context.analyses.get(BLOCKS)?.claimed === false, 20000);
    assert.deepEqual(diagnostics(BLOCKS), []);
    const status = (await api()).context.status.item;
    assert.equal(status.text, `$(eye) TwoBlocks · RF ${rf}×${rf} · edge ${edge}`);
    const pos = new vscode.Position(11, 25); // self.first = conv_block(3, 16): no squiggle there to hover first
    editor.selection = new vscode.Selection(pos, pos);
    await vscode.commands.executeCommand('editor.action.showHover');
    const ui = await screenshot('python-hover', { settle: 1500 });
    if (ui) assert.match(String(ui['hoverText'] ?? ''), /^first · Sequential[^]*receptive field\s+3×3 px of 64×64/);
    const shot = await screenshot('python-codelens', { escape: true });
    if (shot) assert.ok((shot['codeLenses'] as string[]).some((t) => t.includes('analysed model')), JSON.stringify(shot['codeLenses']));
  });

  it('an installed library in the project’s .venv: `model = mylib.net()` is read from its source', async () => {
    await openModel(USES_LIB);
    assert.deepEqual(unresolved(USES_LIB), []);
    const chain: Conv[] = [[3, 1, 1], [3, 1, 1]]; // mylib/nets.py: net()
    const rf = fieldOf(chain);
    assert.match(rfl004(USES_LIB), new RegExp(`sees at most ${rf}x${rf} pixels`));
    const titles = await lensTitles(USES_LIB);
    // the layers mylib.net() builds in nets.py are placed on the call in this file: one lens for them, its
    // output's (the file's only model, defined on that line, needs no lens of its own)
    assert.deepEqual(titles, [`5 RF ${rf}×${rf} · jump 1 · edge ${edgeRatioOf(chain, 64).toFixed(2)}`]);
    await screenshot('python-venv-library', { escape: true });
    // the library is not one of the workspace's model files: the workspace pass leaves it out of the Problems panel
    await waitFor('the workspace pass', () => diagnostics(ws('caffe', 'valid-convs.prototxt')).length > 0, 30000);
    assert.deepEqual(diagnostics(NETS), []);
  });

  it('rfLens.pythonPath: a folder of libraries relative to the workspace folder', async () => {
    await openModel(USES_VENDOR);
    assert.ok(unresolved(USES_VENDOR).some((m) => /^1: .*otherlib/.test(m)), unresolved(USES_VENDOR).join('\n'));
    await setSetting('pythonPath', ['pyproj/vendor']);
    await waitFor('otherlib found', () => unresolved(USES_VENDOR).length === 0 && /sees at most 7x7/.test(rfl004(USES_VENDOR)), 20000);
    await setSetting('pythonPath', undefined);
    await waitFor('otherlib unknown again', () => unresolved(USES_VENDOR).length > 0, 20000);
  });

  it('editing the imported module (unsaved) updates the importer’s diagnostics; closing it without saving puts them back', async () => {
    await openModel(MODELS);
    assert.match(rfl004(MODELS), /sees at most 5x5 pixels/);
    const helper = await vscode.workspace.openTextDocument(BLOCKS);
    await vscode.window.showTextDocument(helper, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    const line = helper.getText().split('\n').findIndex((l) => l.startsWith('KERNEL = '));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(BLOCKS, new vscode.Range(line, 0, line, 'KERNEL = 3'.length), 'KERNEL = 5');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const rf = fieldOf([block(5), block(5)]);
    assert.equal(rf, 9); // 1 + 4 + 4
    await waitFor(`RF ${rf} in models.py`, () => new RegExp(`sees at most ${rf}x${rf} pixels`).test(rfl004(MODELS)), 20000);
    await settled(MODELS);
    assert.ok((await lensTitles(MODELS)).includes(`8 RF ${rf}×${rf} · edge ${edgeRatioOf([block(5), block(5)], 64).toFixed(2)} · analysed model`));
    await vscode.window.showTextDocument(helper);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await waitFor('RF 5 again', () => /sees at most 5x5 pixels/.test(rfl004(MODELS)), 20000);
  });

  it('a library file changed on disk updates the model that imports it', async () => {
    await openModel(USES_LIB);
    assert.match(rfl004(USES_LIB), /sees at most 5x5 pixels/);
    const original = new TextDecoder().decode(await vscode.workspace.fs.readFile(NETS));
    // net()'s second convolution 3x3 -> 7x7: 1 + 2 + 6 = 9
    const changed = original.replace('nn.Conv2d(16, 16, kernel_size=3, padding=1),\n    )\n\n\ndef wide_net', 'nn.Conv2d(16, 16, kernel_size=7, padding=3),\n    )\n\n\ndef wide_net');
    assert.notEqual(changed, original);
    const rf = fieldOf([[3, 1, 1], [7, 1, 3]]);
    try {
      await vscode.workspace.fs.writeFile(NETS, new TextEncoder().encode(changed));
      await waitFor(`RF ${rf} after the library changed`, () => new RegExp(`sees at most ${rf}x${rf} pixels`).test(rfl004(USES_LIB)), 20000);
    } finally {
      await vscode.workspace.fs.writeFile(NETS, new TextEncoder().encode(original));
    }
    await waitFor('RF 5 again', () => /sees at most 5x5 pixels/.test(rfl004(USES_LIB)), 20000);
  });

  it('the model picker: CodeLens, command and quick pick change the analysed model; hover and status bar follow', async () => {
    const a = await api();
    const { editor } = await openModel(MODELS);
    assert.equal(a.context.analyses.get(MODELS)?.report?.model, 'TwoBlocks');
    // line 21 (self.first = conv_block(3, 16, stride=2)) builds layers of StridedBlocks only
    assert.equal(await hoverText(MODELS, new vscode.Position(21, 25)), '');
    const lens = ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', MODELS, 100)) ?? []).find((l) => l.range.start.line === 18)!;
    assert.equal(lens.command?.title, 'Analyze this model');
    await editAndSettle(MODELS, () => vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? [])));
    await waitFor('StridedBlocks analysed', () => a.context.analyses.get(MODELS)?.report?.model === 'StridedBlocks');
    await settled(MODELS);
    const rf = fieldOf(STRIDED_BLOCKS);
    assert.equal(rf, 11); // 3, then + 2*2 twice (jump 2 after the stride)
    const edge = edgeRatioOf(STRIDED_BLOCKS, 64).toFixed(2);
    const titles = await lensTitles(MODELS);
    assert.ok(titles.includes(`18 RF ${rf}×${rf} · edge ${edge} · analysed model`), titles.join('\n'));
    assert.ok(titles.includes('8 Analyze this model'), titles.join('\n'));
    assert.match(rfl004(MODELS), new RegExp(`sees at most ${rf}x${rf} pixels`));
    assert.equal(a.context.status.item.text, `$(eye) StridedBlocks · RF ${rf}×${rf} · edge ${edge}`);
    assert.match(await hoverText(MODELS, new vscode.Position(21, 25)), /\| receptive field \| 3×3 px of 64×64 \|[^]*\| jump · start \| 2 px/);
    // remembered per document (workspace state)
    assert.equal(a.context.models.get(MODELS), 'StridedBlocks');
    // the panel shows the chosen model: the map of StridedBlocks' output
    const panel = (a.context.panel as unknown as { probe: InfluencePanelProbe }).probe;
    let since = panel.posted.length;
    await vscode.commands.executeCommand('rfLens.showInfluenceMap', MODELS.toString());
    await waitFor('the map of third in the panel', () => panel.posted.slice(since).some((m) => m.type === 'map' && m.layers?.join() === 'third'), 30000);
    assert.equal(panel.session()?.currentReport?.model, 'StridedBlocks');
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    since = panel.posted.length;
    // the command without a name: a quick pick of the file's models (classes by name), the analysed one marked
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const picked = vscode.commands.executeCommand<string | undefined>('rfLens.selectModel', MODELS.toString());
    await sleep(800);
    const ui = await screenshot('python-model-picker', { settle: 400 });
    if (ui) assert.ok(ui !== null);
    // the first item is TwoBlocks (file order)
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    assert.equal(await picked, 'TwoBlocks');
    await waitFor('TwoBlocks analysed again', () => a.context.analyses.get(MODELS)?.report?.model === 'TwoBlocks' && a.context.analyses.idle(MODELS));
    assert.match(rfl004(MODELS), /sees at most 5x5 pixels/);
    await waitFor('the panel follows: the map of second', () => panel.posted.slice(since).some((m) => m.type === 'map' && m.layers?.join() === 'second'), 30000);
  });
});
