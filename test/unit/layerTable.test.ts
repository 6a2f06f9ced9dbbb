/**
 * The ONNX editor's layer table: rows built from the engine's report (fields
 * derived by hand for a small graph), findings grouped by layer with the
 * user's severities, the header's summary, sorting (stable, missing values
 * last) and filtering; and the host session that fills in the edge ratios.
 */
import { strict as assert } from 'node:assert';
import { analyze, type AnalysisReport, type LayerMetrics } from '../../src/core';
import { TableSession } from '../../src/extension/onnxTable/session';
import { mappableLayers } from '../../src/extension/panel/session';
import { buildLayerTable, filterRows, nextOrder, sortRows, type LayerRow } from '../../src/shared/layerTable';
import type { HostToTable } from '../../src/shared/tableProtocol';
import { buildModel, node, weight } from '../support/onnxBuild';

/**
 * 32x32; c1 conv k3 s1 p0 (out 30, r 3, j 1, start 1); p1 max pool k2 s2
 * (out 15, r 4, j 2, start 1.5); c2 conv k3 s2 p1 (out 8, r 8, j 4, start
 * 1.5); then a global pool and a dense layer (no spatial axes: rf global).
 */
function handReport(): AnalysisReport {
  const bytes = buildModel({
    opset: 13,
    inputs: [{ name: 'image', dims: [1, 3, 32, 32] }],
    outputs: [{ name: 'logits', dims: [1, 4] }],
    initializers: [weight('c1.w', [8, 3, 3, 3]), weight('c2.w', [8, 8, 3, 3]), weight('fc.w', [4, 8])],
    nodes: [
      node('Conv', ['image', 'c1.w'], ['a'], { kernel_shape: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0] }, 'c1'),
      node('MaxPool', ['a'], ['b'], { kernel_shape: [2, 2], strides: [2, 2] }, 'p1'),
      node('Conv', ['b', 'c2.w'], ['c'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'c2'),
      node('GlobalAveragePool', ['c'], ['g'], {}, 'gap'),
      node('Flatten', ['g'], ['f'], {}, 'flatten'),
      node('Gemm', ['f', 'fc.w'], ['logits'], { transB: 1 }, 'fc'),
    ],
  });
  return analyze({ fileName: 'hand.onnx', bytes });
}

function row(id: string, index: number, extra: Partial<LayerRow> = {}): LayerRow {
  return { index, id, name: id, op: 'Conv', params: '', output: [8, 8], rf: { size: [3, 3], jump: [1, 1], start: [1, 1], global: false }, findings: [], mappable: true, ...extra };
}

describe('layer table', () => {
  const report = handReport();

  it('has one row per layer with the hand-derived output and field', () => {
    const t = buildLayerTable(report, new Set(mappableLayers(report)));
    assert.deepEqual(t.rows.map((r) => r.id), ['image', 'c1', 'p1', 'c2', 'gap', 'flatten', 'fc']);
    assert.deepEqual(t.rows.map((r) => r.index), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(t.rows.map((r) => r.op), ['input', 'Conv', 'MaxPool', 'Conv', 'GlobalAveragePool', 'Flatten', 'Gemm']);
    const by = (id: string) => t.rows.find((r) => r.id === id)!;
    assert.deepEqual(by('c1').output, [30, 30]);
    assert.deepEqual(by('c1').rf, { size: [3, 3], jump: [1, 1], start: [1, 1], global: false });
    assert.deepEqual(by('p1').output, [15, 15]);
    assert.deepEqual(by('p1').rf, { size: [4, 4], jump: [2, 2], start: [1.5, 1.5], global: false });
    assert.deepEqual(by('c2').output, [8, 8]);
    assert.deepEqual(by('c2').rf, { size: [8, 8], jump: [4, 4], start: [1.5, 1.5], global: false });
    // after the global pool the layer sees every pixel through it
    assert.equal(by('fc').rf?.global, true);
    assert.equal(by('fc').output, null);
    assert.equal(by('image').mappable, false, 'the input has no map of its own');
    assert.ok(by('c2').mappable && by('fc').mappable);
    // the final spatial layer is c2: its field and edge ratio head the table
    assert.deepEqual(t.header.finalRf, { layer: 'c2', size: [8, 8], global: false });
    assert.equal(t.header.finalEdgeRatio, report.metrics['c2']!.edgeRatio);
    assert.equal(by('c2').edgeRatio, report.metrics['c2']!.edgeRatio);
    assert.equal(by('c1').edgeRatio, undefined, 'not computed yet');
    assert.deepEqual(t.header.input, { shape: [32, 32], source: 'file' });
  });

  it('puts each finding on its layer’s row (or the header), with the user’s severity', () => {
    assert.ok(report.findings.length >= 2, `findings: ${report.findings.map((f) => f.code).join(', ')}`);
    const t = buildLayerTable(report, new Set());
    const placed = [...t.rows.flatMap((r) => r.findings.map((f) => `${f.code}@${r.id}`)), ...t.header.modelFindings.map((f) => f.code)].sort();
    const expected = report.findings.map((f) => (f.layer && report.layers.some((l) => l.id === f.layer) ? `${f.code}@${f.layer}` : f.code)).sort();
    assert.deepEqual(placed, expected);
    const total = Object.values(t.header.counts).reduce((a, b) => a + b, 0);
    assert.equal(total, report.findings.length);
    // a code switched off disappears, another made an error counts as one
    const [off, up] = [report.findings[0]!.code, report.findings.find((f) => f.code !== report.findings[0]!.code)!.code];
    const t2 = buildLayerTable(report, new Set(), (code, s) => (code === off ? undefined : code === up ? 'error' : (s as 'warning')));
    const all = [...t2.rows.flatMap((r) => r.findings), ...t2.header.modelFindings];
    assert.ok(!all.some((f) => f.code === off));
    assert.ok(all.filter((f) => f.code === up).every((f) => f.severity === 'error'));
    assert.equal(t2.header.counts.error, report.findings.filter((f) => f.code === up).length);
  });

  it('sorts stably, with rows that have no value last in either direction', () => {
    const rows = [
      row('a', 0, { rf: { size: [5, 5], jump: [2, 2], start: [0, 0], global: false }, edgeRatio: 0.3 }),
      row('b', 1, { rf: null, output: null }),
      row('c', 2, { rf: { size: [3, 3], jump: [1, 1], start: [0, 0], global: false }, edgeRatio: 0.1 }),
      row('d', 3, { rf: { size: [5, 5], jump: [null, null], start: [null, null], global: false } }),
    ];
    const ids = (rs: LayerRow[]) => rs.map((r) => r.id).join('');
    assert.equal(ids(sortRows(rows, { key: 'rf', dir: 1 })), 'cadb');
    assert.equal(ids(sortRows(rows, { key: 'rf', dir: -1 })), 'adcb', 'ties keep the graph order');
    assert.equal(ids(sortRows(rows, { key: 'jump', dir: 1 })), 'cabd', 'a jump that does not exist sorts last');
    assert.equal(ids(sortRows(rows, { key: 'edge', dir: 1 })), 'cabd');
    assert.equal(ids(sortRows(rows, { key: 'edge', dir: -1 })), 'acbd');
    assert.equal(ids(sortRows(rows, { key: 'index', dir: -1 })), 'dcba');
    assert.equal(ids(sortRows(rows, { key: 'output', dir: 1 })), 'acdb');
    // the most severe findings first when descending
    const f = [
      row('x', 0, { findings: [{ code: 'RFL004', severity: 'information', message: '' }] }),
      row('y', 1),
      row('z', 2, { findings: [{ code: 'RFL002', severity: 'warning', message: '' }] }),
      row('w', 3, { findings: [{ code: 'RFL004', severity: 'information', message: '' }, { code: 'RFL003', severity: 'information', message: '' }] }),
    ];
    assert.equal(ids(sortRows(f, { key: 'findings', dir: -1 })), 'zwxy');
    assert.equal(ids(sortRows(rows, { key: 'name', dir: -1 })), 'dcba');
  });

  it('filters on every word of the query; "!" keeps rows with findings', () => {
    const rows = [
      row('/stem/conv1/Conv', 0, { op: 'Conv', params: 'k3 s2 p1', findings: [{ code: 'RFL003', severity: 'information', message: 'm' }] }),
      row('/stem/relu', 1, { op: 'Relu' }),
      row('/head/conv/Conv', 2, { op: 'Conv', params: 'k1 s1' }),
    ];
    const ids = (q: string) => filterRows(rows, q).map((r) => r.index);
    assert.deepEqual(ids(''), [0, 1, 2]);
    assert.deepEqual(ids('conv'), [0, 2]);
    assert.deepEqual(ids('STEM conv'), [0]);
    assert.deepEqual(ids('rfl003'), [0]);
    assert.deepEqual(ids('s2'), [0]);
    assert.deepEqual(ids('!'), [0]);
    assert.deepEqual(ids('nothing'), []);
  });

  it('a click on a column sorts by it, a second click flips it', () => {
    assert.deepEqual(nextOrder({ key: 'index', dir: 1 }, 'rf'), { key: 'rf', dir: 1 });
    assert.deepEqual(nextOrder({ key: 'rf', dir: 1 }, 'rf'), { key: 'rf', dir: -1 });
    assert.deepEqual(nextOrder({ key: 'rf', dir: -1 }, 'rf'), { key: 'rf', dir: 1 });
    assert.deepEqual(nextOrder({ key: 'rf', dir: 1 }, 'findings'), { key: 'findings', dir: -1 });
  });
});

describe('layer table session', () => {
  const report = handReport();

  function session(current: ReturnType<() => { report: AnalysisReport; stamp: number; complete: boolean } | 'unclaimed' | null>) {
    const posted: HostToTable[] = [];
    const asked: string[] = [];
    const engine = {
      current: () => current,
      layerMetrics: async (_u: string, id: string): Promise<LayerMetrics | { refused: string }> => {
        asked.push(id);
        if (id === 'flatten') return { refused: 'no map here' };
        return { ...report.metrics['c2']!, edgeRatio: id.length / 10 };
      },
    };
    const calls: string[] = [];
    const s = new TableSession<string>('u', engine, {
      post: (m) => posted.push(m),
      severity: (_c, sev) => sev as 'warning',
      edgeRatioThreshold: () => 0.25,
      showMap: (l) => calls.push(`map ${l}`),
      selected: (l) => calls.push(`sel ${l}`),
    });
    return { s, posted, asked, calls };
  }

  it('posts the table once the webview is ready, then the edge ratio of every mappable layer not known yet', async () => {
    const { s, posted, asked } = session({ report, stamp: 1, complete: true });
    s.refresh();
    assert.equal(posted.length, 0, 'nothing before the webview is ready');
    s.handle({ type: 'ready' });
    const table = posted.find((m) => m.type === 'table');
    assert.ok(table && table.type === 'table' && !table.partial && table.edgeRatioThreshold === 0.25);
    await new Promise((r) => setTimeout(r, 20));
    const known = new Set(Object.keys(report.metrics));
    const want = mappableLayers(report).filter((id) => !known.has(id));
    assert.deepEqual(asked, want);
    const edges = Object.assign({}, ...posted.filter((m) => m.type === 'edges').map((m) => (m.type === 'edges' ? m.edges : {})));
    for (const id of want) assert.equal(edges[id], id === 'flatten' ? 'no map here' : id.length / 10, id);
    // a new table of the same version keeps the edges known
    posted.length = 0;
    s.refresh();
    const again = posted.find((m) => m.type === 'table');
    assert.ok(again && again.type === 'table');
    assert.equal(again.table.rows.find((r) => r.id === 'c1')!.edgeRatio, 0.2);
    assert.equal(again.table.rows.find((r) => r.id === 'flatten')!.edgeNote, 'no map here');
  });

  it('says why there is no table; forwards the map button and the selection', () => {
    const { s, posted, calls } = session('unclaimed');
    s.handle({ type: 'ready' });
    assert.deepEqual(posted.at(-1), { type: 'status', message: 'No reader recognises this file as a model.', busy: false });
    s.handle({ type: 'showMap', layer: 'c2' });
    s.handle({ type: 'selected', layer: 'p1' });
    assert.deepEqual(calls, ['map c2', 'sel p1']);
    s.select('c1');
    assert.deepEqual(posted.at(-1), { type: 'select', layer: 'c1' });
  });
});
