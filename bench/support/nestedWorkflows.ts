/**
 * The engine benchmarks' workflow shape: a map over the input items (`concurrency` in flight),
 * each a chain of `levels` nested workflows of `stepsPerLevel` llm steps. Shared by
 * bench/engine.bench.ts and bench/tracing.bench.ts so both measure the same run.
 */
export function nestedWorkflows(options: { levels: number; stepsPerLevel: number; concurrency: number }): Record<string, string> {
  const workflows: Record<string, string> = {};
  for (let level = 1; level <= options.levels; level += 1) {
    const steps = Array.from({ length: options.stepsPerLevel }, (_, i) => `  - {id: s${i + 1}, kind: llm, prompt: "level ${level} step ${i + 1} of {{ inputs.topic }}"}`);
    if (level < options.levels) steps.push(`  - {id: down, kind: workflow, workflow: level-${level + 1}, input: {topic: {ref: inputs.topic}}}`);
    workflows[`level-${level}`] = `id: level-${level}\nname: Level ${level}\ninputs: {type: object, properties: {topic: {type: string}}, required: [topic]}\nsteps:\n${steps.join('\n')}\n`;
  }
  workflows.root = `id: root
name: Root
inputs: {type: object, properties: {items: {type: array, items: {type: string}}}, required: [items]}
steps:
  - id: each
    kind: map
    over: inputs.items
    concurrency: ${options.concurrency}
    steps:
      - {id: chain, kind: workflow, workflow: level-1, input: {topic: {ref: item}}}
`;
  return workflows;
}
