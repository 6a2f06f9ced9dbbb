/**
 * The panel's speed (npx tsx bench/webview.ts [--quick]): map computation per
 * layer of YOLOv4 at 608x608 with the current engine (cold and cached, as the
 * slider scrubs), the remedies (five paddings), and in headless Chromium the
 * webview's first paint and its redraw of a 608x608 map. Medians; nothing
 * here is a test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { analyze, isRefusal, openModel, PAD_MODES } from '../src/core';
import { CHROMIUM, launch, openPanel, waitForMap } from '../test/webview/page';

const corpus = join(__dirname, '..', '..', 'shared', 'corpus');
const YOLO = join(corpus, 'darknet', 'yolov4.cfg');
const quick = process.argv.includes('--quick');

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const f = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

function engineSide(): void {
  const text = readFileSync(YOLO, 'utf8');
  // warm the JIT on a full analysis first
  analyze({ fileName: 'yolov4.cfg', text });
  const t0 = performance.now();
  const model = openModel({ fileName: 'yolov4.cfg', text }, { findings: 'none' });
  const r = model.report;
  const tLayers = performance.now() - t0;
  const layers = r.layers.filter((l) => l.output !== null && l.op !== 'input').map((l) => l.id);
  const cold: number[] = [];
  const cached: number[] = [];
  for (const id of layers) {
    let t = performance.now();
    const m = model.map(id, 'paths');
    cold.push(performance.now() - t);
    if (isRefusal(m)) throw new Error(m.refused);
    t = performance.now();
    model.map(id, 'paths');
    cached.push(performance.now() - t);
  }
  console.log(`YOLOv4 608x608 (${layers.length} mappable layers; layer table ${f(tLayers)} ms)`);
  console.log(`  path map per layer, computed: median ${f(median(cold))} ms, p95 ${f(pct(cold, 0.95))} ms, max ${f(Math.max(...cold))} ms`);
  console.log(`  path map per layer, cached:   median ${f(median(cached))} ms, p95 ${f(pct(cached, 0.95))} ms, max ${f(Math.max(...cached))} ms`);
  // the remedies view: the outputs' map and metrics for the file's padding and each what-if
  const t1 = performance.now();
  model.metrics(r.outputs);
  for (const p of PAD_MODES) model.metrics(r.outputs, { padding: p });
  console.log(`  remedies (outputs' map and metrics, file + ${PAD_MODES.length} paddings), computed: ${f(performance.now() - t1)} ms`);
}

async function webviewSide(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`webview: no Chromium at ${CHROMIUM}, skipped`);
    return;
  }
  const browser = await launch();
  try {
    const firsts: number[] = [];
    const draws: number[] = [];
    const runs = quick ? 2 : 5;
    for (let run = 0; run < runs; run++) {
      const { page } = await openPanel(browser, { file: YOLO, prewarm: true, depthLayers: 16, width: 1280, height: 1000 });
      await waitForMap(page, undefined, 300000);
      const t = await page.evaluate(() => {
        const w = window as unknown as { __rflTimings: { firstPaint: number }; __rflPrewarm: { end: number } };
        return { paint: w.__rflTimings.firstPaint, prewarmEnd: w.__rflPrewarm.end };
      });
      firsts.push(t.paint - t.prewarmEnd);
      // redraw from the panel's cache: switch colour maps and scales (the same 608x608 values, new pixels)
      for (let i = 0; i < 12; i++) {
        const ms = await page.evaluate((i) => {
          const el = document.getElementById(i % 2 ? 'colormap' : 'scale') as HTMLElement & { value: string };
          el.value = i % 2 ? (i % 4 === 1 ? 'magma' : 'viridis') : i % 4 === 0 ? 'log' : 'linear';
          el.dispatchEvent(new Event('change'));
          return (window as unknown as { __rflTimings: { lastDraw: number } }).__rflTimings.lastDraw;
        }, i);
        draws.push(ms);
      }
      await page.close();
    }
    console.log(`webview (headless Chromium, 608x608 map):`);
    console.log(`  first paint after the page starts (script load, layout, first map drawn): median ${f(median(firsts))} ms (${firsts.map(f).join(', ')})`);
    console.log(`  redraw of a cached 608x608 map (pixels, colour bar, profiles, numbers): median ${f(median(draws))} ms, max ${f(Math.max(...draws))} ms`);
  } finally {
    await browser.close();
  }
}

(async () => {
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (figures scale with the load)`);
  engineSide();
  await webviewSide();
})();
