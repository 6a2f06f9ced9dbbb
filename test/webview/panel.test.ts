/**
 * The panel in headless Chromium: the page the host serves (strict CSP),
 * the real host session over a fake engine in the page (stubHost.ts), and
 * the panel's script as it ships (dist/webview.js).
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { colorPosition, colorTable } from '../../src/shared/colormap';
import { CHROMIUM, launch, openPanel, ROOT, waitForMap, type OpenedPanel } from './page';

const EX = (p: string) => join(ROOT, 'examples', p);
const VALID = EX('caffe/valid-convs.prototxt');
const DETECTOR = EX('darknet/tiny-detector.cfg');
const MISALIGNED = `[net]
width=100
height=100
channels=3

[convolutional]
filters=8
size=3
stride=2
pad=0
activation=leaky

[convolutional]
filters=8
size=3
stride=2
pad=1
activation=leaky

[convolutional]
filters=8
size=3
stride=1
pad=1
activation=leaky
`;
const AUDIO = 'input: "wave"\ninput_shape { dim: 1 dim: 1 dim: 400 }\nlayer { name: "c" type: "Convolution" bottom: "wave" top: "c" convolution_param { kernel_size: 10 stride: 5 } }\nlayer { name: "d" type: "Convolution" bottom: "c" top: "d" convolution_param { kernel_size: 3 stride: 1 } }\n';
const VOLUME = 'input: "vol"\ninput_shape { dim: 1 dim: 1 dim: 9 dim: 24 dim: 24 }\nlayer { name: "c" type: "Convolution" bottom: "vol" top: "c" convolution_param { kernel_size: 3 stride: 1 } }\nlayer { name: "d" type: "Convolution" bottom: "c" top: "d" convolution_param { kernel_size: 3 stride: 2 } }\n';

type Host = {
  sent: Array<{ type: string; [k: string]: unknown }>;
  received: Array<{ type: string; [k: string]: unknown }>;
  applied: string[];
  revealed: string[];
  saved: Array<{ format: string; name: string; bytes: number; head: number[] }>;
};

const host = (page: Page) => page.evaluate(() => {
  const h = (window as unknown as { __rflHost: Host }).__rflHost;
  return { sent: h.sent.map((m) => ({ ...m, data: undefined })), received: h.received.map((m) => ({ type: m.type, layer: m.layer, results: m.type === 'remedies' ? m.results : undefined, series: m.type === 'depth' ? m.series : undefined, model: m.type === 'model' ? m.model : undefined })), applied: h.applied, revealed: h.revealed, saved: h.saved };
}) as Promise<Host>;

/** The backing canvas's colour at a map pixel (the canvas holds one pixel per value). */
const pixel = (page: Page, x: number, y: number) =>
  page.evaluate(([x, y]) => Array.from((document.getElementById('map') as HTMLCanvasElement).getContext('2d')!.getImageData(x!, y!, 1, 1).data.slice(0, 3)), [x, y]);

const shownKey = (page: Page) => page.evaluate(() => document.body.dataset.drawn ?? '');

async function setSelect(page: Page, id: string, value: string): Promise<void> {
  await page.evaluate(([id, value]) => {
    const el = document.getElementById(id!) as HTMLElement & { value: string };
    el.value = value!;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, [id, value]);
}

const haveChromium = existsSync(CHROMIUM);

describe('influence-map panel (Chromium)', function () {
  let browser: Browser;
  const open: OpenedPanel[] = [];
  before(async function () {
    if (!haveChromium) this.skip();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) {
      assert.deepEqual(o.errors, [], 'no script errors in the page');
      const csp = await o.page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
      assert.deepEqual(csp, [], 'no content-security-policy violation');
      await o.page.close();
    }
  });
  async function panel(o: Parameters<typeof openPanel>[1]): Promise<Page> {
    const p = await openPanel(browser, o);
    open.push(p);
    return p.page;
  }

  it('draws the peak colour at the peak pixel and the low colour at a corner', async () => {
    const page = await panel({ file: VALID, state: { scale: 'linear', metric: 'paths' } });
    await waitForMap(page, 'outputs|paths|file|');
    const info = await page.evaluate(() => {
      const c = document.getElementById('map') as HTMLCanvasElement;
      return { w: c.width, h: c.height };
    });
    assert.deepEqual(info, { w: 96, h: 96 }, 'one canvas pixel per input pixel');
    const lut = colorTable('viridis');
    const peakAt = await page.evaluate(() => {
      const h = (window as unknown as { __rflHost: { received: Array<{ type: string; map?: { values: Float64Array } }> } }).__rflHost;
      const v = h.received.find((x) => x.type === 'map')!.map!.values;
      let k = 0;
      for (let i = 0; i < v.length; i++) if (v[i]! > v[k]!) k = i;
      return { x: k % 96, y: Math.floor(k / 96), corner: v[0] };
    });
    const centre = await pixel(page, peakAt.x, peakAt.y);
    assert.deepEqual(centre, [lut[255 * 3], lut[255 * 3 + 1], lut[255 * 3 + 2]], 'the peak is drawn in the top colour');
    const corner = await pixel(page, 0, 0);
    assert.ok(peakAt.corner! < 0.002, 'valid convolutions: the corner is nearly unseen');
    assert.deepEqual(corner, [lut[0], lut[1], lut[2]], 'a corner reaches the output through almost no paths: the bottom colour');
    // the CSS size is a whole multiple of the map in device pixels
    const css = await page.evaluate(() => (document.getElementById('map') as HTMLCanvasElement).getBoundingClientRect().width);
    assert.equal(css % 96, 0, `css width ${css} is a whole multiple of 96`);
    const ticks = await page.locator('#ticks .tick').allTextContents();
    assert.ok(ticks.length >= 3, 'colour bar has ticks');
    assert.equal(ticks[0], '0');
  });

  it('the colour map and the log scale change the pixels as the shared colour code says', async () => {
    const page = await panel({ file: VALID, state: { scale: 'log', colormap: 'magma' } });
    await waitForMap(page, 'outputs|paths|file|');
    const lut = colorTable('magma');
    const values = await page.evaluate(() => {
      const h = (window as unknown as { __rflHost: { received: Array<{ type: string; map?: { values: Float64Array } }> } }).__rflHost;
      const m = h.received.find((x) => x.type === 'map')!;
      let k = 0;
      const v = m.map!.values;
      for (let i = 0; i < v.length; i++) if (v[i]! > v[k]!) k = i;
      return [k, m.map!.values[20 * 96 + 3]];
    });
    const px = values[0]! % 96;
    const py = Math.floor(values[0]! / 96);
    assert.deepEqual(await pixel(page, px, py), [lut[765], lut[766], lut[767]]);
    const k = Math.round(colorPosition(values[1]!, 1, 'log') * 255) * 3;
    assert.deepEqual(await pixel(page, 3, 20), [lut[k], lut[k + 1], lut[k + 2]]);
    await setSelect(page, 'colormap', 'cividis');
    const cv = colorTable('cividis');
    await page.waitForFunction(() => true);
    assert.deepEqual(await pixel(page, px, py), [cv[765], cv[766], cv[767]]);
  });

  it('the slider and the layer list select layers and reveal their lines; the editor cursor selects a layer', async () => {
    const page = await panel({ file: DETECTOR });
    await waitForMap(page);
    const mappable = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#layers [role=option]')).map((e) => e.dataset.id!));
    assert.ok(mappable.length >= 10);
    await page.evaluate(() => {
      const s = document.getElementById('slider') as HTMLInputElement;
      s.value = '2';
      s.dispatchEvent(new Event('input'));
    });
    await waitForMap(page, `${mappable[2]}|paths|file|`);
    await page.waitForFunction((id) => (window as unknown as { __rflHost: Host }).__rflHost.revealed.includes(id), mappable[2]);
    assert.match(await page.locator('#layer-caption').textContent() ?? '', new RegExp(`^${mappable[2]} `));
    // keyboard on the list
    await page.locator('#layers').focus();
    await page.keyboard.press('ArrowDown');
    await waitForMap(page, `${mappable[3]}|paths|file|`);
    assert.equal(await page.locator(`#layers [aria-selected=true]`).getAttribute('data-id'), mappable[3]);
    // scrub through every layer: each drawn, the last one stays
    for (let i = 0; i < mappable.length; i++) {
      await page.evaluate((i) => {
        const s = document.getElementById('slider') as HTMLInputElement;
        s.value = String(i);
        s.dispatchEvent(new Event('input'));
      }, i);
    }
    await waitForMap(page, `${mappable[mappable.length - 1]}|paths|file|`);
    // the editor's cursor on layer 5's line selects it
    const line = await page.evaluate((id) => (window as unknown as { __rflHost: { session: { currentReport: { layers: Array<{ id: string; line: number }> } } } }).__rflHost.session.currentReport.layers.find((l) => l.id === id)!.line, mappable[5]);
    await page.evaluate((l) => (window as unknown as { __rflHost: { selectLine(n: number): void } }).__rflHost.selectLine(l), line - 1 + 1);
    await waitForMap(page, `${mappable[5]}|paths|file|`);
    const before = (await host(page)).revealed.length;
    assert.equal((await host(page)).revealed.length, before, 'a selection from the editor is not echoed back as a reveal');
  });

  it('clicking a pixel shows that unit\u2019s field and its own map; hover shows a tooltip; Escape returns', async () => {
    const page = await panel({ file: VALID, state: { layer: 'conv2' } });
    await waitForMap(page, 'conv2|paths|file|');
    const box = (await page.locator('#map').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector('#tooltip:not([hidden])');
    const tip = (await page.locator('#tooltip').textContent()) ?? '';
    assert.match(tip, /^x 4[78], y 4[78] · \d+ paths · \d+% of peak · covered by \d+ units$/);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() => /unit/.test(document.body.dataset.drawn ?? '') || /\|\d+,\d+$/.test(document.body.dataset.drawn ?? ''));
    const key = await shownKey(page);
    assert.match(key, /^conv2\|paths\|file\|\d+,\d+$/);
    assert.ok(await page.locator('#unit-chip').isVisible());
    const field = await page.evaluate(() => {
      const h = (window as unknown as { __rflHost: { received: Array<{ type: string; map?: { field?: { lo: number[]; hi: number[] }; values: Float64Array; shape: number[] } }> } }).__rflHost;
      const m = [...h.received].reverse().find((x) => x.type === 'map' && x.map?.field)!.map!;
      let outside = 0;
      const [H, W] = m.shape as [number, number];
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (m.values[y * W + x]! > 0 && (y < m.field!.lo[0]! || y > m.field!.hi[0]! || x < m.field!.lo[1]! || x > m.field!.hi[1]!)) outside++;
      return { ...m.field!, outside };
    });
    assert.equal(field.outside, 0, 'the unit\u2019s paths stay inside its field');
    assert.ok(field.hi[0]! - field.lo[0]! + 1 >= 5, 'conv2\u2019s field is wider than one kernel');
    assert.match((await page.locator('#unit-text').textContent()) ?? '', /field y \d+–\d+, x \d+–\d+/);
    await page.locator('#map').focus();
    await page.keyboard.press('Escape');
    await waitForMap(page, 'conv2|paths|file|');
    // keyboard: arrows move the cursor, Enter picks the unit
    await page.keyboard.press('ArrowRight');
    assert.ok(await page.locator('#tooltip').isVisible());
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /\|\d+,\d+$/.test(document.body.dataset.drawn ?? ''));
  });

  it('shows the remedies side by side, marks the best and applies the input-size fix as an edit', async () => {
    const page = await panel({ file: '/virtual/misaligned.cfg', text: MISALIGNED, state: { scale: 'linear' } });
    await waitForMap(page);
    await page.waitForSelector('#remedies .card >> nth=5');
    const cards = await page.locator('#remedies .card').count();
    assert.equal(cards, 7, "file's own, four paddings, two input sizes");
    assert.equal(await page.locator('#remedies .card.best').count(), 1);
    const best = (await page.locator('#remedies .card.best .card-title').textContent()) ?? '';
    assert.match(best, /replicate|circular|reflect/, `best is a copying padding (${best})`);
    const titles = await page.locator('#remedies .card-title').allTextContents();
    assert.deepEqual(titles.slice(0, 5), ["File's own (zeros)", 'zeros', 'reflect', 'replicate', 'circular']);
    assert.match(titles[5]!, /input size 99x99/);
    // padding cards of a Darknet file: what-ifs without an apply button, saying why
    assert.equal(await page.locator('#remedies .card').nth(2).locator('.apply').count(), 0);
    assert.match((await page.locator('#remedies .card').nth(2).locator('.card-note').textContent()) ?? '', /Darknet files have no padding-mode key/);
    // the file's own map has dead pixels (floor division), zeros padding has none
    const h0 = await host(page);
    const res = h0.received.filter((m) => m.type === 'remedies').pop()!.results as Array<{ id: string; metrics: { deadPixels: number } | null }>;
    assert.ok(res[0]!.metrics!.deadPixels > 0);
    // a click on a thumbnail shows that what-if in the main view
    await page.locator('#remedies .card').nth(3).locator('canvas').click();
    await waitForMap(page, 'outputs|paths|replicate|');
    // apply the input size: the host edits the text, the panel gets the new model
    await page.locator('#remedies .card').nth(5).locator('.apply').click();
    await page.waitForFunction(() => /input 99×99/.test(document.getElementById('subtitle')!.textContent ?? ''));
    const h = await host(page);
    assert.deepEqual(h.applied, ['Use input size 99x99']);
  });

  it('draws the depth profile of every padding along the depth', async () => {
    const page = await panel({ file: DETECTOR });
    await waitForMap(page);
    await page.waitForSelector('#depth canvas');
    const legend = await page.locator('#depth-legend .legend-item').allTextContents();
    assert.deepEqual(legend.slice(0, 5), ["file's own", 'zeros', 'reflect', 'replicate', 'circular']);
    const h = await host(page);
    const series = h.received.find((m) => m.type === 'depth')!.series as Array<{ padding: string; layers: string[]; edgeRatio: number[] }>;
    assert.equal(series.length, 5);
    const last = (p: string) => series.find((s) => s.padding === p)!.edgeRatio.at(-1)!;
    // Darknet pads with zeros: the file's own is the zeros curve; the border falls behind, replicate and circular keep it
    assert.equal(last('file'), last('zeros'));
    assert.ok(last('zeros') < 0.25);
    assert.ok(last('zeros') < last('replicate'));
    assert.ok(last('circular') > last('zeros'));
    const file = series.find((s) => s.padding === 'file')!.edgeRatio;
    assert.ok(file[file.length - 1]! < file[0]!, 'the edge ratio falls with depth');
  });

  it('exports the view as PNG and the map as CSV and .npy', async () => {
    const page = await panel({ file: VALID });
    await waitForMap(page);
    await page.locator('#export-png').click();
    await page.locator('#export-csv').click();
    await page.locator('#export-npy').click();
    await page.waitForFunction(() => (window as unknown as { __rflHost: Host }).__rflHost.saved.length === 3);
    const { saved } = await host(page);
    const png = saved.find((s) => s.format === 'png')!;
    assert.deepEqual(png.head.slice(0, 8), [137, 80, 78, 71, 13, 10, 26, 10]);
    assert.match(png.name, /^valid-convs-outputs-paths\.png$/);
    const npy = saved.find((s) => s.format === 'npy')!;
    assert.deepEqual(npy.head.slice(0, 6), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    assert.equal(npy.bytes, 128 + 96 * 96 * 8);
    const csv = saved.find((s) => s.format === 'csv')!;
    assert.ok(csv.bytes > 96 * 96);
  });

  it('keeps the last good picture while the text does not parse, and its state across reloads', async () => {
    const page = await panel({ file: VALID });
    await waitForMap(page);
    await setSelect(page, 'metric', 'coverage');
    await waitForMap(page, 'outputs|coverage|file|');
    const state = await page.evaluate(() => (window as unknown as { __rflHost: { state(): unknown } }).__rflHost.state());
    assert.equal((state as { metric: string }).metric, 'coverage');
    await page.evaluate(() => (window as unknown as { __rflHost: { setText(t: string): Promise<void> } }).__rflHost.setText('layer { name: "x" type: "Convolution" bottom: "nothing" '));
    await page.waitForSelector('#stale:not([hidden])');
    assert.equal(await shownKey(page), 'outputs|coverage|file|', 'the picture stays');
    // a reload with the saved state (what the serializer hands back) restores the view
    const again = await panel({ file: VALID, state: state as never });
    await waitForMap(again, 'outputs|coverage|file|');
    assert.equal(await again.locator('#metric').evaluate((e) => (e as HTMLElement & { value: string }).value), 'coverage');
  });

  it('shows a 1-D model as a profile and a 3-D model with a slice selector', async () => {
    const page = await panel({ file: '/virtual/audio.prototxt', text: AUDIO });
    await waitForMap(page);
    assert.ok(await page.locator('#profile-1d').isVisible());
    assert.ok(!(await page.locator('#profile-y').isVisible()));
    assert.ok(await page.locator('#profile-1d canvas').count());
    const vol = await panel({ file: '/virtual/volume.prototxt', text: VOLUME });
    await waitForMap(vol);
    assert.ok(await vol.locator('#slice-control').isVisible());
    assert.equal(await vol.locator('#slice').inputValue(), '4', 'the middle slice, as the PNG draws it');
    await vol.evaluate(() => {
      const s = document.getElementById('slice') as HTMLInputElement;
      s.value = '0';
      s.dispatchEvent(new Event('input'));
    });
    assert.match((await vol.locator('#slice-label').textContent()) ?? '', /Slice 1\/9/);
  });

  it('screenshots in light, dark and high-contrast themes', async () => {
    const dir = join(ROOT, 'artifacts', 'screenshots');
    mkdirSync(dir, { recursive: true });
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      const page = await panel({ file: DETECTOR, theme, width: 1180, height: 1400 });
      await waitForMap(page);
      await page.waitForSelector('#depth canvas');
      await page.waitForSelector('#remedies .card >> nth=4');
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(dir, `webview-${theme}.png`), fullPage: true });
      assert.ok(readFileSync(join(dir, `webview-${theme}.png`)).length > 10000);
    }
  });
});
