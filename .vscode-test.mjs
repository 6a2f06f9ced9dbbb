// npm run test:desktop: the integration tests of test/host in a desktop VS Code,
// downloaded by @vscode/test-electron (pinned 2.5.2 with @vscode/test-cli 0.0.12: they run on
// Node 20). For contributors whose machine can download VS Code; CI runs the same tests in
// code-server instead (npm test, scripts/host/). Screenshots are taken only there.
import { defineConfig } from '@vscode/test-cli';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// a throwaway workspace, as in the host lane: the examples plus the test fixtures
const workspace = mkdtempSync(join(tmpdir(), 'rfl-desktop-'));
cpSync('examples', workspace, { recursive: true });
cpSync('test/host/fixtures', workspace, { recursive: true });

export default defineConfig({
  label: 'desktop',
  files: 'out/host/*.test.js',
  version: '1.139.1',
  workspaceFolder: workspace,
  extensionDevelopmentPath: '.',
  launchArgs: ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  mocha: { ui: 'bdd', timeout: 60000, color: true },
});
