// A child process for the crash test: opens the data directory (resuming interrupted runs, as a
// restarted app does), starts the run if there is none yet, and reports when it settles. The
// parent kills it with SIGKILL at random moments.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../base/index.ts';
import { resolveSecretStore } from '../../secrets/index.ts';
import { counterState } from './counterTool.ts';
import { harness } from './harness.ts';
import { instantModel } from './instantModel.ts';

const [dataDir, workflowsFile] = process.argv.slice(2) as [string, string];
const workflows = JSON.parse(readFileSync(workflowsFile, 'utf8')) as Record<string, string>;
// Every model call, across all the processes the parent kills, is one line here.
const modelLog = join(dataDir, 'model-calls.log');
const inner = instantModel({ delayMs: 40 });
const model = { ...inner, chat: ((request) => { appendFileSync(modelLog, '.\n'); return inner.chat(request); }) as typeof inner.chat };
const h = await harness({ workflows, model, dataDir, secrets: resolveSecretStore({ env: process.env, warn: () => undefined }), resume: true, logger: createLogger({ stderr: true, level: 'error' }).logger });
const runFile = join(dataDir, 'crash-run-id');
let runId = existsSync(runFile) ? readFileSync(runFile, 'utf8') : null;
if (!runId) {
  const items = Array.from({ length: 36 }, (_, i) => `item-${i}`);
  runId = (await h.call('runs.start', { workflowId: 'crashy', input: { items } })).id;
  writeFileSync(runFile, runId);
}
process.stdout.write('ready\n');
const run = await h.settle(runId);
// The trace as stored: its summary, and every span's content opened (a torn or corrupt span would fail here).
const { trace, spans } = await h.call('traces.get', { traceId: run.traceId });
let contentOpened = 0;
for (const span of spans) if ((await h.call('traces.span', { traceId: run.traceId, spanId: span.spanId })).content !== null) contentOpened += 1;
const ids = new Set(spans.map((s) => s.spanId));
const orphans = spans.filter((s) => s.parentSpanId !== null && !ids.has(s.parentSpanId)).length;
process.stdout.write(`${JSON.stringify({ status: run.status, errorCode: run.errorCode, errorMessage: run.errorMessage, output: run.output, counter: counterState(h.core.storage!.db), modelCalls: readFileSync(modelLog, 'utf8').length / 2, trace: { status: trace.status, incomplete: trace.incomplete, spanCount: trace.spanCount, contentOpened, orphans } })}\n`);
await h.core.dispose();
