// Local model benchmark (issue 5): node-llama-cpp through LocalModelProvider vs llama.cpp's own
// llama-bench, on one generated ~290 MB F32 llama model, same machine, same run, same threads.
//
//   node bench/models.bench.ts [--threads 1,2] [--repetitions 3] [--binding as-is]
//
// Prints, per thread count: generation tokens/s (provider, raw evaluate loop, llama-bench),
// prompt processing tokens/s (node-llama-cpp vs llama-bench), time to first token with a
// 2,000-token shared prefix warm vs cold, and JSON-constrained vs unconstrained tokens/s, each
// with its target ratio; then the provider's generation again in a process whose libuv threadpool
// has one thread (what a dedicated inference process would get; see bench/CONTEXT.md). The first
// run builds llama-bench (scripts/build-llama.sh, cached) and node-llama-cpp's addon for this CPU
// from the same source (scripts/build-llama-addon.sh, ~5 min once), so both sides are the same
// code built the same way; `--binding as-is` skips that and measures whichever binding loads.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { LlamaLogLevel, getLlama } from 'node-llama-cpp';
import { z } from 'zod';
import { LocalModelPool, LocalModelProvider, writeTestModel } from '../core/models/index.ts';
import type { ChatMessage } from '../core/models/index.ts';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    repetitions: { type: 'string', default: '3' },
    binding: { type: 'string', default: 'local' },
    // Internal: the child process that measures the provider with a one-thread libuv threadpool.
    'child-generation': { type: 'string' },
  },
});
if (args.binding !== 'local' && args.binding !== 'as-is') throw new Error(`--binding is local or as-is, not ${args.binding}`);
const threadCounts = args.threads.split(',').map(Number);
const repetitions = Number(args.repetitions);

// 768 wide, 8 blocks, 16k vocabulary: 287 MB of F32, inside the 100–300 MB window.
const shape = { embedding: 768, layers: 8, heads: 12, feedForward: 1536, vocabSize: 16_000, contextLength: 4096, seed: 1 };
const cacheDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'strongroom-llama', 'bench-models');
const modelPath = join(cacheDir, `llama-${shape.embedding}x${shape.layers}-v${shape.vocabSize}-s${shape.seed}.gguf`);

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const fmt = (value: number, digits = 1): string => value.toFixed(digits);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

async function ensureModel(): Promise<void> {
  if (existsSync(modelPath)) return;
  mkdirSync(cacheDir, { recursive: true });
  const started = performance.now();
  const written = await writeTestModel(modelPath, shape);
  console.log(`generated ${modelPath} (${fmt(written.sizeBytes / 2 ** 20)} MiB) in ${fmt((performance.now() - started) / 1000)} s`);
}

/** Builds node-llama-cpp's addon for this CPU unless a local build is in use; returns the binding that loads. */
async function ensureLocalBinding(): Promise<string> {
  const { stdout } = await run('bash', [join(root, 'scripts', 'build-llama-addon.sh')], { maxBuffer: 1 << 24 });
  return stdout.trim();
}

async function llamaBenchBin(): Promise<string> {
  const { stdout } = await run('bash', [join(root, 'scripts', 'build-llama.sh')], { maxBuffer: 1 << 24 });
  return join(stdout.trim(), 'llama-bench');
}

interface LlamaBenchRow {
  n_prompt: number;
  n_gen: number;
  avg_ts: number;
}

async function llamaBench(bin: string, threads: number, flashAttention: 'auto' | boolean): Promise<{ pp: number; tg: number }> {
  const { stdout } = await run(bin, ['-m', modelPath, '-t', String(threads), '-p', '512', '-n', '128', '-b', '512', '-r', '1', '-fa', flashAttention === 'auto' ? 'auto' : flashAttention ? 'on' : 'off', '-o', 'json'], {
    maxBuffer: 1 << 24,
  });
  const rows = JSON.parse(stdout) as LlamaBenchRow[];
  return { pp: rows.find((row) => row.n_prompt > 0)?.avg_ts ?? 0, tg: rows.find((row) => row.n_gen > 0)?.avg_ts ?? 0 };
}

/** node-llama-cpp's low-level loop with nothing of ours around it: the binding's ceiling. */
async function openRawLoop(threads: number) {
  // llama.cpp's own perf counters (performanceTracking) split the time inside llama.cpp's decode
  // from the binding's per-token overhead.
  const perfLines: string[] = [];
  const capture = (_level: LlamaLogLevel, message: string): void => {
    if (message.includes('llama_perf_context_print')) perfLines.push(message);
  };
  const llama = await getLlama({ build: 'never', gpu: false, maxThreads: 0, logLevel: LlamaLogLevel.info, logger: capture });
  binding = llama.buildType;
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 1024, threads, batchSize: 512, performanceTracking: true });
  const sequence = context.getSequence();
  const prompt = model.tokenize('credit risk payment report for the account of the bank '.repeat(200)).slice(0, 512);
  const start = model.tokens.bos ?? prompt[0];
  if (prompt.length !== 512 || start === undefined) throw new Error('bench prompt must be 512 tokens');
  return {
    /** node-llama-cpp's setting ('auto' by default), passed to llama-bench as the same. */
    flashAttention: context.flashAttention,
    /** Tokens/s evaluating a 512-token prompt from an empty sequence (llama-bench's pp512). */
    async promptProcessing(): Promise<number> {
      await sequence.clearHistory();
      const started = performance.now();
      await sequence.evaluateWithoutGeneratingNewTokens(prompt);
      return (prompt.length * 1000) / (performance.now() - started);
    },
    /** Tokens/s generating 128 tokens after the first (llama-bench's tg128), greedy sampling. */
    async generation(): Promise<number> {
      await sequence.clearHistory();
      let count = 0;
      let firstAt = 0;
      for await (const token of sequence.evaluate([start], { temperature: 0 })) {
        void token;
        if (count === 0) firstAt = performance.now();
        if (++count > 128) break;
      }
      return ((count - 1) * 1000) / (performance.now() - firstAt);
    },
    /** Tokens/s inside llama.cpp (its perf counters over every run so far): [prompt, generation]. */
    async insideLlamaCpp(): Promise<{ pp: number; tg: number }> {
      perfLines.length = 0;
      await context.printTimings();
      await new Promise((resolve) => setTimeout(resolve, 100)); // log lines arrive asynchronously
      const rate = (pattern: RegExp): number => Number(perfLines.map((line) => pattern.exec(line)?.[1]).find((value) => value !== undefined) ?? 0);
      return { pp: rate(/prompt eval time.*?([\d.]+) tokens per second/), tg: rate(/\s eval time.*?([\d.]+) tokens per second/) };
    },
    async dispose(): Promise<void> {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** The same measurements through LocalModelProvider, the path the product uses. */
async function openProvider(threads: number) {
  const pool = new LocalModelPool({ threads });
  const provider = new LocalModelProvider('bench', { pool, spec: { id: 'bench', path: modelPath, contextSize: 4096, sequences: 1, batchSize: 512 } });
  // A ~2,000-token system prompt shared by the steps of a run.
  let system = 'You assess credit applications for the bank and follow the lending policy exactly. ';
  while ((await provider.countTokens(system)) < 2000) system += `Clause ${system.length}: check income, collateral and exposure before any decision. `;
  const prefixTokens = await provider.countTokens(system);
  const step = (index: number): ChatMessage[] => [
    { role: 'system', content: system },
    { role: 'user', content: `Step ${index}: summarise the file.` },
  ];
  // Sized so the random model's answer (strings filled to their maximum) completes in ~150 tokens.
  const schema = z.object({ summary: z.string().max(60), risks: z.array(z.string().max(12)).max(3), approve: z.boolean() });
  const ask = [{ role: 'user' as const, content: 'Write the report.' }];
  let stepIndex = 0;
  return {
    prefixTokens,
    /** Cold then warm time to first token for two steps sharing the system prompt. */
    async prefixReuse(): Promise<{ cold: number; warm: number; cached: number; coldPromptTokens: number }> {
      // Another prompt first, so the only sequence no longer holds the shared prefix.
      await provider.chat({ messages: [{ role: 'user', content: `evict ${stepIndex}` }], maxTokens: 1 });
      const cold = await provider.chat({ messages: step(stepIndex++), maxTokens: 1 });
      const warm = await provider.chat({ messages: step(stepIndex++), maxTokens: 1 });
      return { cold: cold.usage.timeToFirstTokenMs, warm: warm.usage.timeToFirstTokenMs, cached: warm.usage.cachedInputTokens ?? 0, coldPromptTokens: cold.usage.inputTokens };
    },
    async plain(): Promise<number> {
      return (await provider.chat({ messages: ask, maxTokens: 150, temperature: 0 })).usage.tokensPerSecond;
    },
    async json(): Promise<{ tokensPerSecond: number; tokens: number }> {
      const result = await provider.chat({ messages: ask, output: schema, maxTokens: 400, temperature: 0 });
      return { tokensPerSecond: result.usage.tokensPerSecond, tokens: result.usage.outputTokens };
    },
    async dispose(): Promise<void> {
      await provider.dispose();
      await pool.dispose();
    },
  };
}

/**
 * The provider's generation tokens/s in a child process whose libuv threadpool has one thread.
 * node-llama-cpp runs each decode as a Node-API async worker on that pool; with the default four
 * threads consecutive decodes land on different threads, and an OpenMP build keeps a thread team
 * per calling thread (bench/CONTEXT.md).
 */
async function dedicatedThreadpoolGeneration(threads: number): Promise<number[]> {
  const { stdout } = await run(process.execPath, [fileURLToPath(import.meta.url), '--child-generation', String(threads), '--repetitions', String(repetitions)], {
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    maxBuffer: 1 << 24,
  });
  return z.array(z.number()).parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]'));
}

const childThreads = args['child-generation'];
if (childThreads !== undefined) {
  const provider = await openProvider(Number(childThreads));
  await provider.plain(); // warm-up
  const rates: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) rates.push(await provider.plain());
  await provider.dispose();
  console.log(JSON.stringify(rates));
  process.exit(0);
}

let binding = args.binding === 'local' ? await ensureLocalBinding() : 'as-is';
await ensureModel();
const bin = await llamaBenchBin();
console.log(`model: ${modelPath}`);
console.log(`llama-bench: ${bin}\nrepetitions: ${repetitions}, interleaved; medians\n`);

const summary: string[] = [];
for (const threads of threadCounts) {
  const figures = { benchTg: [] as number[], benchPp: [] as number[], rawTg: [] as number[], rawPp: [] as number[], plain: [] as number[], json: [] as number[], cold: [] as number[], warm: [] as number[] };
  // Phase 1: the bare binding, interleaved with llama-bench so load from other work on the
  // machine hits both alike. It runs alone because llama.cpp's log callback (which carries the
  // perf counters) is process-wide and the provider's pool would replace it.
  const raw = await openRawLoop(threads);
  const flashAttention = raw.flashAttention;
  await raw.promptProcessing(); // warm-up: page the mmapped weights in
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const reference = await llamaBench(bin, threads, flashAttention);
    figures.benchTg.push(reference.tg);
    figures.benchPp.push(reference.pp);
    figures.rawTg.push(await raw.generation());
    figures.rawPp.push(await raw.promptProcessing());
  }
  const inside = await raw.insideLlamaCpp();
  await raw.dispose();
  const bindingName = binding === 'localBuild' ? 'addon built here by scripts/build-llama-addon.sh' : `${binding} addon`;

  // Phase 2: the product path, again interleaved with llama-bench.
  const ours = await openProvider(threads);
  await ours.plain(); // warm-up, and builds the grammar
  await ours.json();
  let cached = 0;
  let jsonTokens = 0;
  let coldPromptTokens = 0;
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const reference = await llamaBench(bin, threads, flashAttention);
    figures.benchTg.push(reference.tg);
    figures.benchPp.push(reference.pp);
    figures.plain.push(await ours.plain());
    const json = await ours.json();
    figures.json.push(json.tokensPerSecond);
    jsonTokens = json.tokens;
    const prefix = await ours.prefixReuse();
    figures.cold.push(prefix.cold);
    figures.warm.push(prefix.warm);
    cached = prefix.cached;
    coldPromptTokens = prefix.coldPromptTokens;
  }
  await ours.dispose();

  // Phase 3: the provider again, in a process with a one-thread libuv threadpool.
  const dedicated = median(await dedicatedThreadpoolGeneration(threads));
  const m = Object.fromEntries(Object.entries(figures).map(([key, values]) => [key, median(values)])) as Record<keyof typeof figures, number>;
  const generationRatio = m.plain / m.benchTg;
  const ttftRatio = m.warm / m.cold;
  const jsonRatio = m.json / m.plain;
  console.log(`── threads ${threads} (flash attention ${String(flashAttention)} in both)`);
  console.log(`generation t/s   LocalModelProvider ${fmt(m.plain)} | raw sequence.evaluate ${fmt(m.rawTg)} | llama-bench tg128 ${fmt(m.benchTg)}`);
  console.log(`  provider/llama-bench ${fmt(generationRatio, 3)} (target ≥ 0.95) ${verdict(generationRatio >= 0.95)}; raw/llama-bench ${fmt(m.rawTg / m.benchTg, 3)}`);
  console.log(`  inside llama.cpp (${bindingName}, its perf counters over all runs) ${fmt(inside.tg)} t/s = ${fmt(inside.tg / m.benchTg, 3)} of llama-bench (native build of the same source); binding overhead ≈ ${fmt((1 - m.rawTg / inside.tg) * 100)}%`);
  console.log(`  with a one-thread libuv threadpool (a dedicated inference process): provider ${fmt(dedicated)} t/s = ${fmt(dedicated / m.benchTg, 3)} of llama-bench (reported)`);
  console.log(`prompt t/s       raw 512-token prompt ${fmt(m.rawPp)} | llama-bench pp512 ${fmt(m.benchPp)} | ratio ${fmt(m.rawPp / m.benchPp, 3)} (reported; inside llama.cpp ${fmt(inside.pp)})`);
  console.log(`TTFT             ${coldPromptTokens}-token prompt, ${ours.prefixTokens}-token shared system prefix: cold ${fmt(m.cold)} ms, warm ${fmt(m.warm)} ms (${cached} tokens reused)`);
  console.log(`  warm/cold ${fmt(ttftRatio, 3)} (target ≤ 0.2) ${verdict(ttftRatio <= 0.2)}`);
  console.log(`JSON t/s         constrained ${fmt(m.json)} (${jsonTokens} tokens) | unconstrained ${fmt(m.plain)} | ratio ${fmt(jsonRatio, 3)} (target ≥ 0.85) ${verdict(jsonRatio >= 0.85)}\n`);
  summary.push(`threads ${threads}: provider ${fmt(m.plain)} t/s (one-thread threadpool ${fmt(dedicated)}), raw ${fmt(m.rawTg)} t/s, llama-bench ${fmt(m.benchTg)} t/s`);
}
console.log(`thread count (generation), node-llama-cpp binding: ${binding}:\n${summary.join('\n')}`);
