// Workflow engine overhead (issue 6), against Mastra's workflow engine and LangGraph.js in the
// same run, on the same shape:
//
//   node bench/engine.bench.ts [--repetitions 3] [--skip-gguf]
//
// Shape: a map over 10 items (4 in flight); each item runs a chain of 10 nested workflows, and
// each level runs 10 sequential model steps before calling the next level: 10 × 10 × 10 = 1,000
// model steps (plus 90 nested-workflow steps and the map). Every model step calls the same
// instant "model" (a function returning a constant), timed per call; per-step overhead =
// (wall − model time) / 1,000. Strongroom runs its real engine: a core on a temporary data dir,
// every step checkpointed (encrypted) in SQLite, the run started and watched through the API.
// Mastra runs twice: standalone (no storage configured: nothing persisted, the issue's baseline)
// and durable (registered on a Mastra instance with its LibSQLStore on a file, so it persists
// workflow snapshots the way its suspend/resume needs — the like-for-like comparison with ours);
// LangGraph without a checkpointer. Target: Strongroom's per-step overhead ≤ 0.5× Mastra's.
// Checkpoints commit at synchronous=NORMAL and only audited writes at FULL (durableTransaction).
// The breakdown times every checkpoint write (RunStore.saveStep) against the rest.
//
// Then a run on a generated GGUF (256 wide, 4 blocks): 10 sequential llm steps on real
// inference; engine overhead = wall − the sum of model call times, target ≤ 1% of wall.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Annotation, END, Send, START, StateGraph } from '@langchain/langgraph';
import { Mastra } from '@mastra/core';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { LibSQLStore } from '@mastra/libsql';
import { z } from 'zod';
import { LocalModelPool, LocalModelProvider, writeTestModel } from '../core/models/index.ts';
import type { ChatRequest, ChatResult, ModelProvider } from '../core/models/index.ts';
import { harness } from '../core/workflows/testing/harness.ts';
import type { Harness } from '../core/workflows/testing/harness.ts';
import { checkpointTimer } from './support/checkpointTimer.ts';
import { nestedWorkflows } from './support/nestedWorkflows.ts';

const { values: args } = parseArgs({ options: { repetitions: { type: 'string', default: '3' }, 'skip-gguf': { type: 'boolean', default: false } } });
const repetitions = Number(args.repetitions);
const ITEMS = 10;
const LEVELS = 10;
const STEPS_PER_LEVEL = 10;
const MODEL_STEPS = ITEMS * LEVELS * STEPS_PER_LEVEL;
const CONCURRENCY = 4;
const GGUF_TOKENS = 64;

const fmt = (value: number, digits = 1): string => value.toFixed(digits);
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** The instant "model" every engine calls: a constant, with its own time measured. */
const clock = { modelMs: 0, calls: 0 };
function instant(prompt: string): string {
  const started = performance.now();
  const text = prompt.length >= 0 ? 'ok' : '';
  clock.calls += 1;
  clock.modelMs += performance.now() - started;
  return text;
}

type Engine = 'strongroom' | 'mastra' | 'mastraDurable' | 'langgraph';
const engineNames: readonly Engine[] = ['strongroom', 'mastra', 'mastraDurable', 'langgraph'];

interface Measurement {
  wallMs: number;
  modelMs: number;
  calls: number;
  /** Strongroom only: time inside checkpoint writes (RunStore.saveStep). */
  checkpointMs?: number;
}
const perStepUs = (m: Measurement): number => ((m.wallMs - m.modelMs) / MODEL_STEPS) * 1000;

// ---------------------------------------------------------------- Strongroom
const constantModel: ModelProvider = {
  id: 'instant-constant',
  kind: 'local',
  chat<T>(request: ChatRequest<T>): Promise<ChatResult<T>> {
    const text = instant(request.messages[0]?.content ?? '');
    return Promise.resolve({ text, toolCalls: [], finishReason: 'stop', model: 'instant-constant', usage: { inputTokens: 1, outputTokens: 1, timeToFirstTokenMs: 0, totalMs: 0, tokensPerSecond: 0 } });
  },
  embed: () => Promise.resolve({ vectors: [], inputTokens: 0 }),
  countTokens: (text) => Promise.resolve(text.length),
  health: () => Promise.resolve({ status: 'ok' }),
  dispose: () => Promise.resolve(),
};



async function runStrongroom(h: Harness): Promise<Measurement> {
  const items = Array.from({ length: ITEMS }, (_, i) => `item-${i}`);
  clock.modelMs = 0;
  clock.calls = 0;
  checkpointTimer.ms = 0;
  checkpointTimer.writes = 0;
  let runId = '';
  let finish: (status: string) => void = () => undefined;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const unsubscribe = h.api.subscribe('runs.progress', (event) => {
    if (event.runId === runId && event.path === '' && event.status !== 'running') finish(event.status);
  });
  const started = performance.now();
  runId = (await h.call('runs.start', { workflowId: 'root', input: { items } })).id;
  const status = await finished;
  const wallMs = performance.now() - started;
  unsubscribe();
  if (status !== 'completed') throw new Error(`strongroom run ended ${status}`);
  return { wallMs, modelMs: clock.modelMs, calls: clock.calls, checkpointMs: checkpointTimer.ms };
}

// ---------------------------------------------------------------- Mastra
/**
 * Mastra's builder tracks every step's schemas in its generic parameters, which a loop cannot
 * express; the chain is built through this structural view of the same methods.
 */
interface MastraChain {
  then(step: unknown): MastraChain;
  foreach(step: unknown, options: { concurrency: number }): MastraChain;
  commit(): MastraChain;
  createRun(): Promise<{ start(options: { inputData: unknown }): Promise<{ status: string }> }>;
}

function mastraWorkflow(): MastraChain {
  const topic = z.object({ topic: z.string() });
  let next: MastraChain | null = null;
  for (let level = LEVELS; level >= 1; level -= 1) {
    let chain = createWorkflow({ id: `level-${level}`, inputSchema: topic, outputSchema: topic }) as unknown as MastraChain;
    for (let i = 1; i <= STEPS_PER_LEVEL; i += 1) {
      const text = `level ${level} step ${i} of `;
      chain = chain.then(createStep({ id: `l${level}-s${i}`, inputSchema: topic, outputSchema: topic, execute: async ({ inputData }) => { instant(text + inputData.topic); return Promise.resolve(inputData); } }));
    }
    if (next) chain = chain.then(next);
    next = chain.commit();
  }
  const toTopics = createStep({ id: 'to-topics', inputSchema: z.object({ items: z.array(z.string()) }), outputSchema: z.array(topic), execute: async ({ inputData }) => Promise.resolve(inputData.items.map((item) => ({ topic: item }))) });
  const root = createWorkflow({ id: 'root', inputSchema: z.object({ items: z.array(z.string()) }), outputSchema: z.array(topic) }) as unknown as MastraChain;
  return root.then(toTopics).foreach(next, { concurrency: CONCURRENCY }).commit();
}

async function runMastra(workflow: MastraChain): Promise<Measurement> {
  clock.modelMs = 0;
  clock.calls = 0;
  const started = performance.now();
  const run = await workflow.createRun();
  const result = await run.start({ inputData: { items: Array.from({ length: ITEMS }, (_, i) => `item-${i}`) } });
  const wallMs = performance.now() - started;
  if (result.status !== 'success') throw new Error(`mastra run ended ${result.status}`);
  return { wallMs, modelMs: clock.modelMs, calls: clock.calls };
}

// ---------------------------------------------------------------- LangGraph
const LevelState = Annotation.Root({ topic: Annotation<string>(), last: Annotation<string>() });
const RootState = Annotation.Root({
  items: Annotation<string[]>(),
  results: Annotation<string[]>({ reducer: (left, right) => left.concat(right), default: () => [] }),
});

/** A compiled level graph as the next level up calls it. */
interface LevelGraph {
  invoke(input: { topic: string }): Promise<{ topic: string; last: string }>;
}

function langGraphWorkflow() {
  let next: LevelGraph | null = null;
  function levelGraph(level: number, child: LevelGraph | null): LevelGraph {
    // Node names are typed from the calls; a loop adds them under a widened builder type.
    const graph = new StateGraph(LevelState) as unknown as StateGraph<typeof LevelState.spec, typeof LevelState.State, typeof LevelState.Update, string>;
    let previous: string = START;
    for (let i = 1; i <= STEPS_PER_LEVEL; i += 1) {
      const text = `level ${level} step ${i} of `;
      graph.addNode(`s${i}`, (state: typeof LevelState.State) => ({ last: instant(text + state.topic) }));
      graph.addEdge(previous, `s${i}`);
      previous = `s${i}`;
    }
    if (child) {
      // The next level runs as a subgraph invoked from this node (LangGraph's nested-graph pattern).
      graph.addNode('down', async (state: typeof LevelState.State) => ({ last: (await child.invoke({ topic: state.topic })).last }));
      graph.addEdge(previous, 'down');
      previous = 'down';
    }
    graph.addEdge(previous, END);
    return graph.compile();
  }
  for (let level = LEVELS; level >= 1; level -= 1) next = levelGraph(level, next);
  const chain = next!;
  return new StateGraph(RootState)
    .addNode('branch', async (state: { topic: string }) => ({ results: [(await chain.invoke({ topic: state.topic })).last] }))
    .addConditionalEdges(START, (state: typeof RootState.State) => state.items.map((topic) => new Send('branch', { topic })))
    .addEdge('branch', END)
    .compile();
}

async function runLangGraph(graph: ReturnType<typeof langGraphWorkflow>): Promise<Measurement> {
  clock.modelMs = 0;
  clock.calls = 0;
  const started = performance.now();
  const result = await graph.invoke({ items: Array.from({ length: ITEMS }, (_, i) => `item-${i}`) }, { maxConcurrency: CONCURRENCY, recursionLimit: 1_000 });
  const wallMs = performance.now() - started;
  if (result.results.length !== ITEMS) throw new Error('langgraph run lost branches');
  return { wallMs, modelMs: clock.modelMs, calls: clock.calls };
}

// ---------------------------------------------------------------- GGUF
async function ggufRun(dataRoot: string): Promise<void> {
  const path = join(dataRoot, 'bench-256x4.gguf');
  const written = await writeTestModel(path, { embedding: 256, layers: 4, heads: 8, vocabSize: 4096, contextLength: 2048, seed: 7 });
  const pool = new LocalModelPool({ threads: 1 });
  const local = new LocalModelProvider('bench-local', { pool, spec: { id: 'bench-local', path: written.path, contextSize: 2048, sequences: 1 } });
  const timing = { modelMs: 0, calls: 0 };
  const timed: ModelProvider = {
    id: local.id,
    kind: local.kind,
    async chat<T>(request: ChatRequest<T>): Promise<ChatResult<T>> {
      const started = performance.now();
      try {
        return await local.chat(request);
      } finally {
        timing.modelMs += performance.now() - started;
        timing.calls += 1;
      }
    },
    embed: (texts, options) => local.embed(texts, options),
    countTokens: (text) => local.countTokens(text),
    health: (options) => local.health(options),
    dispose: () => local.dispose(),
  };
  const steps = Array.from({ length: 10 }, (_, i) => `  - {id: s${i + 1}, kind: llm, maxTokens: ${GGUF_TOKENS}, prompt: "Step ${i + 1} on {{ inputs.topic }}${i > 0 ? ` after {{ steps.s${i}.output }}` : ''}"}`);
  const h = await harness({ workflows: { chain: `id: chain\nname: Ten llm steps\ninputs: {type: object, properties: {topic: {type: string}}, required: [topic]}\nsteps:\n${steps.join('\n')}\n` }, model: timed, dataDir: join(dataRoot, 'gguf-core') });
  try {
    await local.chat({ messages: [{ role: 'user', content: 'warm up' }], maxTokens: 4 }); // load outside the timed run
    const round = async (label: string, r: number): Promise<number> => {
      timing.modelMs = 0;
      timing.calls = 0;
      let runId = '';
      let finish: (status: string) => void = () => undefined;
      const finished = new Promise<string>((resolve) => (finish = resolve));
      const unsubscribe = h.api.subscribe('runs.progress', (event) => {
        if (event.runId === runId && event.path === '' && event.status !== 'running') finish(event.status);
      });
      const started = performance.now();
      runId = (await h.call('runs.start', { workflowId: 'chain', input: { topic: `covenant ${label} ${r}` } })).id;
      const status = await finished;
      const wallMs = performance.now() - started;
      unsubscribe();
      if (status !== 'completed' || timing.calls !== 10) throw new Error(`gguf run ended ${status} after ${timing.calls} calls`);
      const share = (wallMs - timing.modelMs) / wallMs;
      console.log(`  gguf ${label} round ${r + 1}: wall ${fmt(wallMs)} ms, model ${fmt(timing.modelMs)} ms, engine ${fmt(wallMs - timing.modelMs)} ms (${fmt(share * 100, 2)}%)`);
      return share;
    };
    const shipped: number[] = [];
    for (let r = 0; r < repetitions; r += 1) shipped.push(await round('shipped', r));
    const share = median(shipped);
    console.log(`GGUF run (256×4, ${written.sizeBytes >> 20} MiB, 10 llm steps × ≤${GGUF_TOKENS} tokens, 1 thread): median engine overhead ${fmt(share * 100, 2)}% of wall; target ≤ 1%: ${share <= 0.01 ? 'PASS' : 'MISS'}`);
  } finally {
    await h.core.dispose();
    await local.dispose();
    await pool.dispose();
  }
}

// ---------------------------------------------------------------- main
const dataRoot = mkdtempSync(join(tmpdir(), 'strongroom-engine-bench-'));
try {
  console.log(`engine bench: ${ITEMS} items × ${LEVELS} nested levels × ${STEPS_PER_LEVEL} steps = ${MODEL_STEPS} model steps, ${CONCURRENCY} in flight; load ${loadavg().map((l) => fmt(l, 2)).join(' ')}`);
  const h = await harness({ workflows: nestedWorkflows({ levels: LEVELS, stepsPerLevel: STEPS_PER_LEVEL, concurrency: CONCURRENCY }), model: constantModel, dataDir: join(dataRoot, 'core') });
  const mastra = mastraWorkflow();
  // The same shape on a Mastra instance with storage: Mastra then persists the run's snapshot.
  const mastraDurable = new Mastra({ workflows: { root: mastraWorkflow() as never }, storage: new LibSQLStore({ id: 'bench', url: `file:${join(dataRoot, 'mastra.db')}` }), logger: false }).getWorkflow('root') as unknown as MastraChain;
  const langGraph = langGraphWorkflow();
  const results: Record<Engine, Measurement[]> = { strongroom: [], mastra: [], mastraDurable: [], langgraph: [] };
  try {
    // One warm-up of each (JIT, lazy imports), then rounds alternating the order.
    await runStrongroom(h);
    await runMastra(mastra);
    await runMastra(mastraDurable);
    await runLangGraph(langGraph);
    const engines = [
      ['strongroom', () => runStrongroom(h)],
      ['mastra', () => runMastra(mastra)],
      ['mastraDurable', () => runMastra(mastraDurable)],
      ['langgraph', () => runLangGraph(langGraph)],
    ] as const;
    for (let r = 0; r < repetitions; r += 1) {
      const order = r % 2 === 0 ? engines : [...engines].reverse();
      for (const [name, run] of order) {
        const m = await run();
        if (m.calls !== MODEL_STEPS) throw new Error(`${name} made ${m.calls} model calls, expected ${MODEL_STEPS}`);
        results[name].push(m);
      }
      console.log(`  round ${r + 1}: ${engineNames.map((name) => `${name} ${fmt(results[name].at(-1)!.wallMs)} ms`).join(', ')}`);
    }
  } finally {
    await h.core.dispose();
  }
  const summary = (name: Engine) => {
    const rows = results[name];
    return { wallMs: median(rows.map((m) => m.wallMs)), modelMs: median(rows.map((m) => m.modelMs)), perStepUs: median(rows.map(perStepUs)) };
  };
  const s = summary('strongroom');
  const m = summary('mastra');
  const l = summary('langgraph');
  const d = summary('mastraDurable');
  console.log('\nengine                        wall ms   model ms   per-step µs   vs Mastra   vs LangGraph');
  for (const [name, row] of [['Strongroom (durable)', s], ['Mastra (no storage)', m], ['Mastra + LibSQLStore', d], ['LangGraph (no saver)', l]] as const) {
    console.log(`${name.padEnd(28)} ${fmt(row.wallMs).padStart(8)} ${fmt(row.modelMs, 2).padStart(10)} ${fmt(row.perStepUs).padStart(13)} ${fmt(row.perStepUs / m.perStepUs, 2).padStart(10)}× ${fmt(row.perStepUs / l.perStepUs, 2).padStart(12)}×`);
  }
  const writes = checkpointTimer.writes;
  const checkpointMs = median(results.strongroom.map((r) => r.checkpointMs ?? 0));
  console.log(`Strongroom breakdown: checkpoint writes ${fmt(checkpointMs)} ms of ${fmt(s.wallMs)} ms wall (${fmt((checkpointMs / s.wallMs) * 100)}%, ${writes} writes, ${fmt((checkpointMs / writes) * 1000)} µs each); the rest (templates, scopes, tracing, middleware, events, API) ${fmt(s.wallMs - checkpointMs - s.modelMs)} ms`);
  const ratio = s.perStepUs / m.perStepUs;
  const durableRatio = s.perStepUs / d.perStepUs;
  console.log(`target: Strongroom per-step overhead ≤ 0.5× Mastra's: vs Mastra without storage ${fmt(ratio, 2)}× → ${ratio <= 0.5 ? 'PASS' : 'MISS'}; vs Mastra with its LibSQLStore ${fmt(durableRatio, 2)}× → ${durableRatio <= 0.5 ? 'PASS' : 'MISS'}`);
  console.log('note: Strongroom checkpoints every step durably (encrypted SQLite, WAL) and traces it; Mastra without storage persists nothing, with LibSQLStore it persists its run snapshot; LangGraph has no checkpointer.\n');
  if (!args['skip-gguf']) await ggufRun(dataRoot);
} finally {
  rmSync(dataRoot, { recursive: true, force: true });
}
