#!/usr/bin/env node
// Runs every test lane the project has and ends with one line "N passed, N failed"
// over all of them; exits non-zero when any test failed or a lane could not run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const lanes = [
  { name: 'unit', command: 'npx', args: ['mocha'] },
  { name: 'webview', command: 'npx', args: ['mocha', '--config', 'test/webview/.mocharc.json'] },
];

let passed = 0;
let failed = 0;
let broken = false;
const dir = mkdtempSync(join(tmpdir(), 'rfl-tests-'));
for (const lane of lanes) {
  const summary = join(dir, `${lane.name}.json`);
  console.log(`\n=== ${lane.name} tests ===`);
  const r = spawnSync(lane.command, lane.args, { stdio: 'inherit', env: { ...process.env, RFL_TEST_SUMMARY: summary } });
  if (existsSync(summary)) {
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    passed += s.passed;
    failed += s.failed;
  } else {
    console.log(`lane ${lane.name} did not report (exit ${r.status})`);
    broken = true;
  }
  if (r.status !== 0 && existsSync(summary) === false) broken = true;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);
