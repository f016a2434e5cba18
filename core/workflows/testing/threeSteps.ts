/**
 * A workflow of three llm steps (`first`, `second`, `third`, prompts "First on NAME" …) for tests
 * of what happens around one step: `header` goes before `steps:` (a budget), `onSecond` is added
 * to the second step (a timeout, retries).
 */
export function threeSteps(header = '', onSecond = ''): string {
  return `id: three
name: Three steps
inputs: {type: object, properties: {name: {type: string}}, required: [name]}
${header}steps:
  - id: first
    kind: llm
    prompt: "First on {{ inputs.name }}"
  - id: second
    kind: llm
    prompt: "Second on {{ inputs.name }}"
${onSecond}  - id: third
    kind: llm
    prompt: "Third on {{ inputs.name }}"
`;
}
