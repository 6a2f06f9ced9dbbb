#!/usr/bin/env node
// Runs the extension's integration tests inside a real VS Code: code-server's
// (remote, Node) extension host, its web workbench driven by headless Chromium
// through playwright-core. Exits with the tests' exit code; prints
// "N passed, N failed" last.
//
// Usage: node scripts/host/run-vscode-tests.cjs --cs <code-server entry.js> --node <node 24>
//          --ext <extension dir> --tests <compiled test index.js> --ws <workspace folder>
//          [--out artifacts] [--timeout ms] [--summary file.json]
//
// Named screenshots: a test writes <VSCODE_TEST_SCREENSHOT_SIGNAL>.<name>.ready (JSON options:
// { hoverWord?, escape?, settle?, click?, keys? }); the driver saves <out>/screenshots/<name>.png, writes
// what it saw of the page to <signal>.<name>.ui.json, then <signal>.<name>.done.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { chromium } = require('playwright-core');

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, arr) => (v.startsWith('--') ? a.concat([[v.slice(2), arr[i + 1]]]) : a), []));
const CS = args.cs, NODE = args.node, EXT = path.resolve(args.ext), TESTS = path.resolve(args.tests), WS = path.resolve(args.ws);
const OUT = path.resolve(args.out || 'artifacts');
const SHOTS = path.join(OUT, 'screenshots');
const TIMEOUT_MS = Number(args.timeout || 300000);
fs.mkdirSync(SHOTS, { recursive: true });

const t0 = Date.now();
const log = (...m) => console.log(`[driver +${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...m);

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
    s.on('error', rej);
  });
}

async function waitHttp(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const r = await fetch(url); if (r.ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('code-server did not come up: ' + url);
}

async function probe(page) {
  const ui = await page.evaluate(() => ({
    title: document.title,
    squiggles: {
      error: document.querySelectorAll('.squiggly-error').length,
      warning: document.querySelectorAll('.squiggly-warning').length,
      info: document.querySelectorAll('.squiggly-info').length,
      hint: document.querySelectorAll('.squiggly-hint').length,
    },
    codeLenses: [...document.querySelectorAll('.contentWidgets .codelens-decoration, .codelens-decoration')].map((e) => e.textContent).filter(Boolean).slice(0, 40),
    problemsPanel: document.querySelector('.markers-panel')?.innerText ?? null,
    tabs: [...document.querySelectorAll('.tabs-container .tab')].map((t) => t.getAttribute('aria-label')),
    statusBar: [...document.querySelectorAll('.statusbar-item')].map((e) => e.innerText).filter((t) => t && t.includes('RF')),
    webviewFrames: document.querySelectorAll('iframe.webview').length,
  }));
  if (ui.webviewFrames > 0) {
    ui.webviewHeading = await page.frameLocator('iframe.webview').first().frameLocator('#active-frame')
      .locator('h2').first().innerText({ timeout: 5000 }).catch((e) => 'NO WEBVIEW: ' + e.message.split('\n')[0]);
    // the panel's own title line: which model it shows (the file, format and input)
    ui.webviewSubtitle = await page.frameLocator('iframe.webview').first().frameLocator('#active-frame')
      .locator('#subtitle').first().innerText({ timeout: 5000 }).catch(() => null);
  }
  return ui;
}

async function screenshot(page, name, options) {
  const ui0 = {};
  if (options.escape) {
    // close a hover or a suggestion left by the previous test
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
  }
  await page.waitForTimeout(options.settle ?? 800);
  if (options.hoverWord) {
    // a UI-level hover: the mouse over a token of the editor
    const tok = page.locator('.monaco-editor .view-line span span', { hasText: options.hoverWord }).first();
    await tok.hover({ timeout: 5000 }).catch(() => undefined);
    await page.waitForTimeout(1500);
  }
  if (options.click) {
    // a click inside a webview (any frame holding the selector): the user's click on a button of the page
    ui0.clicked = false;
    for (const frame of page.frames()) {
      const el = await frame.$(options.click).catch(() => null);
      if (!el) continue;
      await el.click({ timeout: 5000 });
      ui0.clicked = true;
      break;
    }
  }
  for (const key of options.keys ?? []) await page.keyboard.press(key);
  if (options.click || options.keys) await page.waitForTimeout(options.after ?? 800);
  const ui = { ...(await probe(page)), ...ui0 };
  const hover = page.locator('.monaco-hover:not(.hidden) .hover-contents, .monaco-resizable-hover .hover-contents').first();
  if (await hover.count()) ui.hoverText = await hover.innerText({ timeout: 3000 }).catch(() => null);
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  log('screenshot', path.relative(process.cwd(), file));
  return ui;
}

(async () => {
  const port = Number(args.port) || (await freePort());
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rfl-host-'));
  const signal = path.join(tmp, 'shot');
  fs.mkdirSync(path.join(tmp, 'user-data', 'User'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'user-data', 'User', 'settings.json'), JSON.stringify({
    'chat.disableAIFeatures': true,
    'workbench.startupEditor': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'editor.hover.delay': 300,
    'files.autoSave': 'off',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.commandCenter.enabled': false,
    'window.commandCenter': false,
  }, null, 2));
  const csLog = fs.openSync(path.join(OUT, 'code-server.log'), 'w');
  const server = spawn(NODE, [CS,
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    // without it the packaged workbench ignores ?payload= extensionDevelopmentPath / extensionTestsPath
    '--vscode-option', 'enable-smoke-test-driver',
    '--config', path.join(tmp, 'config.yaml'),
    '--user-data-dir', path.join(tmp, 'user-data'), '--extensions-dir', path.join(tmp, 'extensions'),
    '--ignore-last-opened', WS,
  ], {
    stdio: ['ignore', csLog, csLog],
    env: { ...process.env, VSCODE_TEST_SCREENSHOT_SIGNAL: signal, TMPDIR: tmp, XDG_DATA_HOME: path.join(tmp, 'xdg-data'), XDG_CONFIG_HOME: path.join(tmp, 'xdg-config') },
    detached: true,
  });
  let exitCode = 1;
  let summary = null;
  let browser;
  const cleanup = async () => {
    try { if (browser) await browser.close(); } catch { /* gone */ }
    // code-server runs in its own process group: end the group (server, extension host, watchers)
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
  };
  const killTimer = setTimeout(async () => { log('TIMEOUT'); await cleanup(); console.log('0 passed, 1 failed'); process.exit(2); }, TIMEOUT_MS);
  try {
    await waitHttp(`http://127.0.0.1:${port}/healthz`, 60000);
    log('code-server up on port', port);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.on('pageerror', (e) => log('pageerror:', e.message));
    if (process.env.DRIVER_DEBUG) page.on('console', (m) => log('console.' + m.type() + ':', m.text().slice(0, 500)));
    let done;
    const finished = new Promise((r) => { done = r; });
    await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
      // the extension host's console (mocha's reporter), with workbench logs
      const a = Array.isArray(logArgs) ? logArgs : [logArgs];
      // the workbench's own chatter (set DRIVER_VERBOSE=1 to see it)
      if (!process.env.DRIVER_VERBOSE && /^\[(ChatModelSelection|AgentHost|AccountPolicyGate)|^Creation of workbench contribution|^Timed out waiting for authentication|workbench\.js:\d+/.test(String(a[0]))) return;
      const m = /^(\d+) passed, (\d+) failed$/.exec(String(a[0]));
      if (m) summary = { passed: Number(m[1]), failed: Number(m[2]) };
      console.log(...a);
    });
    await page.exposeFunction('codeAutomationExit', async (code) => {
      log('extension host exited with code', code);
      done(code);
    });
    let busy = false;
    const shotPoll = setInterval(async () => {
      if (busy) return;
      const ready = fs.readdirSync(tmp).filter((f) => f.startsWith('shot.') && f.endsWith('.ready'));
      for (const f of ready) {
        const name = f.slice('shot.'.length, -'.ready'.length);
        if (fs.existsSync(`${signal}.${name}.done`)) continue;
        busy = true;
        let ui = {};
        try {
          const options = JSON.parse(fs.readFileSync(path.join(tmp, f), 'utf8') || '{}');
          ui = await screenshot(page, name, options);
        } catch (e) {
          ui = { error: e.message };
          log('screenshot failed', e.message);
        }
        fs.writeFileSync(`${signal}.${name}.ui.json`, JSON.stringify(ui, null, 2));
        fs.writeFileSync(path.join(SHOTS, `${name}.json`), JSON.stringify(ui, null, 2));
        fs.writeFileSync(`${signal}.${name}.done`, 'done');
        busy = false;
      }
    }, 150);
    const authority = `127.0.0.1:${port}`;
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${EXT}`],
      ['extensionTestsPath', `vscode-remote://${authority}${TESTS}`],
    ];
    const url = `http://${authority}/?folder=${encodeURIComponent(WS)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    log('opening', url);
    await page.goto(url);
    exitCode = await finished;
    clearInterval(shotPoll);
  } catch (e) {
    log('driver error:', (e && e.stack) || e);
    exitCode = 1;
  } finally {
    clearTimeout(killTimer);
    await cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log('done, exit', exitCode);
  const s = summary ?? { passed: 0, failed: 1 };
  if (args.summary) fs.writeFileSync(args.summary, JSON.stringify(s));
  console.log(`${s.passed} passed, ${s.failed} failed`);
  process.exit(exitCode);
})();
