/**
 * The layer table of the ONNX editor: the model's header (input, final field,
 * findings) and one row per layer (name, op, output, receptive field, edge
 * ratio, findings) with a button that opens the influence map there. Sortable
 * by any column, filterable, keyboard operable (arrows move the selection,
 * Enter opens the map). Talks to the host only through
 * src/shared/tableProtocol.ts; keeps its sort, filter and selection with
 * setState, so a reload shows the same view.
 */
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import './base.css';
import './table.css';
import { filterRows, nextOrder, sortRows, type LayerRow, type LayerTable, type SeverityName, type SortKey, type SortOrder, type TableFinding } from '../src/shared/layerTable';
import type { HostToTable, TableToHost, TableViewState } from '../src/shared/tableProtocol';
import { byId, clear, h } from './dom';
import { fmtAxes, fmtRatio, fmtShape } from './format';

interface VsCodeApi {
  postMessage(message: TableToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: TableToHost) => vscode.postMessage(m);

const saved = (vscode.getState() ?? {}) as TableViewState;
let order: SortOrder = saved.order ?? { key: 'index', dir: 1 };
let filter = saved.filter ?? '';
let selected: string | null = saved.selected ?? null;
let table: LayerTable | null = null;
let partial = false;
let threshold = 0.25;
/** the rows on screen, in order */
let shown: LayerRow[] = [];
const rowEls = new Map<string, HTMLTableRowElement>();

function saveState(): void {
  vscode.setState({ order, filter, selected } satisfies TableViewState);
}

const SEVERITY_GLYPH: Record<SeverityName, string> = { error: '⨯', warning: '⚠', information: 'ℹ', hint: '…' };
const SOURCE_TEXT: Record<string, string> = { file: 'stated in the file', default: 'default (rfLens.defaultInputSize)', option: 'requested' };

const COLUMNS: Array<{ key: SortKey | null; label: string; title: string; cls?: string }> = [
  { key: 'index', label: '#', title: 'Position in the graph', cls: 'num' },
  { key: 'name', label: 'Layer', title: 'Node name' },
  { key: 'op', label: 'Op', title: 'ONNX operator and its spatial parameters' },
  { key: 'output', label: 'Output', title: 'Spatial output size', cls: 'num' },
  { key: 'rf', label: 'RF', title: 'Size of the centre unit’s field in input pixels; “global”: the layer also sees every pixel through a global operation', cls: 'num' },
  { key: 'jump', label: 'Jump', title: 'Input distance between neighbouring units’ field centres', cls: 'num' },
  { key: null, label: 'Start', title: 'Centre of unit 0’s field in input coordinates', cls: 'num col-start' },
  { key: 'edge', label: 'Edge', title: 'Edge ratio: mean path count on the border ring over the peak, of this layer’s own map', cls: 'num' },
  { key: 'findings', label: 'Findings', title: 'Findings about this layer' },
  { key: null, label: '', title: '' },
];

function findingIcon(f: TableFinding): HTMLElement {
  const text = `${f.code} (${f.severity}): ${f.message}`;
  return h('span', { class: `finding sev-${f.severity}`, title: text, 'aria-label': text, role: 'img' }, h('span', { class: 'glyph', 'aria-hidden': 'true', text: SEVERITY_GLYPH[f.severity] }), f.code);
}

// ---------------------------------------------------------------- header

function renderHeader(t: LayerTable): HTMLElement {
  const hd = t.header;
  const counts = (['error', 'warning', 'information', 'hint'] as SeverityName[]).filter((s) => hd.counts[s] > 0);
  const total = counts.reduce((n, s) => n + hd.counts[s], 0);
  const fieldText = hd.finalRf ? `${fmtShape(hd.finalRf.size)}${hd.finalRf.global ? ' + global' : ''}` : '–';
  const finalName = hd.finalRf ? (t.rows.find((r) => r.id === hd.finalRf!.layer)?.name ?? hd.finalRf.layer) : null;
  const item = (label: string, value: Node | string, title?: string) => h('div', { class: 'fact' }, h('dt', { text: label }), h('dd', { title }, value));
  return h(
    'header',
    { class: 'model' },
    h('h2', { id: 'title' }, hd.fileName, hd.model && hd.model !== hd.fileName ? h('span', { class: 'muted', text: ` · ${hd.model}` }) : null),
    h(
      'dl',
      { class: 'facts' },
      item('Input', h('span', {}, hd.input ? fmtShape(hd.input.shape) : '–', hd.input ? h('span', { class: 'muted', text: ` ${SOURCE_TEXT[hd.input.source] ?? hd.input.source}` }) : null)),
      item('Final receptive field', h('span', {}, fieldText, finalName ? h('span', { class: 'muted', text: ` at ${finalName}` }) : null), 'The widest field among the last spatial layers'),
      item('Final edge ratio', h('span', { class: hd.finalEdgeRatio !== null && hd.finalEdgeRatio < threshold ? 'low' : '', text: hd.finalEdgeRatio === null ? (partial ? '…' : '–') : fmtRatio(hd.finalEdgeRatio) })),
      item('Layers', String(t.rows.length)),
      item(
        'Findings',
        total
          ? h('span', { class: 'counts' }, ...counts.map((s) => h('span', { class: `count sev-${s}`, title: `${hd.counts[s]} ${s}` }, h('span', { class: 'glyph', 'aria-hidden': 'true', text: SEVERITY_GLYPH[s] }), `${hd.counts[s]} ${s}`)))
          : partial
            ? 'computing…'
            : 'none',
      ),
    ),
    hd.modelFindings.length
      ? h(
          'ul',
          { class: 'model-findings', 'aria-label': 'Findings about the whole network' },
          ...hd.modelFindings.map((f) => h('li', {}, findingIcon(f), h('span', { class: 'message', text: f.message }))),
        )
      : null,
    partial ? h('p', { class: 'muted note', role: 'status', text: 'Computing the map-based findings (RFL001–RFL003)…' }) : null,
  );
}

// ---------------------------------------------------------------- table

function edgeCell(row: LayerRow): HTMLTableCellElement {
  const td = h('td', { class: 'num edge' });
  fillEdge(td, row);
  return td;
}

function fillEdge(td: HTMLElement, row: LayerRow): void {
  const v = row.edgeRatio;
  td.textContent = v === undefined ? (row.mappable ? '…' : '–') : fmtRatio(v);
  td.classList.toggle('low', typeof v === 'number' && v < threshold);
  if (row.edgeNote) td.title = row.edgeNote;
  else if (typeof v === 'number' && v < threshold) td.title = `below the threshold ${threshold} (rfLens.edgeRatioThreshold)`;
  else td.removeAttribute('title');
}

function renderRow(row: LayerRow): HTMLTableRowElement {
  const rf = row.rf;
  const button = row.mappable
    ? h('button', { class: 'map', type: 'button', title: `Show the influence map at ${row.name}`, 'aria-label': `Show influence map at ${row.name}`, 'data-layer': row.id, tabindex: -1, text: 'Map' })
    : null;
  const tr = h(
    'tr',
    { 'data-id': row.id, tabindex: -1, 'aria-selected': row.id === selected ? 'true' : 'false' },
    h('td', { class: 'num muted', text: String(row.index) }),
    h('td', { class: 'name', title: row.id !== row.name ? `${row.name} (id ${row.id})` : row.name, text: row.name }),
    h('td', { class: 'op' }, row.op, row.params && row.params !== row.op ? h('span', { class: 'muted params', text: ` ${row.params}` }) : null),
    h('td', { class: 'num', text: row.output ? fmtShape(row.output) : '–' }),
    h('td', { class: 'num' }, rf ? fmtShape(rf.size) : '–', rf?.global ? h('span', { class: 'global', title: 'also depends on every pixel through a global operation (pooling, an SE gate, attention)', text: 'global' }) : null),
    h('td', { class: 'num', text: rf ? fmtAxes(rf.jump) : '–' }),
    h('td', { class: 'num col-start', text: rf ? fmtAxes(rf.start) : '–' }),
    edgeCell(row),
    h('td', { class: 'findings' }, ...row.findings.map(findingIcon)),
    h('td', { class: 'action' }, button),
  );
  return tr;
}

function renderBody(): void {
  const body = document.querySelector('tbody');
  if (!body || !table) return;
  shown = sortRows(filterRows(table.rows, filter), order);
  clear(body);
  rowEls.clear();
  for (const row of shown) {
    const tr = renderRow(row);
    rowEls.set(row.id, tr);
    body.append(tr);
  }
  if (!shown.length) body.append(h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'muted empty', text: `No layer matches “${filter}”.` })));
  // roving focus: the selected row (else the first) is the one Tab reaches
  const focusable = (selected && rowEls.get(selected)) || rowEls.get(shown[0]?.id ?? '');
  if (focusable) focusable.tabIndex = 0;
  byId('count').textContent = filter ? `${shown.length} of ${table.rows.length} layers` : `${table.rows.length} layers`;
  for (const th of document.querySelectorAll<HTMLElement>('th[data-key]')) {
    const key = th.dataset['key'];
    th.setAttribute('aria-sort', key === order.key ? (order.dir === 1 ? 'ascending' : 'descending') : 'none');
  }
}

function renderTable(): void {
  const app = byId('app');
  app.removeAttribute('aria-busy');
  clear(app);
  if (!table) return;
  const field = h('vscode-textfield', { id: 'filter', placeholder: 'Filter: name, op or RFL code (! = with findings)', 'aria-label': 'Filter layers', value: filter });
  const head = h(
    'tr',
    {},
    ...COLUMNS.map((c) =>
      c.key
        ? h('th', { 'data-key': c.key, class: c.cls, scope: 'col' }, h('button', { class: 'sort', type: 'button', title: `${c.title}. Sort by ${c.label || '#'}`, 'data-key': c.key }, c.label, h('span', { class: 'arrow', 'aria-hidden': 'true' })))
        : h('th', { class: c.cls, scope: 'col', title: c.title, text: c.label }),
    ),
  );
  app.append(
    renderHeader(table),
    h('div', { class: 'toolbar' }, field, h('span', { id: 'count', class: 'muted', role: 'status' })),
    h('div', { class: 'table-wrap' }, h('table', { class: 'layers', 'aria-label': 'Layers' }, h('thead', {}, head), h('tbody'))),
  );
  field.addEventListener('input', () => {
    filter = String((field as unknown as { value: string }).value ?? '');
    saveState();
    renderBody();
  });
  renderBody();
  if (selected && rowEls.has(selected)) rowEls.get(selected)!.scrollIntoView({ block: 'nearest' });
}

function select(id: string, options: { fromUser: boolean; focus: boolean }): void {
  if (!table) return;
  if (!rowEls.has(id) && table.rows.some((r) => r.id === id) && filter) {
    // the layer is filtered out: show every row again rather than select something invisible
    filter = '';
    const field = document.getElementById('filter') as unknown as { value: string } | null;
    if (field) field.value = '';
    renderBody();
  }
  const tr = rowEls.get(id);
  if (!tr) return;
  for (const [k, el] of rowEls) {
    const on = k === id;
    el.setAttribute('aria-selected', on ? 'true' : 'false');
    el.tabIndex = on ? 0 : -1;
  }
  selected = id;
  saveState();
  tr.scrollIntoView({ block: 'nearest' });
  if (options.focus) tr.focus();
  if (options.fromUser) post({ type: 'selected', layer: id });
}

function showMap(id: string): void {
  const row = table?.rows.find((r) => r.id === id);
  if (row?.mappable) post({ type: 'showMap', layer: id });
}

document.addEventListener('click', (ev) => {
  const target = ev.target as HTMLElement;
  const sort = target.closest<HTMLElement>('button.sort');
  if (sort) {
    order = nextOrder(order, sort.dataset['key'] as SortKey);
    saveState();
    renderBody();
    return;
  }
  const tr = target.closest<HTMLTableRowElement>('tbody tr[data-id]');
  if (!tr) return;
  const id = tr.dataset['id']!;
  select(id, { fromUser: true, focus: !target.closest('button.map') });
  if (target.closest('button.map')) showMap(id);
});

document.addEventListener('keydown', (ev) => {
  const tr = (ev.target as HTMLElement).closest?.<HTMLTableRowElement>('tbody tr[data-id]');
  if (!tr) return;
  const k = shown.findIndex((r) => r.id === tr.dataset['id']);
  const go = (i: number) => {
    const row = shown[Math.max(0, Math.min(shown.length - 1, i))];
    if (row) select(row.id, { fromUser: true, focus: true });
    ev.preventDefault();
  };
  switch (ev.key) {
    case 'ArrowDown':
      return go(k + 1);
    case 'ArrowUp':
      return go(k - 1);
    case 'PageDown':
      return go(k + 15);
    case 'PageUp':
      return go(k - 15);
    case 'Home':
      return go(0);
    case 'End':
      return go(shown.length - 1);
    case 'Enter':
    case ' ':
      if ((ev.target as HTMLElement).closest('button')) return; // the button's own activation
      showMap(tr.dataset['id']!);
      ev.preventDefault();
      return;
  }
});

function showStatus(message: string, busy: boolean): void {
  const app = byId('app');
  app.setAttribute('aria-busy', busy ? 'true' : 'false');
  clear(app);
  app.append(h('p', { class: 'placeholder', id: 'placeholder', role: 'status', text: message }));
}

window.addEventListener('message', (ev: MessageEvent<HostToTable>) => {
  const m = ev.data;
  switch (m.type) {
    case 'table':
      table = m.table;
      partial = m.partial;
      threshold = m.edgeRatioThreshold;
      renderTable();
      return;
    case 'edges':
      if (!table) return;
      for (const [id, v] of Object.entries(m.edges)) {
        const row = table.rows.find((r) => r.id === id);
        if (!row) continue;
        if (typeof v === 'string') {
          row.edgeRatio = null;
          row.edgeNote = v;
        } else row.edgeRatio = v;
        const td = rowEls.get(id)?.querySelector<HTMLElement>('td.edge');
        if (td) fillEdge(td, row);
      }
      if (order.key === 'edge') renderBody();
      return;
    case 'select':
      select(m.layer, { fromUser: false, focus: false });
      return;
    case 'status':
      if (!table || !m.busy) {
        table = null;
        showStatus(m.message, m.busy);
      }
      return;
  }
});

post({ type: 'ready' });
