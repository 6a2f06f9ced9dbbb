/**
 * Opens the panel in headless Chromium (playwright-core with Debian's
 * /usr/bin/chromium): the very page the host serves (panelHtml, strict CSP),
 * from files, with the stub host of stubHost.ts.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { panelHtml } from '../../src/extension/panel/html';
import type { ViewState } from '../../src/shared/protocol';

export const ROOT = join(__dirname, '..', '..');
const OUT = join(ROOT, 'dist', 'test-webview');

export const CHROMIUM = process.env.RFL_CHROMIUM ?? '/usr/bin/chromium';

let built: Promise<void> | null = null;
/** Bundles the panel and the stub host. */
export function buildAssets(): Promise<void> {
  return (built ??= (async () => {
    mkdirSync(OUT, { recursive: true });
    const common = { bundle: true, sourcemap: true, logLevel: 'warning' as const, target: 'es2022', platform: 'browser' as const, format: 'iife' as const };
    const jobs = [build({ ...common, entryPoints: [join(ROOT, 'test/webview/stubHost.ts')], outfile: join(OUT, 'stubHost.js') })];
    // the panel as scripts/build.mjs bundles it, minified (rebuilt so the tests never run a stale bundle)
    jobs.push(build({ ...common, entryPoints: [join(ROOT, 'webview/main.ts')], outfile: join(ROOT, 'dist', 'webview.js'), minify: true }));
    await Promise.all(jobs);
    const html = panelHtml({
      cspSource: 'file:',
      nonce: 'testnonce0123456789',
      scriptUri: pathToFileURL(join(ROOT, 'dist', 'webview.js')).href,
      styleUri: pathToFileURL(join(ROOT, 'dist', 'webview.css')).href,
    });
    writeFileSync(join(OUT, 'panel.html'), html);
  })());
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--allow-file-access-from-files', '--disable-gpu'] });
}

export interface OpenOptions {
  file: string;
  text?: string;
  theme?: 'light' | 'dark' | 'high-contrast';
  state?: ViewState;
  width?: number;
  height?: number;
  dpr?: number;
  input?: number | number[];
  depthLayers?: number;
  prewarm?: boolean;
}

export interface OpenedPanel {
  page: Page;
  errors: string[];
  cspViolations: string[];
}

export async function openPanel(browser: Browser, o: OpenOptions): Promise<OpenedPanel> {
  await buildAssets();
  const context = await browser.newContext({ viewport: { width: o.width ?? 1000, height: o.height ?? 900 }, deviceScaleFactor: o.dpr ?? 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  const cspViolations: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const text = o.text ?? readFileSync(o.file, 'utf8');
  const uri = pathToFileURL(o.file).href;
  await page.addInitScript((setup) => {
    (window as unknown as { __rflSetup: unknown }).__rflSetup = setup;
    document.addEventListener('securitypolicyviolation', (e) => ((window as unknown as { __csp: string[] }).__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`));
  }, { uri, text, theme: o.theme ?? 'light', state: o.state, input: o.input, depthLayers: o.depthLayers, prewarm: o.prewarm });
  await page.addInitScript({ path: join(OUT, 'stubHost.js') });
  await page.goto(pathToFileURL(join(OUT, 'panel.html')).href, { waitUntil: 'domcontentloaded', timeout: 120000 });
  page.on('close', () => void context.close().catch(() => {}));
  return { page, errors, cspViolations };
}

/** Waits until the panel drew the map of this view key (layer|metric|padding|unit), or any map. */
export async function waitForMap(page: Page, key?: string, timeout = 20000): Promise<void> {
  await page.waitForFunction((k) => (k ? document.body.dataset.drawn === k : !!document.body.dataset.drawn), key, { timeout });
}
