/**
 * The influence-map panel: the heatmap of a layer's path counts or coverage
 * over the input, its layer slider and list, one unit's field, the padding
 * remedies side by side, the depth profile, axis profiles, the numbers and a
 * short theory. Talks to the host only through src/shared/protocol.ts; draws
 * the pixels src/shared/heatmap.ts computes (the command line's PNG has the
 * same ones).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import 'uplot/dist/uPlot.min.css';
import './base.css';
import './style.css';
import { colorTable, type ColorScale } from '../src/shared/colormap';
import {
  axisProfiles,
  colorbarTicks,
  defaultSlice,
  mapToCsv,
  mapToNpy,
  peakOf,
  planeOf,
  planeToRgba,
  renderFigure,
  sliceCount,
  type Plane,
} from '../src/shared/heatmap';
import type {
  ColorMapChoice,
  DepthSeries,
  ExportFormat,
  HostToPanel,
  LayerInfo,
  LayerMetricsPayload,
  MapMetric,
  MapPayload,
  ModelPayload,
  PaddingChoice,
  PanelToHost,
  RemedyResult,
  ViewState,
} from '../src/shared/protocol';
import { DepthChart, palette, ProfileChart, type DepthLine } from './charts';
import { byId, clear, h } from './dom';
import { fmtAxes, fmtCount, fmtPercent, fmtRatio, fmtShape, sup } from './format';

interface VsCodeApi {
  postMessage(message: PanelToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: PanelToHost) => vscode.postMessage(m);

const PADDINGS: PaddingChoice[] = ['file', 'zeros', 'reflect', 'replicate', 'circular'];
const PADDING_LABEL: Record<PaddingChoice, string> = {
  file: "file's own",
  zeros: 'zeros',
  reflect: 'reflect',
  replicate: 'replicate',
  circular: 'circular',
};

interface View {
  uri: string;
  layer: string;
  metric: MapMetric;
  scale: ColorScale;
  colormap: ColorMapChoice;
  padding: PaddingChoice;
  unit: number[] | null;
  slice: number;
}

let model: ModelPayload | null = null;
const view: View = { uri: '', layer: 'outputs', metric: 'paths', scale: 'linear', colormap: 'viridis', padding: 'file', unit: null, slice: -1 };
/** the map on screen and the layer map behind a unit's */
let shown: MapPayload | null = null;
let layerMap: MapPayload | null = null;
let remedies: RemedyResult[] = [];
let depth: DepthSeries[] = [];
let seq = 0;
const pending = new Map<number, string>();
const inFlight = new Set<string>();
const cache = new Map<string, MapPayload>();
const CACHE_LIMIT = 16;
let remedySeq = 0;
let depthSeq = 0;
let hover: { x: number; y: number } | null = null;
let profileX: ProfileChart | null = null;
let profileY: ProfileChart | null = null;
let profile1d: ProfileChart | null = null;
let depthChart: DepthChart | null = null;
/** timings the bench and the tests read */
const timings: { firstPaint?: number; lastDraw?: number } = {};
(window as unknown as { __rflTimings: typeof timings }).__rflTimings = timings;

function keyOf(layer: string, metric: MapMetric, padding: PaddingChoice, unit: number[] | null): string {
  return `${layer}|${metric}|${padding}|${unit ? unit.join(',') : ''}`;
}

let stateTimer = 0;
function saveState(): void {
  const state: ViewState = { ...view, unit: view.unit };
  vscode.setState(state);
  // the host keeps a copy too: it restores the view when the panel is shown again
  clearTimeout(stateTimer);
  stateTimer = window.setTimeout(() => post({ type: 'state', state: { ...view } }), 150);
}

// ---------------------------------------------------------------- layout

function build(): void {
  const app = byId('app');
  clear(app);
  app.removeAttribute('aria-busy');
  const select = (id: string, label: string, options: Array<[string, string]>) =>
    h(
      'label',
      { class: 'control' },
      h('span', { class: 'control-label', text: label }),
      h('vscode-single-select', { id, 'aria-label': label }, ...options.map(([v, t]) => h('vscode-option', { value: v, text: t }))),
    );
  app.append(
    h(
      'header',
      { class: 'head' },
      h('div', { class: 'titles' }, h('h1', { id: 'title', text: 'Influence map' }), h('div', { id: 'subtitle', class: 'muted' })),
      h(
        'div',
        { class: 'actions', role: 'group', 'aria-label': 'Export' },
        h('vscode-button', { id: 'export-png', title: 'Save the current view as a PNG image', text: 'Export PNG' }),
        h('vscode-button', { id: 'export-csv', secondary: true, title: 'Save the map as CSV', text: 'CSV' }),
        h('vscode-button', { id: 'export-npy', secondary: true, title: 'Save the map as a NumPy .npy file', text: '.npy' }),
      ),
    ),
    h('div', { id: 'stale', class: 'banner', role: 'status', hidden: true }),
    h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Map options' },
      select('metric', 'Map', [
        ['paths', 'Path count'],
        ['coverage', 'Coverage'],
      ]),
      select('scale', 'Scale', [
        ['linear', 'Linear'],
        ['log', 'Log (6 decades)'],
      ]),
      select('colormap', 'Colours', [
        ['viridis', 'Viridis'],
        ['magma', 'Magma'],
        ['cividis', 'Cividis'],
      ]),
      select('padding', 'Padding', PADDINGS.map((p) => [p, p === 'file' ? "File's own" : `What if: ${p}`])),
      h('label', { class: 'control', id: 'output-control' }, h('span', { class: 'control-label', text: 'Output' }), h('vscode-single-select', { id: 'output', 'aria-label': 'Output' })),
      h(
        'label',
        { class: 'control', id: 'slice-control', hidden: true },
        h('span', { class: 'control-label', id: 'slice-label', text: 'Slice' }),
        h('input', { type: 'range', id: 'slice', min: 0, max: 0, value: 0, 'aria-label': 'Slice of the 3-D map' }),
      ),
    ),
    h(
      'div',
      { class: 'slider-row' },
      h('label', { for: 'slider', class: 'control-label', text: 'Layer' }),
      h('input', { type: 'range', id: 'slider', min: 0, max: 0, value: 0, 'aria-describedby': 'layer-caption' }),
      h('span', { id: 'layer-caption', class: 'caption', 'aria-live': 'polite' }),
    ),
    h(
      'section',
      { class: 'viewer', 'aria-label': 'Influence map' },
      h(
        'div',
        { class: 'figure', id: 'figure' },
        h('h2', { id: 'view-title', class: 'view-title', text: 'Influence map' }),
        h(
          'div',
          { class: 'map-row' },
          h(
            'div',
            { class: 'map-wrap', id: 'map-wrap' },
            h('canvas', { id: 'map', tabindex: 0, role: 'img', 'aria-label': 'Heatmap of the map over the input. Arrow keys move a cursor, Enter shows that unit\u2019s field, Escape the whole layer.' }),
            h('canvas', { id: 'overlay', 'aria-hidden': 'true' }),
            h('div', { id: 'tooltip', class: 'tooltip', role: 'status', hidden: true }),
          ),
          h('div', { id: 'profile-y', class: 'profile-y' }),
          h('div', { class: 'colorbar' }, h('canvas', { id: 'bar', width: 1, height: 256, 'aria-hidden': 'true' }), h('div', { id: 'ticks', class: 'ticks' })),
        ),
        h('div', { id: 'profile-x', class: 'profile-x' }),
        h('div', { id: 'profile-1d', class: 'profile-1d', hidden: true }),
        h('div', { class: 'legend-mini muted' }, h('span', { class: 'swatch sum' }), ' sum along the axis ', h('span', { class: 'swatch centre' }), ' centre line'),
        h('div', { id: 'unit-chip', class: 'chip', hidden: true }, h('span', { id: 'unit-text' }), h('vscode-button', { id: 'unit-clear', secondary: true, text: 'Whole layer' })),
        h('p', { class: 'hint muted', id: 'hint', text: 'Click a pixel to see the field of the unit centred there; hover for values.' }),
      ),
      h(
        'aside',
        { class: 'side' },
        h('table', { id: 'numbers', class: 'numbers', 'aria-label': 'Numbers of this layer' }),
        h('h2', { text: 'Layers' }),
        h('div', { id: 'layers', class: 'layer-list', role: 'listbox', tabindex: 0, 'aria-label': 'Layers' }),
      ),
    ),
    h(
      'section',
      { class: 'block', id: 'remedies-section', 'aria-labelledby': 'remedies-title' },
      h('h2', { id: 'remedies-title', text: 'Remedies side by side' }),
      h('p', { class: 'muted', id: 'remedies-note' }),
      h('div', { id: 'remedies', class: 'remedies' }),
    ),
    h(
      'section',
      { class: 'block', id: 'depth-section', 'aria-labelledby': 'depth-title' },
      h('h2', { id: 'depth-title', text: 'Depth profile' }),
      h(
        'p',
        { class: 'muted' },
        'Edge ratio (solid) and corner ratio (dashed) of every layer along the depth, log scale. Without padding the border falls behind exponentially with depth; zero padding slows that to a square root; replicate and circular padding keep it in play.',
      ),
      h('div', { id: 'depth', class: 'depth', role: 'img', 'aria-label': 'Depth profile of edge and corner ratios' }),
      h('div', { id: 'depth-legend', class: 'depth-legend' }),
    ),
    h('section', { class: 'block theory', id: 'theory', 'aria-labelledby': 'theory-title' }, ...theory()),
  );

  const onSelect = (id: string, f: (v: string) => void) => byId(id).addEventListener('change', (e) => f((e.target as HTMLSelectElement).value));
  onSelect('metric', (v) => setView({ metric: v as MapMetric, unit: null }));
  onSelect('scale', (v) => setView({ scale: v as ColorScale }, false));
  onSelect('colormap', (v) => setView({ colormap: v as ColorMapChoice }, false));
  onSelect('padding', (v) => setView({ padding: v as PaddingChoice, unit: null }));
  onSelect('output', (v) => {
    if (v === 'layer') return;
    selectLayer(v, true);
  });
  const slider = byId<HTMLInputElement>('slider');
  slider.addEventListener('input', () => {
    const id = model?.mappable[Number(slider.value)];
    if (id) selectLayer(id, true);
  });
  const slice = byId<HTMLInputElement>('slice');
  slice.addEventListener('input', () => setView({ slice: Number(slice.value) }, false));
  byId('export-png').addEventListener('click', () => exportView('png'));
  byId('export-csv').addEventListener('click', () => exportView('csv'));
  byId('export-npy').addEventListener('click', () => exportView('npy'));
  byId('unit-clear').addEventListener('click', () => setView({ unit: null }));
  const canvas = byId<HTMLCanvasElement>('map');
  canvas.addEventListener('mousemove', (e) => {
    hover = pixelAt(e);
    drawOverlay();
    showTooltip();
  });
  canvas.addEventListener('mouseleave', () => {
    hover = null;
    drawOverlay();
    showTooltip();
  });
  canvas.addEventListener('click', (e) => {
    const p = pixelAt(e);
    if (p) pickUnit(p);
  });
  canvas.addEventListener('keydown', (e) => {
    if (!shown) return;
    const plane = currentPlane();
    if (!plane) return;
    const step = e.shiftKey ? 10 : 1;
    const cur = hover ?? { x: Math.floor(plane.width / 2), y: Math.floor(plane.height / 2) };
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key]) {
      const [dx, dy] = moves[e.key]!;
      hover = { x: Math.max(0, Math.min(plane.width - 1, cur.x + dx)), y: Math.max(0, Math.min(plane.height - 1, cur.y + dy)) };
      drawOverlay();
      showTooltip();
      e.preventDefault();
    } else if (e.key === 'Enter' || e.key === ' ') {
      pickUnit(cur);
      e.preventDefault();
    } else if (e.key === 'Escape') {
      setView({ unit: null });
    }
  });
  const list = byId('layers');
  list.addEventListener('keydown', (e) => {
    if (!model) return;
    const i = model.mappable.indexOf(view.layer);
    const d = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : e.key === 'PageDown' ? 10 : e.key === 'PageUp' ? -10 : 0;
    if (e.key === 'Home' || e.key === 'End') {
      const id = model.mappable[e.key === 'Home' ? 0 : model.mappable.length - 1];
      if (id) selectLayer(id, true);
      e.preventDefault();
    } else if (d) {
      const id = model.mappable[Math.max(0, Math.min(model.mappable.length - 1, (i < 0 ? model.mappable.length : i) + d))];
      if (id) selectLayer(id, true);
      e.preventDefault();
    }
  });
  depthChart = new DepthChart(byId('depth'));
  depthChart.onPick = (i) => {
    const id = depth[0]?.layers[i];
    if (id) selectLayer(id, true);
  };
  profileX = new ProfileChart(byId('profile-x'), false, 'Profile along x: sum over the rows and the centre row');
  profileY = new ProfileChart(byId('profile-y'), true, 'Profile along y: sum over the columns and the centre column');
  profile1d = new ProfileChart(byId('profile-1d'), false, 'Profile of the 1-D map');
  let resizeTimer = 0;
  new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      if (shown) drawMap(shown, false);
      drawDepth();
    }, 60);
  }).observe(byId('app'));
}

function theory(): Node[] {
  const a = (href: string, text: string) => h('a', { href, text });
  return [
    h('h2', { id: 'theory-title', text: 'Why the centre is over-represented' }),
    h(
      'p',
      {},
      'A pixel in the middle of the input reaches a deep unit through many chains of kernel taps; a pixel at the border through few, because the windows that would reach it hang over the edge. Counting those chains with every weight set to one gives the path-count map: with 3-wide kernels and no padding the centre gets about 3',
      h('sup', { text: 'L' }),
      ' paths after L layers and a corner gets one, so the gap grows exponentially with depth. Zero padding adds windows at the border but feeds them nothing, which softens the gap to a square-root law; replicate, reflect and circular padding send the overhanging taps back to real pixels.',
    ),
    h(
      'p',
      {},
      'The path map is the shape of the effective receptive field of the randomly initialised network: the expected magnitude of the gradient of a unit with respect to each input pixel (Luo et al., 2016, ',
      a('https://arxiv.org/abs/1701.04128', 'Understanding the Effective Receptive Field in Deep Convolutional Neural Networks'),
      '). Training reshapes it, but starts from here. Coverage counts how many units see each pixel at all; a pixel with coverage zero is dead: nothing the network computes depends on it.',
    ),
    h(
      'p',
      {},
      'Receptive field size, jump and start follow the arithmetic of Araujo et al. (2019, ',
      a('https://distill.pub/2019/computing-receptive-fields/', 'Computing Receptive Fields of Convolutional Neural Networks'),
      '). How padding creates blind spots and skews what a network sees near the border: Alsallakh et al. (2021, ',
      a('https://arxiv.org/abs/2010.02178', 'Mind the Pad \u2014 CNNs Can Develop Blind Spots'),
      ').',
    ),
    h(
      'dl',
      { class: 'defs' },
      h('dt', { text: 'Edge ratio' }),
      h('dd', { text: 'mean path count on the one-pixel border ring divided by the peak.' }),
      h('dt', { text: 'Corner ratio' }),
      h('dd', { text: 'smallest corner value divided by the peak.' }),
      h('dt', { text: 'Well represented' }),
      h('dd', { text: 'share of pixels with at least half the peak\u2019s path count.' }),
      h('dt', { text: 'Ripple' }),
      h('dd', { text: 'min/max of the coverage over one period of an unbounded input; below 1 the network sees a checkerboard.' }),
    ),
  ];
}

// ---------------------------------------------------------------- state changes

function setView(change: Partial<View>, refetch = true): void {
  Object.assign(view, change);
  saveState();
  syncControls();
  if (refetch) {
    ensureMap();
    if ('metric' in change || 'layer' in change) requestRemedies();
  } else if (shown) drawMap(shown, false);
  if ('colormap' in change || 'scale' in change) renderRemedies();
}

function selectLayer(id: string, fromPanel: boolean): void {
  if (!model) return;
  if (id === view.layer && !view.unit) return;
  view.unit = null;
  view.layer = id;
  saveState();
  syncControls();
  ensureMap();
  requestRemedies();
  drawDepth();
  if (fromPanel && id !== 'outputs') post({ type: 'reveal', layer: id });
}

function layerInfo(id: string): LayerInfo | undefined {
  return model?.layers.find((l) => l.id === id);
}

function layerLabel(id: string): string {
  if (id === 'outputs') return model && model.outputs.length > 1 ? (model.outputs.length === 2 ? 'both outputs' : `all ${model.outputs.length} outputs`) : 'the output';
  const l = layerInfo(id);
  if (!l) return id;
  return l.name && l.name !== l.id ? `${l.id} ${l.name}` : `${l.id} ${l.type}`;
}

function syncControls(): void {
  if (!model) return;
  const setSel = (id: string, v: string) => {
    const el = byId(id) as HTMLElement & { value: string };
    if (el.value !== v) el.value = v;
  };
  setSel('metric', view.metric);
  setSel('scale', view.scale);
  setSel('colormap', view.colormap);
  setSel('padding', view.padding);
  const isOutput = view.layer === 'outputs' || model.outputs.includes(view.layer);
  setSel('output', isOutput ? view.layer : 'layer');
  const slider = byId<HTMLInputElement>('slider');
  const idx = model.mappable.indexOf(view.layer);
  const target = idx >= 0 ? idx : model.mappable.length - 1;
  slider.value = String(Math.max(0, target));
  const info = layerInfo(view.layer);
  const caption = view.layer === 'outputs' ? `${layerLabel('outputs')} together` : `${layerLabel(view.layer)}${info?.params ? ` \u00b7 ${info.params}` : ''}${info?.line ? ` \u00b7 line ${info.line}` : ''}`;
  byId('layer-caption').textContent = caption;
  byId('view-title').textContent = `Influence map of ${view.layer === 'outputs' ? `${layerLabel('outputs')}${model.outputs.length > 1 ? ' together' : ''}` : layerLabel(view.layer)}${view.unit ? `, unit (${view.unit.join(', ')})` : ''}${view.padding !== 'file' ? ` \u2014 what if: ${view.padding} padding` : ''}`;
  slider.setAttribute('aria-valuetext', caption);
  for (const el of Array.from(byId('layers').querySelectorAll<HTMLElement>('[role=option]'))) {
    const on = el.dataset.id === view.layer;
    el.setAttribute('aria-selected', String(on));
    el.classList.toggle('selected', on);
    if (on) {
      const list = byId('layers');
      list.setAttribute('aria-activedescendant', el.id);
      // scroll the list only (scrollIntoView would scroll the whole panel)
      if (el.offsetTop < list.scrollTop) list.scrollTop = el.offsetTop;
      else if (el.offsetTop + el.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = el.offsetTop + el.offsetHeight - list.clientHeight;
    }
  }
  const shape = model.input?.shape ?? [];
  const sc = byId('slice-control');
  sc.hidden = shape.length !== 3;
  if (shape.length === 3) {
    const s = byId<HTMLInputElement>('slice');
    s.max = String(sliceCount(shape) - 1);
    if (view.slice < 0) view.slice = defaultSlice(shape);
    s.value = String(view.slice);
    byId('slice-label').textContent = `Slice ${view.slice + 1}/${shape[0]}`;
  }
}

function onModel(m: ModelPayload, state?: ViewState): void {
  const prevUri = view.uri;
  model = m;
  cache.clear();
  inFlight.clear();
  pending.clear();
  if (state) Object.assign(view, stripUndefined(state));
  const valid = (id: string) => id === 'outputs' || m.mappable.includes(id) || m.outputs.includes(id);
  // another file (the panel follows the editor): start at its outputs, unless the host named a layer
  const otherFile = prevUri !== '' && prevUri !== m.uri && !state?.layer;
  if (otherFile || !valid(view.layer)) {
    view.layer = m.outputs.length ? 'outputs' : (m.mappable[m.mappable.length - 1] ?? 'outputs');
    view.unit = null;
    view.slice = -1;
  }
  view.uri = m.uri;
  byId('stale').hidden = true;
  byId('title').textContent = m.model ?? m.fileName;
  byId('subtitle').textContent = [m.fileName, m.format, m.input ? `input ${m.input.shape.join('\u00d7')}${m.input.source === 'default' ? ' (default)' : m.input.source === 'option' ? ' (setting)' : ''}` : null, `padding: ${m.filePadding}`]
    .filter(Boolean)
    .join(' \u00b7 ');
  // outputs
  const out = byId('output');
  clear(out);
  if (m.outputs.length > 1) out.append(h('vscode-option', { value: 'outputs', text: m.outputs.length === 2 ? 'Both outputs' : `All ${m.outputs.length} outputs` }));
  for (const o of m.outputs) out.append(h('vscode-option', { value: o, text: `Output ${layerLabel(o)}` }));
  if (m.outputs.length === 1) out.prepend(h('vscode-option', { value: 'outputs', text: 'Network output' }));
  out.append(h('vscode-option', { value: 'layer', text: 'Layer from the slider', disabled: true }));
  byId('output-control').hidden = m.outputs.length === 0;
  // slider and list
  const slider = byId<HTMLInputElement>('slider');
  slider.max = String(Math.max(0, m.mappable.length - 1));
  slider.disabled = m.mappable.length === 0;
  const list = byId('layers');
  clear(list);
  m.mappable.forEach((id, i) => {
    const l = layerInfo(id);
    const met = m.metrics[id];
    list.append(
      h(
        'div',
        { role: 'option', id: `layer-opt-${i}`, 'data-id': id, class: 'layer-opt', 'aria-selected': 'false' },
        h('span', { class: 'lid', text: id }),
        h('span', { class: 'lname', text: l ? (l.name !== l.id ? l.name : l.type) : '' }),
        h('span', { class: 'lrf muted', text: l?.rf ? `rf ${fmtAxes(l.rf.size, 0)}` : '' }),
        met ? h('span', { class: 'lflag', title: 'edge ratio', text: fmtRatio(met.edgeRatio) }) : null,
      ),
    );
  });
  list.onclick = (e) => {
    const opt = (e.target as HTMLElement).closest<HTMLElement>('[role=option]');
    if (opt?.dataset.id) selectLayer(opt.dataset.id, true);
  };
  const rn = m.paddingEditable
    ? 'Each card is the map with every convolution padded that way. Apply writes the padding into the file (undo with Ctrl+Z).'
    : `Each card is a what-if: the map with every convolution padded that way. ${m.format ? m.format[0]!.toUpperCase() + m.format.slice(1) : 'This format'} files have no padding-mode key, so these cannot be applied here; the input-size fix can.`;
  byId('remedies-note').textContent = rn;
  saveState();
  syncControls();
  secondaryDue = true;
  ensureMap();
}

/**
 * The remedies and the depth profile of a model are asked for once its first
 * map is drawn (or refused): the map is what the user opened the panel for,
 * and the host computes one answer after the other.
 */
let secondaryDue = false;
function requestSecondary(): void {
  if (!secondaryDue) return;
  secondaryDue = false;
  requestRemedies();
  requestDepth();
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------- maps

function ensureMap(): void {
  if (!model) return;
  const layerKey = keyOf(view.layer, view.metric, view.padding, null);
  const key = keyOf(view.layer, view.metric, view.padding, view.unit);
  const hit = cache.get(key);
  if (view.unit) {
    const lm = cache.get(layerKey);
    if (lm) layerMap = lm;
    else request(view.layer, view.metric, view.padding, null);
  }
  if (hit) {
    if (!view.unit) layerMap = hit;
    drawMap(hit, true);
  } else request(view.layer, view.metric, view.padding, view.unit);
  // coverage for the tooltip
  if (view.metric === 'paths' && !view.unit) {
    const ck = keyOf(view.layer, 'coverage', view.padding, null);
    if (!cache.has(ck)) window.setTimeout(() => request(view.layer, 'coverage', view.padding, null), 0);
  }
}

function request(layer: string, metric: MapMetric, padding: PaddingChoice, unit: number[] | null): void {
  const key = keyOf(layer, metric, padding, unit);
  if (inFlight.has(key)) return;
  inFlight.add(key);
  const s = ++seq;
  pending.set(s, key);
  post({ type: 'requestMap', seq: s, layer, metric, padding, ...(unit ? { unit } : {}) });
}

function onMap(msg: Extract<HostToPanel, { type: 'map' }>): void {
  const key = pending.get(msg.seq) ?? keyOf(msg.map.layers.length > 1 ? 'outputs' : msg.map.layers[0]!, msg.map.metric, msg.padding, msg.unit ?? null);
  pending.delete(msg.seq);
  inFlight.delete(key);
  cache.set(key, msg.map);
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  const want = keyOf(view.layer, view.metric, view.padding, view.unit);
  if (key === keyOf(view.layer, view.metric, view.padding, null)) layerMap = msg.map;
  if (key === want) drawMap(msg.map, true);
  else if (shown && key === keyOf(view.layer, 'coverage', view.padding, null)) showTooltip();
}

function onRefused(msg: Extract<HostToPanel, { type: 'mapRefused' }>): void {
  const key = pending.get(msg.seq);
  pending.delete(msg.seq);
  if (key) inFlight.delete(key);
  if (msg.superseded) {
    if (key === keyOf(view.layer, view.metric, view.padding, view.unit)) ensureMap();
    return;
  }
  if (key === keyOf(view.layer, view.metric, view.padding, view.unit)) {
    shown = null;
    const c = byId<HTMLCanvasElement>('map');
    c.width = 1;
    c.height = 1;
    byId('hint').textContent = `No map: ${msg.message}`;
    requestSecondary();
  }
}

function currentPlane(): Plane | null {
  return shown ? planeOf(shown.values, shown.shape, view.slice) : null;
}

/** Fits the canvas by a whole number of device pixels per map pixel (1:1 when the map is larger than the room). */
function fitCanvas(w: number, h: number): { cssW: number; cssH: number } {
  const app = byId('app');
  const dpr = window.devicePixelRatio || 1;
  // the room beside the numbers (or the whole width when they wrap below), less the profile and the colour bar
  const style = getComputedStyle(app);
  const inner = app.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const side = inner > 720 ? 300 : 0;
  const avail = Math.max(120, inner - side - 56 - 96 - 24);
  const maxH = Math.max(160, Math.min(window.innerHeight * 0.62, 560));
  const k = Math.max(1, Math.floor(Math.min((avail * dpr) / w, (maxH * dpr) / Math.max(h, 1))));
  const kk = h === 1 ? Math.max(1, Math.floor((avail * dpr) / w)) : k;
  return { cssW: (kk * w) / dpr, cssH: h === 1 ? 28 : (kk * h) / dpr };
}

let imageBuffer: ImageData | null = null;
let profiledMap: MapPayload | null = null;
let profiledKey = '';

function drawMap(map: MapPayload, fresh: boolean): void {
  const t0 = performance.now();
  shown = map;
  const oneD = map.shape.length === 1;
  const plane = planeOf(map.values, map.shape, view.slice);
  const peak = peakOf(map.values);
  const canvas = byId<HTMLCanvasElement>('map');
  if (canvas.width !== plane.width || canvas.height !== plane.height) {
    canvas.width = plane.width;
    canvas.height = plane.height;
  }
  const ctx = canvas.getContext('2d')!;
  // one ImageData per map size, reused while scrubbing
  if (!imageBuffer || imageBuffer.width !== plane.width || imageBuffer.height !== plane.height) imageBuffer = ctx.createImageData(plane.width, plane.height);
  const img = imageBuffer;
  planeToRgba(plane, { scale: view.scale, colormap: view.colormap, peak }, { width: plane.width, height: plane.height, data: img.data });
  ctx.putImageData(img, 0, 0);
  const { cssW, cssH } = fitCanvas(plane.width, plane.height);
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  const overlay = byId<HTMLCanvasElement>('overlay');
  overlay.style.width = `${cssW}px`;
  overlay.style.height = `${cssH}px`;
  const dpr = window.devicePixelRatio || 1;
  const ow = Math.round(cssW * dpr);
  const oh = Math.round(cssH * dpr);
  if (overlay.width !== ow || overlay.height !== oh) {
    overlay.width = ow;
    overlay.height = oh;
  }
  drawColorbar(map, cssH);
  // profiles
  byId('profile-1d').hidden = !oneD;
  byId('profile-y').hidden = oneD;
  byId('profile-x').hidden = oneD;
  // the profiles change with the values and the size, not with the colours
  const profKey = `${cssW}x${cssH}|${view.slice}`;
  if (profiledMap !== map || profiledKey !== profKey) {
    profiledMap = map;
    profiledKey = profKey;
    if (oneD) profile1d?.update(plane.values, plane.values, Math.max(200, cssW), 160);
    else {
      const prof = axisProfiles(plane);
      profileX?.update(prof.columnSums, prof.centreRow, cssW, 56);
      profileY?.update(prof.rowSums, prof.centreColumn, 56, cssH);
    }
  }
  drawOverlay();
  renderNumbers();
  const unit = byId('unit-chip');
  unit.hidden = !(view.unit && map.field);
  if (view.unit && map.field) {
    const f = map.field;
    const axes = map.shape.length === 1 ? ['x'] : map.shape.length === 2 ? ['y', 'x'] : ['z', 'y', 'x'];
    byId('unit-text').textContent = `Unit (${view.unit.join(', ')}) of ${layerLabel(view.layer)}: field ${axes.map((a, i) => `${a} ${f.lo[i]}\u2013${f.hi[i]}`).join(', ')}`;
  }
  byId('hint').textContent = view.unit
    ? 'The map of this one unit; its field is outlined. Escape or "Whole layer" returns.'
    : 'Click a pixel to see the field of the unit centred there; hover for values.';
  showTooltip();
  const ms = performance.now() - t0;
  timings.lastDraw = ms;
  if (fresh && timings.firstPaint === undefined) timings.firstPaint = performance.now();
  canvas.setAttribute(
    'aria-label',
    `${view.metric === 'paths' ? 'Path-count' : 'Coverage'} map of ${layerLabel(view.layer)} over the ${map.shape.join('\u00d7')} input${map.metrics ? `, edge ratio ${fmtRatio(map.metrics.edgeRatio)}, corner ratio ${fmtRatio(map.metrics.cornerRatio)}` : ''}. Arrow keys move a cursor; Enter shows that unit\u2019s field.`,
  );
  canvas.dataset.peak = String(peak);
  document.body.dataset.drawn = keyOf(view.layer, view.metric, view.padding, view.unit);
  requestSecondary();
}

function drawColorbar(map: MapPayload, cssH: number): void {
  const bar = byId<HTMLCanvasElement>('bar');
  const lut = colorTable(view.colormap);
  bar.width = 1;
  bar.height = 256;
  const ctx = bar.getContext('2d')!;
  const img = ctx.createImageData(1, 256);
  for (let i = 0; i < 256; i++) {
    const k = (255 - i) * 3;
    img.data.set([lut[k]!, lut[k + 1]!, lut[k + 2]!, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  bar.style.height = `${cssH}px`;
  const ticks = byId('ticks');
  clear(ticks);
  ticks.style.height = `${cssH}px`;
  const isUnit = !!view.unit;
  const peakLog = map.peakLog10;
  for (const t of colorbarTicks(map.metric, view.scale, peakLog)) {
    const label = t.exponent === null ? h('span', { text: t.mantissa }) : h('span', { text: `${t.mantissa ? `${t.mantissa}\u00d7` : ''}10` }, h('sup', { text: String(t.exponent) }));
    const el = h('div', { class: 'tick' }, label);
    el.style.top = `${(1 - t.position) * 100}%`;
    ticks.append(el);
  }
  ticks.append(h('div', { class: 'tick-unit muted', text: map.metric === 'paths' ? (isUnit ? 'paths (unit)' : 'paths') : 'units' }));
}

function pixelAt(e: MouseEvent): { x: number; y: number } | null {
  const plane = currentPlane();
  if (!plane) return null;
  const canvas = e.currentTarget as HTMLCanvasElement;
  const r = canvas.getBoundingClientRect();
  const x = Math.floor(((e.clientX - r.left) / r.width) * plane.width);
  const y = Math.floor(((e.clientY - r.top) / r.height) * plane.height);
  if (x < 0 || y < 0 || x >= plane.width || y >= plane.height) return null;
  return { x, y };
}

function drawOverlay(): void {
  const overlay = byId<HTMLCanvasElement>('overlay');
  const ctx = overlay.getContext('2d')!;
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  const plane = currentPlane();
  if (!plane || !shown) return;
  const sx = overlay.width / plane.width;
  const sy = overlay.height / plane.height;
  const dpr = window.devicePixelRatio || 1;
  const f = shown.field;
  if (view.unit && f) {
    const n = shown.shape.length;
    const lx = f.lo[n - 1]!;
    const hx = f.hi[n - 1]!;
    const ly = n >= 2 ? f.lo[n - 2]! : 0;
    const hy = n >= 2 ? f.hi[n - 2]! : 0;
    ctx.save();
    ctx.lineWidth = 2 * dpr;
    ctx.strokeStyle = '#ffffff';
    ctx.setLineDash([6 * dpr, 4 * dpr]);
    ctx.strokeRect(lx * sx, ly * sy, (hx - lx + 1) * sx, (hy - ly + 1) * sy);
    ctx.strokeStyle = '#000000';
    ctx.lineDashOffset = 5 * dpr;
    ctx.strokeRect(lx * sx, ly * sy, (hx - lx + 1) * sx, (hy - ly + 1) * sy);
    ctx.restore();
  }
  if (hover) {
    ctx.save();
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    ctx.lineWidth = Math.max(1, dpr);
    const w = Math.max(sx, 3 * dpr);
    const hh = Math.max(sy, 3 * dpr);
    ctx.strokeRect(hover.x * sx - (w - sx) / 2, hover.y * sy - (hh - sy) / 2, w, hh);
    ctx.restore();
  }
}

function showTooltip(): void {
  const tip = byId('tooltip');
  const plane = currentPlane();
  if (!hover || !plane || !shown) {
    tip.hidden = true;
    return;
  }
  const i = hover.y * plane.width + hover.x;
  const v = plane.values[i] ?? 0;
  const peak = peakOf(shown.values);
  const coords = shown.shape.length === 1 ? `x ${hover.x}` : shown.shape.length === 3 ? `x ${hover.x}, y ${hover.y}, z ${view.slice}` : `x ${hover.x}, y ${hover.y}`;
  const parts = [coords];
  if (shown.metric === 'paths') {
    parts.push(`${fmtCount(v, shown.peakLog10)} paths`);
    parts.push(`${fmtPercent(peak > 0 ? v / peak : 0)} of peak`);
    const cov = !view.unit ? cache.get(keyOf(view.layer, 'coverage', view.padding, null)) : undefined;
    if (cov) {
      const cp = planeOf(cov.values, cov.shape, view.slice);
      parts.push(`covered by ${cp.values[i] ?? 0} units`);
    }
  } else {
    parts.push(`covered by ${v} units`);
    parts.push(`${fmtPercent(peak > 0 ? v / peak : 0)} of peak`);
  }
  tip.textContent = parts.join(' \u00b7 ');
  tip.hidden = false;
  const canvas = byId<HTMLCanvasElement>('map');
  const cw = canvas.clientWidth;
  const px = ((hover.x + 0.5) / plane.width) * cw;
  const py = ((hover.y + 0.5) / plane.height) * canvas.clientHeight;
  tip.style.left = `${Math.min(Math.max(0, px + 12), Math.max(0, cw - tip.offsetWidth))}px`;
  tip.style.top = `${py + 14 > canvas.clientHeight - 24 ? py - 30 : py + 14}px`;
}

function pickUnit(p: { x: number; y: number }): void {
  if (!model || !shown) return;
  const id = view.layer === 'outputs' ? (model.outputs.length === 1 ? model.outputs[0]! : null) : view.layer;
  if (!id) {
    byId('hint').textContent = 'Choose one output or layer to look at a single unit.';
    return;
  }
  const l = layerInfo(id);
  if (!l?.rf || !l.output) {
    byId('hint').textContent = `${layerLabel(id)} has no spatial units to pick.`;
    return;
  }
  const pos = shown.shape.length === 1 ? [p.x] : shown.shape.length === 2 ? [p.y, p.x] : [view.slice, p.y, p.x];
  const unit = pos.map((q, a) => {
    const jump = l.rf!.jump[a] ?? 1;
    const start = l.rf!.start[a] ?? 0;
    const u = Math.round((q - start) / (jump || 1));
    return Math.max(0, Math.min((l.output![a] ?? 1) - 1, u));
  });
  if (id !== view.layer) view.layer = id;
  hover = p;
  setView({ unit });
}

// ---------------------------------------------------------------- numbers

function renderNumbers(): void {
  const table = byId<HTMLTableElement>('numbers');
  clear(table);
  if (!model || !shown) return;
  const id = view.layer === 'outputs' ? (model.outputs.length === 1 ? model.outputs[0]! : null) : view.layer;
  const l = id ? layerInfo(id) : undefined;
  const m: LayerMetricsPayload | null = (view.unit ? layerMap?.metrics : shown.metrics) ?? (id ? model.metrics[id] : undefined) ?? null;
  const row = (k: string, v: string, title?: string) => table.append(h('tr', { title }, h('th', { scope: 'row', text: k }), h('td', { text: v })));
  table.append(h('caption', { text: view.layer === 'outputs' ? layerLabel('outputs') : layerLabel(view.layer) }));
  if (l) {
    row('Output', fmtShape(l.output));
    row('Receptive field', fmtAxes(l.rf?.size, 0), 'extent of the centre unit\u2019s field, in input pixels');
    row('Jump', fmtAxes(l.rf?.jump), 'distance between neighbouring units\u2019 field centres');
    row('Start', fmtAxes(l.rf?.start), 'centre of unit 0\u2019s field');
  }
  if (m) {
    row('Edge ratio', fmtRatio(m.edgeRatio), 'mean path count on the border ring / peak');
    row('Corner ratio', fmtRatio(m.cornerRatio), 'smallest corner / peak');
    row('Well represented', fmtPercent(m.wellRepresented), 'pixels with at least half the peak');
    row('Dead pixels', String(m.deadPixels), 'pixels no unit covers');
    row('Coverage', `${m.coverageMin}\u2013${m.coverageMax}`);
    row('Ripple', m.ripple === null ? (l?.ripple !== null && l?.ripple !== undefined ? fmtRatio(l.ripple) : '–') : fmtRatio(m.ripple), 'below 1: a checkerboard');
  }
  row('log\u2081\u2080(peak)', shown.peakLog10 === null ? '–' : shown.peakLog10.toFixed(2), shown.metric === 'paths' ? 'the best-served pixel has this many paths' : 'largest coverage');
  if (view.padding !== 'file') table.append(h('tr', { class: 'whatif' }, h('td', { colspan: 2, text: `What if every convolution padded with ${view.padding}` })));
}

// ---------------------------------------------------------------- remedies

let remedyTimer = 0;
function requestRemedies(): void {
  if (!model) return;
  clearTimeout(remedyTimer);
  remedyTimer = window.setTimeout(() => {
    remedySeq = ++seq;
    post({ type: 'requestRemedies', seq: remedySeq, layer: view.layer, metric: view.metric });
  }, 120);
}

function bestRemedy(results: RemedyResult[]): string | null {
  let best: RemedyResult | null = null;
  const score = (r: RemedyResult) => [r.metrics?.deadPixels ?? Infinity, -(r.metrics?.edgeRatio ?? -1), -(r.metrics?.cornerRatio ?? -1)];
  for (const r of results) {
    if (!r.metrics || r.refused) continue;
    if (!best) {
      best = r;
      continue;
    }
    const a = score(r);
    const b = score(best);
    for (let i = 0; i < a.length; i++) {
      if (a[i]! < b[i]! - 1e-12) {
        best = r;
        break;
      }
      if (a[i]! > b[i]! + 1e-12) break;
    }
  }
  return best?.id ?? null;
}

function renderRemedies(): void {
  const box = byId('remedies');
  clear(box);
  if (!model) return;
  const best = bestRemedy(remedies);
  for (const r of remedies) {
    const info = model.remedies.find((x) => x.id === r.id);
    const card = h('div', { class: `card${r.id === best ? ' best' : ''}${r.padding === view.padding && !r.inputShape ? ' current' : ''}`, role: 'group', 'aria-label': `Remedy: ${r.label}` });
    const head = h('div', { class: 'card-head' }, h('span', { class: 'card-title', text: r.label }));
    if (r.id === best) head.append(h('vscode-badge', { variant: 'counter', class: 'best-badge', text: 'best' }));
    card.append(head);
    if (r.thumb) {
      const c = h('canvas', { class: 'thumb', width: r.thumb.width, height: r.thumb.height, role: 'img', 'aria-label': `${r.label}: map` });
      const ctx = c.getContext('2d')!;
      const img = ctx.createImageData(r.thumb.width, r.thumb.height);
      planeToRgba(r.thumb, { scale: view.scale, colormap: view.colormap }, { width: r.thumb.width, height: r.thumb.height, data: img.data });
      ctx.putImageData(img, 0, 0);
      c.addEventListener('click', () => r.padding && setView({ padding: r.padding, unit: null }));
      c.title = 'Show this what-if in the main view';
      card.append(c);
    } else card.append(h('div', { class: 'thumb empty', text: r.refused ?? (r.inputShape ? `input ${r.inputShape.join('\u00d7')}` : 'no map') }));
    const met = r.metrics;
    if (met) {
      card.append(
        h(
          'dl',
          { class: 'card-nums' },
          h('dt', { text: 'edge' }),
          h('dd', { text: fmtRatio(met.edgeRatio) }),
          h('dt', { text: 'corner' }),
          h('dd', { text: fmtRatio(met.cornerRatio) }),
          h('dt', { text: 'dead' }),
          h('dd', { text: String(met.deadPixels) }),
        ),
      );
    }
    if (info?.apply) {
      const b = h('vscode-button', { class: 'apply', 'data-remedy': r.id, title: info.apply.title, text: 'Apply' });
      b.addEventListener('click', () => post({ type: 'applyRemedy', id: r.id }));
      card.append(b);
    } else if (info?.note) card.append(h('div', { class: 'card-note muted', text: info.note }));
    box.append(card);
  }
}

// ---------------------------------------------------------------- depth profile

let depthTimer = 0;
function requestDepth(): void {
  clearTimeout(depthTimer);
  depthTimer = window.setTimeout(() => {
    depthSeq = ++seq;
    post({ type: 'requestDepth', seq: depthSeq });
  }, 60);
}

function depthColors(): Record<PaddingChoice, string> {
  const p = palette();
  return { file: p.fg, zeros: p.blue, reflect: p.green, replicate: p.orange, circular: p.purple };
}

function drawDepth(): void {
  if (!depthChart || !depth.length) return;
  const host = byId('depth');
  const width = Math.max(280, host.clientWidth || 600);
  const colors = depthColors();
  const lines: DepthLine[] = depth.map((s) => ({ label: PADDING_LABEL[s.padding], color: colors[s.padding], edge: s.edgeRatio, corner: s.cornerRatio, emphasis: s.padding === view.padding }));
  const names = depth[0]!.layers.map((id) => layerLabel(id));
  const idx = depth[0]!.layers.indexOf(view.layer === 'outputs' ? (model?.finalLayers[0] ?? '') : view.layer);
  depthChart.update(names, lines, width, 220, idx >= 0 ? idx : null);
  const legend = byId('depth-legend');
  clear(legend);
  for (const s of depth) {
    const sw = h('span', { class: 'swatch-line' });
    sw.style.background = colors[s.padding];
    legend.append(h('span', { class: 'legend-item' }, sw, PADDING_LABEL[s.padding]));
  }
  legend.append(h('span', { class: 'legend-item muted', text: 'solid: edge \u00b7 dashed: corner' }));
}

// ---------------------------------------------------------------- export

async function exportView(format: ExportFormat): Promise<void> {
  if (!shown || !model) return;
  const base = `${model.fileName.replace(/\.[^.]+$/, '')}-${(view.layer === 'outputs' ? 'outputs' : view.layer).replace(/[^\w.-]+/g, '_')}-${view.metric}${view.padding !== 'file' ? `-${view.padding}` : ''}${view.unit ? `-unit${view.unit.join('_')}` : ''}`;
  let data: Uint8Array;
  if (format === 'csv') data = new TextEncoder().encode(mapToCsv(shown.values, shown.shape));
  else if (format === 'npy') data = mapToNpy(shown.values, shown.shape);
  else data = await figurePng();
  post({ type: 'export', format, data, suggestedName: `${base}.${format}` });
}

/** The current view as the shared figure (title, map, colour bar with ticks), encoded by the canvas. */
async function figurePng(): Promise<Uint8Array> {
  const map = shown!;
  const dark = document.body.classList.contains('vscode-dark') || document.body.classList.contains('vscode-high-contrast');
  const fig = renderFigure(map.values, map.shape, {
    metric: map.metric,
    scale: view.scale,
    colormap: view.colormap,
    peakLog10: map.peakLog10,
    slice: view.slice,
    minSide: 512,
    theme: dark ? 'dark' : 'light',
    title: `${model!.model ?? model!.fileName}  ${layerLabel(view.layer)}${view.unit ? `  unit (${view.unit.join(',')})` : ''}`,
    subtitle: `${map.metric === 'paths' ? 'path count' : 'coverage'}, ${view.scale} scale, ${view.padding === 'file' ? `padding ${model!.filePadding}` : `what-if ${view.padding} padding`}, input ${map.shape.join('x')}${map.metrics ? `, edge ${fmtRatio(map.metrics.edgeRatio)}, corner ${fmtRatio(map.metrics.cornerRatio)}` : ''}`.replace(/[\u00d7\u2070-\u209f]/g, (c) => (c === '\u00d7' ? 'x' : c)),
  });
  const c = document.createElement('canvas');
  c.width = fig.width;
  c.height = fig.height;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(fig.width, fig.height);
  img.data.set(fig.data);
  ctx.putImageData(img, 0, 0);
  const blob = await new Promise<Blob | null>((res) => c.toBlob(res, 'image/png'));
  return new Uint8Array(await blob!.arrayBuffer());
}

// ---------------------------------------------------------------- messages

window.addEventListener('message', (event: MessageEvent<HostToPanel>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'model':
      if (!document.getElementById('map')) build();
      onModel(msg.model, msg.state);
      break;
    case 'stale': {
      const b = document.getElementById('stale');
      if (b) {
        b.hidden = false;
        b.textContent = `Showing the last good picture: ${msg.message}`;
      }
      break;
    }
    case 'map':
      onMap(msg);
      break;
    case 'mapRefused':
      onRefused(msg);
      break;
    case 'remedies':
      if (msg.seq !== remedySeq) break;
      remedies = msg.results;
      renderRemedies();
      break;
    case 'depth':
      if (msg.seq !== depthSeq) break;
      depth = msg.series;
      drawDepth();
      break;
    case 'select':
      if (model && (model.mappable.includes(msg.layer) || model.outputs.includes(msg.layer))) selectLayer(msg.layer, false);
      break;
    case 'exported':
      break;
    case 'error': {
      const app = byId('app');
      if (!document.getElementById('map')) {
        clear(app);
        app.append(h('p', { class: 'placeholder', text: msg.message }));
      } else {
        const b = byId('stale');
        b.hidden = false;
        b.textContent = msg.message;
      }
      break;
    }
  }
});

const saved = vscode.getState() as ViewState | undefined;
if (saved) Object.assign(view, stripUndefined(saved));
post({ type: 'ready' });
void sup;
