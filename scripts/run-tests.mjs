#!/usr/bin/env node
// Runs the project's test lanes and ends with one line "N passed, N failed"
// over all of them; exits non-zero when a test failed or a lane could not run.
//   node scripts/run-tests.mjs            every lane (unit, host)
//   node scripts/run-tests.mjs host       only the named lanes
// The host lane runs the integration tests inside a real VS Code (code-server
// driven by headless Chromium); it installs that host first when it is missing
// (scripts/host/install-vscode-host.sh: npm registry and apt).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'rfl-tests-'));

function hostLane(summary) {
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'host', 'install-vscode-host.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (install.status !== 0) {
    console.log(install.stdout);
    console.log('could not install the VS Code host');
    return 1;
  }
  const env = Object.fromEntries([...install.stdout.matchAll(/^(VSCODE_HOST_\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--host-tests'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) return 1;
  // a throwaway workspace: the examples plus the test fixtures (tests edit and change settings freely)
  const ws = join(dir, 'workspace');
  cpSync(join(ROOT, 'examples'), ws, { recursive: true });
  cpSync(join(ROOT, 'test', 'host', 'fixtures'), ws, { recursive: true });
  rmSync(join(ROOT, 'artifacts', 'screenshots'), { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'scripts', 'host', 'run-vscode-tests.cjs'),
      '--node', env.VSCODE_HOST_NODE,
      '--cs', env.VSCODE_HOST_ENTRY,
      '--ext', ROOT,
      '--tests', join(ROOT, 'out', 'host', 'index.js'),
      '--ws', ws,
      '--out', join(ROOT, 'artifacts'),
      '--summary', summary,
      '--timeout', '600000',
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  return r.status ?? 1;
}

// A lane either writes its own summary (mocha's reporter, via RFL_TEST_SUMMARY)
// or counts as one test that passes when it exits 0 (the type check).
const lanes = [
  { name: 'types', counts: 'exit', run: () => spawnSync('npx', ['tsc', '-b'], { cwd: ROOT, stdio: 'inherit' }).status ?? 1 },
  { name: 'unit', run: (summary) => spawnSync('npx', ['mocha'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, RFL_TEST_SUMMARY: summary } }).status ?? 1 },
  { name: 'webview', run: (summary) => spawnSync('npx', ['mocha', '--config', 'test/webview/.mocharc.json'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, RFL_TEST_SUMMARY: summary } }).status ?? 1 },
  { name: 'host', run: hostLane },
];
const wanted = process.argv.slice(2);
let passed = 0;
let failed = 0;
let broken = false;
for (const lane of lanes.filter((l) => wanted.length === 0 || wanted.includes(l.name))) {
  const summary = join(dir, `${lane.name}.json`);
  console.log(`\n=== ${lane.name} tests ===`);
  const status = lane.run(summary);
  if (lane.counts === 'exit') {
    if (status === 0) passed++;
    else failed++;
    console.log(`${lane.name}: ${status === 0 ? 'passed' : `failed (exit ${status})`}`);
  } else if (existsSync(summary)) {
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    passed += s.passed;
    failed += s.failed;
    if (status !== 0 && s.failed === 0) {
      console.log(`lane ${lane.name} exited with ${status}`);
      broken = true;
    }
  } else {
    console.log(`lane ${lane.name} did not report (exit ${status})`);
    broken = true;
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);
