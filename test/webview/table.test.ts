/**
 * The ONNX layer table's page in headless Chromium: the page the custom
 * editor serves (panelHtml, strict CSP) with the table's bundle, a stub
 * acquireVsCodeApi that records what the page posts, and the table of a
 * hand-derived graph built in Node (buildLayerTable over analyze()). Sorting
 * by clicks, filtering, the keyboard (arrows, Enter), the map button, the
 * host's selection, and the state kept across a reload.
 */
import { strict as assert } from 'node:assert';
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { analyze } from '../../src/core';
import { panelHtml } from '../../src/extension/panel/html';
import { mappableLayers } from '../../src/extension/panel/session';
import { buildLayerTable } from '../../src/shared/layerTable';
import type { HostToTable, TableToHost, TableViewState } from '../../src/shared/tableProtocol';
import { buildModel, node, weight } from '../support/onnxBuild';
import { launch, ROOT } from './page';
import { THEMES } from './themes';

const OUT = join(ROOT, 'dist', 'test-webview');

function tableMessage(): HostToTable {
  const bytes = buildModel({
    opset: 13,
    inputs: [{ name: 'image', dims: [1, 3, 32, 32] }],
    outputs: [{ name: 'y', dims: null }],
    initializers: [weight('c1.w', [8, 3, 3, 3]), weight('c2.w', [8, 8, 3, 3])],
    nodes: [
      node('Conv', ['image', 'c1.w'], ['a'], { kernel_shape: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0] }, 'c1'),
      node('MaxPool', ['a'], ['b'], { kernel_shape: [2, 2], strides: [2, 2] }, 'p1'),
      node('Conv', ['b', 'c2.w'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'c2'),
    ],
  });
  const report = analyze({ fileName: '/models/hand.onnx', bytes });
  return { type: 'table', table: buildLayerTable(report, new Set(mappableLayers(report))), partial: false, edgeRatioThreshold: 0.25 };
}

async function assets(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await build({ bundle: true, logLevel: 'warning', target: 'es2022', platform: 'browser', format: 'iife', entryPoints: [join(ROOT, 'webview/table.ts')], outfile: join(OUT, 'table.js') });
  writeFileSync(
    join(OUT, 'table.html'),
    panelHtml({ cspSource: 'file:', nonce: 'testnonce0123456789', scriptUri: pathToFileURL(join(OUT, 'table.js')).href, styleUri: pathToFileURL(join(OUT, 'table.css')).href, title: 'ONNX layers' }),
  );
}

interface Opened {
  page: Page;
  errors: string[];
  posted: () => Promise<TableToHost[]>;
  state: () => Promise<TableViewState>;
}

async function open(browser: Browser, state?: TableViewState): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  const message = tableMessage();
  // a string, not a function: the test's transpiler would add helpers the page does not have
  const setup = JSON.stringify({ message, state, vars: THEMES.dark.vars });
  await page.addInitScript(`(() => {
    const { message, state, vars } = ${setup};
    const posted = [];
    let saved = state;
    window.__posted = posted;
    window.__state = () => saved;
    window.acquireVsCodeApi = () => ({
      postMessage(m) {
        posted.push(m);
        // the host answers the page's ready with the table
        if (m.type === 'ready') setTimeout(() => window.postMessage(message, '*'), 0);
      },
      getState: () => saved,
      setState: (s) => (saved = s),
    });
    document.addEventListener('securitypolicyviolation', (e) => console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI));
    document.addEventListener('DOMContentLoaded', () => {
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    });
  })();`);
  await page.goto(pathToFileURL(join(OUT, 'table.html')).href, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('tbody tr[data-id]', { timeout: 20000 }).catch((e: Error) => {
    throw new Error(`${e.message.split('\n')[0]}; page errors: ${errors.join(' | ')}`);
  });
  return {
    page,
    errors,
    posted: () => page.evaluate(() => (window as unknown as { __posted: TableToHost[] }).__posted),
    state: () => page.evaluate(() => (window as unknown as { __state: () => TableViewState }).__state()),
  };
}

const rowIds = (page: Page) => page.$$eval('tbody tr[data-id]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset['id']));

describe('ONNX layer table page', function () {
  this.timeout(120000);
  let browser: Browser;

  before(async () => {
    await assets();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  it('shows the header and one row per layer under its strict CSP', async () => {
    const { page, errors } = await open(browser);
    assert.match(await page.locator('h2').innerText(), /hand\.onnx/);
    assert.deepEqual(await rowIds(page), ['image', 'c1', 'p1', 'c2']);
    const cells = await page.$$eval('tr[data-id="c2"] td', (tds) => tds.map((td) => (td as HTMLElement).innerText.trim()));
    // #, name, op, output, rf, jump, start (the hand-derived c2: out 8, r 8, j 4, start 1.5)
    assert.deepEqual(cells.slice(0, 7), ['3', 'c2', 'Conv k3 s2 p1', '8×8', '8×8', '4', '1.5']);
    assert.match(await page.locator('.facts').innerText(), /32×32[\s\S]*stated in the file[\s\S]*8×8[\s\S]*at c2/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('sorts by a column on click (again: reversed) and filters by words', async () => {
    const { page, state } = await open(browser);
    await page.click('th[data-key="rf"] button');
    assert.deepEqual(await rowIds(page), ['image', 'c1', 'p1', 'c2']);
    assert.equal(await page.getAttribute('th[data-key="rf"]', 'aria-sort'), 'ascending');
    await page.click('th[data-key="rf"] button');
    assert.deepEqual(await rowIds(page), ['c2', 'p1', 'c1', 'image']);
    assert.equal(await page.getAttribute('th[data-key="rf"]', 'aria-sort'), 'descending');
    await page.click('th[data-key="name"] button');
    assert.deepEqual(await rowIds(page), ['c1', 'c2', 'image', 'p1']);
    await page.locator('#filter').click();
    await page.keyboard.type('conv');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr[data-id]').length === 2);
    assert.deepEqual(await rowIds(page), ['c1', 'c2']);
    assert.equal(await page.locator('#count').innerText(), '2 of 4 layers');
    assert.deepEqual(await state(), { order: { key: 'name', dir: 1 }, filter: 'conv', selected: null });
    await page.close();
  });

  it('is keyboard operable: Tab reaches a row, arrows move the selection, Enter opens the map', async () => {
    const { page, posted } = await open(browser);
    await page.locator('tr[data-id="image"]').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement).dataset['id']), 'p1');
    assert.equal(await page.getAttribute('tr[data-id="p1"]', 'aria-selected'), 'true');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    const got = await posted();
    assert.deepEqual(
      got.filter((m) => m.type !== 'ready'),
      [
        { type: 'selected', layer: 'c1' },
        { type: 'selected', layer: 'p1' },
        { type: 'showMap', layer: 'p1' },
        { type: 'selected', layer: 'c2' },
      ],
    );
    // the sort buttons are reachable with the keyboard too
    await page.locator('th[data-key="jump"] button').focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute('th[data-key="jump"]', 'aria-sort'), 'ascending');
    await page.close();
  });

  it('the map button asks for the influence map; the host’s selection posts nothing back', async () => {
    const { page, posted } = await open(browser);
    await page.click('button.map[data-layer="c2"]');
    await page.evaluate(() => window.postMessage({ type: 'select', layer: 'c1' }, '*'));
    await page.waitForFunction(() => document.querySelector('tr[data-id="c1"]')?.getAttribute('aria-selected') === 'true');
    const got = (await posted()).filter((m) => m.type !== 'ready');
    assert.deepEqual(got, [{ type: 'selected', layer: 'c2' }, { type: 'showMap', layer: 'c2' }]);
    // the input has no map: no button
    assert.equal(await page.locator('button.map[data-layer="image"]').count(), 0);
    await page.close();
  });

  it('edge ratios fill in as they arrive; a saved state comes back after a reload', async () => {
    const { page } = await open(browser, { order: { key: 'index', dir: -1 }, filter: 'conv', selected: 'c1' });
    assert.deepEqual(await rowIds(page), ['c2', 'c1']);
    assert.equal(await page.$eval('#filter', (el) => (el as unknown as { value: string }).value), 'conv');
    assert.equal(await page.getAttribute('tr[data-id="c1"]', 'aria-selected'), 'true');
    assert.equal(await page.getAttribute('th[data-key="index"]', 'aria-sort'), 'descending');
    assert.equal(await page.locator('tr[data-id="c1"] td.edge').innerText(), '…');
    await page.evaluate(() => window.postMessage({ type: 'edges', edges: { c1: 0.123, p1: 'no map' } }, '*'));
    await page.waitForFunction(() => (document.querySelector('tr[data-id="c1"] td.edge') as HTMLElement).innerText === '0.123');
    assert.equal(await page.getAttribute('tr[data-id="c1"] td.edge', 'class'), 'num edge low', 'below the threshold');
    await page.close();
  });
});
