#!/usr/bin/env node
// npm start: builds the extension, packages it as a .vsix, installs the VS Code
// host when it is missing (code-server from npm, scripts/host/install-vscode-host.sh),
// installs the .vsix into a profile of its own and serves VS Code on the
// examples/ workspace at a loopback address, until Ctrl-C.
//   RFL_PORT=8080 npm start      (default: a free port)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    console.error(r.stdout ?? '', r.stderr ?? '');
    console.error(`${cmd} ${args.join(' ')} failed`);
    process.exit(1);
  }
  return r.stdout ?? '';
};

console.log('building the extension ...');
run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
console.log('installing the VS Code host if needed (code-server from npm) ...');
const env = Object.fromEntries([...run('bash', [join(ROOT, 'scripts', 'host', 'install-vscode-host.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).matchAll(/^(VSCODE_HOST_\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
const profile = join(dirname(env.VSCODE_HOST_NODE), '..', '..', 'rflens-start');
const vsix = join(profile, 'receptive-field-lens.vsix');
mkdirSync(join(profile, 'user-data', 'User'), { recursive: true });
console.log('packaging and installing the extension ...');
run(process.execPath, [join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', vsix]);
run(env.VSCODE_HOST_NODE, [env.VSCODE_HOST_ENTRY, '--extensions-dir', join(profile, 'extensions'), '--user-data-dir', join(profile, 'user-data'), '--install-extension', vsix, '--force']);
writeFileSync(
  join(profile, 'user-data', 'User', 'settings.json'),
  JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.autoCheckUpdates': false, 'chat.disableAIFeatures': true, 'workbench.secondarySideBar.defaultVisibility': 'hidden' }, null, 2),
);

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
const port = Number(process.env.RFL_PORT) || (await freePort());
const ws = join(ROOT, 'examples');
const server = spawn(
  env.VSCODE_HOST_NODE,
  [env.VSCODE_HOST_ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--config', join(profile, 'config.yaml'), '--user-data-dir', join(profile, 'user-data'), '--extensions-dir', join(profile, 'extensions'), ws],
  { stdio: ['ignore', 'ignore', 'inherit'], detached: true },
);
const stop = () => {
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.on('exit', (code) => {
  console.log(`code-server exited (${code})`);
  process.exit(code ?? 1);
});
for (let i = 0; i < 240; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
  } catch {
    // not up yet
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.log(`\nReceptive Field Lens in VS Code, on examples/:\n\n    http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}\n\nOpen it in a browser; Ctrl-C stops the server.`);
