/**
 * Receptive Field Lens inside a real VS Code: diagnostics with their codes
 * and exact ranges, hovers, CodeLens, quick fixes through the real edit API,
 * settings, the panel command, edits, the workspace pass. Screenshots under
 * artifacts/screenshots/.
 */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { api, codeOf, editAndSettle, restore, diagnostics, openModel, rangeText, screenshot, setSetting, settled, sleep, waitFor, ws } from './helpers';

const BLIND = ws('darknet', 'strided-blind-spots.cfg');

async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

async function quickFixes(uri: vscode.Uri, d: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
  const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
  // (the command's results carry no diagnostics: the fixture files keep findings on distinct ranges)
  void codeOf;
  return actions;
}

/** Applies a quick fix through the real edit API and waits for the new analysis. */
async function applyFix(uri: vscode.Uri, code: string, title: RegExp): Promise<string> {
  const d = diagnostics(uri).find((x) => codeOf(x) === code);
  assert.ok(d, `${code} before the fix`);
  const fixes = await quickFixes(uri, d);
  const fix = fixes.find((a) => title.test(a.title) && a.edit);
  assert.ok(fix, `a fix matching ${title} among ${fixes.map((a) => a.title).join(' | ')}`);
  await editAndSettle(uri, async () => assert.ok(await vscode.workspace.applyEdit(fix.edit!)));
  return fix.title;
}


describe('Receptive Field Lens in VS Code', function () {
  this.timeout(60000);

  before(async () => {
    await api();
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
  });

  after(async () => {
    await closeAll();
  });

  it('activates quickly and declares its languages', async () => {
    const a = await api();
    console.log(`      activation took ${a.activationMs.toFixed(1)} ms`);
    assert.ok(a.activationMs < 1000);
    const langs = await vscode.languages.getLanguages();
    assert.ok(langs.includes('darknet') && langs.includes('prototxt'));
  });

  it('a Darknet .cfg becomes darknet, other .cfg files are left alone', async () => {
    const { doc } = await openModel(ws('notes.cfg'));
    await waitFor('the darknet language', () => vscode.workspace.textDocuments.find((d) => d.uri.toString() === doc.uri.toString() && d.languageId === 'darknet'));
    const setup = await vscode.workspace.openTextDocument(ws('setup.cfg'));
    await vscode.window.showTextDocument(setup);
    await settled(setup.uri);
    assert.equal(setup.languageId, 'properties');
    assert.deepEqual(diagnostics(setup.uri), []);
    const proto = await vscode.workspace.openTextDocument(ws('caffe', 'valid-convs.prototxt'));
    assert.equal(proto.languageId, 'prototxt');
    await closeAll();
  });

  it('publishes every finding with its code, severity, exact range and documentation link', async () => {
    await openModel(BLIND);
    const got = diagnostics(BLIND)
      .map((d) => `${codeOf(d)} ${vscode.DiagnosticSeverity[d.severity]} ${rangeText(d.range)}`)
      .sort();
    assert.deepEqual(got, [
      'RFL001 Warning 28:0-28:8',
      'RFL002 Warning 33:0-33:9',
      'RFL003 Information 20:0-20:8',
      'RFL004 Information 50:0-50:15',
      'RFL005 Information 34:0-34:6',
      'RFL006 Warning 13:0-13:10',
      'RFL100 Warning 46:0-46:9',
    ]);
    for (const d of diagnostics(BLIND)) {
      assert.equal(d.source, 'rf-lens');
      const code = d.code as { value: string; target: vscode.Uri };
      assert.match(code.target.path, /README\.md$/);
      assert.match(code.target.fragment, /^L\d+$/, `${code.value} links to its README section`);
    }
    const dead = diagnostics(BLIND).find((d) => codeOf(d) === 'RFL001')!;
    assert.match(dead.message, /4524 of 10000 input pixels/);
    assert.equal(dead.relatedInformation?.length, 1);
    assert.equal(rangeText(dead.relatedInformation![0]!.location.range), '50:0-50:15');
    const unknown = diagnostics(BLIND).find((d) => codeOf(d) === 'RFL100')!;
    assert.deepEqual(unknown.tags, [vscode.DiagnosticTag.Unnecessary]);
    // the README section the link selects is the finding's
    const readme = await vscode.workspace.openTextDocument((dead.code as { target: vscode.Uri }).target.with({ fragment: '' }));
    const line = Number((dead.code as { target: vscode.Uri }).target.fragment.slice(1)) - 1;
    assert.match(readme.lineAt(line).text, /^### RFL001 Dead pixels/);
    const ui = await screenshot('squiggles');
    if (ui) assert.ok((ui['squiggles'] as { warning: number }).warning > 0, JSON.stringify(ui['squiggles']));
  });

  it('shows a hover with the layer’s field, metrics and command links', async () => {
    const { editor } = await openModel(BLIND);
    const pos = new vscode.Position(19, 2); // size=3 of [convolutional] 0
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', BLIND, pos);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n');
    assert.match(text, /^\*\*\\\[convolutional\\\] 0\*\* · `convolutional` · k3 s2 p1$/m);
    assert.match(text, /\| output \| 50×50 units \|/);
    assert.match(text, /\| receptive field \| 3×3 px of 100×100 \|/);
    assert.match(text, /\| jump · start \| 2 px · 0 px \|/);
    assert.match(text, /\| effective padding \| 1 px \|/);
    assert.match(text, /\| coverage \| 1 – 4 units per pixel \|/);
    assert.match(text, /edge · corner ratio/);
    assert.match(text, /\| ripple \| 0\.25 \(uneven: checkerboard\) \|/);
    assert.match(text, /\[Show influence map at this layer\]\(command:rfLens\.showInfluenceMap\?/);
    assert.match(text, /\[Show this layer's receptive field\]\(command:rfLens\.showReceptiveField\?/);
    editor.selection = new vscode.Selection(pos, pos);
    await vscode.commands.executeCommand('editor.action.showHover');
    const ui = await screenshot('hover', { settle: 1500 });
    if (ui) assert.match(String(ui['hoverText'] ?? ''), /receptive field/);
  });

  it('puts a CodeLens with field, jump and edge ratio above each layer', async () => {
    await openModel(BLIND);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', BLIND, 100);
    const titles = lenses.map((l) => `${l.range.start.line} ${l.command?.title}`);
    assert.ok(titles.includes('17 RF 3×3 · jump 2 · edge 0.37'), titles.join('\n'));
    assert.ok(titles.includes('33 RF 7×7 · jump 4 · edge 0.18'), titles.join('\n'));
    assert.ok(titles.includes('50 RF 15×15 · jump 4 · edge 0.12'), titles.join('\n'));
    assert.ok(lenses.every((l) => l.command?.command === 'rfLens.showInfluenceMap'));
    const ui = await screenshot('codelens', { escape: true });
    if (ui) assert.ok((ui['codeLenses'] as string[]).some((t) => t.startsWith('RF ')), JSON.stringify(ui['codeLenses']));
    if (ui) assert.ok((ui['statusBar'] as string[]).some((t) => /RF 15×15 · edge 0\.12/.test(t)), JSON.stringify(ui['statusBar']));
    await setSetting('codeLens.enabled', false);
    const none = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', BLIND, 100);
    assert.equal(none.length, 0);
    await setSetting('codeLens.enabled', undefined);
  });

  it('RFL001 quick fix: the kernel set to the stride removes the dead pixels', async () => {
    const uri = ws('fixes', 'dead.cfg');
    await openModel(uri);
    const title = await applyFix(uri, 'RFL001', /Set the kernel to 2/);
    assert.ok(!diagnostics(uri).some((d) => codeOf(d) === 'RFL001'), `${title}: ${diagnostics(uri).map(codeOf)}`);
    await restore(uri);
  });

  it('"Show documentation" opens the finding’s README section', async () => {
    await openModel(BLIND);
    const d = diagnostics(BLIND).find((x) => codeOf(x) === 'RFL005')!;
    const action = (await quickFixes(BLIND, d)).find((a) => a.title === 'Show documentation of RFL005')!;
    await vscode.commands.executeCommand(action.command!.command, ...(action.command!.arguments ?? []));
    const editor = await waitFor('the README', () => (vscode.window.activeTextEditor?.document.uri.path.match(/readme\.md$/i) ? vscode.window.activeTextEditor : undefined));
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /^### RFL005 Asymmetric padding/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('RFL003 quick fixes: a kernel a multiple of the stride (Darknet and Caffe)', async () => {
    for (const uri of [ws('fixes', 'ripple.cfg'), ws('fixes', 'ripple.prototxt')]) {
      await openModel(uri);
      const d = diagnostics(uri).find((x) => codeOf(x) === 'RFL003')!;
      const titles = (await quickFixes(uri, d)).map((a) => a.title);
      assert.deepEqual(titles, ['Use kernel 4 (a multiple of stride 2)', 'Use kernel 2 (a multiple of stride 2)', 'Disable RFL003 in settings', 'Show documentation of RFL003']);
      await applyFix(uri, 'RFL003', /Use kernel 4/);
      assert.ok(!diagnostics(uri).some((x) => codeOf(x) === 'RFL003'), diagnostics(uri).map(codeOf).join());
      await restore(uri);
    }
  });

  it('RFL006 quick fixes: both nearest exact input sizes are offered and each removes the finding', async () => {
    const uri = ws('fixes', 'misaligned.cfg');
    for (const size of ['62', '64']) {
      const { doc } = await openModel(uri);
      const d = diagnostics(uri).find((x) => codeOf(x) === 'RFL006')!;
      const titles = (await quickFixes(uri, d)).map((a) => a.title);
      assert.ok(titles.includes('Use input size 62x62') && titles.includes('Use input size 64x64'), titles.join());
      await applyFix(uri, 'RFL006', new RegExp(`Use input size ${size}x${size}`));
      assert.match(doc.getText(), new RegExp(`width=${size}\\nheight=${size}`));
      assert.ok(!diagnostics(uri).some((x) => codeOf(x) === 'RFL006'), diagnostics(uri).map(codeOf).join());
      await restore(uri);
    }
  });

  it('RFL002 quick fixes (PyTorch): padding_mode replicate or reflect in every padding call removes the finding', async () => {
    const uri = ws('fixes', 'padding.py');
    for (const mode of ['replicate', 'reflect']) {
      const { doc } = await openModel(uri);
      await waitFor('RFL002', () => diagnostics(uri).some((x) => codeOf(x) === 'RFL002'));
      const d = diagnostics(uri).find((x) => codeOf(x) === 'RFL002')!;
      const titles = (await quickFixes(uri, d)).map((a) => a.title);
      assert.ok(titles.some((t) => t.startsWith("Pad with 'replicate': padding_mode in 5 calls")) && titles.some((t) => t.startsWith("Pad with 'reflect'")), titles.join(' | '));
      await applyFix(uri, 'RFL002', new RegExp(`Pad with '${mode}'`));
      assert.equal(doc.getText().split(`padding_mode='${mode}'`).length - 1, 5);
      await sleep(300);
      assert.ok(!diagnostics(uri).some((x) => codeOf(x) === 'RFL002'), diagnostics(uri).map(codeOf).join());
      await restore(uri);
    }
  });

  it('a severity setting changes the diagnostic; "Disable in settings" removes it', async () => {
    await openModel(BLIND);
    await setSetting('severity', { RFL004: 'error' });
    await waitFor('RFL004 as an error', () => diagnostics(BLIND).find((d) => codeOf(d) === 'RFL004' && d.severity === vscode.DiagnosticSeverity.Error));
    await setSetting('severity', { RFL004: 'hint' });
    await waitFor('RFL004 as a hint', () => diagnostics(BLIND).find((d) => codeOf(d) === 'RFL004' && d.severity === vscode.DiagnosticSeverity.Hint));
    await setSetting('severity', undefined);
    await waitFor('RFL004 back to information', () => diagnostics(BLIND).find((d) => codeOf(d) === 'RFL004' && d.severity === vscode.DiagnosticSeverity.Information));
    const d = diagnostics(BLIND).find((x) => codeOf(x) === 'RFL004')!;
    const disable = (await quickFixes(BLIND, d)).find((a) => a.title === 'Disable RFL004 in settings')!;
    await vscode.commands.executeCommand(disable.command!.command, ...(disable.command!.arguments ?? []));
    await waitFor('RFL004 gone', () => !diagnostics(BLIND).some((x) => codeOf(x) === 'RFL004'));
    await vscode.workspace.getConfiguration('rfLens', BLIND).update('severity', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    await waitFor('RFL004 back', () => diagnostics(BLIND).some((x) => codeOf(x) === 'RFL004'));
  });

  it('an edit updates the diagnostics; a burst of edits publishes only the last text', async () => {
    const { doc, editor } = await openModel(BLIND);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    await editAndSettle(BLIND, () => editor.edit((b) => b.insert(end, '\n\n[bogus]\n')));
    const bogus = await waitFor('RFL100 on [bogus]', () => diagnostics(BLIND).find((d) => codeOf(d) === 'RFL100' && doc.getText(d.range) === '[bogus]'));
    assert.equal(bogus.range.start.line, end.line + 2);
    // a burst: stride 2 -> 1 -> 2 -> 1 on [convolutional] 0; only the last text's findings are published
    const stride = new vscode.Range(20, 7, 20, 8);
    await editAndSettle(BLIND, async () => {
      for (const s of ['1', '2', '1', '2', '1']) {
        await editor.edit((b) => b.replace(stride, s));
        await sleep(5);
      }
    });
    await waitFor('the last text analysed', () => doc.getText().includes('stride=1') && api().then((a) => a.context.analyses.get(BLIND)!.stamp === a.context.analyses.get(BLIND)!.reportStamp));
    await settled(BLIND);
    const a = await api();
    const e = a.context.analyses.get(BLIND)!;
    assert.equal(e.reportStamp, e.stamp);
    const burst = diagnostics(BLIND).map((d) => `${codeOf(d)} ${rangeText(d.range)}`).sort();
    assert.ok(!burst.some((d) => d.startsWith('RFL003 20:')), burst.join());
    assert.ok(!burst.some((d) => d.startsWith('RFL001')), burst.join()); // a stride-1 first layer covers what the 1x1 skips
    a.context.analyses.invalidate(BLIND, true); // a fresh analysis of the same text agrees
    await settled(BLIND);
    assert.deepEqual(diagnostics(BLIND).map((d) => `${codeOf(d)} ${rangeText(d.range)}`).sort(), burst);
    await restore(BLIND);
    assert.ok(diagnostics(BLIND).some((d) => codeOf(d) === 'RFL003'));
  });

  it('"Show Influence Map" opens a webview tab for the active model', async () => {
    await openModel(BLIND);
    await vscode.commands.executeCommand('rfLens.showInfluenceMap');
    const tab = await waitFor('the Influence Map tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.label === 'Influence Map'),
    );
    assert.ok(tab);
    const ui = await screenshot('panel', { escape: true });
    if (ui) assert.match(String(ui['webviewHeading']), /Influence map/);
  });

  it('the engine service answers maps, layer metrics and the depth profile', async () => {
    const a = await api();
    const m = await a.context.analyses.map(BLIND, { layer: '5', metric: 'coverage' });
    assert.ok(!('refused' in m), JSON.stringify(m));
    assert.deepEqual(m.shape, [100, 100]);
    assert.ok(m.values instanceof Float64Array && m.values.length === 10000);
    const report = await a.context.analyses.report(BLIND);
    const doc = await vscode.workspace.openTextDocument(BLIND);
    const disk = new TextDecoder().decode(await vscode.workspace.fs.readFile(BLIND));
    const st = a.context.analyses.get(BLIND)!;
    assert.equal(report?.metrics['5']?.deadPixels, 4524, JSON.stringify({ dirty: doc.isDirty, bogus: doc.getText().includes('bogus'), diskBogus: disk.includes('bogus'), same: disk === doc.getText(), stamp: st.stamp, reportStamp: st.reportStamp, line20: doc.lineAt(20).text, layers: report?.layers.length }));
    assert.equal(m.metrics?.deadPixels, 4524, JSON.stringify(m.metrics));
    assert.equal(m.values.filter((v) => v === 0).length, 4524);
    const p = await a.context.analyses.depthProfile(BLIND);
    assert.ok(!('refused' in p));
    assert.equal(p.layers.length, p.edgeRatio.length);
    const unit = await a.context.analyses.map(BLIND, { layer: '0', metric: 'coverage', unit: [0, 0] });
    assert.ok(!('refused' in unit) && unit.field);
    // unit (0, 0) of a 3x3 convolution padded by 1 reads pixels -1..1 on each axis: inside the input, 0..1
    assert.deepEqual(unit.field, { lo: [0, 0], hi: [1, 1] });
    assert.deepEqual([...unit.values].filter((v) => v > 0).length, 4);
  });

  it('the workspace pass lists every model file in the Problems panel, excluded ones not', async () => {
    await closeAll();
    const proto = ws('caffe', 'valid-convs.prototxt');
    await waitFor('diagnostics of a file never opened', () => diagnostics(proto).length > 0);
    assert.deepEqual([...new Set(diagnostics(proto).map(codeOf))].sort(), ['RFL002', 'RFL003', 'RFL004']);
    assert.ok(diagnostics(ws('darknet', 'tiny-detector.cfg')).length > 0);
    assert.deepEqual(diagnostics(ws('excluded', 'ignored.cfg')), []);
    assert.deepEqual(diagnostics(ws('setup.cfg')), []);
    await openModel(BLIND);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    const ui = await screenshot('problems', { settle: 1500, escape: true });
    if (ui) assert.match(String(ui['problemsPanel']), /RFL00/);
    await vscode.commands.executeCommand('workbench.action.closePanel');
  });

  it('a corpus model (YOLOv4, 1159 lines) gets its diagnostics and a CodeLens per layer', async function () {
    this.timeout(120000);
    const ext = vscode.extensions.getExtension('receptive-field-lens.receptive-field-lens')!;
    const uri = vscode.Uri.joinPath(ext.extensionUri, '..', 'shared', 'corpus', 'darknet', 'yolov4.cfg');
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      this.skip(); // no corpus beside this checkout
    }
    await openModel(uri);
    const codes = new Set(diagnostics(uri).map(codeOf));
    const st = (await api()).context.analyses.get(uri);
    assert.ok(codes.has('RFL002') && codes.has('RFL003'), `${[...codes].join()} ${uri.toString()} ${JSON.stringify({ claimed: st?.claimed, stamp: st?.stamp, rs: st?.reportStamp, ms: st?.mapsStamp, n: st?.report?.findings.length, all: vscode.languages.getDiagnostics(uri).length, docs: vscode.workspace.textDocuments.map((d) => d.uri.toString()) })}`);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.ok(st && (await api()).context.lenses.provideCodeLenses(doc).length >= 150);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 3);
    assert.match(lenses[0]!.command!.title, /^RF 3×3 · jump 1 · edge \d\.\d\d$/);
    await closeAll();
  });

  it('diagnostics are cleared when the document closes', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'darknet', content: '[net]\nwidth=64\nheight=64\n\n[convolutional]\nsize=3\nstride=2\npad=1\n' });
    await vscode.window.showTextDocument(doc);
    await settled(doc.uri);
    await waitFor('diagnostics of an untitled model', () => diagnostics(doc.uri).some((d) => codeOf(d) === 'RFL003'));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await waitFor('cleared diagnostics', () => diagnostics(doc.uri).length === 0);
  });

  it('a workspace model file closed stays in the Problems panel (its saved text)', async () => {
    const uri = ws('fixes', 'ripple.cfg');
    await openModel(uri);
    await closeAll();
    await sleep(300);
    await waitFor('diagnostics from disk', () => diagnostics(uri).some((d) => codeOf(d) === 'RFL003'));
  });
});
