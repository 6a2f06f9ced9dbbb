/**
 * The influence-map panel inside a real VS Code: the command opens it beside
 * the editor, the webview asks for and receives the map of the chosen layer,
 * CodeLens and hover open it at their layer, the editor's cursor selects a
 * layer, applying a remedy edits the file (and undo takes it back).
 * Screenshots of the panel in the light and dark themes under
 * artifacts/screenshots/ (panel-light.png, panel-dark.png).
 *
 * Uses the conventions of test/host/helpers.ts (the editor glue's lane); the
 * panel's probe (registerInfluencePanel's return value carries it) shows what
 * the host sent to the webview.
 */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { InfluencePanelProbe } from '../../src/extension/panel';
import { api, openModel, restore, screenshot, settled, sleep, waitFor, ws } from './helpers';

const DETECTOR = ws('darknet', 'tiny-detector.cfg');
const BLIND = ws('darknet', 'strided-blind-spots.cfg');
const MISALIGNED = ws('fixes', 'misaligned.cfg');

async function probe(): Promise<InfluencePanelProbe> {
  const a = await api();
  const p = (a.context.panel as unknown as { probe?: InfluencePanelProbe }).probe;
  assert.ok(p, 'the panel is the real one (registerInfluencePanel from src/extension/panel)');
  return p;
}

function panelTab(): vscode.Tab | undefined {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && /rfLens\.influenceMap$/.test(t.input.viewType));
}

/** Waits until the webview asked for and received a map of these layers. */
async function mapOf(p: InfluencePanelProbe, layers: string[] | ((ls: string[]) => boolean), since = 0): Promise<void> {
  const ok = typeof layers === 'function' ? layers : (ls: string[]) => ls.join('+') === layers.join('+');
  await waitFor(`a map of ${String(layers)} sent to the panel`, () => p.posted.slice(since).some((m) => m.type === 'map' && ok(m.layers ?? [])), 30000);
}

describe('Influence map panel in VS Code', function () {
  this.timeout(90000);

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('"Show Influence Map" opens the panel beside the editor and the webview receives the outputs\u2019 map', async () => {
    await openModel(DETECTOR);
    const p = await probe();
    const since = p.posted.length;
    await vscode.commands.executeCommand('rfLens.showInfluenceMap');
    const tab = await waitFor('the Influence Map tab', panelTab);
    assert.equal(tab.label, 'Influence Map');
    await waitFor('the model sent to the panel', () => p.posted.slice(since).some((m) => m.type === 'model'), 30000);
    const report = p.session()!.currentReport!;
    await mapOf(p, report.outputs, since);
    // the remedies and the depth profile follow
    await waitFor('the remedies', () => p.posted.slice(since).some((m) => m.type === 'remedies'), 60000);
    await waitFor('the depth profile', () => p.posted.slice(since).some((m) => m.type === 'depth'), 60000);
  });

  it('CodeLens and hover open the panel at their layer', async () => {
    const { doc } = await openModel(BLIND);
    const p = await probe();
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);
    const lens = lenses.find((l) => l.command?.command === 'rfLens.showInfluenceMap' && (l.command.arguments?.[1] as string) !== undefined && l.command.arguments?.[1] !== 'input');
    assert.ok(lens?.command, 'a CodeLens that opens the panel');
    const layer = String(lens.command.arguments![1]);
    let since = p.posted.length;
    await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    await mapOf(p, [layer], since);
    // the hover's link carries the layer as well
    const l = p.session()!.currentReport!.layers.find((x) => x.output && x.op === 'conv' && x.id !== layer)!;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(l.range!.start.line, 1));
    const md = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
    const link = /\(command:rfLens\.showInfluenceMap\?([^)\s]+)\)/.exec(md);
    assert.ok(link, 'the hover links to the panel');
    const args = JSON.parse(decodeURIComponent(link[1]!)) as unknown[];
    since = p.posted.length;
    await vscode.commands.executeCommand('rfLens.showInfluenceMap', ...args);
    await mapOf(p, [String(args[1])], since);
    assert.equal(String(args[1]), l.id);
  });

  it('the editor\u2019s cursor selects the layer it is in', async () => {
    const { editor } = await openModel(DETECTOR);
    const p = await probe();
    await vscode.commands.executeCommand('rfLens.showInfluenceMap', DETECTOR.toString());
    await waitFor('the panel on the detector', () => p.session()?.document?.toString() === DETECTOR.toString(), 30000);
    await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
    const l = p.session()!.currentReport!.layers.find((x) => x.id === '4')!;
    const since = p.posted.length;
    const pos = new vscode.Position(l.range!.start.line + 1, 0);
    vscode.window.activeTextEditor!.selection = new vscode.Selection(pos, pos);
    await waitFor('the layer selected in the panel', () => p.posted.slice(since).some((m) => m.type === 'select' && m.layer === '4'), 10000);
    await mapOf(p, ['4'], since);
  });

  it('applying a remedy edits the file as an edit the user can undo', async () => {
    const { doc } = await openModel(MISALIGNED);
    const p = await probe();
    await vscode.commands.executeCommand('rfLens.showInfluenceMap', MISALIGNED.toString());
    await waitFor('the panel on the misaligned file', () => p.session()?.document?.toString() === MISALIGNED.toString() && p.session()?.currentReport, 30000);
    const before = doc.getText();
    assert.match(before, /width=63/);
    // the remedies the panel offers: the input sizes of RFL006 can be applied, the paddings of a Darknet file cannot
    const remedies = (p.session() as unknown as { remedyInfo: Array<{ id: string; kind: string; apply?: { title: string }; note?: string }> }).remedyInfo;
    const input = remedies.find((r) => r.kind === 'input' && r.apply);
    assert.ok(input, `an input-size remedy among ${remedies.map((r) => r.id).join(', ')}`);
    assert.ok(remedies.filter((r) => r.kind === 'padding' && r.id !== 'pad:file').every((r) => !r.apply && /padding-mode key/.test(r.note ?? '')));
    await p.receive({ type: 'applyRemedy', id: input.id });
    await waitFor('the edited text', () => doc.getText() !== before, 10000);
    const size = /input size (\d+)x(\d+)/.exec(input.apply!.title)!;
    assert.match(doc.getText(), new RegExp(`width=${size[1]}`));
    assert.match(doc.getText(), new RegExp(`height=${size[2]}`));
    await settled(MISALIGNED);
    // one undo takes the whole remedy back
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    await waitFor('the undone text', () => doc.getText() === before, 10000);
    await restore(MISALIGNED);
  });

  it('screenshots of the panel in the light and dark themes', async () => {
    const config = vscode.workspace.getConfiguration('workbench');
    const original = config.get<string>('colorTheme');
    await openModel(DETECTOR);
    const p = await probe();
    await vscode.commands.executeCommand('rfLens.showInfluenceMap', DETECTOR.toString());
    await waitFor('the panel', panelTab);
    // the panel shows the file asked for (not the one a previous editor change was still reading)
    const lastModel = () => p.posted.map((m) => m.type).lastIndexOf('model');
    await waitFor('the model of the detector', () => p.posted[lastModel()]?.uri === DETECTOR.toString(), 30000);
    await waitFor('the depth profile', () => p.posted.slice(lastModel()).some((m) => m.type === 'depth'), 60000);
    await sleep(1000);
    assert.equal(p.session()?.document?.toString(), DETECTOR.toString());
    try {
      for (const [name, theme] of [
        ['panel-light', 'Default Light Modern'],
        ['panel-dark', 'Default Dark Modern'],
      ] as const) {
        await config.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
        await sleep(1500);
        const ui = await screenshot(name, { settle: 1500 });
        if (ui) {
          assert.match(String(ui['webviewHeading']), /Influence map/);
          assert.match(String(ui['webviewSubtitle']), /tiny-detector\.cfg/);
        }
      }
    } finally {
      await config.update('colorTheme', original, vscode.ConfigurationTarget.Global);
    }
  });
});
