// `npm run dev`: a serve-mode core for the API plus Vite's dev server for the renderer with hot
// reload. Vite proxies /api to the core (vite.config.ts). Arguments go to `strongroom serve`
// (e.g. `npm run dev -- --data-dir /tmp/sr`; a named data directory must exist — `mkdir` it, or `strongroom init` it). Restart it after changing core/ code.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'vite';

const core = spawn(process.execPath, ['bin/strongroom.js', 'serve', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
const line = await new Promise((resolve, reject) => {
  createInterface({ input: core.stdout }).once('line', resolve);
  core.once('exit', (code) => reject(new Error(`strongroom serve exited with ${code}`)));
});
const { url, token } = JSON.parse(line);
process.env.STRONGROOM_DEV_API = new URL(url).origin;

const vite = await createServer({ configFile: new URL('../vite.config.ts', import.meta.url).pathname });
await vite.listen();
const devUrl = vite.resolvedUrls?.local[0] ?? `http://127.0.0.1:${vite.config.server.port}/`;
console.log(`Strongroom dev server (renderer hot reload): ${devUrl}#token=${token}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await vite.close();
  core.kill('SIGTERM');
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
core.once('exit', (code) => {
  void vite.close();
  process.exitCode = code ?? 0;
});
