/**
 * The shared rendering (src/shared/heatmap.ts) the panel and the command
 * line's PNG both draw with, and the panel's host session over a fake engine.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { heatmapPng } from '../../src/cli/png';
import { colorPosition, colorTable } from '../../src/shared/colormap';
import {
  axisProfiles,
  colorbarTicks,
  defaultSlice,
  downsample,
  drawText,
  mapToCsv,
  mapToNpy,
  mapToRgba,
  planeOf,
  planeToRgba,
  renderFigure,
  textWidth,
} from '../../src/shared/heatmap';
import { layerAtLine, PanelSession } from '../../src/extension/panel/session';
import type { HostToPanel } from '../../src/shared/protocol';
import { FakeEngine } from '../support/fakeEngine';

const ROOT = join(__dirname, '..', '..');

describe('shared heatmap rendering', () => {
  it('maps values to the colour table, peak on top, nothing at the bottom', () => {
    const img = mapToRgba(new Float64Array([0, 0.5, 1, 0.25]), [2, 2], { scale: 'linear', colormap: 'magma' });
    const lut = colorTable('magma');
    assert.deepEqual([...img.data.slice(0, 4)], [lut[0], lut[1], lut[2], 255]);
    assert.deepEqual([...img.data.slice(8, 12)], [lut[765], lut[766], lut[767], 255]);
    assert.deepEqual([...img.data.slice(4, 7)], [lut[128 * 3], lut[128 * 3 + 1], lut[128 * 3 + 2]]);
  });

  it('every pixel has the colour of its value by the colour bar definition (log and linear, zoomed, at an offset)', () => {
    // values over many decades, zeros, exact colour boundaries and their neighbouring doubles
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const edges: number[] = [];
    for (let k = 0; k < 256; k++) {
      const r = Math.pow(10, 6 * ((k - 0.5) / 255 - 1));
      edges.push(r, r * (1 + 2e-16), r * (1 - 2e-16), (k - 0.5) / 255, ((k - 0.5) / 255) * (1 + 2e-16));
    }
    const w = 37;
    const h = 29;
    const values = Float64Array.from({ length: w * h }, (_, i) => (i < edges.length ? edges[i]! : rnd() < 0.1 ? 0 : rnd() ** 8 * 3));
    for (const scale of ['linear', 'log'] as const) {
      for (const colormap of ['viridis', 'magma'] as const) {
        for (const [zoom, x0, y0, peak] of [[1, 0, 0, 2.5], [3, 5, 2, 1], [1, 1, 1, 0.7]] as const) {
          const out = { width: w * zoom + x0 + 1, height: h * zoom + y0, data: new Uint8ClampedArray((w * zoom + x0 + 1) * (h * zoom + y0) * 4) };
          planeToRgba({ width: w, height: h, values }, { scale, colormap, peak }, out, x0, y0, zoom);
          const lut = colorTable(colormap);
          for (let y = 0; y < out.height; y++) {
            for (let x = 0; x < out.width; x++) {
              const mx = Math.floor((x - x0) / zoom);
              const my = Math.floor((y - y0) / zoom);
              const inside = x >= x0 && y >= y0 && mx < w && my < h;
              const k = inside ? Math.round(colorPosition(values[my * w + mx]!, peak, scale) * 255) * 3 : -1;
              const want = inside ? [lut[k]!, lut[k + 1]!, lut[k + 2]!, 255] : [0, 0, 0, 0];
              const i = (y * out.width + x) * 4;
              assert.deepEqual([...out.data.slice(i, i + 4)], want, `${scale} ${colormap} zoom ${zoom} at ${x},${y} (value ${inside ? values[my * w + mx] : '-'})`);
            }
          }
        }
      }
    }
  });

  it('cividis and viridis tables are distinct and perceptual (dark to light)', () => {
    for (const name of ['viridis', 'magma', 'cividis'] as const) {
      const lut = colorTable(name);
      const lum = (i: number) => 0.2126 * lut[i * 3]! + 0.7152 * lut[i * 3 + 1]! + 0.0722 * lut[i * 3 + 2]!;
      assert.ok(lum(255) > lum(128) && lum(128) > lum(0), name);
    }
  });

  it('one slice rule for 3-D maps: the middle one', () => {
    assert.equal(defaultSlice([9, 4, 4]), 4);
    assert.equal(defaultSlice([8, 4, 4]), 3);
    const values = new Float64Array(3 * 2 * 2).map((_, i) => i);
    const p = planeOf(values, [3, 2, 2]);
    assert.deepEqual([...p.values], [4, 5, 6, 7]);
    assert.deepEqual([...planeOf(values, [3, 2, 2], 0).values], [0, 1, 2, 3]);
    assert.equal(planeOf(values, [12]).height, 1);
  });

  it('colour bar ticks in real units: powers of ten for paths, counts for coverage', () => {
    const log = colorbarTicks('paths', 'log', 40.68);
    assert.ok(log.every((t) => t.exponent !== null && t.mantissa === ''));
    assert.equal(log.at(-1)!.exponent, 40);
    assert.ok(log.every((t) => t.position >= 0 && t.position <= 1));
    const lin = colorbarTicks('paths', 'linear', 40.68);
    assert.equal(lin[0]!.text, '0');
    assert.deepEqual(lin.slice(1).map((t) => t.text), ['10^40', '2x10^40', '3x10^40', '4x10^40']);
    const cov = colorbarTicks('coverage', 'linear', Math.log10(25));
    assert.deepEqual(cov.map((t) => t.text), ['0', '5', '10', '15', '20', '25']);
    const covLog = colorbarTicks('coverage', 'log', Math.log10(7581));
    assert.ok(covLog.every((t) => t.exponent === null && Number.isInteger(t.value)));
    assert.deepEqual(colorbarTicks('paths', 'linear', null).map((t) => t.text), ['0']);
  });

  it('axis profiles, downsampling, CSV and .npy', () => {
    const v = new Float64Array([1, 2, 3, 4, 5, 6]);
    const p = axisProfiles({ width: 3, height: 2, values: v });
    assert.deepEqual([...p.columnSums], [5, 7, 9]);
    assert.deepEqual([...p.rowSums], [6, 15]);
    assert.deepEqual([...p.centreRow], [1, 2, 3]);
    assert.deepEqual([...p.centreColumn], [2, 5]);
    const d = downsample({ width: 4, height: 4, values: new Float64Array(16).fill(2) }, 2);
    assert.deepEqual([d.width, d.height, ...d.values], [2, 2, 2, 2, 2, 2]);
    assert.equal(mapToCsv(v, [2, 3]), '1,2,3\n4,5,6\n');
    assert.equal(mapToCsv(new Float64Array([0.5, 1]), [1, 1, 2]), 'z,y,x,value\n0,0,0,0.5\n0,0,1,1\n');
    const npy = mapToNpy(v, [2, 3]);
    const headerLen = npy[8]! + npy[9]! * 256;
    assert.equal((10 + headerLen) % 64, 0, 'header aligned to 64 bytes');
    const header = new TextDecoder().decode(npy.subarray(10, 10 + headerLen));
    assert.match(header, /^\{'descr': '<f8', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    assert.equal(new DataView(npy.buffer, 10 + headerLen).getFloat64(5 * 8, true), 6);
    assert.match(new TextDecoder().decode(mapToNpy(v, [6]).subarray(10, 80)), /'shape': \(6,\)/);
  });

  it('the bitmap font draws every printable character it knows, unknown ones as "?"', () => {
    const img = { width: 200, height: 10, data: new Uint8ClampedArray(200 * 10 * 4) };
    drawText(img, 0, 0, 'Ag9^x', [255, 0, 0, 255]);
    let lit = 0;
    for (let i = 0; i < img.data.length; i += 4) if (img.data[i] === 255) lit++;
    assert.ok(lit > 40);
    assert.equal(textWidth('abc', 2), (3 * 6 - 1) * 2);
  });

  it('the figure has a title, the map and a colour bar; the PNG of `map --png` is that figure', () => {
    const values = new Float64Array(50 * 50).map((_, i) => Math.exp(-(((i % 50) - 25) ** 2 + (Math.floor(i / 50) - 25) ** 2) / 200));
    const fig = renderFigure(values, [50, 50], { metric: 'paths', scale: 'linear', peakLog10: 12.3, title: 'model.cfg  layer 7', subtitle: 'paths, linear scale', minSide: 250 });
    assert.ok(fig.width > 250 + 12 && fig.height > 250 + 20);
    const png = PNG.sync.read(heatmapPng(values, [50, 50], { scale: 'linear', metric: 'paths', peakLog10: 12.3, title: 'model.cfg', minSide: 250 }));
    const lut = colorTable('viridis');
    // somewhere in the map is the peak colour, and the background is white
    let peakSeen = false;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === lut[765] && png.data[i + 1] === lut[766] && png.data[i + 2] === lut[767]) peakSeen = true;
    assert.ok(peakSeen);
    assert.deepEqual([...png.data.subarray(0, 3)], [255, 255, 255]);
    // without a metric, the plain map as before (the command line's default)
    const plain = PNG.sync.read(heatmapPng(values, [50, 50], { scale: 'linear' }));
    assert.equal(plain.width, 300);
  });
});

describe('panel host session (fake engine)', () => {
  const file = join(ROOT, 'examples', 'darknet', 'tiny-detector.cfg');
  const text = readFileSync(file, 'utf8');

  async function session() {
    const engine = new FakeEngine({ depthLayers: 8 });
    engine.setText('tiny.cfg', text);
    const posted: HostToPanel[] = [];
    const applied: string[] = [];
    const s = new PanelSession<string>(engine, { post: (m) => posted.push(m), apply: async (f) => (applied.push(f.title), true) });
    await s.setDocument('tiny.cfg', 'tiny.cfg');
    await s.handle({ type: 'ready' });
    return { s, engine, posted, applied };
  }

  it('sends the model once the panel is ready, with layers, outputs and remedies', async () => {
    const { posted } = await session();
    const m = posted.find((p) => p.type === 'model');
    assert.ok(m && m.type === 'model');
    assert.deepEqual(m.model.outputs, ['12', '19']);
    assert.equal(m.model.filePadding, 'zeros');
    assert.deepEqual(m.model.remedies.map((r) => r.id), ['pad:file', 'pad:zeros', 'pad:reflect', 'pad:replicate', 'pad:circular']);
    assert.ok(m.model.remedies.slice(1).every((r) => !r.apply && /Darknet files have no padding-mode key/.test(r.note ?? '')));
    assert.ok(m.model.mappable.length > 10);
  });

  it('answers map, remedies and depth requests; typed arrays travel as they are', async () => {
    const { s, posted } = await session();
    await s.handle({ type: 'requestMap', seq: 1, layer: '4', metric: 'paths', padding: 'reflect' });
    await new Promise((r) => setTimeout(r, 0));
    const map = posted.find((p) => p.type === 'map');
    assert.ok(map && map.type === 'map' && map.map.values instanceof Float64Array);
    assert.deepEqual(map.map.shape, [256, 256]);
    assert.ok(map.map.metrics && map.map.metrics.edgeRatio! > 0);
    await s.handle({ type: 'requestRemedies', seq: 2, layer: 'outputs', metric: 'paths' });
    const rem = posted.find((p) => p.type === 'remedies');
    assert.ok(rem && rem.type === 'remedies' && rem.results.length === 5);
    assert.ok(rem.results.every((r) => r.thumb && r.thumb.width <= 96));
    await s.handle({ type: 'requestDepth', seq: 3 });
    const depth = posted.find((p) => p.type === 'depth');
    assert.ok(depth && depth.type === 'depth' && depth.series.length === 5);
  });

  it('a newer request supersedes one still waiting', async () => {
    const { s, posted } = await session();
    void s.handle({ type: 'requestMap', seq: 1, layer: '2', metric: 'paths', padding: 'file' });
    void s.handle({ type: 'requestMap', seq: 2, layer: '3', metric: 'paths', padding: 'file' });
    void s.handle({ type: 'requestMap', seq: 3, layer: '4', metric: 'paths', padding: 'file' });
    await new Promise((r) => setTimeout(r, 50));
    const answered = posted.filter((p) => p.type === 'map' || p.type === 'mapRefused').map((p) => [p.type, (p as { seq: number }).seq]);
    assert.deepEqual(answered, [
      ['map', 1],
      ['mapRefused', 2],
      ['map', 3],
    ]);
  });

  it('keeps the last good picture while the text does not parse, and selects the layer under the cursor', async () => {
    const { s, engine, posted } = await session();
    engine.setText('tiny.cfg', '[net]\nwidth=');
    await s.setDocument('tiny.cfg', 'tiny.cfg');
    assert.equal(posted.at(-1)!.type, 'stale');
    engine.setText('tiny.cfg', text);
    await s.setDocument('tiny.cfg', 'tiny.cfg');
    assert.equal(posted.at(-1)!.type, 'model');
    const report = s.currentReport!;
    const l = report.layers.find((x) => x.id === '4')!;
    assert.equal(layerAtLine(report, l.range!.start.line + 1)!.id, '4');
    s.selectLine(l.range!.start.line + 1);
    assert.deepEqual(posted.at(-1), { type: 'select', layer: '4' });
  });
});
