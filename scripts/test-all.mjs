// `npm test`: builds the renderer, then runs typecheck, lint, the vitest suites (inside a private
// D-Bus session with an unlocked gnome-keyring on Linux, so keychain tests use the real OS
// keychain) and the Playwright journeys in Chromium. Every step runs even if an earlier one
// failed; the last line totals them as `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const reports = mkdtempSync(join(tmpdir(), 'strongroom-test-'));
const results = [];

function run(label, command, args, env = {}) {
  console.log(`\n━━ ${label}: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** One pass/fail for a whole-project check such as typecheck or lint. */
function check(label, ok) {
  results.push({ label, passed: ok ? 1 : 0, failed: ok ? 0 : 1, note: ok ? 'clean' : 'errors above' });
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

check('build renderer', run('build renderer', process.execPath, ['scripts/build-renderer.mjs']));
check('typecheck', run('typecheck', process.execPath, ['scripts/typecheck.mjs']));
check('lint', run('lint', npx, ['eslint', '--max-warnings', '0', '.']));

// llama-server and llama-bench, built once per machine from the llama.cpp source inside
// node-llama-cpp (cached by its hash; instant when cached). The remote-provider tests run a real
// llama-server.
check('build llama.cpp (cached)', run('build llama.cpp (cached)', 'bash', ['scripts/build-llama.sh']));

// Unit and integration tests. On Linux without a session bus, give them a private one with an
// unlocked keyring so keytar talks to a real Secret Service (TOOLCHAIN.md).
const vitestReport = join(reports, 'vitest.json');
let vitestCommand = [npx, 'vitest', 'run'];
const keyringEnv = {};
if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS && has('dbus-run-session') && has('gnome-keyring-daemon')) {
  keyringEnv.STRONGROOM_TEST_KEYRING_PASSWORD = randomBytes(12).toString('hex');
  // A fresh keyring directory per run: gnome-keyring keeps login.keyring under XDG_DATA_HOME, and
  // a keyring left by an earlier run cannot be unlocked with this run's password.
  keyringEnv.XDG_DATA_HOME = mkdtempSync(join(tmpdir(), 'strongroom-keyring-'));
  vitestCommand = ['dbus-run-session', '--', 'sh', '-c', 'printf %s "$STRONGROOM_TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$@"', 'sh', ...vitestCommand];
}
run('unit and integration tests', vitestCommand[0], vitestCommand.slice(1), { ...keyringEnv, VITEST_JSON_REPORT: vitestReport });
const vitest = readJson(vitestReport);
results.push(vitest
  ? { label: 'vitest', passed: vitest.numPassedTests, failed: vitest.numFailedTests + (vitest.success === false && vitest.numFailedTests === 0 ? 1 : 0), note: `${vitest.numPendingTests + vitest.numTodoTests} skipped` }
  : { label: 'vitest', passed: 0, failed: 1, note: 'no report: the runner itself failed' });

const playwrightReport = join(reports, 'playwright.json');
run('end-to-end (Playwright, Chromium)', npx, ['playwright', 'test'], { PLAYWRIGHT_JSON_REPORT: playwrightReport });
const playwright = readJson(playwrightReport);
results.push(playwright && existsSync(playwrightReport)
  ? { label: 'playwright', passed: playwright.stats.expected + playwright.stats.flaky, failed: playwright.stats.unexpected + (playwright.errors?.length ?? 0), note: `${playwright.stats.skipped} skipped, ${playwright.stats.flaky} flaky` }
  : { label: 'playwright', passed: 0, failed: 1, note: 'no report: the runner itself failed' });

console.log('\n━━ summary');
for (const r of results) console.log(`${r.label.padEnd(16)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed   (${r.note})`);
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
