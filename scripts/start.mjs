// `npm start`: the desktop app when Electron can run on this machine; otherwise `strongroom serve`
// (the same app in a browser on loopback), announced by exactly one line on stderr. stdout is left
// to the child, because serve prints its {"url","token"} line there for scripts to read.
// Arguments after `npm start --` are passed through; SIGINT/SIGTERM/SIGHUP are forwarded and the
// child's exit code becomes ours.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);

/**
 * The Electron executable, or why there is none. Deliberately not `require('electron')`: when the
 * runtime is missing, that starts a download, which on an offline machine hangs or fails noisily.
 * This mirrors its lookup instead (path.txt, written by the download; ELECTRON_OVERRIDE_DIST_PATH).
 */
function findElectron(env) {
  let packageDir;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const candidate = env.ELECTRON_OVERRIDE_DIST_PATH
    ? join(env.ELECTRON_OVERRIDE_DIST_PATH, executable || 'electron')
    : executable && join(packageDir, 'dist', executable);
  if (!candidate) return { reason: 'never downloaded: installers bundle it; for development set ELECTRON_MIRROR and reinstall electron' };
  return existsSync(candidate) ? { path: candidate } : { reason: `${candidate} does not exist` };
}

function displayProblem(env, platform) {
  if (platform !== 'linux' || env.DISPLAY || env.WAYLAND_DISPLAY) return null;
  return 'No display available (DISPLAY and WAYLAND_DISPLAY are unset)';
}

/** Runs a build script when its output is missing; its chatter goes to stderr, never stdout. */
function buildIfMissing(output, script) {
  if (existsSync(join(root, output))) return;
  const result = spawnSync(process.execPath, [join(root, script)], { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Runs the child in the foreground: signals forwarded, its exit code (or signal) becomes ours. */
function runInForeground(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (error) => {
    process.stderr.write(`npm start: could not run ${command}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const name of signals) process.off(name, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

const electron = findElectron(process.env);
const problem = electron.path ? displayProblem(process.env, process.platform) : `Electron runtime not available (${electron.reason})`;
if (problem === null) {
  buildIfMissing('dist/renderer/index.html', 'scripts/build-renderer.mjs');
  buildIfMissing('dist/electron/main.js', 'scripts/build-electron.mjs');
  // Electron starts the app in `root`, whose package.json "main" is dist/electron/main.js.
  runInForeground(electron.path, [root, ...args]);
} else {
  process.stderr.write(`${problem}; starting serve mode instead.\n`);
  buildIfMissing('dist/renderer/index.html', 'scripts/build-renderer.mjs');
  runInForeground(process.execPath, [join(root, 'bin', 'strongroom.js'), 'serve', ...args]);
}
